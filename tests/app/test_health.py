"""Readiness (/health, with the database) and liveness (/health/live, without it)."""

import time

import pytest
from django.db import connections

# How late past the configured wait a 503 may come: scheduling slack, not a second timeout.
SLACK = 0.5


def database_wait(connection):
    """Seconds the app's settings let a request wait for its database, at most."""
    options = connection.settings_dict["OPTIONS"]
    pool = options.get("pool")
    return pool["timeout"] if pool else options["connect_timeout"]


@pytest.mark.django_db
def test_health_checks_the_database(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("database_down", ["pool", "no-pool"], indirect=True)
def test_health_reports_a_database_that_is_down_quickly(client, database_down):
    started = time.monotonic()
    response = client.get("/health")
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "error", "database": "unavailable"}
    assert "no-store" in response["Cache-Control"]
    assert elapsed < database_wait(database_down) + SLACK, f"took {elapsed:.2f}s"


def test_database_wait_is_two_seconds_at_most_as_configured():
    assert database_wait(connections["default"]) <= 2
    assert connections["default"].settings_dict["OPTIONS"]["connect_timeout"] <= 2


@pytest.mark.django_db
def test_liveness_never_touches_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]


def test_liveness_answers_while_the_database_is_down(client, database_down):
    assert client.get("/health/live").status_code == 200


@pytest.mark.parametrize("path", ["/health", "/health/live"])
def test_health_only_answers_reads(client, path):
    response = client.post(path)
    assert response.status_code == 405
    assert "GET" in response["Allow"]
