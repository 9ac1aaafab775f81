from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = "Print the admin login and the API tokens this deployment was configured with."

    def handle(self, *args, **options):
        unset = _("(not set)")
        rows = {
            _("admin username"): settings.VISITORS_ADMIN_USERNAME,
            _("admin password"): settings.VISITORS_ADMIN_PASSWORD or unset,
            _("API token"): settings.VISITORS_API_TOKEN or unset,
            _("API read token"): settings.VISITORS_API_READ_TOKEN or unset,
        }
        # The values in one column, whatever the language's labels.
        width = max(map(len, rows)) + 1
        for label, value in rows.items():
            self.stdout.write(f"{label + ':':<{width}} {value}")
