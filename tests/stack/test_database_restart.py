"""The database goes away and comes back while a client keeps writing through the API.

A writer posts a visitor four times a second (under nginx's limit of 300 writes a minute per
client address, burst 30). Meanwhile `docker compose stop db`, and once the app answers 503,
`docker compose start db`. Every answer must be a 201 or a clean 503 with Retry-After in
JSON from the app itself (never a 500, a traceback, nginx's "unavailable" or a broken
connection); the page is a friendly 503 meanwhile; the app serves again within 5 seconds of
the database being healthy, without its container being restarted, and every gunicorn worker
runs queries on the restarted database again (each worker's own pool reconnects); and every
visitor that was answered 201 is still there afterwards.
"""

import secrets
import time
from dataclasses import dataclass

import pytest
from gunicorn_workers import wait_for_every_worker
from http_client import http_session
from traffic import Traffic, created_visitors, send
from visitors_api import visitors_not_kept

from hosttools.waiting import wait_until

WRITES_PER_SECOND = 4
MAX_WRITES = 200  # 50 s at that pace: the scenario needs about 25
MAX_SECONDS = 120
STEADY_WRITES = 8  # 201s before the database is stopped, and again after it is back
OUTAGE_ANSWERS = 8  # 503s while it is stopped
SERVES_AGAIN_WITHIN = 5.0  # seconds after the database is healthy again
DEADLINE = 60


@dataclass
class Scenario:
    answers: list
    stopped_at: float
    started_at: float
    healthy_at: float
    every_worker_at: float | None  # when each gunicorn worker had run a query on the db again
    every_worker: str  # which workers did (pids), or what was missing after DEADLINE
    page: object
    app_before: object
    app_after: object


def served(answer):
    return answer.status == 201


def refused(answer):
    return answer.status == 503


@pytest.fixture(scope="module")
def scenario(stack, api_token, timings):
    tag = secrets.token_hex(3)

    def plan(number):
        return "POST", "/api/visitors", {"name": f"Steady writer {tag} #{number}"}

    app_before = stack.state("app")
    writer = Traffic(
        stack,
        plan,
        api_token,
        interval=1 / WRITES_PER_SECOND,
        max_requests=MAX_WRITES,
        max_seconds=MAX_SECONDS,
    )
    try:
        with writer:
            writer.wait_for(STEADY_WRITES, served, timeout=DEADLINE)

            stopped_at = time.monotonic()
            stack.run("stop", "db")
            timings["db restart under writes: docker compose stop db"] = (
                time.monotonic() - stopped_at
            )
            writer.wait_for(OUTAGE_ANSWERS, refused, timeout=DEADLINE, since=stopped_at)
            with http_session() as session:
                page = send(session, "GET", "/", stack.url("/"))

            started_at = time.monotonic()
            stack.run("start", "db")
            wait_until(
                lambda: stack.state("db").healthy,
                timeout=DEADLINE,
                what="db healthy after `start db`",
                interval=0.1,
            )
            healthy_at = time.monotonic()
            try:
                every_worker = f"workers {wait_for_every_worker(stack, timeout=DEADLINE)}"
                every_worker_at = time.monotonic()
            except AssertionError as exc:
                every_worker, every_worker_at = str(exc), None
            writer.wait_for(STEADY_WRITES, served, timeout=DEADLINE, since=started_at)
    finally:
        stack.run("start", "db", check=False)

    answers = writer.snapshot()
    timings["db restart under writes: writes sent"] = (len(answers), "requests")
    timings["db restart under writes: writes answered 201"] = (
        sum(a.status == 201 for a in answers),
        "requests",
    )
    timings["db restart under writes: writes answered 503 (database away)"] = (
        sum(a.status == 503 for a in answers),
        "requests",
    )
    timings["db restart under writes: docker compose start db -> db healthy"] = (
        healthy_at - started_at
    )
    if every_worker_at:
        timings["db restart under writes: db healthy -> every gunicorn worker queried it"] = (
            every_worker_at - healthy_at
        )
    return Scenario(
        answers=answers,
        stopped_at=stopped_at,
        started_at=started_at,
        healthy_at=healthy_at,
        every_worker_at=every_worker_at,
        every_worker=every_worker,
        page=page,
        app_before=app_before,
        app_after=stack.state("app"),
    )


def test_every_write_is_created_or_refused_with_a_clean_503(scenario):
    unclean = [a.describe() for a in scenario.answers if not (a.status == 201 or a.clean_503)]
    assert unclean == [], "answers other than 201 or a clean JSON 503:\n" + "\n".join(unclean)


def test_the_app_itself_answered_every_503(scenario):
    # nginx's own 503 would mean gunicorn did not answer (down, or stuck past the timeouts).
    from_nginx = [a.describe() for a in scenario.answers if a.from_nginx]
    assert from_nginx == []


def test_the_page_is_a_friendly_503_meanwhile(scenario):
    page = scenario.page
    assert page.status == 503, page.describe()
    assert page.clean_503, page.describe()
    assert "briefly unavailable" in page.text


def test_the_app_serves_again_within_5_seconds_of_the_database_being_healthy(scenario, timings):
    first = next(a for a in scenario.answers if a.started >= scenario.started_at and a.ok)
    # Negative when a write went through before Docker's healthcheck had marked the db healthy.
    after_healthy = first.ended - scenario.healthy_at
    timings["db restart under writes: docker compose start db -> first write 201"] = (
        first.ended - scenario.started_at
    )
    last_refused = max(
        (a.ended for a in scenario.answers if a.status == 503), default=scenario.started_at
    )
    timings["db restart under writes: first 503 -> last 503 (writes refused)"] = last_refused - min(
        a.started for a in scenario.answers if a.status == 503
    )
    assert after_healthy <= SERVES_AGAIN_WITHIN


def test_every_worker_serves_again_within_5_seconds_of_the_database_being_healthy(scenario):
    # One worker alone could answer every request of a client; a query from each worker's
    # own connections shows that each worker's pool is back.
    assert scenario.every_worker_at is not None, scenario.every_worker
    assert scenario.every_worker_at - scenario.healthy_at <= SERVES_AGAIN_WITHIN


def test_the_app_container_was_not_restarted(scenario):
    assert scenario.app_after.start == scenario.app_before.start


def test_every_acknowledged_write_is_still_there(stack, scenario):
    acknowledged = created_visitors(scenario.answers)
    assert len(acknowledged) >= 2 * STEADY_WRITES
    assert visitors_not_kept(stack, acknowledged) == []
