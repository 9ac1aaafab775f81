"""Which server the app talks to: a primary only, and it knows which one and on what timeline.

A standby refuses read-write sessions the way a server does whose sessions are read-only by
default: libpq's target_session_attrs=read-write checks both (in_hot_standby and
default_transaction_read_only). So a connection made read-only by its options stands in for a
standby here; tests/stack/test_failover.py runs a real one.
"""

import pytest
from conftest import database_through, default_database
from django import db
from django.db import connection, connections

from visitors import freshness

pytestmark = pytest.mark.django_db(transaction=True)

READ_ONLY = "-c default_transaction_read_only=on"


def like_the_app(alias, pool, **changes):
    """A connection configured like the app's database, with or without its pool."""
    options = dict(connections.settings["default"]["OPTIONS"])
    if not pool:
        options["pool"] = False
    elif not options.get("pool"):
        options["pool"] = {"min_size": 1, "max_size": 2, "timeout": 1.0}
    options |= changes.pop("OPTIONS", {})
    return database_through(alias, OPTIONS=options, **changes)


def server_says(sql):
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def test_a_server_that_offers_only_read_only_sessions_is_refused():
    # Without the pool, whose own error only says it got no connection in time.
    standby_like = like_the_app("read-only", pool=False, OPTIONS={"options": READ_ONLY})
    refused = pytest.raises(db.OperationalError, match="session is read-only")
    with default_database(standby_like), refused:
        standby_like.ensure_connection()


@pytest.mark.parametrize("pool", [True, False], ids=["pool", "no-pool"])
def test_health_fails_when_only_a_read_only_server_is_reachable(client, pool):
    standby_like = like_the_app(f"read-only-{pool}", pool, OPTIONS={"options": READ_ONLY})
    with default_database(standby_like):
        response = client.get("/health")
        assert response.status_code == 503
        assert response.json() == {"status": "error", "database": "unavailable"}
        assert client.get("/").status_code == 503


def test_a_host_list_goes_on_to_the_next_host_when_one_refuses(client):
    # Nothing listens on the database's port in the app's own container.
    real = connections.settings["default"]["HOST"]
    with default_database(like_the_app("host-list", pool=True, HOST=f"127.0.0.1,{real}")):
        assert client.get("/health").status_code == 200


def test_a_connection_knows_which_server_and_timeline_it_reached():
    system, timeline, started = connection.server_identity.split("/")
    assert system == str(server_says("SELECT system_identifier FROM pg_control_system()"))
    # A server that has run since its last checkpoint: its control file names the timeline too.
    assert int(timeline, 16) == server_says("SELECT timeline_id FROM pg_control_checkpoint()")
    assert started == server_says("SELECT pg_postmaster_start_time()::text")


def test_cached_answers_are_kept_by_server_as_well_as_snapshot(answer_cache):
    snapshot = server_says("SELECT pg_current_snapshot()::text")
    assert freshness.database_state() == f"{connection.server_identity}/{snapshot}"
