from django.contrib import admin
from django.http import HttpResponse
from django.utils import timezone

from visitors.export import write_csv
from visitors.models import Visitor


@admin.register(Visitor)
class VisitorAdmin(admin.ModelAdmin):
    list_display = ["name", "company", "created_at"]
    list_filter = ["created_at"]
    date_hierarchy = "created_at"
    search_fields = ["name", "company"]
    ordering = ["-created_at", "-id"]
    readonly_fields = ["created_at"]
    actions = ["export_csv"]

    @admin.action(description="Export selected visitors as CSV")
    def export_csv(self, request, queryset):
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="visitors-{stamp}.csv"'
        write_csv(queryset.order_by("-id").iterator(), response)
        return response
