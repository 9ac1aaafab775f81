"""The pool's connection check: a connection the server closed never reaches a request."""

import time

import pytest
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


def test_a_connection_the_server_closed_is_replaced_before_use(pool):
    terminated = backend_pid(pool)
    terminate(terminated)
    assert backend_pid(pool) != terminated


def test_a_working_connection_is_handed_out_again(pool):
    assert backend_pid(pool) == backend_pid(pool)
