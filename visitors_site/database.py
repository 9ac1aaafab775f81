"""How the connection pool makes sure a connection works before a request gets it."""

import select

import psycopg
from psycopg_pool import ConnectionPool


def check_connection(connection):
    """Hands out an idle connection without a round trip, unless the server has spoken.

    Nothing arrives on an idle connection: if its socket is readable, the server has closed it
    (a restart, a terminated backend) or sent a notice, and only then does psycopg_pool's own
    check run a query, which discards a broken connection. That check alone (Django's choice
    with CONN_HEALTH_CHECKS) costs every request an extra round trip to the database.
    """
    poll = select.poll()
    poll.register(connection.fileno(), select.POLLIN)
    if poll.poll(0):
        try:
            ConnectionPool.check_connection(connection)
        except psycopg.Error:
            # The server went away, so every idle connection to it is dead too. psycopg_pool
            # would check them one by one, backing off a second and more after each, and the
            # request would run out of DATABASE_POOL_TIMEOUT (a 503). Replace them all at once.
            # (psycopg_pool marks each connection with its pool; Django relies on it too.)
            connection._pool.drain()
            from visitors import freshness  # here, not at the top: settings import this module

            freshness.forget()
            raise
