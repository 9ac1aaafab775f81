"""Following a request: its id on every error answer, and JSON log lines from nginx and the app
that name it, with nothing secret or personal in them.

The module sends normal traffic, errors of every kind nginx and the app answer, and two
requests that fail behind nginx: one while the database is stopped (the app answers 503) and
one while the app is stopped (nginx answers 503 itself). It starts both again afterwards.
"""

import re
from urllib.parse import urlsplit

import pytest
from helpers_security import form_session
from http_client import http_session
from service_logs import access_line, lines_of, log_lines
from visitors_api import create_visitors, unique

REFERENCE = re.compile(r"Reference: <code>([^<]*)</code>")
SECRET_MESSAGE = "my door code is 4711"
SECRET_QUERY = "Ada+Querysecret"

# name -> (method, path, what else to send, status): what a client may send, and the errors
# nginx (static files, its limits) and the app (pages, API, Django's own checks) answer.
REQUESTS = {
    "page": ("GET", "/", {}, 200),
    "static file": ("GET", "/static/visitors/site.css", {}, 200),
    "api read": ("GET", "/api/visitors?limit=5", {"token": True}, 200),
    "app 404 page": ("GET", f"/no-such-page?name={SECRET_QUERY}", {}, 404),
    "app 404 json": ("GET", "/api/nothing", {}, 404),
    "api 400 fields": ("GET", "/api/visitors?limit=0", {"token": True}, 400),
    "api 401": ("GET", "/api/visitors", {}, 401),
    "api 405": ("DELETE", "/api/visitors", {"token": True}, 405),
    "api 415": ("POST", "/api/visitors", {"token": True, "data": "name=x"}, 415),
    "csrf 403": ("POST", "/", {"data": {"name": "x"}}, 403),
    "trace 405": ("TRACE", "/", {}, 405),
    "unknown host 400": ("GET", "/", {"headers": {"Host": "evil.example"}}, 400),
    "nginx 404 page": ("GET", "/static/no-such-file.css", {}, 404),
    "nginx 413 page": ("POST", "/", {"data": b"a" * 100_000}, 413),
    "nginx 413 json": ("POST", "/api/visitors", {"data": b"a" * 100_000}, 413),
    "nginx 414 page": ("GET", "/" + "a" * 9000, {}, 414),
    "nginx 414 json": ("GET", "/api/" + "a" * 9000, {}, 414),
    "nginx header 400": ("GET", "/", {"headers": {"X-Long": "a" * 9000}}, 400),
}


def send(stack, session, method, path, token=None, data=None, headers=None):
    headers = dict(headers or {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return session.request(
        method, stack.url(path), headers=headers, data=data, timeout=15, allow_redirects=False
    )


@pytest.fixture(scope="module")
def secrets_sent(stack, api_token):
    """Signs a visitor in through the form and the API: what must never reach a log."""
    name = unique("Grace Secretname")
    session, csrf = form_session(stack.url("/"))
    with session:
        form = {"csrfmiddlewaretoken": csrf, "name": name, "message": SECRET_MESSAGE}
        assert send(stack, session, "POST", "/", data=form).status_code == 302
        cookies = [cookie.value for cookie in session.cookies]
    create_visitors(stack, api_token, [{"name": f"{name} API", "message": SECRET_MESSAGE}])
    assert cookies, "the form left no cookie to look for"
    return {
        "API token": api_token,
        "visitor's name": name,
        "visitor's message": SECRET_MESSAGE,
        "query's value": SECRET_QUERY.split("+")[1],
    } | {f"cookie {number}": value for number, value in enumerate(cookies)}


@pytest.fixture(scope="module")
def answers(stack, api_token, secrets_sent):
    """name -> (expected status, response) for every request of REQUESTS."""
    sent = {}
    with http_session() as session:
        for name, (method, path, extra, status) in REQUESTS.items():
            token = api_token if extra.get("token") else None
            response = send(stack, session, method, path, token, extra.get("data"),
                            extra.get("headers"))  # fmt: skip
            sent[name] = (status, response)
    return sent


@pytest.fixture(scope="module")
def failed_in_the_app(stack, api_token, answers):
    """A read answered while the database is stopped: the app's 503."""
    stack.run("stop", "db")
    try:
        with http_session() as session:
            return send(stack, session, "GET", "/api/visitors?before=5", api_token)
    finally:
        stack.run("start", "db")
        stack.wait_healthy("db", "app")


@pytest.fixture(scope="module")
def failed_in_nginx(stack, failed_in_the_app):
    """A page asked for while the app is stopped: nginx's own 503."""
    stack.run("stop", "app")
    try:
        with http_session() as session:
            return send(stack, session, "GET", "/?before=5")
    finally:
        stack.run("start", "app")
        stack.wait_healthy("app", "web")


def shown_id(response):
    """The request id an error answer shows its reader: in the JSON body, or on the page."""
    if response.headers["Content-Type"].startswith("application/json"):
        return response.json()["request_id"]
    return REFERENCE.findall(response.text)


def test_every_answer_has_its_status_and_every_error_shows_its_id(answers):
    for name, (status, response) in answers.items():
        assert response.status_code == status, (name, response.text[:300])
        if status >= 400:
            request_id = response.headers["X-Request-ID"]
            assert shown_id(response) in (request_id, [request_id]), (name, response.text[:300])


def test_nginx_logs_each_request_once_with_its_path_but_not_its_query(stack, answers):
    for name, (status, response) in answers.items():
        if name == "static file":
            continue  # static files are not logged (access_log off)
        line = access_line(stack, response.headers["X-Request-ID"])
        path = urlsplit(response.request.url).path
        assert (line["method"], line["path"], line["status"]) == (
            response.request.method,
            "" if status == 414 else path,  # nginx cannot read an address that long
            status,
        ), name
        assert isinstance(line["bytes"], int), name
        assert isinstance(line["duration"], float), name
        assert line["client"], name
        assert set(line) == {
            "time", "request_id", "method", "path", "status", "bytes", "duration",
            "upstream_status", "upstream_duration", "client",
        }  # fmt: skip
        # Only the app's answers have an upstream status: nginx's own never reached it.
        answered_by_nginx = name.startswith("nginx")
        assert (line["upstream_status"] == "") == answered_by_nginx, (name, line)


def test_a_request_that_failed_in_the_app_is_found_in_both_logs(stack, failed_in_the_app):
    assert failed_in_the_app.status_code == 503
    request_id = failed_in_the_app.headers["X-Request-ID"]
    assert failed_in_the_app.json()["request_id"] == request_id

    line = access_line(stack, request_id)
    assert (line["status"], line["upstream_status"]) == (503, "503")
    app_lines = lines_of(stack, "app", request_id, count=2)
    by_logger = {line["logger"]: line for line in app_lines}
    cause = by_logger["visitors.middleware"]["message"]
    assert cause.startswith("/api/visitors answered 503: "), app_lines
    assert by_logger["django.request"]["level"] == "ERROR", app_lines


def test_nginx_records_its_own_503_with_the_upstream_status(stack, failed_in_nginx):
    assert failed_in_nginx.status_code == 503
    request_id = failed_in_nginx.headers["X-Request-ID"]
    assert REFERENCE.findall(failed_in_nginx.text) == [request_id]
    line = access_line(stack, request_id)
    # The app's socket refused the connection (502), answered as 503 with Retry-After.
    assert (line["path"], line["status"], line["upstream_status"]) == ("/", 503, "502")


def test_every_line_of_both_logs_is_json_and_holds_no_secret(stack, secrets_sent, failed_in_nginx):
    for service in ("web", "app"):
        lines = log_lines(stack, service)
        assert lines, service
        text = repr(lines)
        for what, secret in secrets_sent.items():
            assert secret not in text, f"the {what} is in {service}'s log"
        for line in lines if service == "app" else ():
            assert {"time", "level", "logger", "message", "request_id"} <= set(line), line
