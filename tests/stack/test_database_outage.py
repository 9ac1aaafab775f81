"""With the database stopped, the stack answers 503 quickly; it recovers once it is back.

The module stops the `db` service for its tests and always starts it again afterwards.
"""

import time

import pytest
from gunicorn_workers import wait_for_every_worker

from hosttools.waiting import wait_until

HEALTH_BUDGET = 2.0  # seconds: /health answers within this even with the database away
RECOVERY_DEADLINE = 30.0


def timed_get(http, url):
    started = time.monotonic()
    response = http.get(url, timeout=15)
    return response, time.monotonic() - started


def app_and_web_starts(stack):
    """When app and web started, and how often they restarted: unchanged means not restarted."""
    starts = {}
    for service in ("app", "web"):
        container = stack.container(service)
        starts[service] = (container["State"]["StartedAt"], container["RestartCount"])
    return starts


@pytest.fixture(scope="module")
def database_down(stack, timings):
    before = app_and_web_starts(stack)
    started = time.monotonic()
    stack.run("stop", "db")
    timings["outage: docker compose stop db"] = time.monotonic() - started
    try:
        yield before
    finally:
        stack.run("start", "db", check=False)


def test_health_answers_503_within_2_seconds(stack, http, database_down, timings):
    elapsed = []
    for _ in range(3):
        response, seconds = timed_get(http, stack.url("/health"))
        elapsed.append(seconds)
        assert response.status_code == 503
        assert response.json() == {"status": "error", "database": "unavailable"}
    timings["outage: slowest of 3 GET /health -> 503"] = max(elapsed)
    print(f"\nGET /health with the database down: {', '.join(f'{s:.3f}' for s in elapsed)} s")
    assert max(elapsed) < HEALTH_BUDGET, f"/health took {max(elapsed):.3f} s"


def test_liveness_still_answers(stack, http, database_down):
    response, seconds = timed_get(http, stack.url("/health/live"))
    assert response.status_code == 200
    assert seconds < 1


def test_page_answers_a_friendly_503(stack, http, database_down):
    response, seconds = timed_get(http, stack.url("/"))
    assert response.status_code == 503
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.headers.get("Retry-After", "").isdigit()
    assert "briefly unavailable" in response.text
    assert "Traceback" not in response.text
    assert seconds < HEALTH_BUDGET + 1


def test_api_answers_503_in_json_with_retry_after(stack, http, api_token, database_down):
    http.headers["Authorization"] = f"Bearer {api_token}"
    response, seconds = timed_get(http, stack.url("/api/visitors"))
    assert response.status_code == 503
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers.get("Retry-After", "").isdigit()
    assert "error" in response.json()
    assert seconds < HEALTH_BUDGET + 1


def test_health_recovers_when_the_database_returns_without_restarting_the_app(
    stack, http, database_down, timings
):
    started = time.monotonic()
    stack.run("start", "db")
    wait_until(
        lambda: http.get(stack.url("/health"), timeout=5).status_code == 200,
        timeout=RECOVERY_DEADLINE,
        what="GET /health -> 200 after `start db`",
    )
    timings["outage: docker compose start db -> GET /health 200"] = time.monotonic() - started
    assert http.get(stack.url("/health"), timeout=5).json() == {"status": "ok", "database": "ok"}
    # One answer may come from one worker: each worker's own pool must be back.
    wait_for_every_worker(stack, timeout=RECOVERY_DEADLINE)
    timings["outage: docker compose start db -> every gunicorn worker queried it"] = (
        time.monotonic() - started
    )
    assert app_and_web_starts(stack) == database_down, "app or web was restarted"
