"""Each request's id (visitors/request_id.py): on error pages, in JSON errors, on log lines."""

import io
import json
import logging
import re
import subprocess
import sys

import pytest

from visitors.log_formatters import FIELDS, JsonLines

pytestmark = pytest.mark.django_db

# As nginx passes it: its own random id, or a safe one a proxy in front gave.
GIVEN = {"HTTP_X_REQUEST_ID": "front-proxy.0123-abcd"}
MADE = re.compile(r"[0-9a-f]{32}")
REFERENCE = re.compile(r"Reference: <code>([^<]*)</code>")


@pytest.fixture
def log_lines():
    """What the app's own JSON handler (LOGGING) writes during the test: one dict a line."""
    (handler,) = [h for h in logging.getLogger().handlers if isinstance(h.formatter, JsonLines)]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        handler.setStream(previous)


def test_an_error_page_shows_the_request_id_nginx_gave(client):
    response = client.get("/no-such-page", **GIVEN)
    assert response.status_code == 404
    assert REFERENCE.findall(response.text) == ["front-proxy.0123-abcd"]
    # nginx returns the id to the client: the app adds no second X-Request-ID.
    assert "X-Request-ID" not in response


def test_without_an_id_the_app_makes_one_for_each_request(client):
    ids = {REFERENCE.search(client.get("/no-such-page").text).group(1) for _ in range(2)}
    assert len(ids) == 2
    assert all(MADE.fullmatch(made) for made in ids)


@pytest.fixture
def api_answers(client, auth):
    """One request for each way the API answers an error: name -> (status, response)."""
    token = GIVEN | auth
    return {
        "401 (api.error)": (401, client.get("/api/visitors", **GIVEN)),
        "400 (api.field_errors)": (400, client.get("/api/visitors?limit=0", **token)),
        "404 (errors.page)": (404, client.get("/api/nothing", **GIVEN)),
        "405 (api.error)": (405, client.delete("/api/visitors", **token)),
    }


def test_every_json_error_names_the_request(api_answers):
    for name, (status, response) in api_answers.items():
        assert response.status_code == status, name
        assert response.json()["request_id"] == "front-proxy.0123-abcd", name


def test_a_request_answered_with_an_error_is_logged_with_its_id(client, log_lines):
    response = client.get("/no-such-page?name=Ada+Lovelace&token=s3cret", **GIVEN)
    assert response.status_code == 404
    (line,) = [line for line in log_lines() if line["logger"] == "django.request"]
    assert line == {
        "time": line["time"],
        "level": "WARNING",
        "logger": "django.request",
        "message": "Not Found: /no-such-page",
        "request_id": "front-proxy.0123-abcd",
        "status_code": 404,
    }
    # Django passes the request along: neither it nor its query string reaches the log.
    assert "Ada" not in json.dumps(log_lines())
    assert "s3cret" not in json.dumps(log_lines())


def test_a_database_failure_leaves_a_line_with_its_cause_and_id(client, database_down, log_lines):
    response = client.get("/", **GIVEN)
    assert response.status_code == 503
    ids = {line["logger"]: line["request_id"] for line in log_lines()}
    assert ids["visitors.middleware"] == ids["django.request"] == "front-proxy.0123-abcd"
    (cause,) = [line for line in log_lines() if line["logger"] == "visitors.middleware"]
    assert cause["message"].startswith("/ answered 503: OperationalError: ")
    assert "exception" not in cause  # the first line of the error, not a traceback


def test_a_line_outside_a_request_has_no_id_and_one_field_for_a_traceback(log_lines):
    try:
        raise ValueError("broken\non two lines")
    except ValueError:
        logging.getLogger("visitors.test").exception("Something failed")
    (line,) = log_lines()
    assert list(line) == ["time", "level", "logger", "message", "request_id", "exception"]
    assert line["request_id"] is None
    assert line["exception"].startswith("Traceback (most recent call last):")
    assert line["exception"].endswith("ValueError: broken\non two lines")


def test_only_the_known_fields_are_logged(log_lines):
    visitor = {"name": "Ada Lovelace", "message": "Hello"}
    logging.getLogger("visitors.test").warning("A visitor", extra={"visitor": visitor})
    (line,) = log_lines()
    assert set(line) <= set(FIELDS)
    assert "Ada" not in json.dumps(line)


def test_an_unknown_host_is_still_one_short_line_with_its_id(client, log_lines):
    host = "evil-" + "x" * 7000 + ".example"
    assert client.get("/", HTTP_HOST=host, **GIVEN).status_code == 400
    (line,) = log_lines()
    assert line["logger"] == "django.security.DisallowedHost"
    assert line["request_id"] == "front-proxy.0123-abcd"
    assert "exception" not in line
    assert len(json.dumps(line)) < 400


def test_a_python_warning_is_a_json_line_too():
    # As in a gunicorn worker: Django set up from the settings, then a warning (Django's own
    # for a naive datetime in an admin filter was a bare text line among the JSON ones).
    # pytest records the warnings of its own process, so this one runs in a fresh one.
    program = "import django, warnings; django.setup(); warnings.warn('naive datetime')"
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True, timeout=60
    )
    (line,) = [json.loads(text) for text in result.stderr.splitlines()]
    assert line["logger"] == "py.warnings"
    assert line["level"] == "WARNING"
    assert "UserWarning: naive datetime" in line["message"]
