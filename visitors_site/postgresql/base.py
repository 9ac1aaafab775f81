"""Django's PostgreSQL backend, failing fast while the database is away, with a pool check
that costs a healthy connection nothing.

settings.DATABASES names it as ENGINE "visitors_site.postgresql". Everything else is Django's.
"""

import select

import psycopg
from django.db import DEFAULT_DB_ALIAS
from django.db.backends.postgresql import base
from psycopg_pool import ConnectionPool

from visitors_site.postgresql import outage
from visitors_site.postgresql.signals import connection_lost


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
        if pool:
            pool = (pool if isinstance(pool, dict) else {}) | {"check": self.check_idle}
            settings_dict = settings_dict | {"OPTIONS": settings_dict["OPTIONS"] | {"pool": pool}}
        super().__init__(settings_dict, alias)

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
