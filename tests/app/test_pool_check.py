"""The pool's connection check: a connection the server closed never reaches a request."""

import contextlib

import pytest
from conftest import database_through, terminate
from django.db import connection, connections

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def pools():
    """Makes pools of `size` open connections, each as the app's database backend makes it."""
    with contextlib.ExitStack() as opened:

        def make(size=1):
            # A short timeout, as in production: a request without a connection fails fast.
            options = connections.settings["default"]["OPTIONS"]
            pool = {"min_size": size, "max_size": size, "timeout": 0.8}
            database = database_through(f"pool-{size}", OPTIONS=options | {"pool": pool})
            opened.callback(database.close_pool)
            database.pool.open(wait=True)
            return database.pool

        yield make


def backend_pid(pool):
    with pool.connection() as pooled:
        return pooled.execute("SELECT pg_backend_pid()").fetchone()[0]


def pool_pids(pool, size):
    """The server processes behind every connection of the pool."""
    held = [pool.getconn() for _ in range(size)]
    pids = [held_connection.info.backend_pid for held_connection in held]
    for held_connection in held:
        pool.putconn(held_connection)
    return pids


def last_query(pid):
    with connection.cursor() as cursor:
        cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone()[0]


def test_a_connection_the_server_closed_is_replaced_before_use(pools, answer_cache):
    pool = pools()
    terminated = backend_pid(pool)
    answer_cache.put(b"sentinel", "state", b"cached before the server went away")
    terminate(terminated)
    assert backend_pid(pool) != terminated
    # After a crash restart the same snapshot can name other data (visitors/freshness.py).
    assert answer_cache.get(b"sentinel", "state") is None


def test_a_working_connection_is_handed_out_again_without_a_query(pools):
    pool = pools()
    pid = backend_pid(pool)
    with pool.connection() as pooled:
        assert pooled.info.backend_pid == pid
        # The server's record of the last statement: a check query would have replaced it.
        assert last_query(pid) == "SELECT pg_backend_pid()"


def test_after_a_restart_the_first_request_does_not_wait_out_every_dead_connection(pools):
    # psycopg_pool alone would check the dead connections one by one, sleeping a second and
    # more after each, and run out of the pool's timeout.
    pool = pools(size=3)
    dead = pool_pids(pool, 3)
    terminate(*dead)
    assert backend_pid(pool) not in dead
