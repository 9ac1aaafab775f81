"""Runtime hardening of the production stack, read from Docker and from the running containers.

Users, read-only root file systems, tmpfs mounts, capabilities, no-new-privileges, resource
limits, log rotation, published ports, networks (nginx cannot reach the database), no
writable path in the app, clean gunicorn logs, security headers and the Content-Security-
Policy with its nonce, unknown hosts, and a graceful stop.
"""

import json
import re
import subprocess

import pytest
from helpers_security import assert_refused
from http_client import ANSWER_KINDS, answer_of_kind
from service_logs import log_lines

from hosttools.compose_project import LONG_RUNNING, ONE_SHOT, docker_cli
from hosttools.waiting import wait_until

SERVICES = LONG_RUNNING + ONE_SHOT
APP_USER = 65532
POSTGRES_USER = 70

# The only tmpfs mounts, each with a size: where a service must write at run time.
# Paths inside the containers (not this machine's temporary directory).
TMPFS = {
    "web": {"/run", "/var/lib/nginx/tmp"},
    "app": {"/tmp"},  # noqa: S108
    "retention": {"/tmp"},  # noqa: S108
    "db": {"/var/run/postgresql", "/tmp"},  # noqa: S108
    "migrate": set(),
    "secrets": set(),
}
DB_CAPABILITIES = {"CHOWN", "DAC_READ_SEARCH", "SETGID", "SETUID"}


@pytest.fixture(scope="module")
def inspected(stack):
    """`docker inspect` of every container of the stack, exited one-shot jobs included."""
    return {service: stack.container(service) for service in SERVICES}


def processes(container):
    """{host pid: (uid, command)} of every process in a running container."""
    output = docker_cli("top", container["Name"].lstrip("/"), "-eo", "pid,uid,comm")
    rows = [line.split(None, 2) for line in output.splitlines()[1:] if line.strip()]
    return {int(pid): (int(uid), command.strip()) for pid, uid, command in rows}


@pytest.mark.parametrize("service", ["web", "app", "retention"])
def test_every_process_runs_as_the_unprivileged_user(inspected, service):
    container = inspected[service]
    assert container["Config"]["User"].split(":")[0] in {str(APP_USER), "nonroot"}
    running = processes(container)
    assert running, "no process found"
    assert {uid for uid, _ in running.values()} == {APP_USER}, running


def test_database_server_runs_as_postgres_not_root(inspected):
    # Only db's entrypoint starts as root (to own the data directory), then steps down.
    container = inspected["db"]
    running = processes(container)
    assert running[container["State"]["Pid"]] == (POSTGRES_USER, "postgres"), running
    assert {uid for uid, _ in running.values()} == {POSTGRES_USER}, running


@pytest.mark.parametrize("service", ["migrate", "secrets"])
def test_one_shot_jobs_ran_as_the_unprivileged_user(inspected, service):
    user = inspected[service]["Config"]["User"]
    assert user.split(":")[0] in {str(APP_USER), "nonroot"}, user
    assert inspected[service]["State"]["ExitCode"] == 0


@pytest.mark.parametrize("service", SERVICES)
def test_root_file_system_is_read_only(inspected, service):
    assert inspected[service]["HostConfig"]["ReadonlyRootfs"] is True


@pytest.mark.parametrize("service", SERVICES)
def test_tmpfs_only_where_needed_and_bounded(inspected, service):
    tmpfs = inspected[service]["HostConfig"].get("Tmpfs") or {}
    assert set(tmpfs) == TMPFS[service]
    for path, options in tmpfs.items():
        assert re.search(r"(^|,)size=\d+[kmg]?(,|$)", options), f"{path} has no size: {options}"


@pytest.mark.parametrize("service", SERVICES)
def test_capabilities_are_dropped_and_only_db_adds_some(inspected, service):
    host = inspected[service]["HostConfig"]
    assert host["CapDrop"] == ["ALL"]
    added = set(host.get("CapAdd") or [])
    # Docker may report them with or without the CAP_ prefix.
    added = {name.removeprefix("CAP_") for name in added}
    assert added == (DB_CAPABILITIES if service == "db" else set())
    assert host.get("Privileged") is False


@pytest.mark.parametrize("service", SERVICES)
def test_no_new_privileges(inspected, service):
    options = inspected[service]["HostConfig"].get("SecurityOpt") or []
    assert any(re.fullmatch(r"no-new-privileges(:true|=true)?", o) for o in options), options


# README, Hardening: memory, CPUs and processes per service.
LIMITS = {
    "web": (64 * 2**20, 1.0, 32),
    "app": (384 * 2**20, 1.5, 128),
    "db": (512 * 2**20, 1.5, 128),
    "retention": (160 * 2**20, 0.5, 16),
}


@pytest.mark.parametrize("service", LONG_RUNNING)
def test_memory_cpu_and_process_limits(inspected, service):
    host = inspected[service]["HostConfig"]
    memory, cpus, processes = LIMITS[service]
    assert host["Memory"] == memory
    assert host["NanoCpus"] == cpus * 10**9
    assert host.get("PidsLimit") == processes


@pytest.mark.parametrize("service", SERVICES)
def test_logs_are_rotated(inspected, service):
    log = inspected[service]["HostConfig"]["LogConfig"]
    assert log["Type"] == "json-file"
    assert log["Config"].get("max-size"), log
    assert int(log["Config"].get("max-file", "0")) >= 2, log


def test_only_web_publishes_a_port(inspected, stack):
    bindings = {
        service: {port: b for port, b in (c["HostConfig"].get("PortBindings") or {}).items() if b}
        for service, c in inspected.items()
    }
    assert {s: b for s, b in bindings.items() if b} == {
        "web": {"8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(stack.port)}]}
    }


def test_database_network_is_internal_and_web_is_not_on_it(inspected, stack):
    front, back = f"{stack.project}_front", f"{stack.project}_back"
    assert json.loads(docker_cli("network", "inspect", back))[0]["Internal"] is True
    assert json.loads(docker_cli("network", "inspect", front))[0]["Internal"] is False
    networks = {s: set(c["NetworkSettings"]["Networks"]) for s, c in inspected.items()}
    assert networks["web"] == {front}
    assert networks["db"] == {back}
    assert networks["app"] == {back}


# Connects to db:5432 and says how it went; the exit status is 0 only if it connected.
CONNECT_TO_DB = """
import socket, sys
try:
    socket.create_connection(("db", 5432), timeout=5).close()
except socket.gaierror as exc:
    print("unresolved", exc); sys.exit(3)
except OSError as exc:
    print("refused", exc); sys.exit(4)
print("connected")
"""


def run_on_network(inspected, network):
    """Runs CONNECT_TO_DB in a throwaway container of the app image on `network`."""
    command = [
        "docker",
        "run",
        "--rm",
        "--network",
        network,
        "--read-only",
        "--cap-drop",
        "ALL",
        "--security-opt",
        "no-new-privileges:true",
        "--user",
        f"{APP_USER}:{APP_USER}",
        # The image the app runs, by id: a tag might have moved on since.
        inspected["app"]["Image"],
        "python",
        "-c",
        CONNECT_TO_DB,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def test_nothing_on_nginx_network_can_reach_the_database(inspected, stack):
    result = run_on_network(inspected, f"{stack.project}_front")
    assert result.returncode in {3, 4}, result.stdout + result.stderr
    assert "connected" not in result.stdout


def test_the_database_is_reachable_from_its_own_network(inspected, stack):
    # The check above means something only if the same probe connects where it should.
    result = run_on_network(inspected, f"{stack.project}_back")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "connected"


# Tries to write in the places the app's code and dependencies live, and walks the whole file
# system for any directory the app's user could write to. Prints JSON.
WRITE_PROBE = """
import errno, json, os, sys
must_fail = ["/", "/app", "/app/visitors", "/app/visitors_site", "/app/deploy",
             "/app/staticfiles", "/opt/venv", "/opt/venv/bin", os.path.dirname(os.__file__),
             [p for p in sys.path if p.endswith("site-packages")][0], "/etc", "/usr/bin",
             "/var/tmp", "/home", os.path.expanduser("~"), "/run/secrets", "/dev"]
refused, written = {}, []
for directory in must_fail:
    target = os.path.join(directory, ".write-probe")
    try:
        with open(target, "x") as handle:
            handle.write("x")
    except OSError as exc:
        refused[directory] = errno.errorcode.get(exc.errno, str(exc.errno))
    else:
        written.append(directory)
        os.unlink(target)
writable = []
for root, dirs, _ in os.walk("/"):
    if root in ("/proc", "/sys", "/dev") or root.startswith(("/proc/", "/sys/", "/dev/")):
        dirs[:] = []
        continue
    if os.access(root, os.W_OK):
        writable.append(root)
for path in ("/tmp", "/run/gunicorn"):
    with open(os.path.join(path, ".write-probe"), "w") as handle:
        handle.write("x")
    os.unlink(os.path.join(path, ".write-probe"))
print(json.dumps({"refused": refused, "written": written, "writable": writable}))
"""


def test_app_cannot_write_outside_its_tmpfs_and_socket_volume(stack):
    found = json.loads(stack.python("app", WRITE_PROBE))
    assert found["written"] == []
    assert set(found["refused"].values()) <= {"EROFS", "EACCES"}, found["refused"]
    allowed = ("/tmp", "/run/gunicorn")  # noqa: S108 - inside the container
    unexpected = [
        path
        for path in found["writable"]
        if not any(path == a or path.startswith(a + "/") for a in allowed)
    ]
    assert unexpected == [], unexpected


EXEC_PROBE = """
import json, os, subprocess, sys
refused = {}
for directory in ("/tmp", "/run/gunicorn"):
    copy = os.path.join(directory, "planted-program")
    with open(copy, "w") as program:
        program.write(f"#!{sys.executable}\\n")
    os.chmod(copy, 0o700)
    try:
        subprocess.run([copy, "-c", "pass"], check=True)
    except PermissionError:
        refused[directory] = True
    else:
        refused[directory] = False
    finally:
        os.unlink(copy)
mounts = {line.split()[1]: line.split()[3] for line in open("/proc/mounts")}
print(json.dumps({"refused": refused, "socket volume": mounts["/run/gunicorn"]}))
"""


def test_nothing_written_by_the_app_can_be_run(stack):
    found = json.loads(stack.python("app", EXEC_PROBE))
    assert found["refused"] == {"/tmp": True, "/run/gunicorn": True}  # noqa: S108
    options = found["socket volume"].split(",")
    assert {"noexec", "nosuid", "nodev", "size=1024k"} <= set(options), options


def test_gunicorn_started_cleanly(stack):
    # The whole log: the outage tests before this one add lines for each 503 they cause.
    lines = log_lines(stack, "app")
    messages = [line["message"] for line in lines]
    assert any(m.startswith("Listening at: unix:/run/gunicorn/gunicorn.sock") for m in messages)
    assert not any("Control server error" in message for message in messages)
    for line in lines:
        assert "exception" not in line, line
        if line["logger"].startswith("gunicorn"):
            assert line["level"] not in {"ERROR", "CRITICAL"}, line


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}


@pytest.mark.parametrize("kind", ANSWER_KINDS)
def test_security_headers_on_every_kind_of_answer(stack, http, kind):
    response = answer_of_kind(stack, http, kind)
    assert response.headers["Server"] == "nginx"  # server_tokens off: no version
    for name, value in SECURITY_HEADERS.items():
        # Exactly once: a header set by both nginx and Django would read "x, x".
        assert response.headers.get(name) == value, f"{name}: {response.headers.get(name)}"
    assert "Content-Security-Policy" in response.headers


def csp_directives(header):
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.IGNORECASE)
NONCE_ATTRIBUTE = re.compile(r'\bnonce="([^"]+)"')


@pytest.mark.parametrize("path", ["/", "/no-such-page", "/admin/login/"])
def test_django_pages_have_a_strict_csp_whose_nonce_is_on_their_scripts(stack, http, path):
    response = http.get(stack.url(path), timeout=15)
    directives = csp_directives(response.headers["Content-Security-Policy"])
    script_src = directives.get("script-src", directives.get("default-src"))
    assert "'unsafe-inline'" not in script_src
    assert "'unsafe-eval'" not in script_src
    assert "*" not in script_src
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    nonces = [v.removeprefix("'nonce-").rstrip("'") for v in script_src if v.startswith("'nonce-")]
    tags = SCRIPT_TAG.findall(response.text)
    if path == "/":
        assert len(nonces) == 1, script_src
        assert tags, "the page loads no script"
    for tag in tags:
        # Every script either comes from this site ('self') or carries the header's nonce.
        match = NONCE_ATTRIBUTE.search(tag)
        if match:
            assert [match.group(1)] == nonces, tag
        else:
            assert re.search(r'\bsrc="/static/', tag), f"inline script without nonce: {tag}"


def test_nonce_changes_with_every_response(stack, http):
    seen = set()
    for _ in range(3):
        header = http.get(stack.url("/"), timeout=15).headers["Content-Security-Policy"]
        seen |= {v for v in csp_directives(header)["script-src"] if v.startswith("'nonce-")}
    assert len(seen) == 3


@pytest.mark.parametrize(
    "path, content_type",
    [("/", "text/html"), ("/api/visitors", "application/json")],
    ids=["page", "api"],
)
def test_unknown_host_is_refused(stack, http, path, content_type):
    response = http.get(stack.url(path), headers={"Host": "evil.example"}, timeout=15)
    assert_refused(response, 400, content_type, "does not answer to that host name")


def test_unknown_host_never_reaches_links(stack, http):
    # A page served for a forged host must not exist: not even the link targets leak it.
    response = http.get(stack.url("/"), headers={"Host": "evil.example"}, timeout=15)
    assert "evil.example" not in response.text


def test_an_unknown_host_costs_one_short_log_line(stack, http):
    # Any client can send any Host: it must not decide how much the app logs.
    host = "evil-" + "x" * 7000 + ".example"
    since = stack.logs("app", tail=100000)
    assert http.get(stack.url("/"), headers={"Host": host}, timeout=15).status_code == 400

    def logged():
        added = stack.logs("app", tail=100000)[len(since) :]
        assert "Refused a request for an unknown host" in added
        return added

    added = wait_until(logged, 10, "the app's log line for the unknown host")
    assert "Traceback" not in added
    assert len(added.encode()) < 600, added


# README, Graceful shutdown: gunicorn gives requests in flight 20 s; compose waits 30 s before
# it kills app or web (nginx as long, so it keeps proxying while gunicorn drains).
GUNICORN_GRACEFUL_TIMEOUT = 20
STOP_GRACE_PERIOD = 30


def gunicorn_graceful_timeout(container):
    env = dict(item.split("=", 1) for item in container["Config"]["Env"])
    return int(env.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))  # gunicorn's own default: 30


def test_nginx_stops_gracefully(inspected):
    config = inspected["web"]["Config"]
    assert config.get("StopSignal") == "SIGQUIT"
    assert config.get("StopTimeout") == STOP_GRACE_PERIOD


def test_app_gets_longer_to_stop_than_gunicorn_gives_requests(inspected):
    assert gunicorn_graceful_timeout(inspected["app"]) == GUNICORN_GRACEFUL_TIMEOUT
    assert inspected["app"]["Config"].get("StopTimeout") == STOP_GRACE_PERIOD
