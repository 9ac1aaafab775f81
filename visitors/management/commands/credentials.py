from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Print the admin login and the API tokens this deployment was configured with."

    def handle(self, *args, **options):
        self.stdout.write(f"admin username: {settings.VISITORS_ADMIN_USERNAME}")
        self.stdout.write(f"admin password: {settings.VISITORS_ADMIN_PASSWORD or '(not set)'}")
        self.stdout.write(f"API token:      {settings.VISITORS_API_TOKEN or '(not set)'}")
        self.stdout.write(f"API read token: {settings.VISITORS_API_READ_TOKEN or '(not set)'}")
