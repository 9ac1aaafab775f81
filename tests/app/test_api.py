"""The JSON API: reading pages of visitors, signing visitors in with a token, every error."""

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from visitors.models import Visitor

pytestmark = pytest.mark.django_db

LIST = "/api/visitors"
FIELDS = {"id", "name", "company", "message", "created_at", "signed_out_at"}


@pytest.fixture
def client(read_auth):
    """A test client that shows a server error as the 500 response a user would get, and
    reads with the read-only token unless a request names another."""
    return Client(raise_request_exception=False, **read_auth)


def assert_json(response, status):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    return response.json()


def post(client, body, headers, content_type="application/json"):
    if not isinstance(body, str | bytes):
        body = json.dumps(body)
    # CONTENT_TYPE given again: the test client leaves it out when the body is empty.
    return client.post(LIST, body, content_type=content_type, CONTENT_TYPE=content_type, **headers)


# --- reading ---------------------------------------------------------------------------------


def test_list_shape_and_order(client, make_visitor):
    older = make_visitor(name="Zoë 王芳 Øyvind", company="Acme", message="hi\nthere")
    newer = make_visitor(name="Grace")
    body = assert_json(client.get(LIST), 200)
    assert set(body) == {"results", "next"}
    assert body["next"] is None
    assert [item["id"] for item in body["results"]] == [newer.id, older.id]
    assert all(set(item) == FIELDS for item in body["results"])
    assert body["results"][1] == {
        "id": older.id,
        "name": "Zoë 王芳 Øyvind",
        "company": "Acme",
        "message": "hi\nthere",
        "created_at": older.created_at.isoformat(),
        "signed_out_at": None,
    }


def test_empty_list(client):
    assert assert_json(client.get(LIST), 200) == {"results": [], "next": None}


@pytest.mark.parametrize(("query", "size"), [({}, 20), ({"limit": 1}, 1), ({"limit": 100}, 100)])
def test_limit(client, make_visitors, query, size):
    visitors = make_visitors(101)
    body = assert_json(client.get(LIST, query), 200)
    assert [item["id"] for item in body["results"]] == [v.id for v in reversed(visitors)][:size]
    next_url = urlsplit(body["next"])
    assert (next_url.scheme, next_url.netloc, next_url.path) == ("http", "testserver", LIST)
    assert parse_qs(next_url.query) == {
        "limit": [str(size)],
        "before": [str(body["results"][-1]["id"])],
    }


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "abc"}, "limit"),
        ({"limit": "-5"}, "limit"),
        ({"before": "abc"}, "before"),
        ({"before": 0}, "before"),
        ({"before": "99999999999999999999999"}, "before"),
    ],
)
def test_invalid_query_is_a_400_naming_the_parameter(client, query, field):
    body = assert_json(client.get(LIST, query), 400)
    assert list(body) == ["errors", "request_id"]
    assert list(body["errors"]) == [field]
    assert all(isinstance(msg, str) and msg for msg in body["errors"][field])


def test_following_next_while_visitors_sign_in_never_repeats_or_skips(client, make_visitors):
    existing = make_visitors(12)
    seen, url, arrived = [], f"{LIST}?limit=5", 0
    while url:
        body = assert_json(client.get(url), 200)
        seen += [item["id"] for item in body["results"]]
        arrived += 3
        make_visitors(3, start=100 + arrived)  # newer visitors arrive between pages
        url = body["next"]
    assert seen == [v.id for v in reversed(existing)]
    assert Visitor.objects.count() == 12 + arrived


def test_detail(client, make_visitor):
    visitor = make_visitor(name="👩🏽‍💻 Priya", company="Hooli")
    body = assert_json(client.get(f"{LIST}/{visitor.id}"), 200)
    assert body == visitor.as_json()


@pytest.mark.parametrize("pk", ["0", "424242", "9223372036854775807", "99999999999999999999999"])
def test_detail_of_nobody_is_a_json_404(client, pk):
    body = assert_json(client.get(f"{LIST}/{pk}"), 404)
    assert pk in body["error"]


@pytest.mark.parametrize(
    "path", ["/api", "/api/", "/api/nothing", f"{LIST}/", f"{LIST}/abc", f"{LIST}/1/x", "/api/v2"]
)
def test_unknown_api_path_is_a_json_404(client, path):
    assert "error" in assert_json(client.get(path), 404)


@pytest.mark.parametrize("path", ["/api", "/api/", LIST, f"{LIST}/1", "/api/nothing"])
def test_unknown_host_under_api_is_a_json_400(client, path):
    body = assert_json(client.get(path, HTTP_HOST="evil.example"), 400)
    assert "host" in body["error"]


@pytest.mark.parametrize("query", ["limit=5&limit=7", "limit=5&limit=5", "before=9&before=3"])
def test_a_parameter_given_twice_is_a_400_not_the_last_one_winning(client, make_visitors, query):
    make_visitors(3)
    body = assert_json(client.get(f"{LIST}?{query}"), 400)
    assert list(body["errors"]) == [query.partition("=")[0]]


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("delete", f"{LIST}/1", {"GET"}),
        ("put", f"{LIST}/1", {"GET"}),
        ("post", f"{LIST}/1", {"GET"}),
        ("put", LIST, {"GET", "POST"}),
        ("patch", LIST, {"GET", "POST"}),
        ("delete", LIST, {"GET", "POST"}),
        ("post", "/api/openapi.json", {"GET"}),
    ],
)
def test_wrong_method_is_a_json_405_with_allow(client, make_visitor, method, path, allowed):
    make_visitor()
    response = getattr(client, method)(path)
    body = assert_json(response, 405)
    assert method.upper() in body["error"]
    offered = set(response["Allow"].split(", "))
    assert allowed <= offered
    assert method.upper() not in offered


# --- writing ---------------------------------------------------------------------------------


def test_create(client, auth):
    sent = {"name": "  Zoë 王芳 Øyvind ", "company": "Hooli 🚀", "message": "line\n\tindented"}
    response = post(client, sent, auth)
    body = assert_json(response, 201)
    visitor = Visitor.objects.get()
    assert body == visitor.as_json()
    assert body["name"] == "Zoë 王芳 Øyvind"
    assert (body["company"], body["message"]) == (sent["company"], sent["message"])
    assert response["Location"] == f"http://testserver{LIST}/{visitor.id}"
    assert assert_json(client.get(response["Location"]), 200) == body
    assert assert_json(client.get(LIST), 200)["results"] == [body]


@pytest.mark.parametrize(
    "auth_header",
    ["bearer {token}", "Bearer   {token}  ", "BEARER {token}"],
    ids=["lower-case-scheme", "spaces", "upper-case-scheme"],
)
def test_create_accepts_the_token_however_the_scheme_is_spelled(client, api_token, auth_header):
    headers = {"HTTP_AUTHORIZATION": auth_header.format(token=api_token)}
    assert_json(post(client, {"name": "Ada"}, headers), 201)


def test_create_accepts_json_with_a_charset(client, auth):
    response = post(client, {"name": "Ada"}, auth, content_type="application/json; charset=utf-8")
    assert_json(response, 201)


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Bearer wrong-token",
        "Basic {token}",
        "{token}",
        "Bearer {token}x",
        "Token {token}",
    ],
)
def test_create_without_the_right_token_is_a_401(client, api_token, authorization):
    headers = {"HTTP_AUTHORIZATION": (authorization or "").format(token=api_token)}
    response = post(client, {"name": "Mallory"}, headers)
    assert "error" in assert_json(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert not Visitor.objects.exists()


@pytest.mark.parametrize("authorization", ["Bearer ", "Bearer anything", "Bearer  "])
def test_create_is_refused_when_no_token_is_configured(client, settings, authorization):
    settings.VISITORS_API_TOKEN = ""
    response = post(client, {"name": "Mallory"}, {"HTTP_AUTHORIZATION": authorization})
    assert_json(response, 401)
    assert not Visitor.objects.exists()


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("{", "not valid JSON"),
        ("", "not valid JSON"),
        ('{"name": "Ada",}', "not valid JSON"),
        ("\ufeff{}", "not valid JSON"),  # a byte order mark
        ('[{"name": "Ada"}]', "JSON object"),
        ('"Ada"', "JSON object"),
        ("42", "JSON object"),
        ("null", "JSON object"),
        ("true", "JSON object"),
        (b'{"name": "\xff\xfe"}', "UTF-8"),
        (b'{"name": "\xed\xa0\x80"}', "UTF-8"),  # an encoded surrogate
    ],
)
def test_malformed_body_is_a_json_400(client, auth, body, words):
    error = assert_json(post(client, body, auth), 400)["error"]
    assert words in error
    assert not Visitor.objects.exists()


@pytest.mark.parametrize(
    "body",
    ["[" * 50_000, '{"name": ' + "1" * 5_000 + "}"],
    ids=["deeply-nested", "huge-integer"],
)
def test_pathological_json_is_a_json_400(client, auth, body):
    assert "error" in assert_json(post(client, body, auth), 400)


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "application/xml", "", "application/jsonx"],
)
def test_wrong_content_type_is_a_json_415(client, auth, content_type):
    response = post(client, {"name": "Ada"}, auth, content_type=content_type)
    assert "error" in assert_json(response, 415)
    assert not Visitor.objects.exists()


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({}, {"name": "Please tell us your name."}),
        ({"name": "   "}, {"name": "Please tell us your name."}),
        ({"name": "x" * 101}, {"name": "at most 100 characters"}),
        ({"name": "Ada", "company": "c" * 101}, {"company": "at most 100 characters"}),
        ({"name": "Ada", "message": "m" * 501}, {"message": "at most 500 characters"}),
        ({"name": "Ada\x00"}, {"name": "not allowed"}),
        ({"name": "Ada\ud800"}, {"name": "U+D800"}),
        ({"name": "Ada", "message": "bell\x07"}, {"message": "Control characters"}),
        ({"name": "Ada", "id": 7}, {"id": "Unknown field."}),
        ({"name": "Ada", "created_at": "2000-01-01"}, {"created_at": "Unknown field."}),
        ({"name": None}, {"name": "Must be a string."}),
        ({"name": 42}, {"name": "Must be a string."}),
        ({"name": ["Ada"]}, {"name": "Must be a string."}),
        ({"name": "Ada", "company": {"a": 1}}, {"company": "Must be a string."}),
        ({"name": "Ada", "message": False}, {"message": "Must be a string."}),
        (
            {"name": "", "company": 5, "message": "m" * 501, "badge": "B-12"},
            {
                "name": "Please tell us your name.",
                "company": "Must be a string.",
                "message": "at most 500 characters",
                "badge": "Unknown field.",
            },
        ),
    ],
)
def test_invalid_fields_are_a_400_listing_every_problem(client, auth, payload, expected):
    body = assert_json(post(client, payload, auth), 400)
    assert list(body) == ["errors", "request_id"]
    assert set(body["errors"]) == set(expected)
    for field, words in expected.items():
        messages = body["errors"][field]
        assert messages, field
        assert all(isinstance(message, str) for message in messages)
        assert any(words in message for message in messages), messages
    assert not Visitor.objects.exists()


def test_body_over_the_upload_limit_is_a_json_413(client, auth, settings):
    body = json.dumps({"name": "Ada", "message": "m" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE})
    assert "error" in assert_json(post(client, body, auth), 413)
    assert not Visitor.objects.exists()


def test_body_at_the_upload_limit_is_read(client, auth, settings):
    body = json.dumps({"name": "Ada"}).ljust(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    assert_json(post(client, body, auth), 201)


def test_api_ignores_csrf(api_token):
    client = Client(enforce_csrf_checks=True)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {api_token}"}
    assert_json(post(client, {"name": "Ada"}, headers), 201)


@pytest.mark.parametrize("path", [LIST, f"{LIST}/1"])
def test_database_unavailable_is_a_json_503(client, database_down, path):
    response = client.get(path)
    assert "error" in assert_json(response, 503)
    assert response["Retry-After"].isdigit()


def test_database_unavailable_on_create_is_a_json_503(client, auth, database_down):
    response = post(client, {"name": "Ada"}, auth)
    assert "error" in assert_json(response, 503)
    assert response["Retry-After"].isdigit()


# --- who may read and write ------------------------------------------------------------------


@pytest.mark.parametrize("path", [LIST, f"{LIST}/1"])
@pytest.mark.parametrize("authorization", ["", "Bearer", "Bearer wrong", "Basic x"])
def test_reading_without_a_token_is_a_401(client, make_visitor, path, authorization):
    # A front desk's log is personal data: the history is for token holders.
    make_visitor(name="Private Person")
    response = client.get(path.replace("/1", f"/{Visitor.objects.get().id}"),
                          HTTP_AUTHORIZATION=authorization)  # fmt: skip
    assert "error" in assert_json(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"Private Person" not in response.content


def test_both_tokens_read(client, make_visitor, auth, read_auth):
    make_visitor(name="Ada")
    for headers in (auth, read_auth):
        assert assert_json(client.get(LIST, **headers), 200)["results"][0]["name"] == "Ada"


def test_the_read_only_token_cannot_write(client, api_token, read_auth):
    response = post(client, {"name": "Mallory"}, read_auth)
    assert "read" in assert_json(response, 403)["error"]
    assert not Visitor.objects.exists()
