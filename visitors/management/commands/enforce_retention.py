"""The retention service's command: purge_visitors every day, with nobody to remember it."""

import signal
import threading
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

# Where each finished run leaves its time, for --check (the service's healthcheck).
LAST_RUN = Path("/tmp/retention/last-run")  # noqa: S108 - the service's own tmpfs
INTERVAL = 24 * 3600  # seconds between runs
# A run may be late by this much before the service counts as unhealthy: the database was away.
GRACE = 3600


class Command(BaseCommand):
    help = (
        "Delete visitors older than VISITORS_RETENTION_DAYS now and then every day, until "
        "stopped; --check says whether the last run is recent enough."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="store_true", help="exit 0 only if the last run is recent enough"
        )

    def handle(self, *args, check, **options):
        if check:
            self.check_last_run()
            return
        stop = threading.Event()
        # PID 1 in a container gets no default SIGTERM handler: stop when compose asks.
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        while not stop.is_set():
            call_command("purge_visitors", stdout=self.stdout)
            LAST_RUN.parent.mkdir(parents=True, exist_ok=True)
            LAST_RUN.touch()
            stop.wait(INTERVAL)
        self.stdout.write(_("Stopped."))

    def check_last_run(self):
        try:
            age = time.time() - LAST_RUN.stat().st_mtime
        except FileNotFoundError as error:
            raise CommandError(_("No retention run has finished yet.")) from error
        hours = number_format(age / 3600, decimal_pos=1)
        if age > INTERVAL + GRACE:
            raise CommandError(
                _("The last retention run finished %(hours)s hours ago.") % {"hours": hours}
            )
        days = settings.VISITORS_RETENTION_DAYS
        self.stdout.write(
            ngettext(
                "Last run %(hours)s hours ago; visitors are kept %(days)d day.",
                "Last run %(hours)s hours ago; visitors are kept %(days)d days.",
                days,
            )
            % {"hours": hours, "days": days}
        )
