"""HTTPS mode (compose.tls.yaml): nginx terminates TLS with a generated certificate.

A stack of its own with a certificate from deploy/make-local-certificate: HTTPS answers and
verifies against that certificate, with HSTS; plain HTTP redirects to HTTPS; cookies are
Secure; Django's deployment checks are silent; the services stay healthy.
"""

import os
import subprocess
from urllib.parse import urlsplit

import pytest
from helpers_security import admin_login, own_stack
from http_client import http_session

from hosttools.compose_project import LONG_RUNNING, REPO, free_port
from hosttools.waiting import wait_until


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    directory = tmp_path_factory.mktemp("tls")
    directory.chmod(0o755)  # nginx (uid 65532) reads the files through a bind mount
    subprocess.run(
        [str(REPO / "deploy/make-local-certificate"), str(directory)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return directory / "visitors.crt", directory / "visitors.key"


@pytest.fixture(scope="module")
def tls_stack(docker, timings, certificate):
    crt, key = certificate
    port = free_port()
    env = {
        "VISITORS_TLS_CERTIFICATE": str(crt),
        "VISITORS_TLS_KEY": str(key),
        "VISITORS_TLS_PORT": str(port),
        "VISITORS_TLS_HOST": "127.0.0.1",
    }
    with own_stack(
        timings,
        "TLS",
        files=("compose.yaml", "compose.tls.yaml"),
        env=env,
        prefix="visitors-test-tls",
    ) as stack:
        stack.tls_port = port
        stack.https = lambda path="/": f"https://127.0.0.1:{port}{path}"
        yield stack


@pytest.fixture
def https(certificate):
    with http_session() as session:
        session.verify = str(certificate[0])
        yield session


def test_https_answers_and_verifies_against_the_certificate(tls_stack, https):
    response = https.get(tls_stack.https("/"), timeout=15)
    assert response.status_code == 200
    assert 'id="sign-in"' in response.text
    hsts = response.headers["Strict-Transport-Security"]
    assert "max-age=31536000" in hsts
    assert "includeSubDomains" in hsts


def test_the_local_key_is_readable_by_nginx_alone(certificate):
    _, key = certificate
    assert key.stat().st_mode & 0o777 == 0o600
    if os.geteuid() == 0:  # as root the script hands the key to nginx's user (else an ACL)
        assert key.stat().st_uid == 65532


def test_https_is_not_trusted_without_the_certificate(tls_stack):
    import requests

    with http_session() as session, pytest.raises(requests.exceptions.SSLError):
        session.get(tls_stack.https("/"), timeout=15)


@pytest.mark.parametrize("path", ["/", "/api/visitors?limit=5", "/admin/login/"])
def test_plain_http_redirects_to_https(tls_stack, http, path):
    response = http.get(tls_stack.url(path), timeout=15, allow_redirects=False)
    assert response.status_code == 301
    assert response.headers["Location"] == tls_stack.https(path)
    assert "Strict-Transport-Security" not in response.headers  # HSTS only over HTTPS


def test_cookies_are_secure(tls_stack, https):
    page = https.get(tls_stack.https("/"), timeout=15)
    csrf = [c for c in https.cookies if c.name == "csrftoken"]
    assert csrf and all(c.secure for c in csrf), page.headers.get("Set-Cookie")
    assert "Secure" in page.headers["Set-Cookie"]
    # The session cookie too: log into the admin over HTTPS.
    response = admin_login(https, tls_stack.https, tls_stack.credentials())
    assert response.status_code == 302, response.status_code
    assert urlsplit(response.headers["Location"]).path == "/admin/"
    session_cookies = [c for c in https.cookies if c.name == "sessionid"]
    assert session_cookies and all(c.secure for c in session_cookies)
    assert all(c.has_nonstandard_attr("HttpOnly") for c in session_cookies)


def test_deploy_checks_are_silent(tls_stack):
    result = tls_stack.run("exec", "-T", "app", "python", "manage.py", "check", "--deploy")
    output = result.stdout + result.stderr
    assert "no issues" in output, output
    assert "WARNINGS" not in output


def test_services_stay_healthy_and_health_answers_over_the_probe(tls_stack):
    def healthy():
        rows = tls_stack.ps()
        return all(rows[s]["Health"] == "healthy" for s in LONG_RUNNING)

    wait_until(healthy, timeout=60, what="every long-running service healthy")
    # The app's own probe: /health over gunicorn's socket, exempt from the HTTPS redirect.
    result = tls_stack.run("exec", "-T", "app", "python", "deploy/probe.py", "/health")
    assert result.returncode == 0
