"""HTTP to the stack under test: sessions, and one request for each kind of answer it gives."""

import requests


def http_session():
    """A requests session that ignores proxy settings from the environment (traffic is local)."""
    session = requests.Session()
    session.trust_env = False
    return session


# One request for each kind of answer the stack gives: the app's pages, errors and JSON,
# nginx's static files and nginx's own error pages. Tests check what every kind has in common.
ANSWER_KINDS = {
    "page": ("GET", "/", 200),
    "health": ("GET", "/health", 200),
    "app 404": ("GET", "/no-such-page", 404),
    "api document": ("GET", "/api/openapi.json", 200),
    "api read 401": ("GET", "/api/visitors", 401),
    "api 401": ("POST", "/api/visitors", 401),
    "admin login": ("GET", "/admin/login/", 200),
    "static": ("GET", "/static/visitors/site.css", 200),
    "static 404": ("GET", "/static/no-such-file.js", 404),
    "nginx 413 page": ("POST-LARGE", "/", 413),
    "nginx 413 json": ("POST-LARGE", "/api/visitors", 413),
}


def answer_of_kind(stack, http, kind):
    """Sends the request of ANSWER_KINDS[kind] and checks its status; returns the response."""
    method, path, status = ANSWER_KINDS[kind]
    body = None
    if method == "POST-LARGE":
        method, body = "POST", b"a" * 100_000  # over nginx's 64k client_max_body_size
    response = http.request(method, stack.url(path), data=body, timeout=15)
    assert response.status_code == status
    return response
