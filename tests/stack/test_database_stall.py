"""A database that stops answering without closing anything: paused, or cut off the network.

The TCP connections stay open and nothing comes back, unlike a stopped database (refused at
once, test_database_outage.py). Requests must still get the app's own 503 within seconds, the
liveness check must not notice, and full service must return without restarting the app.
"""

import concurrent.futures
import time

import pytest
from gunicorn_workers import wait_for_every_worker
from http_client import http_session
from traffic import send
from visitors_api import create_visitors, visitors_not_kept

from hosttools.compose_project import docker_cli

HEALTH_BUDGET = 2.0  # seconds: /health answers 503 within this
REQUEST_BUDGET = 3.0  # seconds: pages and the API answer their 503 within this
LIVE_BUDGET = 0.1  # seconds: /health/live, which never touches the database
RECOVERY_BUDGET = 5.0  # seconds from the database's return to every worker serving
FAULT_SECONDS = 8.0  # how long each fault lasts while requests keep coming

# Each client asks for one path again and again, as a front desk, an integration and the
# orchestrator's probes would.
PATHS = ["/health", "/", "/api/visitors", "/health/live"]


def pause(stack):
    name = stack.ps()["db"]["Name"]
    docker_cli("pause", name)
    return lambda: docker_cli("unpause", name)


def cut_off(stack):
    name = stack.ps()["db"]["Name"]
    network = f"{stack.project}_back"
    docker_cli("network", "disconnect", network, name)
    return lambda: docker_cli("network", "connect", "--alias", "db", network, name)


def hammer(stack, token, seconds):
    """Every path of PATHS, one client each, for `seconds`: the answers, in order."""

    def client(path):
        answers = []
        deadline = time.monotonic() + seconds
        with http_session() as session:
            while time.monotonic() < deadline:
                answers.append(send(session, "GET", path, stack.url(path), token))
        return answers

    with concurrent.futures.ThreadPoolExecutor(len(PATHS)) as pool:
        return [answer for answers in pool.map(client, PATHS) for answer in answers]


def apps_503(answer):
    """The app's own 503 with Retry-After: a page under /, JSON from the API and /health."""
    if answer.path == "/health":
        return (
            answer.status == 503
            and answer.headers.get("Retry-After", "").isdigit()
            and (answer.json() == {"status": "error", "database": "unavailable"})
        )
    return answer.clean_503 and not answer.from_nginx


@pytest.mark.parametrize("fault", [pause, cut_off], ids=["paused", "cut off the network"])
def test_a_stalled_database_gets_clean_503s_in_time_and_service_returns(
    stack, api_token, fault, timings
):
    kept = create_visitors(stack, api_token, [{"name": f"Before the stall {n}"} for n in range(3)])
    starts = {service: stack.state(service).start for service in ("app", "web")}
    restore = fault(stack)
    try:
        answers = hammer(stack, api_token, FAULT_SECONDS)
    finally:
        restore()
    returned, back = time.monotonic(), stack.psql("SELECT now()")
    # Every worker lost its connections: each must have queried the database since its return.
    wait_for_every_worker(stack, RECOVERY_BUDGET + 5, since=f"'{back}'::timestamptz")
    recovery = time.monotonic() - returned

    label = fault.__name__.replace("_", " ")
    by_path = {path: [a for a in answers if a.path == path] for path in set(PATHS)}
    for path, budget in [
        ("/health", HEALTH_BUDGET),
        ("/", REQUEST_BUDGET),
        ("/api/visitors", REQUEST_BUDGET),
    ]:
        seen = by_path[path]
        slowest = max(a.ended - a.started for a in seen)
        timings[f"stall ({label}): slowest {path} of {len(seen)}"] = slowest
        failed = [a.describe() for a in seen if not (a.ok or apps_503(a))]
        assert not failed, f"{path}: not 200 nor the app's 503:\n" + "\n".join(failed[:5])
        assert any(a.status == 503 for a in seen), f"{path} never noticed the database was gone"
        assert slowest < budget, f"{path} took {slowest:.2f} s"
    live = by_path["/health/live"]
    slowest_live = max(a.ended - a.started for a in live)
    timings[f"stall ({label}): slowest /health/live of {len(live)}"] = slowest_live
    assert all(a.status == 200 for a in live)
    assert slowest_live < LIVE_BUDGET, f"/health/live took {slowest_live:.3f} s"

    timings[f"stall ({label}): database back -> every worker queried it"] = recovery
    assert recovery < RECOVERY_BUDGET
    assert {service: stack.state(service).start for service in ("app", "web")} == starts
    assert not visitors_not_kept(stack, kept)
