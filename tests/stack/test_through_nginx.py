"""What a client of the published port gets: the page, its static files, health and the API."""

import re
from urllib.parse import urlsplit

import pytest
from http_client import ANSWER_KINDS, answer_of_kind, http_session
from service_logs import access_line
from visitors_api import unique

HASHED_HTMX = re.compile(r'<script src="(/static/[^"]*htmx[^"]*\.[0-9a-f]{12}\.js)"')
NGINX_VERSION = re.compile(r"nginx/\d", re.IGNORECASE)


@pytest.fixture(scope="module")
def page_html(stack):
    with http_session() as session:
        response = session.get(stack.url("/"), timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    return response.text


@pytest.fixture(scope="module")
def htmx_path(page_html):
    match = HASHED_HTMX.search(page_html)
    assert match, "the page has no htmx <script> with a hashed name under /static/"
    return match.group(1)


def test_page_is_the_sign_in_form(page_html):
    assert re.search(r'<form id="sign-in" method="post" action="/"', page_html)
    for field in ("name", "company", "message"):
        assert f'name="{field}"' in page_html
    assert 'name="csrfmiddlewaretoken"' in page_html
    assert re.search(r'<button type="submit">\s*Sign in\s*</button>', page_html)
    assert 'id="present-list"' in page_html


def test_page_loads_htmx_from_a_hashed_static_file(htmx_path):
    assert htmx_path.startswith("/static/")


def test_hashed_static_file_is_cached_for_a_year(stack, http, htmx_path):
    response = http.get(stack.url(htmx_path), timeout=10)
    assert response.status_code == 200
    assert "javascript" in response.headers["Content-Type"]
    cache_control = response.headers["Cache-Control"]
    assert "immutable" in cache_control
    assert "max-age=31536000" in cache_control


def test_static_file_is_gzipped_for_clients_that_accept_it(stack, http, htmx_path):
    plain = http.get(stack.url(htmx_path), headers={"Accept-Encoding": "identity"}, timeout=10)
    gzipped = http.get(stack.url(htmx_path), headers={"Accept-Encoding": "gzip"}, timeout=10)
    assert "Content-Encoding" not in plain.headers
    assert gzipped.headers["Content-Encoding"] == "gzip"
    assert int(gzipped.headers["Content-Length"]) < int(plain.headers["Content-Length"]) / 2
    assert gzipped.content == plain.content  # requests decompressed it: the same script
    assert "Accept-Encoding" in gzipped.headers.get("Vary", "")


def test_health_reports_app_and_database_ok(stack, http):
    response = http.get(stack.url("/health"), timeout=10)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_liveness_answers(stack, http):
    response = http.get(stack.url("/health/live"), timeout=10)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_api_creates_a_visitor_that_its_location_and_the_list_return(stack, api):
    sent = {"name": unique("API Ada"), "company": "Analytical Engines", "message": "Hello"}
    created = api("POST", "/api/visitors", json=sent)
    assert created.status_code == 201, created.text
    visitor = created.json()
    assert {key: visitor[key] for key in sent} == sent

    location = created.headers["Location"]
    assert location == stack.url(f"/api/visitors/{visitor['id']}")
    fetched = api("GET", urlsplit(location).path)
    assert fetched.status_code == 200
    assert fetched.json() == visitor

    listed = api("GET", "/api/visitors")
    assert listed.status_code == 200
    assert listed.json()["results"][0] == visitor


@pytest.mark.parametrize("token", [None, "not-the-token"], ids=["no token", "wrong token"])
def test_api_write_without_the_token_is_refused_in_json(api, token):
    name = unique("Mallory")
    response = api("POST", "/api/visitors", token=token, json={"name": name})
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers.get("WWW-Authenticate") == "Bearer"
    assert "error" in response.json()
    names = [v["name"] for v in api("GET", "/api/visitors").json()["results"]]
    assert name not in names


@pytest.mark.parametrize(
    "forged",
    [
        {"X-Forwarded-Host": "evil.example"},
        {"X-Forwarded-Proto": "https"},
        {"X-Forwarded-Host": "evil.example:443", "X-Forwarded-Proto": "https"},
    ],
    ids=["host", "proto", "host and proto"],
)
def test_forwarded_headers_from_the_client_do_not_change_links(stack, api, forged):
    response = api("POST", "/api/visitors", json={"name": unique("Forger")}, headers=forged)
    assert response.status_code == 201, response.text
    assert response.headers["Location"] == stack.url(f"/api/visitors/{response.json()['id']}")


@pytest.mark.parametrize("kind", ANSWER_KINDS)
def test_responses_never_reveal_the_nginx_version(stack, http, kind):
    response = answer_of_kind(stack, http, kind)
    assert response.headers["Server"] == "nginx"
    for name, value in response.headers.items():
        assert not NGINX_VERSION.search(value), f"{name}: {value}"
    assert not NGINX_VERSION.search(response.text)


# --- request ids (nginx.conf: $visitors_request_id) ------------------------------------------

NGINX_REQUEST_ID = re.compile(r"[0-9a-f]{32}")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/", None),
        ("GET", "/health", None),
        ("GET", "/nginx-health", None),
        ("GET", "/static/no-such-file.css", None),
        ("GET", "/no-such-page/", None),
        ("GET", "/api/visitors", None),
        ("POST", "/api/visitors", b"x" * (2**20)),
    ],
    ids=["page", "health", "nginx-health", "static 404", "app 404", "api 401", "nginx 413"],
)
def test_every_answer_carries_its_own_request_id(stack, http, method, path, body):
    ids = set()
    for _ in range(2):
        response = http.request(method, stack.url(path), data=body, timeout=10)
        assert NGINX_REQUEST_ID.fullmatch(response.headers.get("X-Request-ID", "")), (
            response.status_code,
            response.headers,
        )
        ids.add(response.headers["X-Request-ID"])
    assert len(ids) == 2, "two requests, one id"


def test_a_safe_incoming_request_id_is_kept_and_logged(stack, http):
    given = f"front-proxy.{unique('id').split()[-1]}-0001"
    response = http.get(stack.url("/health"), headers={"X-Request-ID": given}, timeout=10)
    assert response.headers["X-Request-ID"] == given
    assert access_line(stack, given)["path"] == "/health"


@pytest.mark.parametrize(
    "given",
    ["short", "x" * 65, "has spaces in it", "semi;colon-0001", "-starts-with-dash", "ünicode-0001"],
)
def test_an_unsafe_incoming_request_id_is_replaced(stack, http, given):
    response = http.get(stack.url("/health"), headers={"X-Request-ID": given}, timeout=10)
    assert NGINX_REQUEST_ID.fullmatch(response.headers["X-Request-ID"])
