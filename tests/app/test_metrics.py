"""The app's Prometheus metrics, read from this process's registry (gunicorn's master sums the
workers' in production: tests/stack/test_monitoring.py)."""

import threading
import time

import pytest
from django.db import connection
from prometheus_client import REGISTRY
from psycopg_pool import PoolTimeout

from visitors import freshness
from visitors.metrics import sampler

pytestmark = pytest.mark.django_db(transaction=True)

VALID = {"name": "Ada Lovelace", "company": "Analytical Engines", "message": ""}


def reading(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0


def requests_counted(route, method, status):
    return reading("visitors_http_requests_total", route=route, method=method, status=status)


@pytest.mark.parametrize(
    ("method", "path", "route", "label", "status"),
    [
        ("GET", "/", "visitors:index", "GET", "200"),
        ("GET", "/api/visitors", "visitors:api-visitors", "GET", "401"),
        ("DELETE", "/api/visitors", "visitors:api-visitors", "DELETE", "405"),
        ("GET", "/no-such-page", "unmatched", "GET", "404"),
        ("BREW", "/", "visitors:index", "other", "405"),
    ],
)
def test_each_answer_is_counted_once_by_route_method_and_status(
    client, method, path, route, label, status
):
    before = requests_counted(route, label, status)
    timed = reading("visitors_http_request_duration_seconds_count", route=route, method=label)
    response = client.generic(method, path)
    assert str(response.status_code) == status
    assert requests_counted(route, label, status) == before + 1
    assert (
        reading("visitors_http_request_duration_seconds_count", route=route, method=label)
        == timed + 1
    )


def test_sign_ins_are_counted_from_the_page_htmx_and_the_api(client, htmx, auth):
    before = reading("visitors_signed_in_total")
    assert client.post("/", VALID).status_code == 302
    assert client.post("/", VALID, **htmx).status_code == 200
    assert client.post("/api/visitors", VALID, "application/json", **auth).status_code == 201
    assert client.post("/", {"name": ""}).status_code == 422  # not signed in: not counted
    assert reading("visitors_signed_in_total") == before + 3


def test_answer_cache_hits_misses_and_bytes(client, answer_cache, make_visitors):
    make_visitors(2)
    hits, misses = (
        reading("visitors_answer_cache_hits_total"),
        reading("visitors_answer_cache_misses_total"),
    )
    client.get("/"), client.get("/"), client.get("/")
    assert reading("visitors_answer_cache_misses_total") == misses + 1
    assert reading("visitors_answer_cache_hits_total") == hits + 2
    sampler.sample()
    assert reading("visitors_answer_cache_bytes") == freshness.CACHE.size > 0


def test_pool_gauges_and_timeouts(client):
    client.get("/health")  # the worker's pool opens with its first request
    pool = sampler.current_pool()
    if pool is None:
        pytest.skip("the database pool is off (DATABASE_POOL=0)")
    connection.close()  # the test client keeps the request's connection: back to the pool
    held = [pool.getconn() for _ in range(pool.max_size)]
    try:
        # A request waits for a connection, and gets the first one given back.
        waiter = threading.Thread(target=lambda: pool.putconn(pool.getconn(timeout=10)))
        waiter.start()
        deadline = time.monotonic() + 5
        while pool.get_stats().get("requests_waiting") != 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        sampler.sample()
        assert reading("visitors_db_pool_waiting") == 1
        pool.putconn(held.pop())
        waiter.join(timeout=10)
        held.append(pool.getconn())

        timeouts = reading("visitors_db_pool_timeouts_total")
        with pytest.raises(PoolTimeout):
            pool.getconn(timeout=0.05)
        sampler.sample()
        assert reading("visitors_db_pool_timeouts_total") == timeouts + 1
        assert reading("visitors_db_pool_max") == pool.max_size
        assert reading("visitors_db_pool_size") == pool.max_size
        assert reading("visitors_db_pool_idle") == 0
        sampler.sample()  # a second reading counts no timeout twice
        assert reading("visitors_db_pool_timeouts_total") == timeouts + 1
    finally:
        for held_connection in held:
            pool.putconn(held_connection)
    sampler.sample()
    assert reading("visitors_db_pool_waiting") == 0
    assert reading("visitors_db_pool_idle") == pool.max_size
