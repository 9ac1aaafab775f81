"""A database that stops answering: requests get a 503 within seconds, and service returns.

The database is reached through a StallingProxy, configured like production (the pool, its
timeout, the query deadline), so a paused server is real here: the TCP connections stay open
and nothing comes back.
"""

import time

import pytest
from django.conf import settings
from django.db import close_old_connections, connection

pytestmark = pytest.mark.django_db(transaction=True)

# How late past a deadline an answer may come: scheduling slack, not a second timeout.
SLACK = 0.5


@pytest.fixture(autouse=True)
def _api_reader(client, read_auth):
    client.defaults.update(read_auth)  # the API's reads need a token


def get(client, path):
    # As gunicorn does between requests: a broken connection goes back to the pool, which
    # throws it away (Django's test client keeps connections from one request to the next).
    close_old_connections()
    return client.get(path)


def timed(client, path):
    started = time.monotonic()
    response = get(client, path)
    return response, time.monotonic() - started


def wait_for_health(client, timeout):
    deadline = time.monotonic() + timeout
    while True:
        if get(client, "/health").status_code == 200:
            return
        assert time.monotonic() < deadline, f"/health not 200 within {timeout} s"
        time.sleep(0.1)


def longest_wait():
    """The longest a request waits for the database: for a connection, or for an answer."""
    pool_timeout = settings.DATABASES["default"]["OPTIONS"]["pool"]["timeout"]
    return max(settings.DATABASE_QUERY_TIMEOUT, pool_timeout)


def test_the_deadline_is_within_what_health_promises():
    assert longest_wait() + SLACK <= 2


def test_a_stalled_database_gets_503s_within_the_deadline(client, stalling_proxy, make_visitors):
    make_visitors(3)
    assert get(client, "/health").status_code == 200  # the pool's connections are open
    stalling_proxy.stall()
    budget = longest_wait() + SLACK
    for path, content_type in [
        ("/health", "application/json"),
        ("/", "text/html; charset=utf-8"),
        ("/api/visitors", "application/json"),
        ("/health", "application/json"),
    ]:
        response, seconds = timed(client, path)
        assert response.status_code == 503, path
        assert response["Content-Type"] == content_type
        assert seconds < budget, f"{path} took {seconds:.2f} s"
    live, seconds = timed(client, "/health/live")
    assert live.status_code == 200 and seconds < 0.1


def test_service_returns_when_the_database_answers_again(client, stalling_proxy, make_visitors):
    make_visitors(3)
    assert get(client, "/api/visitors").status_code == 200
    stalling_proxy.stall()
    for _ in range(3):
        assert get(client, "/api/visitors").status_code == 503
    stalling_proxy.resume()
    wait_for_health(client, timeout=5)
    assert len(get(client, "/api/visitors").json()["results"]) == 3


def test_commands_have_no_deadline():
    # Only requests are bounded: a command may rightly wait (a migration behind a lock).
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(%s)", [settings.DATABASE_QUERY_TIMEOUT + 0.3])
