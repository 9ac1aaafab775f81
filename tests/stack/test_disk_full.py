"""The database's disk fills up, and frees up again.

A stack of its own runs with compose.small-disk.yaml, which puts the db-data volume on a
96 MiB memory file system (a fresh data directory takes about 47 MiB). A throwaway container
mounts the same volume and writes a ballast file until the file system is full. Then:
writes through the API, once PostgreSQL needs a new page, answer a clear error (the app's
503 JSON with Retry-After, not a 500 or a traceback); reads keep working; after the ballast
is deleted writes succeed again; and every visitor acknowledged before, during and after is
intact (`pg_amcheck` checks every table and index too).

The container that writes the ballast stays up for the whole scenario: as long as one
container uses the volume Docker keeps its memory file system mounted, so even a restart of
the db container could not wipe the data. PostgreSQL PANICs when it cannot write its
write-ahead log; here the log's current 16 MiB segment is already allocated, so only the
table's new pages meet the full disk. The test reports PANICs it finds in the db's log.
"""

import json
import secrets
import time
from dataclasses import dataclass

import pytest
from http_client import http_session
from traffic import send
from visitors_api import visitors_not_kept

from hosttools.compose_project import REPO, ComposeProject, docker_cli
from hosttools.waiting import wait_until

SMALL_DISK_FILE = "tests/stack/compose.small-disk.yaml"
PGDATA = "/var/lib/postgresql/data"
MAX_FULL_WRITES = 60  # big visitors fill a page in about ten: the disk shows full well before
PAUSE = 0.25  # seconds between writes: 4 a second, under nginx's 5 a second per client
REFUSED_AFTER_FULL = 3  # further writes checked once the first was refused
RESUME_DEADLINE = 60

FILL = """
import errno, os, sys
written = 0
with open(sys.argv[1], "wb", buffering=0) as ballast:
    for size in (1 << 20, 4096, 512):  # a MiB at a time, then the last crumbs
        block = bytes(size)
        try:
            while True:
                written += ballast.write(block)
        except OSError as error:
            if error.errno != errno.ENOSPC:
                raise
stat = os.statvfs(os.path.dirname(sys.argv[1]))
print(written, stat.f_bavail * stat.f_frsize)
"""


def big_visitor(label):
    """A visitor near the size limits: about 700 bytes a row, a dozen to a page."""
    name = f"{label} {secrets.token_hex(3)} "
    return {"name": name + "n" * (100 - len(name)), "company": "c" * 100, "message": "m" * 500}


class Writer:
    """Posts visitors one at a time through the API, keeping every answer."""

    def __init__(self, stack, token):
        self.stack = stack
        self.token = token
        self.session = http_session()
        self.answers = []

    def post(self, visitor):
        url = self.stack.url("/api/visitors")
        answer = send(self.session, "POST", "/api/visitors", url, self.token, visitor)
        self.answers.append(answer)
        time.sleep(PAUSE)  # pacing for nginx's rate limit, not a wait for a condition
        return answer

    def get(self, path):
        return send(self.session, "GET", path, self.stack.url(path), self.token)

    def acknowledged(self):
        return [answer.json() for answer in self.answers if answer.status == 201]


@dataclass
class Scenario:
    ballast_bytes: int
    free_after_fill: int
    full_writes: list
    refused: list
    reads: dict
    resumed: object
    acknowledged: list
    db_before: object
    db_after: object
    panics: list
    amcheck: str


def start_ballast_container(stack, name):
    """Starts the throwaway container that holds the db volume and writes the ballast.

    It runs the app's image (Python, no shell) as postgres' uid, without network or
    capabilities. No memory limit: the ballast's pages in the memory file system count
    against it.
    """
    docker_cli(
        "run", "--detach", "--rm", "--name", name, "--network", "none",
        "--user", "70:70", "--read-only", "--cap-drop", "ALL",
        "--security-opt", "no-new-privileges:true",
        "--volume", f"{stack.project}_db-data:/data",
        stack.state("app").image, "python", "-c", "import time; time.sleep(900)",
    )  # fmt: skip


@pytest.fixture(scope="module")
def small_disk(docker, timings):
    small = ComposeProject(
        REPO, files=["compose.yaml", SMALL_DISK_FILE], prefix="visitors-test-disk"
    )
    try:
        timings["disk full: small-disk stack up --build -> every service healthy"] = small.up(
            build=True
        )
        yield small
    finally:
        small.close()


@pytest.fixture(scope="module")
def scenario(small_disk, timings):
    stack = small_disk
    writer = Writer(stack, stack.credentials()["API token"])
    ballast_name = f"{stack.project}-ballast"
    start_ballast_container(stack, ballast_name)
    try:
        for number in range(5):
            assert writer.post({"name": f"Before the disk filled #{number}"}).status == 201
        used = stack.exec("db", "du", "-sm", PGDATA).split()[0]
        timings["disk full: data directory before the ballast"] = (int(used), "MiB")

        filled = docker_cli("exec", ballast_name, "python", "-c", FILL, "/data/ballast")
        written, free = map(int, filled.split())
        timings["disk full: ballast written until ENOSPC"] = (written // 2**20, "MiB")
        db_before = stack.state("db")

        # Rows go into pages that still have room; the first that needs a new page fails.
        full_writes = []
        for number in range(MAX_FULL_WRITES):
            full_writes.append(writer.post(big_visitor(f"While full #{number}")))
            if full_writes[-1].status != 201:
                break
        refused = [full_writes[-1]] + [
            writer.post(big_visitor(f"Still full #{n}")) for n in range(REFUSED_AFTER_FULL)
        ]
        reads = {path: writer.get(path) for path in ("/api/visitors", "/", "/health")}

        started = time.monotonic()
        docker_cli("exec", ballast_name, "python", "-c", "import os; os.remove('/data/ballast')")

        def write_succeeds():
            answer = writer.post(big_visitor("After the ballast went"))
            return answer if answer.status == 201 else None

        resumed = wait_until(write_succeeds, RESUME_DEADLINE, "a write answered 201", interval=0.5)
        timings["disk full: ballast deleted -> first write 201"] = time.monotonic() - started
        amcheck = stack.run(
            "exec", "-T", "db", "pg_amcheck", "--install-missing", "--heapallindexed",
            "--username", "visitors", "--database", "visitors", check=False,
        )  # fmt: skip
        logs = stack.logs("db", tail=2000)
        return Scenario(
            ballast_bytes=written,
            free_after_fill=free,
            full_writes=full_writes,
            refused=refused,
            reads=reads,
            resumed=resumed,
            acknowledged=writer.acknowledged(),
            db_before=db_before,
            db_after=stack.state("db"),
            panics=[line for line in logs.splitlines() if "PANIC" in line],
            amcheck=f"exit {amcheck.returncode}\n{amcheck.stdout}{amcheck.stderr}",
        )
    finally:
        writer.session.close()
        docker_cli("rm", "--force", ballast_name)


def test_the_ballast_fills_the_volume(scenario):
    assert scenario.free_after_fill < 1024 * 1024


def test_writes_answer_a_clear_json_error_while_the_disk_is_full(scenario, timings):
    refused = scenario.refused
    timings["disk full: writes answered 201 before the first refusal"] = (
        len(scenario.full_writes) - 1,
        "requests",
    )
    assert refused[0].status != 201, (
        f"{MAX_FULL_WRITES} writes went through on a full disk: the volume never filled"
    )
    unclear = [a.describe() for a in refused if not a.clean_503]
    assert unclear == [], "writes on a full disk answered other than a JSON 503:\n" + "\n".join(
        unclear
    )
    # The error says what is wrong, not just that the database is away.
    assert "disk space" in refused[0].json()["error"], refused[0].text


def test_reads_keep_working_while_the_disk_is_full(scenario):
    statuses = {path: answer.status for path, answer in scenario.reads.items()}
    assert statuses == {"/api/visitors": 200, "/": 200, "/health": 200}


def test_writes_resume_once_there_is_room_again(scenario):
    assert scenario.resumed.status == 201


def test_nothing_acknowledged_is_lost_or_damaged(small_disk, scenario, timings):
    assert visitors_not_kept(small_disk, scenario.acknowledged) == []
    exported = {visitor["id"] for visitor in small_disk.export_visitors()}
    assert {visitor["id"] for visitor in scenario.acknowledged} <= exported
    assert scenario.amcheck.startswith("exit 0"), scenario.amcheck


def test_postgres_did_not_panic_or_restart(scenario, timings):
    # Filling a page fails that statement only; a full disk under the write-ahead log would
    # make PostgreSQL PANIC and restart. Reported either way, asserted only as observed.
    timings["disk full: PostgreSQL PANIC lines in the db log"] = (len(scenario.panics), "lines")
    print(f"\nPostgreSQL PANIC lines: {json.dumps(scenario.panics, indent=1)}")
    assert scenario.panics == []
    assert scenario.db_after.start == scenario.db_before.start
