from django import db
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers

from visitors import errors, freshness
from visitors.forms import PageForm, VisitorForm, page_query
from visitors.metrics.instruments import SIGNED_IN
from visitors.models import Visitor

PAGE = "visitors/index.html"


class VisitorPage(View):
    """The front desk: the sign-in form and the most recent visitors.

    With htmx the form swaps itself (and the new visitor joins the list) without a reload;
    without JavaScript the same form posts, redirects and shows the page again.
    """

    @method_decorator(vary_on_headers("HX-Request"))
    def get(self, request):
        query, problems = page_query(request.GET, PageForm)
        if problems:
            return errors.page(request, 400, "That link to older visitors is not valid.")
        before = query["before"]
        # The page shows today's visitors only: a new day changes it with no commit.
        today = timezone.localdate()
        if request.htmx:
            # htmx asks for the next page of rows only, to append them to the list.
            rows = freshness.cached(
                ("rows", today, before),
                lambda: render_to_string(f"{PAGE}#visitor-rows", self.context(before)),
            )
            return HttpResponse(rows)
        if messages.get_messages(request):
            # A notice for this visitor alone ("you are signed in"): not the shared page.
            return self.render_page(request, VisitorForm(), before)
        return HttpResponse(
            freshness.shared_page(
                request,
                ("page", today, before),
                lambda slots: render_to_string(PAGE, self.context(before, VisitorForm()) | slots),
            )
        )

    def post(self, request):
        form = VisitorForm(request.POST)
        if not form.is_valid():
            if request.htmx:
                return render(request, f"{PAGE}#sign-in-form", {"form": form}, status=422)
            return self.render_page(request, form, before=None, status=422)
        visitor = form.save()
        SIGNED_IN.inc()
        messages.success(request, f"Thanks, {visitor.name}: you are signed in.")
        if request.htmx:
            return render(request, f"{PAGE}#signed-in", {"form": VisitorForm(), "visitor": visitor})
        return redirect(request.path)

    def context(self, before, form=None):
        # The public page shows today only: the history is for staff and API token holders.
        visitors, next_before = Visitor.objects.today().page(before, settings.VISITORS_PAGE_SIZE)
        return {
            "form": form,
            "visitors": visitors,
            "next_before": next_before,
            "is_first_page": before is None,
        }

    def render_page(self, request, form, before, status=200):
        return render(request, PAGE, self.context(before, form), status=status)

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
        return JsonResponse(
            {"status": "error", "database": "unavailable"},
            status=503,
            headers={"Retry-After": str(errors.RETRY_AFTER)},
        )
    return JsonResponse({"status": "ok", "database": "ok"})


@never_cache
@require_safe
def health_live(request):
    """Liveness: the app answers, without touching the database."""
    return JsonResponse({"status": "ok"})
