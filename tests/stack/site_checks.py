"""Black-box checks of a deployed Visitors site, given its address and API token.

The Kubernetes pod test (test_kubernetes_pods.py) runs them against the pods podman plays
here; the GitHub workflow .github/workflows/kubernetes.yml runs them against a real cluster:

    PYTHONPATH=. python tests/stack/site_checks.py check URL [--host NAME]
    PYTHONPATH=. python tests/stack/site_checks.py write-within SECONDS URL [--host NAME]
    PYTHONPATH=. python tests/stack/site_checks.py kept URL ID... [--host NAME]

`check` runs every check once; `write-within` waits until an API write succeeds; both print
`written: ID` for the visitors they wrote, and `kept` checks that those are all still there
(after a failover, say). The API token is read from VISITORS_API_TOKEN. `--host` sends
another Host header (a site whose DJANGO_ALLOWED_HOSTS names its public name, reached
through a port-forward).
"""

import argparse
import os
import secrets
import sys
import time

import requests

from hosttools.waiting import wait_until


class Site:
    """The site at `base_url`, called with the API token (and a Host header when given)."""

    def __init__(self, base_url, token, host=None):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.headers = {"Host": host} if host else {}
        self.session = requests.Session()
        self.session.trust_env = False  # traffic is local: no proxy from the environment

    def get(self, path, token=None):
        return self.request("GET", path, token)

    def request(self, method, path, token=None, **kwargs):
        headers = dict(self.headers)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.session.request(
            method, self.base_url + path, headers=headers, timeout=10, **kwargs
        )

    def write_visitor(self, label):
        """POSTs a new visitor with the token; returns the response."""
        name = f"{label} {secrets.token_hex(3)}"
        return self.request("POST", "/api/visitors", self.token, json={"name": name})


def page_is_the_sign_in_form(site):
    response = site.get("/")
    assert response.status_code == 200, response.status_code
    assert '<form id="sign-in"' in response.text
    assert response.headers["Server"] == "nginx"  # nginx answered, in front of gunicorn


def health_reports_app_and_database_ok(site):
    response = site.get("/health")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ok", "database": "ok"}


def static_files_come_from_nginx(site):
    response = site.get("/static/visitors/site.css")
    assert response.status_code == 200, response.status_code
    assert "text/css" in response.headers["Content-Type"]


def api_write_is_read_back(site):
    created = site.write_visitor("Kubernetes Ada")
    assert created.status_code == 201, created.text
    visitor = created.json()
    fetched = site.get(f"/api/visitors/{visitor['id']}", site.token)
    assert fetched.status_code == 200, fetched.text
    assert fetched.json() == visitor
    listed = site.get("/api/visitors", site.token)
    assert visitor in listed.json()["results"]
    return visitor


def api_needs_the_token(site):
    response = site.get("/api/visitors")
    assert response.status_code == 401, response.status_code
    assert response.headers["Content-Type"] == "application/json"


CHECKS = (
    page_is_the_sign_in_form,
    health_reports_app_and_database_ok,
    static_files_come_from_nginx,
    api_write_is_read_back,
    api_needs_the_token,
)


def seconds_until_a_write(site, timeout):
    """Posts a visitor until one is created (201) and read back: (seconds taken, its id)."""
    started = time.monotonic()

    def written():
        created = site.write_visitor("Written again")
        assert created.status_code == 201, f"{created.status_code} {created.text[:200]}"
        fetched = site.get(f"/api/visitors/{created.json()['id']}", site.token)
        assert fetched.status_code == 200, f"read back: {fetched.status_code}"
        return created.json()["id"]

    visitor = wait_until(written, timeout, f"an API write through {site.base_url}", interval=0.5)
    return time.monotonic() - started, visitor


def visitors_not_kept(site, ids):
    """The ids of those visitors the API no longer gives back."""
    return [i for i in ids if site.get(f"/api/visitors/{i}", site.token).status_code != 200]


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="run every check once")
    within = commands.add_parser("write-within", help="an API write succeeds within SECONDS")
    within.add_argument("seconds", type=float)
    kept = commands.add_parser("kept", help="the visitors with these ids are still there")
    for command in (check, within, kept):
        command.add_argument("url")
        command.add_argument("--host")
    kept.add_argument("ids", nargs="+", type=int)
    options = parser.parse_args(argv)
    site = Site(options.url, os.environ["VISITORS_API_TOKEN"], options.host)
    if options.command == "check":
        for run in CHECKS:
            if visitor := run(site):
                print(f"written: {visitor['id']}")
            print(f"ok: {run.__name__.replace('_', ' ')}")
    elif options.command == "write-within":
        seconds, visitor = seconds_until_a_write(site, options.seconds)
        print(f"written: {visitor}")
        print(f"ok: a write succeeded {seconds:.1f} s in")
    else:
        missing = visitors_not_kept(site, options.ids)
        if missing:
            sys.exit(f"site_checks.py: visitors no longer there: {missing}")
        print(f"ok: all {len(options.ids)} visitors kept")


if __name__ == "__main__":
    main(sys.argv[1:])
