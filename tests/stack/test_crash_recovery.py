"""A crashed service comes back by itself: `restart: unless-stopped` and the healthchecks.

For web, app and db in turn, the container's main process (nginx's master, gunicorn's
arbiter, the postmaster) is killed with SIGKILL from the host, the way a crash or the kernel's
out-of-memory killer ends it. `docker kill` would not do: Docker counts it as a stop by the
user, and `unless-stopped` leaves such a container stopped. Docker must then restart the
container, its healthcheck must pass again, the site must answer through nginx again, no
other service may be restarted, and what was written before the crash must still be there.
"""

import os
import signal
import time

import pytest
from http_client import http_session
from missing_tools import unavailable
from visitors_api import unique

from hosttools.compose_project import LONG_RUNNING
from hosttools.waiting import wait_until

# Seconds from the kill until the service is healthy again and /health answers through nginx.
RECOVERY_DEADLINE = 90


def kill_main_process(pid):
    """SIGKILL to a container's main process, as seen from the host (needs root)."""
    try:
        os.kill(pid, signal.SIGKILL)
    except PermissionError:
        unavailable(f"killing pid {pid} (a container's process) needs root on the Docker host")


def first_times(conditions, timeout):
    """Polls every condition until all have held once; returns {name: seconds until it held}.

    Each condition is polled until it holds (exceptions count as "not yet"), so the seconds
    are when it first held, whatever the order they become true in.
    """
    started = time.monotonic()
    held = {}

    def all_held():
        for name, condition in conditions.items():
            if name in held:
                continue
            try:
                if condition():
                    held[name] = time.monotonic() - started
            except Exception:  # noqa: S112 - not yet: refused, reset, 503...
                continue
        return len(held) == len(conditions) or None

    try:
        wait_until(all_held, timeout, f"all of: {', '.join(conditions)}", interval=0.2)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; held so far: {held}") from None
    return held


@pytest.mark.parametrize("service", LONG_RUNNING)
def test_killed_main_process_restarts_by_itself(stack, api, timings, service):
    # The previous case may still be settling (after a db crash the app's health recovers).
    stack.wait_healthy(*LONG_RUNNING, timeout=RECOVERY_DEADLINE)
    created = api("POST", "/api/visitors", json={"name": unique(f"Before the {service} crash")})
    assert created.status_code == 201, created.text
    before = {name: stack.state(name) for name in LONG_RUNNING}
    killed = before[service]

    kill_main_process(killed.pid)

    def restarted():
        return stack.state(service).restarts > killed.restarts

    def healthy_again():
        state = stack.state(service)
        return state.restarts > killed.restarts and state.healthy

    def health_through_nginx():
        if not restarted():  # a 200 from before the crash took effect would not count
            return False
        with http_session() as session:  # nginx's connections of before may be gone
            return session.get(stack.url("/health"), timeout=5).status_code == 200

    seconds = first_times(
        {"restarted": restarted, "healthy": healthy_again, "health 200": health_through_nginx},
        timeout=RECOVERY_DEADLINE,
    )
    timings[f"crash: kill -9 {service} main process -> container healthy again"] = seconds[
        "healthy"
    ]
    timings[f"crash: kill -9 {service} main process -> GET /health 200 through nginx"] = seconds[
        "health 200"
    ]
    print(f"\nkill -9 {service}: " + ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items()))

    after = {name: stack.state(name) for name in LONG_RUNNING}
    assert after[service].restarts == killed.restarts + 1, "Docker restarted it more than once"
    others = [name for name in LONG_RUNNING if name != service]
    assert {name: after[name].start for name in others} == {
        name: before[name].start for name in others
    }, f"the crash of {service} restarted another service"
    kept = api("GET", f"/api/visitors/{created.json()['id']}")
    assert kept.status_code == 200
    assert kept.json() == created.json()
