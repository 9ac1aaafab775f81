"""Hostile or broken requests through nginx: too large, forged, SQL, traversal, wrong methods."""

import http.client
import secrets

import pytest
from helpers_security import assert_refused, form_session
from service_logs import access_line
from visitors_api import unique

LARGE = 100_000  # over nginx's client_max_body_size of 64k


@pytest.mark.parametrize(
    "path, content_type, chunked",
    [
        ("/", "text/html", False),
        ("/", "text/html", True),
        ("/api/visitors", "application/json", False),
        ("/api/visitors", "application/json", True),
    ],
    ids=["page", "page chunked", "api", "api chunked"],
)
def test_oversized_body_is_refused_by_nginx(stack, http, api_token, path, content_type, chunked):
    marker = f"large-{secrets.token_hex(4)}"
    body = b'{"name": "' + b"a" * LARGE + b'"}'
    data = iter([body[i : i + 8192] for i in range(0, len(body), 8192)]) if chunked else body
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {api_token}"}
    response = http.post(
        stack.url(path), data=data, headers=headers | {"X-Request-ID": marker}, timeout=15
    )
    assert_refused(response, 413, content_type, "too much to send")
    line = access_line(stack, marker)
    assert line["upstream_status"] == "", f"the oversized request reached the app: {line}"


@pytest.mark.parametrize("token", [None, "forged-token-value"], ids=["missing", "wrong"])
def test_form_post_without_a_valid_csrf_token_is_refused(stack, api, token):
    session, _ = form_session(stack.url("/"))
    name = unique("Forged")
    data = {"name": name}
    if token:
        data["csrfmiddlewaretoken"] = token
    response = session.post(stack.url("/"), data=data, timeout=15, allow_redirects=False)
    assert response.status_code == 403
    assert response.headers["Content-Type"].startswith("text/html")
    assert "came from another site" in response.text
    assert "Traceback" not in response.text and "CSRF verification failed" not in response.text
    names = [v["name"] for v in api("GET", "/api/visitors?limit=100").json()["results"]]
    assert name not in names


SQL = [
    "'; DROP TABLE visitors_visitor; --",
    '" OR 1=1 --',
    "Robert'); DELETE FROM visitors_visitor WHERE ('1'='1",
    "\\'; SELECT pg_sleep(5); --",
]


@pytest.mark.parametrize("text", SQL)
def test_sql_metacharacters_are_stored_literally_through_the_api(api, text):
    sent = {"name": text, "company": text, "message": text}
    created = api("POST", "/api/visitors", json=sent)
    assert created.status_code == 201, created.text
    fetched = api("GET", f"/api/visitors/{created.json()['id']}")
    assert {k: fetched.json()[k] for k in sent} == sent
    assert api("GET", "/api/visitors").status_code == 200  # the table is there


@pytest.mark.parametrize("text", SQL[:2])
def test_sql_metacharacters_are_stored_literally_through_the_form(stack, api, text):
    session, token = form_session(stack.url("/"))
    name = f"{text} {secrets.token_hex(3)}"
    response = session.post(
        stack.url("/"),
        data={"csrfmiddlewaretoken": token, "name": name, "company": text, "message": text},
        timeout=15,
        allow_redirects=False,
    )
    assert response.status_code == 302
    newest = api("GET", "/api/visitors?limit=100").json()["results"]
    stored = next(v for v in newest if v["name"] == name)
    assert (stored["company"], stored["message"]) == (text, text)


@pytest.mark.parametrize(
    "path",
    [
        "/static/../settings.py",
        "/static/../../app/visitors_site/settings.py",
        "/static/%2e%2e/%2e%2e/etc/passwd",
        "/static/..%2f..%2fetc/passwd",
        "/static/..%2F..%2F..%2Fetc%2Fpasswd",
        "/static/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/static../etc/passwd",
        "/static/visitors/../../../../etc/passwd",
        "/static//etc/passwd",
        "/errors/too-large.html",
        "/static/..;/..;/etc/passwd",
    ],
)
def test_path_traversal_never_serves_files(stack, path):
    # http.client sends the path exactly as written (requests would normalise the dots).
    connection = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=15)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read().decode("utf-8", "replace")
    finally:
        connection.close()
    assert response.status in {400, 404}, (response.status, body[:300])
    for content in ("root:", "SECRET_KEY", "DJANGO_", "import ", "That was too much to send"):
        assert content not in body


def test_put_on_the_page_is_405_with_allow(stack):
    # With a valid CSRF token: without one, the CSRF check answers 403 before the view runs.
    session, token = form_session(stack.url("/"))
    response = session.put(
        stack.url("/"), data={"name": "x"}, headers={"X-CSRFToken": token}, timeout=15
    )
    assert response.status_code == 405
    assert response.headers["Content-Type"].startswith("text/html")
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert {"GET", "POST"} <= allowed and "PUT" not in allowed
    assert "Method not allowed" in response.text


@pytest.mark.parametrize("method", ["DELETE", "PUT", "PATCH"])
def test_wrong_method_on_the_api_is_405_in_json(api, method):
    response = api(method, "/api/visitors", json={"name": "x"})
    assert response.status_code == 405
    assert response.headers["Content-Type"] == "application/json"
    assert "error" in response.json()
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert {"GET", "POST"} <= allowed and method not in allowed
