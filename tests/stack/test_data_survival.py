"""The visitors outlive every container: a rebuild that recreates them all, and a restart of
the Docker daemon itself. (`down` and `up` again: test_persistence.py.)

Restarting the daemon stops every container on the machine, other people's stacks too, so
that test runs only when asked for, with VISITORS_TEST_DOCKER_RESTART=1, or under CI=true
(CI's machine runs nothing else). The daemon is restarted the way it was started: with
systemd where systemd runs it, else with SIGTERM and the same command line again under nohup
(how ../shared/ci/container-env starts it), its output appended to /var/log/dockerd.log.
The stack's `restart: unless-stopped` containers must then come back by themselves.
"""

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from http_client import http_session
from missing_tools import CI
from visitors_api import create_visitors, unique

from hosttools.compose_project import LONG_RUNNING
from hosttools.waiting import wait_until

DAEMON_DEADLINE = 180  # seconds for dockerd to stop (it stops every container) or to start
STACK_DEADLINE = 240
DOCKERD_LOG = Path("/var/log/dockerd.log")
DOCKERD_PID_FILE = Path("/var/run/docker.pid")


def assert_kept(stack, visitors):
    reader = {"Authorization": f"Bearer {stack.credentials()['API read token']}"}
    with http_session() as session:  # connections from before are gone
        listed = session.get(stack.url("/api/visitors?limit=100"), headers=reader, timeout=10)
        page = session.get(stack.url("/"), timeout=10)
    assert listed.status_code == 200
    assert [v for v in visitors if v not in listed.json()["results"]] == []
    assert page.status_code == 200
    assert visitors[-1]["name"] in page.text


def test_visitors_survive_a_rebuild_that_recreates_every_container(stack, api_token, timings):
    (visitor,) = create_visitors(stack, api_token, [{"name": unique("Before the rebuild")}])
    before = {service: stack.state(service).id for service in LONG_RUNNING}

    seconds = stack.up(build=True, recreate=True)
    timings["survival: up -d --build --force-recreate -> every service healthy"] = seconds

    after = {service: stack.state(service).id for service in LONG_RUNNING}
    assert [s for s in LONG_RUNNING if after[s] == before[s]] == [], "not every one recreated"
    assert stack.credentials()["API token"] == api_token  # the secrets volume is kept too
    assert_kept(stack, [visitor])


# --- the Docker daemon -----------------------------------------------------------------------


def docker_answers():
    return subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode == 0


def systemd_runs_docker():
    if shutil.which("systemctl") is None:
        return False
    active = subprocess.run(
        ["systemctl", "is-active", "--quiet", "docker"], capture_output=True, timeout=30
    )
    return active.returncode == 0


def dockerd_pid():
    """The pid of the running dockerd, from its pid file, checked against /proc."""
    pid = int(DOCKERD_PID_FILE.read_text().strip())
    assert Path(f"/proc/{pid}/comm").read_text().strip() == "dockerd", f"pid {pid} is not dockerd"
    return pid


def has_exited(pid):
    """True once the process is gone (or a zombie nobody has reaped yet)."""
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return status.rsplit(")", 1)[1].split()[0] in {"Z", "X"}


def restart_docker_daemon(timings):
    """Restarts dockerd as it was started, and waits until `docker info` answers again."""
    started = time.monotonic()
    if systemd_runs_docker():
        subprocess.run(["systemctl", "restart", "docker"], check=True, timeout=DAEMON_DEADLINE)
    else:
        pid = dockerd_pid()
        command = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")[:-1]
        os.kill(pid, signal.SIGTERM)
        wait_until(lambda: has_exited(pid), DAEMON_DEADLINE, f"dockerd (pid {pid}) to exit", 0.5)
        timings["survival: dockerd SIGTERM -> exited (it stops every container)"] = (
            time.monotonic() - started
        )
        # As container-env starts it: `nohup dockerd >/var/log/dockerd.log 2>&1 &` (appending
        # here, so the log of the shutdown is kept), in a session of its own that outlives
        # this test run.
        with DOCKERD_LOG.open("ab") as log:
            subprocess.Popen(  # the daemon's own command line, read from /proc
                ["nohup", *command],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
    wait_until(docker_answers, DAEMON_DEADLINE, "`docker info` after the restart", 0.5)
    timings["survival: daemon restart begun -> `docker info` answers again"] = (
        time.monotonic() - started
    )


def health_through_nginx(stack):
    with http_session() as session:
        return session.get(stack.url("/health"), timeout=5).status_code == 200


@pytest.mark.skipif(
    not (CI or os.environ.get("VISITORS_TEST_DOCKER_RESTART") == "1"),
    reason="restarts the Docker daemon, stopping every container on this machine: set "
    "VISITORS_TEST_DOCKER_RESTART=1 to run it (CI=true runs it)",
)
def test_visitors_survive_a_restart_of_the_docker_daemon(stack, api_token, timings):
    if os.geteuid() != 0:
        pytest.fail("restarting the Docker daemon needs root", pytrace=False)
    (visitor,) = create_visitors(stack, api_token, [{"name": unique("Before the restart")}])

    restart_docker_daemon(timings)

    started = time.monotonic()
    stack.wait_healthy(*LONG_RUNNING, timeout=STACK_DEADLINE)
    timings["survival: daemon back -> every service healthy again (unless-stopped)"] = (
        time.monotonic() - started
    )
    wait_until(
        lambda: health_through_nginx(stack),
        timeout=STACK_DEADLINE,
        what="GET /health 200 through nginx after the daemon restart",
    )
    timings["survival: daemon back -> GET /health 200 through nginx"] = time.monotonic() - started
    assert stack.credentials()["API token"] == api_token
    assert_kept(stack, [visitor])
