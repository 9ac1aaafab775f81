from django import db
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.decorators import method_decorator
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers

from visitors import errors, freshness
from visitors.forms import SEARCH_MAX_LENGTH, PageForm, VisitorForm, page_query
from visitors.metrics.instruments import SIGNED_IN, SIGNED_OUT
from visitors.models import MAX_ID, PRESENT_SINCE, Visitor, start_of_today

PAGE = "visitors/index.html"
# The most people the roll call lists; a count says how many more are in (the admin has all).
ROLL_CALL_LIMIT = 500


def lists(before=None, q=""):
    """Today's visitors as the page shows them: who is in the building (the whole roll call
    for a fire drill, up to ROLL_CALL_LIMIT), then who left, newest first, a page at a time.
    The public page shows today only: the history is for staff and API token holders."""
    today = Visitor.objects.today()
    if q:
        today = today.search(q)
    present = list(today.present().order_by("-id")[:ROLL_CALL_LIMIT])
    present_count = len(present)
    if present_count == ROLL_CALL_LIMIT:
        present_count = today.present().count()
    signed_out, next_before = today.signed_out().page(before, settings.VISITORS_PAGE_SIZE)
    return {
        "present": present,
        "present_count": present_count,
        "signed_out": signed_out,
        "next_before": next_before,
        "is_first_page": before is None,
        "q": q,
        "search_max_length": SEARCH_MAX_LENGTH,
    }


def with_search(path, q):
    return f"{path}?{urlencode({'q': q})}" if q else path


def searched(request):
    """The search the roll call's form posts along (a hidden field), so the answer to a
    sign-out keeps the lists filtered."""
    form = PageForm(request.POST)
    return form.cleaned_data["q"] if form.is_valid() else ""


class PageView(View):
    # What a person is told when they use a method the view does not take.
    not_allowed = ""

    def http_method_not_allowed(self, request, *args, **kwargs):
        response = errors.page(request, 405, self.not_allowed)
        response["Allow"] = ", ".join(self._allowed_methods())
        return response


class VisitorPage(PageView):
    """The front desk: the sign-in form, who is in the building and who left today.

    With htmx, forms and the search box swap parts of the page without a reload; without
    JavaScript the same forms post, redirect and show the page again.
    """

    not_allowed = gettext_lazy("This page can only be viewed or posted to.")

    @method_decorator(vary_on_headers("HX-Request"))
    def get(self, request):
        query, problems = page_query(request.GET, PageForm)
        if problems:
            return errors.page(
                request, 400, _("That search or link to older visitors is not valid.")
            )
        before, q = query["before"], query["q"] or ""
        # The page shows today's visitors only: a new day changes it with no commit.
        key = (timezone.localdate(), before, q)
        if request.htmx:
            # "Show earlier" appends rows to the list of those who left; a search swaps both lists.
            part = "signed-out-rows" if before else "visitor-lists"
            return HttpResponse(
                freshness.shared_page(
                    request,
                    (part, *key),
                    lambda slots: render_to_string(f"{PAGE}#{part}", lists(before, q) | slots),
                )
            )
        if messages.get_messages(request):
            # A notice for this visitor alone ("you are signed in"): not the shared page.
            return render(request, PAGE, lists(before, q) | {"form": VisitorForm()})
        return HttpResponse(
            freshness.shared_page(
                request,
                ("page", *key),
                lambda slots: render_to_string(
                    PAGE, lists(before, q) | {"form": VisitorForm()} | slots
                ),
            )
        )

    def post(self, request):
        form = VisitorForm(request.POST)
        if not form.is_valid():
            count = len(form.errors)
            notice = ngettext(
                "The form has %(count)d problem: please correct it.",
                "The form has %(count)d problems: please correct them.",
                count,
            ) % {"count": count}
            if request.htmx:
                context = {"form": form, "notice": notice}
                return render(request, f"{PAGE}#sign-in-answer", context, status=422)
            return render(request, PAGE, lists() | {"form": form, "notice": notice}, status=422)
        visitor = form.save()
        SIGNED_IN.inc()
        notice = _("Thanks, %(name)s: you are signed in.") % {"name": visitor.name}
        if request.htmx:
            # The visitor and the count, not both lists again: one small query, not many rows.
            context = {
                "form": VisitorForm(),
                "notice": notice,
                "visitor": visitor,
                "present_count": PRESENT_SINCE.count(since=start_of_today()),
            }
            return render(request, f"{PAGE}#sign-in-answer", context)
        messages.success(request, notice)
        return redirect(request.path)


class SignOut(PageView):
    """A visitor leaves: the button on their row. Only today's visitors, as the page shows."""

    not_allowed = gettext_lazy("Signing out is done with the button on the page.")

    def post(self, request, pk):
        visitors = Visitor.objects.today().filter(pk=pk) if pk <= MAX_ID else Visitor.objects.none()
        signed_out = visitors.sign_out()
        visitor = visitors.first()
        if visitor is None:
            return errors.page(request, 404, _("There is no visitor with that number today."))
        left = formats.time_format(timezone.localtime(visitor.signed_out_at))
        if signed_out:
            SIGNED_OUT.inc()
            notice = _("Goodbye, %(name)s: signed out at %(time)s.")
        else:
            notice = _("%(name)s had already signed out, at %(time)s.")
        notice %= {"name": visitor.name, "time": left}
        q = searched(request)
        if request.htmx:
            return render(request, f"{PAGE}#sign-out-answer", lists(None, q) | {"notice": notice})
        messages.success(request, notice)
        return redirect(with_search(reverse("visitors:index"), q))


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
