import hashlib

from django import db
from django.conf import settings
from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers

from visitors import errors
from visitors.forms import PageForm, VisitorForm
from visitors.models import Visitor

PAGE = "visitors/index.html"


def rows_key(visitors, next_before):
    """A fingerprint of everything the list of visitors shows, to cache its rendering by.

    Any sign-in, edit or deletion changes the rows or the cursor, and so the key: a cached
    rendering can never be out of date, and nothing needs invalidating.
    """
    shown = [(v.id, v.name, v.company, v.message, v.created_at) for v in visitors]
    return hashlib.blake2b(repr((shown, next_before)).encode(), digest_size=16).hexdigest()


class VisitorPage(View):
    """The front desk: the sign-in form and the most recent visitors.

    With htmx the form swaps itself (and the new visitor joins the list) without a reload;
    without JavaScript the same form posts, redirects and shows the page again.
    """

    @method_decorator(vary_on_headers("HX-Request"))
    def get(self, request):
        query = PageForm(request.GET)
        if not query.is_valid():
            return errors.page(request, 400, "That link to older visitors is not valid.")
        before = query.cleaned_data["before"]
        # htmx asks for the next page of rows only, to append them to the list.
        template = f"{PAGE}#visitor-rows" if request.htmx else PAGE
        return self.render_page(request, template, VisitorForm(), before)

    def post(self, request):
        form = VisitorForm(request.POST)
        if not form.is_valid():
            if request.htmx:
                return render(request, f"{PAGE}#sign-in-form", {"form": form}, status=422)
            return self.render_page(request, PAGE, form, before=None, status=422)
        visitor = form.save()
        messages.success(request, f"Thanks, {visitor.name}: you are signed in.")
        if request.htmx:
            return render(request, f"{PAGE}#signed-in", {"form": VisitorForm(), "visitor": visitor})
        return redirect(request.path)

    def render_page(self, request, template, form, before, status=200):
        visitors, next_before = Visitor.objects.page(before, settings.VISITORS_PAGE_SIZE)
        context = {
            "form": form,
            "visitors": visitors,
            "next_before": next_before,
            "is_first_page": before is None,
            "rows_key": rows_key(visitors, next_before),
        }
        return render(request, template, context, status=status)

    def http_method_not_allowed(self, request, *args, **kwargs):
        response = errors.page(request, 405, "This page can only be viewed or posted to.")
        response["Allow"] = ", ".join(self._allowed_methods())
        return response


@never_cache
@require_safe
def health(request):
    """Readiness: the app answers and its database runs a query."""
    try:
        with db.connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except db.Error:
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@never_cache
@require_safe
def health_live(request):
    """Liveness: the app answers, without touching the database."""
    return JsonResponse({"status": "ok"})
