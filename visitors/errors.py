"""Error answers: a page for people, JSON for the API, never a traceback; each names the
request's id, for a person to quote and an operator to find in the logs.

Titles and messages are translated when shown: a page speaks the visitor's language, JSON
under /api English (visitors/i18n.py)."""

from django.core.exceptions import DisallowedHost, RequestDataTooBig
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from visitors import request_id

TITLES = {
    400: _("That request could not be understood"),
    403: _("That is not allowed"),
    404: _("Page not found"),
    405: _("Method not allowed"),
    413: _("That was too much to send"),
    415: _("Unsupported content type"),
    500: _("Something went wrong on our side"),
    503: _("Visitors is briefly unavailable"),
}

# Seconds a client is asked to wait before retrying while the database is away.
RETRY_AFTER = 5


def is_api(request):
    return request.path == "/api" or request.path.startswith("/api/")


def json_error(status, message, **headers):
    """An error under /api: what went wrong, and the request's id."""
    return JsonResponse(
        {"error": message, "request_id": request_id.current()}, status=status, headers=headers
    )


def page(request, status, message):
    """An error answer in the form the client expects."""
    if is_api(request):
        response = json_error(status, message)
    else:
        context = {
            "status": status,
            "title": TITLES.get(status, _("Error")),
            "message": message,
            "request_id": request_id.current(),
        }
        response = render(request, "error.html", context, status=status)
    if status == 503:
        response["Retry-After"] = str(RETRY_AFTER)
    return response


def bad_request(request, exception):
    if isinstance(exception, RequestDataTooBig):
        return page(request, 413, _("That was more than a sign-in needs. Please shorten it."))
    if isinstance(exception, DisallowedHost):
        return page(request, 400, _("This site does not answer to that host name."))
    return page(request, 400, _("The request was malformed. Please check it and try again."))


def permission_denied(request, exception):
    return page(request, 403, _("You do not have permission to do that."))


def page_not_found(request, exception):
    return page(request, 404, _("There is nothing at this address."))


def server_error(request):
    return page(request, 500, _("The error has been logged. Please try again in a moment."))


def csrf_failure(request, reason=""):
    return page(
        request,
        403,
        _("The form had expired or came from another site. Reload the page and send it again."),
    )


def database_full(request):
    return page(
        request, 503, _("The database has run out of disk space: nothing new can be saved for now.")
    )


def database_busy(request):
    return page(request, 503, _("Visitors is busy with another change. Please try again."))


def database_unavailable(request):
    return page(
        request, 503, _("The database is not answering. Please try again in a few seconds.")
    )
