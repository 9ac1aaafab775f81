import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor


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
                waiting_for = f"{len(missing)} unapplied migrations"
            except DatabaseError as error:
                missing, waiting_for = True, f"the database ({str(error).strip()})"
                # The next check opens a new connection: a database that comes back is seen.
                connection.close()
            if not missing:
                self.stdout.write("Every migration is applied.")
                return
            if time.monotonic() >= deadline:
                raise CommandError(f"Still waiting for {waiting_for} after {timeout:g} s.")
            self.stdout.write(f"Waiting for {waiting_for}.")
            time.sleep(interval)
