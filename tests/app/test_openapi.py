"""The OpenAPI document at /api/openapi.json, held against the API's real behaviour."""

import json
import re

import pytest
from django.test import Client, override_settings
from django.urls import get_resolver
from openapi_core import OpenAPI
from openapi_core.contrib.django import DjangoOpenAPIRequest, DjangoOpenAPIResponse
from openapi_core.validation.response.exceptions import InvalidData
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

pytestmark = pytest.mark.django_db

LIST = "/api/visitors"
UNDOCUMENTED_METHODS = {"head", "options"}


class DocumentPathRequest(DjangoOpenAPIRequest):
    """A Django request matched against the document's own path templates.

    Django names the detail route's parameter `pk` and the document names it `id`; matching
    the real path lets openapi-core read the parameter by the document's name.
    """

    path_pattern = None

    def __init__(self, request):
        super().__init__(request)
        self.parameters.path = {}


@pytest.fixture(scope="module")
def document(_empty_static_root):
    with override_settings(STATIC_ROOT=_empty_static_root):
        response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return response.json()


@pytest.fixture(scope="module")
def openapi(document):
    return OpenAPI.from_dict(document)


def test_document_is_valid_openapi_3_1(document):
    assert document["openapi"].startswith("3.1.")
    validate(document, cls=OpenAPIV31SpecValidator)


def django_api_routes():
    """{path template with "{}" for each parameter: view class} for every route under /api/."""
    routes = {}
    for pattern in get_resolver().url_patterns:
        for inner in getattr(pattern, "url_patterns", [pattern]):
            route = "/" + str(pattern.pattern) + str(inner.pattern)
            if route.startswith("/api/"):
                routes[re.sub(r"<[^>]+>", "{}", route)] = inner.callback
    return routes


def test_every_api_route_and_method_is_documented(document):
    documented = {
        re.sub(r"{[^}]+}", "{}", path): set(operations)
        for path, operations in document["paths"].items()
    }
    routes = django_api_routes()
    assert set(routes) == set(documented)
    for route, view in routes.items():
        served = {m for m in view.view_class.http_method_names if hasattr(view.view_class, m)}
        assert served - UNDOCUMENTED_METHODS == documented[route], route


def send(client, method, path, body=None, content_type="application/json", headers=None):
    if body is not None and not isinstance(body, str):
        body = json.dumps(body)
    kwargs = {} if body is None else {"data": body, "content_type": content_type}
    return getattr(client, method)(path, **kwargs, **(headers or {}))


@pytest.fixture
def visitor(make_visitor):
    make_visitor(name="Older", company="Acme")
    make_visitor(name="Zoë 王芳 Øyvind", message="hi\nthere")
    return make_visitor(name="Newest")


PADDED_BY_CONTROLS = {"name": "\x1cAda\u3000", "message": "hi\x1f"}  # whitespace, trimmed
MESSAGE_LINES = {"name": "Ada", "message": " a\r\n\tb "}

# (method, path, body, content type, with token, status, whether the document accepts the
# request: None where it cannot tell, for a body Django refuses to read back or a parameter
# given twice)
CASES = {
    "list": ("get", f"{LIST}?limit=2", None, None, True, 200, True),
    "list-last-page": ("get", f"{LIST}?limit=100", None, None, True, 200, True),
    "list-bad-limit": ("get", f"{LIST}?limit=0", None, None, True, 400, False),
    "list-repeated-limit": ("get", f"{LIST}?limit=5&limit=7", None, None, True, 400, None),
    "list-bad-cursor": ("get", f"{LIST}?before=abc", None, None, True, 400, False),
    "detail": ("get", f"{LIST}/{{id}}", None, None, True, 200, True),
    "detail-missing": ("get", f"{LIST}/424242", None, None, True, 404, True),
    "detail-zero": ("get", f"{LIST}/0", None, None, True, 404, False),
    "detail-huge-id": ("get", f"{LIST}/99999999999999999999999", None, None, True, 404, False),
    "create": ("post", LIST, {"name": "Ada", "company": "Hooli"}, None, True, 201, True),
    # The limits count what is left after trimming, as the form does.
    "create-padded-at-limit": ("post", LIST, {"name": f"  {'y' * 100}  "}, None, True, 201, True),
    "create-padded-by-controls": ("post", LIST, PADDED_BY_CONTROLS, None, True, 201, True),
    "create-over-limit": ("post", LIST, {"name": "y" * 101}, None, True, 400, False),
    "create-blank-name": ("post", LIST, {"name": " \t\u3000"}, None, True, 400, False),
    "create-control-inside": ("post", LIST, {"name": "A\x1cda"}, None, True, 400, False),
    "create-message-lines": ("post", LIST, MESSAGE_LINES, None, True, 201, True),
    "create-invalid-fields": ("post", LIST, {"name": "", "badge": 1}, None, True, 400, False),
    "create-wrong-type": ("post", LIST, {"name": 7}, None, True, 400, False),
    "create-malformed": ("post", LIST, '{"name": ', None, True, 400, False),
    "create-not-an-object": ("post", LIST, "[]", None, True, 400, False),
    "create-no-token": ("post", LIST, {"name": "Ada"}, None, False, 401, False),
    "list-no-token": ("get", LIST, None, None, False, 401, False),
    "detail-no-token": ("get", f"{LIST}/{{id}}", None, None, False, 401, False),
    "create-too-large": ("post", LIST, {"message": "m" * 70_000}, None, True, 413, None),
    "create-not-json": ("post", LIST, "name=Ada", "text/plain", True, 415, False),
    "document": ("get", "/api/openapi.json", None, None, False, 200, True),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_responses_match_the_document(client, openapi, visitor, auth, case):
    method, path, body, content_type, with_token, status, request_is_valid = case
    response = send(
        client,
        method,
        path.format(id=visitor.id),
        body,
        content_type or "application/json",
        auth if with_token else {},
    )
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    openapi.validate_response(
        DocumentPathRequest(response.wsgi_request), DjangoOpenAPIResponse(response)
    )
    if request_is_valid is None:
        return
    request_errors = list(openapi.iter_request_errors(DocumentPathRequest(response.wsgi_request)))
    if request_is_valid:
        assert request_errors == []
    else:
        assert request_errors, "the document accepts a request the API refuses"


@pytest.mark.parametrize("database_down", ["no-pool"], indirect=True)
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [("get", LIST, None), ("get", f"{LIST}/1", None), ("post", LIST, {"name": "Ada"})],
    ids=["list", "detail", "create"],
)
def test_unavailable_responses_match_the_document(
    client, openapi, auth, database_down, method, path, body
):
    response = send(client, method, path, body, headers=auth)
    assert response.status_code == 503
    openapi.validate_response(
        DocumentPathRequest(response.wsgi_request), DjangoOpenAPIResponse(response)
    )


def test_validation_catches_a_response_the_document_does_not_describe(
    client, openapi, visitor, auth
):
    # The check above can fail: a visitor without its created_at does not fit the document.
    response = client.get(f"{LIST}/{visitor.id}", **auth)
    response.content = json.dumps({**response.json(), "created_at": None}).encode()
    with pytest.raises(InvalidData):
        openapi.validate_response(
            DocumentPathRequest(response.wsgi_request), DjangoOpenAPIResponse(response)
        )
