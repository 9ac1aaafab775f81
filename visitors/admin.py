from django.contrib import admin, messages
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from visitors.export import write_csv
from visitors.metrics.instruments import SIGNED_OUT
from visitors.models import Visitor


class PresenceFilter(admin.SimpleListFilter):
    title = _("in the building")
    parameter_name = "present"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No, signed out"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.present()
        if self.value() == "no":
            return queryset.signed_out()
        return queryset


@admin.register(Visitor)
class VisitorAdmin(admin.ModelAdmin):
    list_display = ["name", "company", "created_at", "signed_out_at"]
    list_filter = [PresenceFilter, "created_at"]
    date_hierarchy = "created_at"
    search_fields = ["name", "company"]
    ordering = ["-created_at", "-id"]
    readonly_fields = ["created_at", "signed_out_at"]
    actions = ["sign_out", "export_csv"]

    @admin.action(description=_("Sign out selected visitors"))
    def sign_out(self, request, queryset):
        count = queryset.sign_out()
        SIGNED_OUT.inc(count)
        message = ngettext(
            "Signed out %(count)d visitor.", "Signed out %(count)d visitors.", count
        ) % {"count": count}
        self.message_user(request, message, messages.SUCCESS if count else messages.WARNING)

    @admin.action(description=_("Export selected visitors as CSV"))
    def export_csv(self, request, queryset):
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="visitors-{stamp}.csv"'
        write_csv(queryset.order_by("-id").iterator(), response)
        return response
