"""A thread keeps the connection it took from the pool from one request to the next.

Between requests gunicorn's thread runs Django's close_old_connections (at the end of one
request and the start of the next); the tests call it as gunicorn does, since Django's test
client leaves it out.
"""

import contextlib

import pytest
from conftest import database_through, default_database, terminate
from django.db import close_old_connections, connections

pytestmark = pytest.mark.django_db(transaction=True)


@contextlib.contextmanager
def pooled_database(conn_max_age):
    """The app's default database with a pool of its own, keeping connections conn_max_age s."""
    options = connections.settings["default"]["OPTIONS"] | {
        "pool": {"min_size": 1, "max_size": 2, "timeout": 1.5}
    }
    database = database_through(f"kept-{conn_max_age}", OPTIONS=options, CONN_MAX_AGE=conn_max_age)
    with default_database(database):
        yield database


def request(client, path="/health"):
    close_old_connections()
    response = client.get(path)
    close_old_connections()
    assert response.status_code == 200
    return response


def backend_pid(database):
    return database.connection.info.backend_pid if database.connection else None


def test_a_thread_keeps_its_connection_between_requests(client):
    with pooled_database(conn_max_age=60) as database:
        request(client)
        kept = backend_pid(database)
        checked_out = database.pool.get_stats()["requests_num"]
        request(client)
        request(client)
        assert backend_pid(database) == kept
        assert database.pool.get_stats()["requests_num"] == checked_out  # none from the pool


def test_with_conn_max_age_0_the_connection_goes_back_after_each_request(client):
    with pooled_database(conn_max_age=0) as database:
        request(client)
        assert database.connection is None
        request(client)
        assert database.pool.get_stats()["requests_num"] == 2  # one check-out per request


def test_a_kept_connection_the_server_closed_is_replaced_before_use(client, answer_cache):
    real = connections["default"]
    with pooled_database(conn_max_age=60) as database:
        request(client)
        gone = backend_pid(database)
        answer_cache.put(b"sentinel", "state", b"cached before the server went away")
        terminate(gone, through=real)
        request(client)  # a 200, not the error of a dead connection
        assert backend_pid(database) not in (gone, None)
        # After a crash restart the same snapshot can name other data (visitors/freshness.py).
        assert answer_cache.get(b"sentinel", "state") is None
