"""The monitoring profile: Prometheus scrapes the app, PostgreSQL and the database's disk, counts
exactly what was sent across gunicorn's workers (a killed one included), and alerts while the
database is down. A stack of its own, with the profile on; the last test stops its database.
"""

import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from gunicorn_workers import WORKERS, database_ports, workers_queried_since
from http_client import http_session
from monitoring_config import alert_for, evaluation_interval
from test_hardening import APP_USER, processes
from visitors_api import create_visitors, unique

from hosttools.compose_project import REPO, ComposeProject, DockerError, free_port
from hosttools.waiting import wait_until

JOBS = {"visitors-app", "postgres", "database-disk", "prometheus"}
PROFILE_SERVICES = ("prometheus", "postgres-exporter", "database-disk")
SCRAPE = evaluation_interval()  # seconds: a scrape, and then a rule evaluation, happen in it
ALERT_FOR = alert_for("VisitorsDatabaseDown")
POOL_MAX_SIZE = 4  # DATABASE_POOL_MAX_SIZE's default, per worker
CLIENTS = 8  # at once, each on its own connection, so both workers get requests


@pytest.fixture(scope="module")
def monitored(docker):
    stack = ComposeProject(
        REPO,
        files=["compose.yaml"],
        prefix="visitors-test-monitoring",
        profiles=["monitoring"],
        variables={"VISITORS_PROMETHEUS_PORT": str(free_port())},
    )
    try:
        stack.up(build=True)
        yield stack
    finally:
        stack.close()


@pytest.fixture(scope="module")
def token(monitored):
    return monitored.credentials()["API token"]


def prometheus(stack, path, **params):
    """GET Prometheus's HTTP API /api/v1/PATH; returns its `data`."""
    port = stack.env["VISITORS_PROMETHEUS_PORT"]
    with http_session() as session:
        answer = session.get(f"http://127.0.0.1:{port}/api/v1/{path}", params=params, timeout=10)
    answer.raise_for_status()
    return answer.json()["data"]


def value(stack, expression):
    """The one value of an instant query, or None when it gives no series."""
    result = prometheus(stack, "query", query=expression)["result"]
    assert len(result) <= 1, result
    return float(result[0]["value"][1]) if result else None


def scraped_value(stack, expression, expected, timeout=3 * SCRAPE):
    """Waits until the query gives `expected` (a scrape happens every 15 s)."""

    def equal():
        found = value(stack, expression)
        assert found == expected, f"{expression} = {found}, expected {expected}"
        return True

    wait_until(equal, timeout, f"{expression} == {expected}", interval=1)


def requests_total(route, method, status):
    return (
        f'sum(visitors_http_requests_total{{route="{route}",method="{method}",status="{status}"}})'
    )


def send(stack, path, count, status, token=None):
    """`count` GETs of `path` from CLIENTS clients at once; each must answer `status`."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(_):
        with http_session() as session:
            return session.get(stack.url(path), headers=headers, timeout=10).status_code

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        assert list(pool.map(get, range(count))) == [status] * count


def database_now(stack):
    return f"'{stack.psql('SELECT now()')}'::timestamptz"


def firing(stack, name):
    return [
        alert
        for alert in prometheus(stack, "alerts")["alerts"]
        if alert["labels"]["alertname"] == name and alert["state"] == "firing"
    ]


def test_every_target_is_up(monitored):
    def all_up():
        targets = prometheus(monitored, "targets", state="active")["activeTargets"]
        health = {target["labels"]["job"]: target["health"] for target in targets}
        assert health == dict.fromkeys(JOBS, "up"), health
        return True

    wait_until(all_up, 3 * SCRAPE, "every target up", interval=1)
    assert value(monitored, 'pg_up{job="postgres"}') == 1
    # What the alerts' recording rules read to tell a restart of the app or the database.
    assert value(monitored, 'process_start_time_seconds{job="visitors-app"}') > 0
    assert value(monitored, "count(pg_postmaster_start_time_seconds)") == 1


@pytest.mark.parametrize("service", PROFILE_SERVICES)
def test_the_profiles_services_are_hardened_like_the_others(monitored, service):
    container = monitored.container(service)
    host = container["HostConfig"]
    assert host["ReadonlyRootfs"] is True
    assert host["CapDrop"] == ["ALL"] and not host.get("CapAdd")
    assert "no-new-privileges:true" in host["SecurityOpt"]
    assert host["Memory"] > 0 and host["NanoCpus"] > 0 and host["PidsLimit"] > 0
    assert host["RestartPolicy"]["Name"] == "unless-stopped"
    assert {uid for uid, _ in processes(container).values()} == {APP_USER}


def test_only_prometheus_publishes_a_port_and_only_on_loopback(monitored):
    port = monitored.env["VISITORS_PROMETHEUS_PORT"]
    assert monitored.run("port", "prometheus", "9090").stdout.strip() == f"127.0.0.1:{port}"
    for service in ("postgres-exporter", "database-disk"):
        ports = monitored.container(service)["NetworkSettings"]["Ports"] or {}
        assert not any(ports.values()), f"{service} publishes {ports}"


@pytest.mark.parametrize("service", ["prometheus", "postgres-exporter"])
def test_the_monitoring_services_log_json_lines(monitored, service):
    lines = monitored.run("logs", "--no-color", "--no-log-prefix", service).stdout.splitlines()
    assert lines
    for line in lines:
        assert isinstance(json.loads(line), dict), line


def test_metrics_are_not_reachable_through_nginx(monitored):
    with http_session() as session:
        assert session.get(monitored.url("/metrics"), timeout=10).status_code == 404


def test_requests_are_counted_exactly_across_workers_and_a_killed_one(monitored, token):
    since = database_now(monitored)
    send(monitored, "/api/visitors", 40, 200, token)
    send(monitored, "/api/visitors", 6, 401)
    send(monitored, "/no-such-page", 5, 404)
    queried = workers_queried_since(monitored, since)
    assert len(queried) == WORKERS and all(queried.values()), f"workers that served: {queried}"

    scraped_value(monitored, requests_total("visitors:api-visitors", "GET", "200"), 40)
    scraped_value(monitored, requests_total("visitors:api-visitors", "GET", "401"), 6)
    scraped_value(monitored, requests_total("unmatched", "GET", "404"), 5)
    scraped_value(monitored, "sum(visitors_db_pool_max)", WORKERS * POOL_MAX_SIZE)
    master_started = value(monitored, 'process_start_time_seconds{job="visitors-app"}')

    # A worker dies: gunicorn starts another. What the dead one counted stays counted, and its
    # pool no longer adds to the gauges (2 pools of 4, not 3).
    killed = min(database_ports(monitored))
    monitored.python("app", f"import os, signal; os.kill({killed}, signal.SIGKILL)")

    def replaced():
        workers = set(database_ports(monitored))
        assert killed not in workers and len(workers) == WORKERS, workers
        return True

    wait_until(replaced, 30, f"worker {killed} replaced", interval=0.5)
    send(monitored, "/api/visitors", 16, 200, token)
    scraped_value(monitored, requests_total("visitors:api-visitors", "GET", "200"), 56)

    def both_pools_counted():
        send(monitored, "/health", CLIENTS, 200)  # so the new worker opens its pool too
        return value(monitored, "sum(visitors_db_pool_max)") == WORKERS * POOL_MAX_SIZE

    wait_until(both_pools_counted, 3 * SCRAPE, "the pools of the live workers only", 1)
    buckets = 'sum(visitors_http_request_duration_seconds_count{route="visitors:api-visitors"})'
    assert value(monitored, buckets) == 40 + 6 + 16
    assert value(monitored, 'process_start_time_seconds{job="visitors-app"}') == master_started


def test_sign_ins_and_the_answer_cache_are_counted(monitored, token):
    create_visitors(monitored, token, [{"name": unique("Counted")} for _ in range(3)])
    scraped_value(monitored, "sum(visitors_signed_in_total)", 3)
    # The lists read above were rendered at most once per worker for each database state.
    assert value(monitored, "sum(visitors_answer_cache_hits_total)") > 0
    assert value(monitored, "sum(visitors_answer_cache_bytes)") > 0


def test_the_database_disk_is_measured_without_reading_the_data(monitored):
    free = value(monitored, "visitors_database_disk_free_bytes")
    size = value(monitored, "visitors_database_disk_size_bytes")
    assert 0 < free <= size
    with pytest.raises(DockerError, match="PermissionError"):
        monitored.python("database-disk", "import os; os.listdir('/database')")


def test_the_exporter_logs_in_as_a_monitoring_role_that_cannot_read_visitors(monitored):
    role = monitored.psql(
        "SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls,"
        " (SELECT string_agg(roleid::regrole::text, ',') FROM pg_auth_members"
        "  WHERE member = r.oid)"
        " FROM pg_roles r WHERE rolname = 'visitors_monitor'"
    )
    assert role == "f|f|f|f|f|pg_monitor"
    with pytest.raises(DockerError, match="permission denied for table visitors_visitor"):
        monitored.psql("SET ROLE visitors_monitor; SELECT count(*) FROM visitors_visitor")
    assert value(monitored, 'pg_up{job="postgres"}') == 1


def test_database_down_alert_fires_within_its_window_and_resolves(monitored):
    # The database's next start sets the monitoring role up again (the same statements, run
    # at every start): the exporter logs in again afterwards, and the alert resolves.
    stopped = time.monotonic()
    monitored.run("stop", "db")
    try:
        wait_until(
            lambda: firing(monitored, "VisitorsDatabaseDown"),
            ALERT_FOR + 2 * SCRAPE + 30,
            "VisitorsDatabaseDown firing",
            interval=1,
        )
        print(f"\nVisitorsDatabaseDown firing {time.monotonic() - stopped:.0f} s after the stop")
    finally:
        started = time.monotonic()
        monitored.run("start", "db")
    wait_until(
        lambda: not firing(monitored, "VisitorsDatabaseDown"),
        60 + 2 * SCRAPE,
        "VisitorsDatabaseDown resolved",
        interval=1,
    )
    print(f"VisitorsDatabaseDown resolved {time.monotonic() - started:.0f} s after the start")
    assert value(monitored, 'pg_up{job="postgres"}') == 1
