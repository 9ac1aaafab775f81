"""Django's PostgreSQL backend, failing fast while the database is away, with a pool check
that costs a healthy connection nothing, threads that keep their pooled connection from one
request to the next, and connecting to a primary only.

Kept connections: Django hands a pooled connection back after every request (it refuses a
pool together with CONN_MAX_AGE), and taking it again costs each request the pool's check-out
and check-in and Django's set-up of a new connection, about as much CPU as the query itself.
Here CONN_MAX_AGE is how long a thread keeps the connection it took from the pool: it is
checked like an idle pooled one before each request (check_idle: no round trip), handed back
when it is broken, when a request left it in a transaction, and when it is CONN_MAX_AGE old
(so the pool's max_lifetime and shrinking still apply). The pool still opens every connection
in the background and bounds the wait for one (its timeout), so a database that is away costs
a request no more than before. Keep the pool's max_size at least the worker's threads.

Only a primary: every connection asks libpq for target_session_attrs=read-write, whatever the
settings say, so a host list (DATABASE_HOST="standby,db") or a service name that leads to a
standby skips it, and with no primary reachable the connection fails like a database that is
down. Writes could not run on a standby anyway, and the answers cached by snapshot
(visitors/freshness.py) must come from the server every later write goes to: a standby's
snapshot lags its primary's and names other data.

Each connection notes which server it reached when it opens (server_identity): the cluster's
system identifier, its timeline and the server's start time. None of them can change while the
connection stays open: a timeline changes only when a standby is promoted, a start time only
with a restart that ends every connection, so requests need not ask again.

settings.DATABASES names it as ENGINE "visitors_site.postgresql". Everything else is Django's.
"""

import select
import time

import psycopg
from django.db import DEFAULT_DB_ALIAS
from django.db.backends.postgresql import base
from psycopg_pool import ConnectionPool

from visitors_site.postgresql import outage
from visitors_site.postgresql.signals import connection_lost

# The timeline is the first 8 hex digits of the name of the WAL file being written: right after a
# promotion pg_control_checkpoint() still names the old one until the end-of-recovery checkpoint
# completes (measured: 0.3 s on an idle server), while the insert position is on the new one at
# once. The WAL functions also fail on a standby ("recovery is in progress").
IDENTITY = """
    SELECT system_identifier::text
        || '/' || substr(pg_walfile_name(pg_current_wal_insert_lsn()), 1, 8)
        || '/' || pg_postmaster_start_time()::text
    FROM pg_control_system()
"""


def has_spoken(connection):
    """True if the server sent something on this idle connection: it closed it, or a notice.

    Nothing else arrives on an idle connection, so a quiet one is healthy as far as anything
    short of a round trip can tell.
    """
    poll = select.poll()
    poll.register(connection.fileno(), select.POLLIN)
    return bool(poll.poll(0))


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, settings_dict, alias=DEFAULT_DB_ALIAS):
        pool = settings_dict["OPTIONS"].get("pool")
        self.kept_for = None
        if pool:
            pool = (pool if isinstance(pool, dict) else {}) | {"check": self.check_idle}
            # Django's own CONN_MAX_AGE stays 0: the connection goes back to the pool on close.
            self.kept_for = settings_dict.get("CONN_MAX_AGE", 0)
            settings_dict = settings_dict | {
                "OPTIONS": settings_dict["OPTIONS"] | {"pool": pool},
                "CONN_MAX_AGE": 0,
            }
        super().__init__(settings_dict, alias)

    def connect(self):
        super().connect()
        if self.pool:
            self.close_at = None if self.kept_for is None else time.monotonic() + self.kept_for

    def close_if_health_check_failed(self):
        """Before a request's first query: a connection kept from an earlier request gets the
        pool's check (Django skips it with a pool, which checks on check-out only)."""
        if not self.pool:
            return super().close_if_health_check_failed()
        if self.connection is None or self.health_check_done:
            return
        self.health_check_done = True
        try:
            self.check_idle(self.connection)
        except psycopg.Error:
            self.close()  # back to the pool, which throws a broken connection away

    def get_connection_params(self):
        return super().get_connection_params() | {"target_session_attrs": "read-write"}

    def _configure_connection(self, connection):
        """Runs once per new connection: Django's set-up, then the server's identity."""
        super()._configure_connection(connection)
        with connection.cursor() as cursor:
            connection.server_identity = cursor.execute(IDENTITY).fetchone()[0]
        return True  # a query ran: committed at once unless the connection is in autocommit

    @property
    def server_identity(self):
        """Which server and timeline the connection reached: system id/timeline/start time."""
        self.ensure_connection()
        return self.connection.server_identity

    def get_new_connection(self, conn_params):
        if self.pool and outage.recent(self.alias) and not self.pool.get_stats()["pool_available"]:
            raise psycopg.OperationalError("the database is not answering (it failed just now)")
        try:
            return super().get_new_connection(conn_params)
        except psycopg.OperationalError:
            outage.record(self.alias)  # refused, or no connection within the pool's timeout
            raise

    def check_idle(self, connection):
        """The pool's check of an idle connection before a request gets it.

        Django's check (CONN_HEALTH_CHECKS) runs a query first, an extra round trip on every
        request. This one looks at the socket and runs psycopg_pool's query check only when
        the server has spoken, which discards a connection the server closed.
        """
        if not has_spoken(connection):
            return
        try:
            ConnectionPool.check_connection(connection)
        except psycopg.Error:
            # The server went away, so every idle connection to it is dead too. psycopg_pool
            # would check them one by one, backing off a second and more after each, and the
            # request would run out of DATABASE_POOL_TIMEOUT (a 503). Replace them all at once.
            self.pool.drain()
            connection_lost.send(sender=type(self), alias=self.alias)
            raise
