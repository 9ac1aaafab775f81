from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from visitors.management.arguments import whole_number
from visitors.models import Visitor


class Command(BaseCommand):
    help = (
        "Delete visitors who signed in more than DAYS days ago (retention of personal data; "
        "by default VISITORS_RETENTION_DAYS, which the retention service applies every day)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=whole_number,
            default=settings.VISITORS_RETENTION_DAYS,
            metavar="DAYS",
            help="a whole number of days, 0 or more (default: VISITORS_RETENTION_DAYS, "
            f"now {settings.VISITORS_RETENTION_DAYS})",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="only count the visitors that would be deleted"
        )

    def handle(self, *args, older_than, dry_run, **options):
        old, cutoff = Visitor.objects.older_than(older_than)
        cutoff = f"{cutoff:%Y-%m-%d %H:%M}"
        if dry_run:
            message = _(
                "Would delete %(count)d visitors signed in before %(cutoff)s UTC (dry run)."
            )
            self.stdout.write(message % {"count": old.count(), "cutoff": cutoff})
            return
        deleted, _by_model = old.delete()
        message = _("Deleted %(count)d visitors signed in before %(cutoff)s UTC.")
        self.stdout.write(message % {"count": deleted, "cutoff": cutoff})
