"""The pool's connection check: a connection the server closed never reaches a request."""

import time

import pytest
from django.core.cache import cache
from django.db import connection
from psycopg_pool import ConnectionPool

from visitors_site.database import check_connection

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def pool():
    params = connection.get_connection_params() | {"autocommit": True}
    with ConnectionPool(
        kwargs=params, min_size=1, max_size=1, check=check_connection, timeout=5
    ) as pool:
        yield pool


def backend_pid(pool):
    with pool.connection() as pooled:
        return pooled.execute("SELECT pg_backend_pid()").fetchone()[0]


def terminate(pid):
    """Ends a server process as a database restart does; returns once it is gone."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.05)
    raise AssertionError(f"server process {pid} still runs 10 s after pg_terminate_backend")


def last_query(pid):
    with connection.cursor() as cursor:
        cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone()[0]


def test_a_connection_the_server_closed_is_replaced_before_use(pool, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    terminated = backend_pid(pool)
    cache.set("sentinel", "cached before the server went away")
    terminate(terminated)
    assert backend_pid(pool) != terminated
    # After a crash restart the same snapshot can name other data (visitors/freshness.py).
    assert cache.get("sentinel") is None


def test_a_working_connection_is_handed_out_again_without_a_query(pool):
    pid = backend_pid(pool)
    with pool.connection() as pooled:
        assert pooled.info.backend_pid == pid
        # The server's record of the last statement: a check query would have replaced it.
        assert last_query(pid) == "SELECT pg_backend_pid()"
