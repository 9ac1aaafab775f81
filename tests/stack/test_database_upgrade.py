"""PostgreSQL's image moves to a new major under an existing data volume.

A stack of its own starts on `standins/postgres:previous-major` (PostgreSQL 15, named through
VISITORS_POSTGRES_IMAGE as a private mirror would) and takes visitors. Then it is brought up
with the default image (PostgreSQL 17), as after a `git pull` or a pull of `:latest`:

- the database refuses to start, and its log says which majors met and names the command that
  fixes it; the data volume is left as it was;
- `deploy/upgrade-database` moves the data to PostgreSQL 17: every visitor, the admin user and
  the API token work afterwards, and new visitors continue after the last id;
- the PostgreSQL 15 data stays in the kept volume the command names, and a PostgreSQL 15
  server still reads it;
- a failed attempt changes nothing: one that fails before touching the data (an old-server
  image that cannot read it), and one that fails after the data volume was emptied (the dump
  needs an extension PostgreSQL 17 lacks), which puts the old data back.

The two majors are the stand-ins' (15 and 17), built by ../shared/ci/container-env on the
project's CI machines; on GitHub's runners, which have no such pair, the module is skipped.
"""

import os
import time

import pytest
from http_client import http_session
from missing_tools import unavailable
from visitors_api import create_visitors

from hosttools.compose_project import REPO, ComposeProject, DockerError, docker_cli

OLD_IMAGE = "standins/postgres:previous-major"
CURRENT_IMAGE = "cgr.dev/chainguard/postgres:latest"
PGDATA = "/var/lib/postgresql/data"
# Starts a PostgreSQL server on the data in a throwaway container and counts the visitors.
COUNT_VISITORS_OFFLINE = """
su postgres -c 'pg_ctl --pgdata "$PGDATA" --wait \
  --options "-c listen_addresses= -c unix_socket_directories=/tmp" start' >/dev/null
su postgres -c "psql --host /tmp --username visitors --dbname visitors --tuples-only --no-align \
  --command 'SELECT count(*) FROM visitors_visitor'"
su postgres -c 'pg_ctl --pgdata "$PGDATA" --wait stop' >/dev/null
"""


def server_major(stack):
    return stack.psql("SHOW server_version_num")[:2]


def in_volume(volume, image, script):
    """Runs a bash script in a throwaway container of `image` with `volume` at PGDATA."""
    return docker_cli(
        "run", "--rm", "--network", "none", "--volume", f"{volume}:{PGDATA}",
        "--entrypoint", "bash", image, "-c", script,
    ).strip()  # fmt: skip


def data_volume(stack):
    return f"{stack.project}_db-data"


@pytest.fixture(scope="module")
def old_stack(docker, timings):
    if not docker_cli("images", "--quiet", OLD_IMAGE).strip():
        if os.environ.get("GITHUB_ACTIONS") == "true":
            # No published image runs the previous major with the Chainguard image's contract.
            pytest.skip(f"{OLD_IMAGE} exists only on the project's own CI machines")
        unavailable(f"{OLD_IMAGE} is missing (../shared/ci/container-env builds it)")
    current = ComposeProject(REPO, files=["compose.yaml"], prefix="visitors-test-pgupgrade")
    old = current.variant(current.files, VISITORS_POSTGRES_IMAGE=OLD_IMAGE)
    kept = f"{data_volume(current)}-pg15"
    try:
        old.up(build=True)
        assert server_major(old) == "15"
        yield old, current
    finally:
        current.close()
        docker_cli("volume", "rm", "--force", kept)


@pytest.fixture(scope="module")
def before(old_stack):
    old, _ = old_stack
    old.exec("app", "python", "manage.py", "seed_visitors", "300", "--seed", "5")
    token = old.credentials()["API token"]
    create_visitors(old, token, [{"name": "Zoë on PostgreSQL 15", "message": "line\nbreak"}])
    return {"visitors": old.export_visitors(), "credentials": old.credentials()}


@pytest.fixture(scope="module")
def refused(old_stack, before, timings):
    _, current = old_stack
    started = time.monotonic()
    result = current.run("up", "--detach", "--wait", "--wait-timeout", "60", check=False)
    timings["database upgrade: up on PostgreSQL 17 -> refused"] = time.monotonic() - started
    timings["database upgrade: visitors on PostgreSQL 15"] = (len(before["visitors"]), "rows")
    return result, current.logs("db", tail=20)


def test_a_new_major_refuses_the_old_data_and_names_the_fix(old_stack, refused):
    _, current = old_stack
    result, log = refused
    assert result.returncode != 0
    assert "the database was made by PostgreSQL 15" in log
    assert "PostgreSQL 17, which cannot read it" in log
    assert "deploy/upgrade-database" in log
    assert "incompatible with server" not in log, "the server itself was started"
    assert not current.state("db").healthy
    assert in_volume(data_volume(current), OLD_IMAGE, f"cat {PGDATA}/PG_VERSION") == "15"


def test_a_failed_upgrade_changes_nothing(old_stack, refused, before):
    _, current = old_stack
    # The current image as the "old" server: PostgreSQL 17 cannot start on the data.
    broken = current.variant(current.files, VISITORS_POSTGRES_OLD_IMAGE=CURRENT_IMAGE)
    with pytest.raises(DockerError, match="did not start"):
        broken.run_script("deploy/upgrade-database", timeout=300)
    assert in_volume(data_volume(current), OLD_IMAGE, f"cat {PGDATA}/PG_VERSION") == "15"
    kept = f"{data_volume(current)}-pg15"
    assert kept not in docker_cli("volume", "ls", "--quiet").split()


def test_an_upgrade_that_fails_midway_puts_the_old_data_back(old_stack, before):
    # An extension PostgreSQL 17 no longer ships: restoring the dump fails after the data
    # volume was emptied for the new database.
    old, current = old_stack
    old.up()
    old.psql("CREATE EXTENSION adminpack")
    script = current.variant(current.files, VISITORS_POSTGRES_OLD_IMAGE=OLD_IMAGE)
    with pytest.raises(DockerError, match="holds the PostgreSQL 15 data again, as it was"):
        script.run_script("deploy/upgrade-database", timeout=600)
    assert f"{data_volume(current)}-pg15" not in docker_cli("volume", "ls", "--quiet").split()
    old.up()
    old.psql("DROP EXTENSION adminpack")
    assert old.export_visitors() == before["visitors"]


@pytest.fixture(scope="module")
def upgraded(old_stack, refused, before, timings):
    _, current = old_stack
    script = current.variant(current.files, VISITORS_POSTGRES_OLD_IMAGE=OLD_IMAGE)
    started = time.monotonic()
    output = script.run_script("deploy/upgrade-database", timeout=600)
    timings["database upgrade: deploy/upgrade-database 15 -> 17 (stack healthy again)"] = (
        time.monotonic() - started
    )
    return output


def test_the_upgrade_moves_every_visitor_to_the_new_major(old_stack, before, upgraded):
    _, current = old_stack
    assert server_major(current) == "17"
    assert current.export_visitors() == before["visitors"]
    assert current.credentials() == before["credentials"]
    with http_session() as session:
        page = session.get(current.url("/"), timeout=10)
    assert page.status_code == 200
    assert "Zoë on PostgreSQL 15" in page.text
    (created,) = create_visitors(
        current, before["credentials"]["API token"], [{"name": "On PostgreSQL 17"}]
    )
    assert created["id"] > max(visitor["id"] for visitor in before["visitors"])


def test_the_old_data_is_kept_where_the_command_says(old_stack, before, upgraded):
    _, current = old_stack
    kept = f"{data_volume(current)}-pg15"
    assert f"docker volume rm {kept}" in upgraded
    # A PostgreSQL 15 server still reads it: the kept copy is a working database.
    count = in_volume(kept, OLD_IMAGE, COUNT_VISITORS_OFFLINE)
    assert int(count) == len(before["visitors"])


def test_running_it_again_does_nothing(old_stack, upgraded):
    _, current = old_stack
    output = current.run_script("deploy/upgrade-database")
    assert "already holds PostgreSQL 17 data: nothing to do" in output
    assert current.state("db").healthy
