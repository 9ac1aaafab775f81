"""A failover to an asynchronous standby that never received the last acknowledged write.

compose.standby.yaml adds `standby`, a hot standby streaming from db, and lists it first in the
app's DATABASE_HOST. While it is a standby the app passes it over: writes and reads go to db.
Then the standby stops receiving db's log, visitor B is written through the API (acknowledged
by db alone), and the page and the API list are read on every gunicorn worker, so each caches
them under db's snapshot. db stops; /health fails while only the standby is left; the standby
is promoted, and visitors are written on it until its snapshot is the very text the cached
answers were stored under: the same transaction ids, other rows. The page and the API must show
the new primary's rows and never B, and writes go on there.
"""

import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from gunicorn_workers import WORKERS, database_ports, workers_queried_since
from helpers_security import own_stack
from http_client import http_session

from hosttools.waiting import wait_until

STANDBY_FILE = "tests/stack/compose.standby.yaml"
DEADLINE = 60
READS = 8  # of each path at once: one for each of gunicorn's threads
MAX_COLLISION_WRITES = 20  # B took one transaction id; the standby's next is a few back at most
VISITORS = "visitors_visitor"


@dataclass
class Answer:
    path: str
    status: int
    text: str


@dataclass
class Streaming:
    """What the app did while the standby streamed from db."""

    a: str
    write: int
    a_replicated: bool
    app_sessions: dict  # service -> the app's connections to its database


@dataclass
class Scenario:
    a: str  # written while the standby streamed
    b: str  # acknowledged by db alone, lost in the failover
    c: str  # the new primary's newest row when the snapshots collide
    d: str  # written through the app after the failover
    b_on_standby: int
    cached_under: str  # db's snapshot when every worker had read B
    cached_answers: list
    standby_only_health: Answer
    standby_only_page: Answer
    collision: str  # the new primary's snapshot when the app read it again
    after: list  # every answer read from the new primary
    after_snapshot: str
    d_write: int
    d_on_new_primary: int
    page_with_d: Answer


@pytest.fixture(scope="module")
def standby_stack(docker, timings):
    files = ("compose.yaml", STANDBY_FILE)
    with own_stack(timings, "failover", files, prefix="visitors-test-failover") as stack:
        yield stack


def sql_text(value):
    return "'" + value.replace("'", "''") + "'"


def snapshot(stack, service):
    return stack.psql("SELECT pg_current_snapshot()", service)


def count_named(stack, service, name):
    sql = f"SELECT count(*) FROM {VISITORS} WHERE name = {sql_text(name)}"  # noqa: S608
    return int(stack.psql(sql, service))


def app_sessions(stack, service):
    """How many of the gunicorn workers' connections are to `service`'s database (retention
    logs in as the same role, so the workers' own client ports tell them apart)."""
    ports = set().union(*database_ports(stack).values())
    clients = stack.psql(
        "SELECT client_port FROM pg_stat_activity WHERE backend_type = 'client backend'", service
    )
    return len(ports & {int(port) for port in clients.split()})


def get(stack, path, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with http_session() as session:
        response = session.get(stack.url(path), headers=headers, timeout=10)
    return Answer(path, response.status_code, response.text)


def post_visitor(stack, token, name):
    with http_session() as session:
        response = session.post(
            stack.url("/api/visitors"),
            json={"name": name},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
    return response.status_code


def read_on_every_worker(stack, service, read_token, answers):
    """Reads the page and the API list, READS of each at once, until every gunicorn worker has
    answered some under one unchanged snapshot of `service`'s database; returns that snapshot.

    Each worker keeps its own cache, so each must have read (and cached, or served from its
    cache) the answers. Every answer of every attempt is appended to `answers`.
    """

    def attempt():
        since = stack.psql("SELECT clock_timestamp()", service)
        before = snapshot(stack, service)
        paths = [("/", None), ("/api/visitors", read_token)] * READS
        with ThreadPoolExecutor(max_workers=len(paths)) as pool:
            batch = list(pool.map(lambda request: get(stack, *request), paths))
        answers.extend(batch)
        queried = workers_queried_since(stack, f"{sql_text(since)}::timestamptz", service)
        after = snapshot(stack, service)
        assert [answer.status for answer in batch] == [200] * len(batch), "not every read 200"
        assert len(queried) == WORKERS and all(queried.values()), f"workers read: {queried}"
        assert before == after, f"a commit during the reads: {before} -> {after}"
        return before

    return wait_until(attempt, DEADLINE, f"reads on every worker against {service}", 0.5)


def write_until_snapshot(stack, service, target, label):
    """Writes visitors on `service`'s database until its snapshot is `target`; returns the
    newest one's name and how many it wrote."""
    target_xmax = int(target.split(":")[1])
    newest = None
    for number in range(MAX_COLLISION_WRITES):
        current = snapshot(stack, service)
        if current == target:
            return newest, number
        assert int(current.split(":")[1]) < target_xmax, (
            f"the new primary's snapshot {current} is past {target}: no collision to test"
        )
        newest = f"{label} #{number}"
        stack.psql(
            f"INSERT INTO {VISITORS} (name, company, message, created_at)"  # noqa: S608
            f" VALUES ({sql_text(newest)}, '', '', now())",
            service,
        )
    raise AssertionError(f"{MAX_COLLISION_WRITES} writes never reached the snapshot {target}")


@pytest.fixture(scope="module")
def credentials(standby_stack):
    found = standby_stack.credentials()
    return found["API token"], found["API read token"]


@pytest.fixture(scope="module")
def streaming(standby_stack, credentials):
    stack, (token, read_token) = standby_stack, credentials
    wait_until(
        lambda: stack.psql("SELECT state FROM pg_stat_replication") == "streaming",
        DEADLINE,
        "the standby streaming from db",
    )
    a = f"Before the failover {secrets.token_hex(3)}"
    write = post_visitor(stack, token, a)
    replicated = write == 201 and bool(
        wait_until(lambda: count_named(stack, "standby", a), DEADLINE, "A on the standby")
    )
    get(stack, "/"), get(stack, "/api/visitors", read_token)
    sessions = {service: app_sessions(stack, service) for service in ("db", "standby")}
    return Streaming(a=a, write=write, a_replicated=replicated, app_sessions=sessions)


@pytest.fixture(scope="module")
def scenario(standby_stack, credentials, streaming, timings):
    stack, (token, read_token) = standby_stack, credentials
    assert streaming.write == 201, "the failover needs a stack that wrote on its primary first"
    tag = secrets.token_hex(3)
    b, c, d = (f"Lost in the failover {tag}", f"On the new primary {tag}", f"After {tag}")

    # The standby stops receiving db's log: what db acknowledges from now on, it never gets.
    stack.psql("ALTER SYSTEM SET primary_conninfo = ''", "standby")
    stack.psql("SELECT pg_reload_conf()", "standby")
    wait_until(
        lambda: stack.psql("SELECT count(*) FROM pg_stat_replication") == "0",
        DEADLINE,
        "replication to the standby stopped",
    )
    assert post_visitor(stack, token, b) == 201
    cached_answers = []
    cached_under = read_on_every_worker(stack, "db", read_token, cached_answers)
    b_on_standby = count_named(stack, "standby", b)

    stack.run("stop", "db")
    standby_only_health = wait_until(
        lambda: (answer := get(stack, "/health")).status == 503 and answer,
        DEADLINE,
        "/health failing with only the standby left",
    )
    standby_only_page = get(stack, "/")

    promoted = time.monotonic()
    assert stack.psql("SELECT pg_promote()", "standby") == "t"
    newest, writes = write_until_snapshot(stack, "standby", cached_under, c)
    timings[f"failover: writes on the new primary until its snapshot was {cached_under}"] = (
        writes,
        "writes",
    )
    wait_until(lambda: get(stack, "/health").status == 200, DEADLINE, "/health on the new primary")
    timings["failover: pg_promote() -> /health 200 (with the writes to the collision)"] = (
        time.monotonic() - promoted
    )
    collision = snapshot(stack, "standby")
    after = []
    after_snapshot = read_on_every_worker(stack, "standby", read_token, after)
    timings["failover: page and API answers read from the new primary"] = (len(after), "answers")

    d_write = post_visitor(stack, token, d)
    return Scenario(
        a=streaming.a,
        b=b,
        c=newest,
        d=d,
        b_on_standby=b_on_standby,
        cached_under=cached_under,
        cached_answers=cached_answers,
        standby_only_health=standby_only_health,
        standby_only_page=standby_only_page,
        collision=collision,
        after=after,
        after_snapshot=after_snapshot,
        d_write=d_write,
        d_on_new_primary=count_named(stack, "standby", d),
        page_with_d=get(stack, "/"),
    )


def test_writes_and_reads_go_to_the_primary_while_the_standby_is_up(streaming):
    assert streaming.write == 201
    assert streaming.a_replicated, "the standby did not replicate db"
    assert streaming.app_sessions["standby"] == 0
    assert streaming.app_sessions["db"] > 0


def test_every_worker_cached_the_write_the_standby_never_got(scenario):
    assert scenario.b_on_standby == 0
    assert all(scenario.b in answer.text for answer in scenario.cached_answers)


def test_health_fails_while_only_the_standby_is_reachable(scenario):
    assert scenario.standby_only_health.status == 503
    assert scenario.standby_only_page.status == 503
    assert scenario.b not in scenario.standby_only_page.text


def test_the_new_primary_repeats_the_cached_snapshot(scenario):
    # Without this the test would prove nothing: the same snapshot text, other data.
    assert scenario.collision == scenario.after_snapshot == scenario.cached_under


def test_after_the_failover_the_page_and_api_show_the_new_primary_and_never_the_lost_write(
    scenario,
):
    assert scenario.after, "nothing was read after the failover"
    stale = [answer.path for answer in scenario.after if scenario.b in answer.text]
    assert not stale, f"{len(stale)} of {len(scenario.after)} answers showed B: {set(stale)}"
    assert all(scenario.c in answer.text for answer in scenario.after)
    assert all(scenario.a in answer.text for answer in scenario.after)


def test_writes_go_to_the_new_primary(scenario):
    assert scenario.d_write == 201
    assert scenario.d_on_new_primary == 1
    assert scenario.page_with_d.status == 200
    assert scenario.d in scenario.page_with_d.text
