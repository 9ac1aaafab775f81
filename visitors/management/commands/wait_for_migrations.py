import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.utils.translation import gettext as _


def unapplied_migrations():
    """The migrations this code has that the database lacks."""
    executor = MigrationExecutor(connection)
    return executor.migration_plan(executor.loader.graph.leaf_nodes())


class Command(BaseCommand):
    help = (
        "Wait until the database has every migration this release ships (applied by the "
        "release's migration job, never by a replica), or fail after --timeout seconds."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--timeout", type=float, default=600, help="seconds to wait (default: 600)"
        )
        parser.add_argument(
            "--interval", type=float, default=2, help="seconds between checks (default: 2)"
        )

    def handle(self, *args, timeout, interval, **options):
        deadline = time.monotonic() + timeout
        while True:
            try:
                missing = unapplied_migrations()
                waiting_for = _("%(count)d unapplied migrations") % {"count": len(missing)}
            except DatabaseError as error:
                missing = True
                waiting_for = _("the database (%(error)s)") % {"error": str(error).strip()}
                # The next check opens a new connection: a database that comes back is seen.
                connection.close()
            if not missing:
                self.stdout.write(_("Every migration is applied."))
                return
            if time.monotonic() >= deadline:
                raise CommandError(
                    _("Still waiting for %(what)s after %(timeout)s s.")
                    % {"what": waiting_for, "timeout": f"{timeout:g}"}
                )
            self.stdout.write(_("Waiting for %(what)s.") % {"what": waiting_for})
            time.sleep(interval)
