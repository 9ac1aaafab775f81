"""Replacing the app with a new image while clients keep using the site.

Three clients read the page and the API and post visitors throughout. The visitors table is
locked for a few seconds so that a burst of writes is in flight inside gunicorn, waiting on
the database, when `docker compose stop app` begins: gunicorn must let them finish. Then
`docker compose up -d --build app` builds a new image (another REVISION, from
compose.new-revision.yaml) and starts it. No request may fail: every answer is a success or
nginx's own clean 503 with Retry-After (the app was away), never a 500, 502 or 504 and never
a dropped connection, and every visitor answered 201 is kept.

The app being replaced runs with a longer query deadline than production's (1.5 s, which
test_database_stall.py holds it to): the writes held on the lock must still be waiting when
the stop begins, seconds later.
"""

import contextlib
import json
import secrets
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from http_client import http_session
from traffic import Traffic, created_visitors, send
from visitors_api import visitors_not_kept

from hosttools.compose_project import COMMAND_TIMEOUT, UP_TIMEOUT, docker_cli
from hosttools.waiting import wait_until

NEW_REVISION_FILE = "tests/stack/compose.new-revision.yaml"
REVISION_LABEL = "org.opencontainers.image.revision"
CLIENTS = 3
PAUSE = 0.3  # seconds between one client's requests: about 10 requests a second in all
MAX_REQUESTS = 1200
MAX_SECONDS = 300
BURST = 8  # concurrent requests in flight at stop time: one for each of gunicorn's threads
# nginx reuses keepalive connections that each belong to one worker, so the burst can land
# unevenly: 2 workers x 4 threads guarantee only that one worker has all its threads waiting.
SURE_WAITING = 4
SETTLED = 10  # successes in a row before the stop, and after the new app is up
DEADLINE = 60
HELD_QUERY_TIMEOUT = "20"  # seconds: longer than the lock is held (DATABASE_QUERY_TIMEOUT)
LOCK_WAIT = 15  # longest wait with the table locked (nginx gives up on a request after 35 s)
EVEN_WAIT = 5  # how long to hope for the whole burst waiting before the stop goes ahead


def plan_for(tag):
    def plan(number):
        kind = number % 4
        if kind == 0:
            return "POST", "/api/visitors", {"name": f"Upgrade client {tag} #{number}"}
        if kind == 1:
            return "GET", "/", None
        if kind == 2:
            return "GET", "/api/visitors?limit=5", None
        return "GET", "/api/visitors", None

    return plan


class TableLock:
    """An exclusive lock on the visitors table, held by a psql session until release().

    Every request that reads or writes visitors meanwhile waits inside gunicorn.
    """

    HOLD = (
        "SET application_name TO 'visitors-test-table-lock';"
        " BEGIN; LOCK TABLE visitors_visitor IN ACCESS EXCLUSIVE MODE;"
        " SELECT pg_sleep(120); COMMIT;"  # an upper bound: release() ends it much earlier
    )
    HELD = (
        "SELECT count(*) FROM pg_locks WHERE granted AND mode = 'AccessExclusiveLock'"
        " AND relation = 'visitors_visitor'::regclass"
    )
    RELEASE = (
        "SELECT pg_cancel_backend(pid) FROM pg_stat_activity"
        " WHERE application_name = 'visitors-test-table-lock'"
    )
    WAITING = (
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = 'visitors' AND wait_event_type = 'Lock'"
    )

    def __init__(self, stack):
        command = stack.command(
            "exec", "-T", "db", "psql", "--username", "visitors", "--dbname", "visitors",
            "--no-psqlrc", "--command", self.HOLD,
        )  # fmt: skip
        self.stack = stack
        self.process = subprocess.Popen(
            command,
            cwd=stack.directory,
            env=stack.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        wait_until(
            lambda: self.stack.psql(self.HELD) == "1",
            timeout=DEADLINE,
            what="the lock on the visitors table",
        )

    def waiting(self):
        """How many database sessions wait for a lock right now."""
        return int(self.stack.psql(self.WAITING))

    def release(self):
        """Cancels the session's sleep: its transaction ends and the lock with it."""
        if self.process.poll() is not None:
            return
        self.stack.psql(self.RELEASE)
        try:
            self.process.communicate(timeout=COMMAND_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()


def burst(stack, token, tag):
    """BURST writes at once; returns the futures of their Answers.

    Only writes: a read may be answered from the cache (visitors/freshness.py) without ever
    touching the locked table.
    """

    def one(number):
        with http_session() as session:
            body = {"name": f"In flight at stop {tag} #{number}"}
            return send(session, "POST", "/api/visitors", stack.url("/api/visitors"), token, body)

    pool = ThreadPoolExecutor(max_workers=BURST)
    futures = [pool.submit(one, number) for number in range(BURST)]
    pool.shutdown(wait=False)
    return futures


def shutdowns_begun(stack):
    """How many times the app's gunicorn has begun a graceful shutdown (its arbiter logs the
    signal, then closes its socket at once and lets the workers finish what they accepted)."""
    return stack.logs("app", tail="all").count("Handling signal: term")


def nginx_upstream_failures(stack, since):
    """nginx's error log lines for requests that reached gunicorn and then failed.

    Failing to connect ("while connecting to upstream") is the app being away: nginx answers
    that with its clean 503. Anything else about the upstream (reset, closed early, timed out)
    is a request gunicorn had accepted and did not answer.
    """
    logs = stack.run("logs", "--no-color", "--since", since, "web").stdout
    levels = ("[error]", "[crit]", "[alert]", "[emerg]")
    return [
        line
        for line in logs.splitlines()
        if "upstream" in line
        and any(level in line for level in levels)
        and "while connecting to upstream" not in line
    ]


@dataclass
class Scenario:
    answers: list
    in_flight: list
    waiting_at_stop: int
    stop_began: float
    stop_ended: float
    up_ended: float
    revision: str
    old_image: str
    new_state: object
    nginx_failures: list
    logs: str  # app's and web's, for the failure messages


def stop_with_requests_in_flight(stack, lock):
    """`docker compose stop app` while the table is locked; the lock goes once gunicorn has
    begun to shut down. Returns (database sessions waiting at the stop, stop began, stop ended).

    The lock is never held for long (nginx gives up on a request after 35 s): when a wait
    runs out the scenario goes on, and the tests report what was missing.
    """
    with contextlib.suppress(AssertionError):
        wait_until(
            lambda: lock.waiting() >= BURST,
            timeout=EVEN_WAIT,
            what=f"{BURST} requests waiting on the locked table",
            interval=0.1,
        )
    waiting = lock.waiting()
    before = shutdowns_begun(stack)
    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=1) as background:
        stopping = background.submit(stack.run, "stop", "app")
        # Asking through nginx whether gunicorn still accepts would not do: nginx can reuse a
        # keepalive connection whose worker has every thread waiting on the lock.
        with contextlib.suppress(AssertionError):
            wait_until(
                lambda: shutdowns_begun(stack) > before,
                timeout=LOCK_WAIT,
                what="gunicorn to begin its graceful shutdown",
                interval=0.1,
            )
        lock.release()
        stopping.result(timeout=COMMAND_TIMEOUT)
    return waiting, began, time.monotonic()


@pytest.fixture(scope="module")
def scenario(stack, api_token, timings):
    tag = secrets.token_hex(3)
    revision = f"upgrade-test-{tag}"
    new = stack.variant(
        [*(stack.files or ["compose.yaml"]), NEW_REVISION_FILE], VISITORS_TEST_REVISION=revision
    )
    # The app to be replaced, with a deadline that lets requests wait on the lock.
    stack.variant(stack.files, DATABASE_QUERY_TIMEOUT=HELD_QUERY_TIMEOUT).run(
        "up", "--detach", "--wait", "--wait-timeout", str(UP_TIMEOUT - 30), "app",
        timeout=UP_TIMEOUT,
    )  # fmt: skip
    old_image = stack.state("app").image
    log_start = (datetime.now(UTC) - timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    clients = Traffic(
        stack,
        plan_for(tag),
        api_token,
        interval=PAUSE,
        threads=CLIENTS,
        max_requests=MAX_REQUESTS,
        max_seconds=MAX_SECONDS,
    )
    try:
        with clients:
            clients.wait_for(SETTLED, lambda a: a.ok, timeout=DEADLINE)

            lock = TableLock(stack)
            try:
                in_flight = burst(stack, api_token, tag)
                waiting, stop_began, stop_ended = stop_with_requests_in_flight(stack, lock)
            finally:
                lock.release()
            in_flight = [future.result(timeout=DEADLINE) for future in in_flight]
            clients.wait_for(1, lambda a: a.from_nginx, timeout=DEADLINE, since=stop_ended)

            up_began = time.monotonic()
            new.run(
                "up", "--detach", "--build", "--wait", "--wait-timeout", str(UP_TIMEOUT - 30),
                "app", timeout=UP_TIMEOUT,
            )  # fmt: skip
            up_ended = time.monotonic()
            clients.wait_for(SETTLED, lambda a: a.ok, timeout=DEADLINE, since=up_ended)
    finally:
        # Whatever failed above, the app must run again for the modules after this one.
        stack.run("start", "app", check=False)

    answers = clients.snapshot()
    refused = [a for a in answers if a.from_nginx]
    timings["upgrade: requests waiting on the locked table at the stop"] = (waiting, "requests")
    timings["upgrade: stop app with requests in flight (graceful drain)"] = stop_ended - stop_began
    timings["upgrade: up -d --build app (new image) -> app healthy"] = up_ended - up_began
    if refused:
        timings["upgrade: first -> last of nginx's 503s (app away)"] = max(
            a.ended for a in refused
        ) - min(a.started for a in refused)
    timings["upgrade: requests sent by the clients"] = (len(answers), "requests")
    timings["upgrade: requests answered 503 by nginx (app away)"] = (len(refused), "requests")
    return Scenario(
        answers=answers,
        in_flight=in_flight,
        waiting_at_stop=waiting,
        stop_began=stop_began,
        stop_ended=stop_ended,
        up_ended=up_ended,
        revision=revision,
        old_image=old_image,
        new_state=stack.state("app"),
        nginx_failures=nginx_upstream_failures(stack, log_start),
        logs=stack.run("logs", "--no-color", "--since", log_start, "app", "web").stdout,
    )


def pool_hint(answers):
    """Why a request the app answered 503 itself, with the database up, most likely failed."""
    if any(a.status == 503 and not a.from_nginx for a in answers):
        return (
            "\nThe app answered 503 itself with the database up: its connection pool handed"
            " out no connection within DATABASE_POOL_TIMEOUT (after a database outage the"
            " pool's reconnection back-off can keep it from growing for a long time)."
        )
    return ""


def test_the_burst_was_in_flight_when_the_stop_began(scenario):
    early = [a.describe() for a in scenario.in_flight if a.ended <= scenario.stop_began]
    assert early == [], "\n".join(
        ["answered before the stop began:", *early, pool_hint(scenario.in_flight)]
    )
    assert scenario.waiting_at_stop >= SURE_WAITING


def test_requests_in_flight_at_stop_time_complete(scenario):
    in_flight = [a for a in scenario.in_flight if a.ended > scenario.stop_began]
    assert in_flight, "no request was in flight when the app stopped"
    unfinished = [a.describe() for a in in_flight if not a.ok]
    assert unfinished == [], "\n".join(
        ["requests in flight when the app stopped failed:", *unfinished, scenario.logs[-20000:]]
    )


def test_every_answer_is_a_success_or_nginxs_clean_503(scenario):
    answers = scenario.answers + scenario.in_flight
    failed = [a.describe() for a in answers if not (a.ok or (a.from_nginx and a.clean_503))]
    assert failed == [], "\n".join(
        ["answers other than a success or nginx's clean 503:", *failed, pool_hint(answers)]
    )


def test_no_request_that_reached_gunicorn_was_dropped(scenario):
    assert scenario.nginx_failures == [], scenario.logs[-20000:]


def test_the_app_runs_the_new_image(scenario):
    assert scenario.new_state.healthy
    assert scenario.new_state.image != scenario.old_image
    labels = json.loads(docker_cli("image", "inspect", scenario.new_state.image))[0]["Config"][
        "Labels"
    ]
    assert labels[REVISION_LABEL] == scenario.revision


def test_every_acknowledged_write_is_kept(stack, scenario):
    acknowledged = created_visitors(scenario.answers) + created_visitors(scenario.in_flight)
    assert acknowledged, "no write was acknowledged: the clients did not post"
    assert visitors_not_kept(stack, acknowledged) == []
