"""Each request's id, so that a person quoting an error page and an operator reading the logs
name the same request.

nginx gives every request an id (deploy/web/nginx.conf) and passes it as X-Request-ID; nginx
is the only client of gunicorn's socket, so the header is trusted as it comes. A request
without one (the healthcheck over the socket, the test client) gets its own here. nginx also
returns the id to the client: the app never sets the header itself, or it would come twice.
"""

import contextvars
import logging
import uuid

CURRENT = contextvars.ContextVar("request_id", default=None)


def current():
    """The id of the request being answered in this thread, or None outside a request."""
    return CURRENT.get()


class RequestIdMiddleware:
    """First in MIDDLEWARE, so every other middleware, view and error page sees the id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = request.META.get("HTTP_X_REQUEST_ID") or uuid.uuid4().hex
        token = CURRENT.set(request.request_id)
        try:
            return self.get_response(request)
        finally:
            CURRENT.reset(token)


class RequestIdFilter(logging.Filter):
    """Puts the request's id on every log record (None outside a request).

    Django's django.request logger writes its line for a 4xx or 5xx answer after the
    middleware chain has returned, when the context no longer holds the id; it passes the
    request along, which still does.
    """

    def filter(self, record):
        request = getattr(record, "request", None)
        record.request_id = getattr(request, "request_id", None) or current()
        return True
