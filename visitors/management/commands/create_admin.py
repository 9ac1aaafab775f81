from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = (
        "Create the first admin user from the environment: DJANGO_ADMIN_USERNAME, "
        "DJANGO_ADMIN_EMAIL and DJANGO_ADMIN_PASSWORD (or DJANGO_ADMIN_PASSWORD_FILE). "
        "Does nothing when that user exists, so it is safe on every deploy."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-configured",
            action="store_true",
            help="succeed quietly when no admin password is configured",
        )

    def handle(self, *args, if_configured, **options):
        username, password = settings.VISITORS_ADMIN_USERNAME, settings.VISITORS_ADMIN_PASSWORD
        if not password:
            if if_configured:
                return
            raise CommandError(_("Set DJANGO_ADMIN_PASSWORD or DJANGO_ADMIN_PASSWORD_FILE first."))
        users = get_user_model().objects
        if users.filter(username=username).exists():
            self.stdout.write(
                _("Admin user %(username)r exists; left as it is.") % {"username": username}
            )
            return
        users.create_superuser(username, settings.VISITORS_ADMIN_EMAIL, password)
        self.stdout.write(_("Created admin user %(username)r.") % {"username": username})
