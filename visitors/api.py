"""The JSON API under /api: every call but the document needs a bearer token.

Reads take the API token or the read-only token; writes only the API token. A front desk's
log is personal data: the public page shows today's visitors, the history needs a token.

Every answer is JSON, errors included; the OpenAPI document in visitors/openapi.py
describes them all, and tests/app/test_openapi.py holds the two together.
"""

import hmac
import json
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from visitors import freshness, request_id
from visitors.errors import json_error as error
from visitors.forms import ApiPageForm, VisitorForm, page_query
from visitors.metrics.instruments import SIGNED_IN, SIGNED_OUT
from visitors.models import MAX_ID, VISITOR_BY_ID, Visitor
from visitors.openapi import DOCUMENT

FIELDS = set(VisitorForm.Meta.fields)


def field_errors(errors):
    return JsonResponse({"errors": errors, "request_id": request_id.current()}, status=400)


def presented_token(request):
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def is_one_of(token, *expected):
    """Compares in constant time with every configured token (an empty one matches nothing)."""
    matches = [hmac.compare_digest(token.encode(), known.encode()) for known in expected if known]
    return bool(token) and any(matches)


def unauthorized(what):
    return error(
        401, f"A valid API token is required {what}: Authorization: Bearer <token>.",
        **{"WWW-Authenticate": "Bearer"},
    )  # fmt: skip


def may_read(request):
    return is_one_of(
        presented_token(request), settings.VISITORS_API_TOKEN, settings.VISITORS_API_READ_TOKEN
    )


def may_write(request):
    return is_one_of(presented_token(request), settings.VISITORS_API_TOKEN)


# Token authentication, no cookies: there is no session for a cross-site request to abuse.
@method_decorator(csrf_exempt, name="dispatch")
class JsonView(View):
    def http_method_not_allowed(self, request, *args, **kwargs):
        allowed = ", ".join(self._allowed_methods())
        return error(
            405, f"Method {request.method} is not allowed here; use {allowed}.", Allow=allowed
        )

    def options(self, request, *args, **kwargs):
        return HttpResponse(status=204, headers={"Allow": ", ".join(self._allowed_methods())})


class VisitorCollection(JsonView):
    def get(self, request):
        if not may_read(request):
            return unauthorized("to read visitors")
        query, problems = page_query(request.GET, ApiPageForm)
        if problems:
            return field_errors(problems)
        query["limit"] = query["limit"] or settings.VISITORS_PAGE_SIZE
        url = request.build_absolute_uri(request.path)  # the `next` link names this host
        body = freshness.cached(
            ("api list", url, *sorted(query.items())), lambda: self.page_json(url, **query)
        )
        return HttpResponse(body, content_type="application/json")

    @staticmethod
    def page_json(url, before, limit, q, present):
        visitors = Visitor.objects.all()
        if q:
            visitors = visitors.search(q)
        if present is not None:
            visitors = visitors.present() if present else visitors.signed_out()
        rows, next_before = visitors.page(before, limit)
        next_url = None
        if next_before is not None:
            # The next page answers the same question, from where this one ends.
            same = {"limit": limit, "q": q, "present": {True: "true", False: "false"}.get(present)}
            query = {key: value for key, value in same.items() if value} | {"before": next_before}
            next_url = f"{url}?{urlencode(query)}"
        return JsonResponse({"results": [v.as_json() for v in rows], "next": next_url}).content

    def post(self, request):
        if not may_write(request):
            if may_read(request):
                return error(403, "This token may only read: signing in needs the API token.")
            return unauthorized("to sign visitors in")
        if request.content_type != "application/json":
            return error(415, "Send the visitor as JSON, with Content-Type: application/json.")
        try:
            payload = json.loads(request.body.decode("utf-8"))
        except RequestDataTooBig:
            return error(413, "The request body is too large.")
        except UnicodeDecodeError:
            return error(400, "The request body is not valid UTF-8.")
        except json.JSONDecodeError as exc:
            return error(400, f"The request body is not valid JSON: {exc}.")
        except (ValueError, RecursionError):
            # Nested too deeply, or an integer longer than Python converts.
            return error(
                400, "The request body is not valid JSON: it is nested or sized beyond limits."
            )
        if not isinstance(payload, dict):
            return error(400, "The request body must be a JSON object.")

        # Every problem is reported at once: unknown fields, wrong types, then the form's rules.
        errors = {key: ["Unknown field."] for key in payload.keys() - FIELDS}
        errors |= {
            key: ["Must be a string."]
            for key, value in payload.items()
            if key in FIELDS and not isinstance(value, str)
        }
        form = VisitorForm(data={key: value for key, value in payload.items() if key not in errors})
        if not form.is_valid() or errors:
            form_errors = {key: value for key, value in form.errors.items() if key not in errors}
            return field_errors(errors | form_errors)
        visitor = form.save()
        SIGNED_IN.inc()
        location = request.build_absolute_uri(reverse("visitors:api-visitor", args=[visitor.id]))
        return JsonResponse(visitor.as_json(), status=201, headers={"Location": location})


class VisitorDetail(JsonView):
    def get(self, request, pk):
        if not may_read(request):
            return unauthorized("to read visitors")
        found = VISITOR_BY_ID.rows(pk=pk) if pk <= MAX_ID else []
        visitor = found[0] if found else None
        if visitor is None:
            return error(404, f"There is no visitor with id {pk}.")
        return JsonResponse(visitor.as_json())


class VisitorSignOut(JsonView):
    def post(self, request, pk):
        if not may_write(request):
            if may_read(request):
                return error(403, "This token may only read: signing out needs the API token.")
            return unauthorized("to sign visitors out")
        visitors = Visitor.objects.filter(pk=pk) if pk <= MAX_ID else Visitor.objects.none()
        if not visitors.sign_out():
            visitor = visitors.first()
            if visitor is None:
                return error(404, f"There is no visitor with id {pk}.")
            left = visitor.signed_out_at.isoformat()
            return error(409, f"Visitor {pk} had already signed out, at {left}.")
        SIGNED_OUT.inc()
        return JsonResponse(visitors.get().as_json())


class OpenApiDocument(JsonView):
    def get(self, request):
        return JsonResponse(DOCUMENT)
