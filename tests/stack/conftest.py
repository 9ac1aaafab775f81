"""Fixtures and helpers for the black-box stack tests.

The tests drive the real stack from the outside: `docker compose` for the containers, HTTP to
the port nginx publishes on 127.0.0.1, and Chromium through Playwright. Every stack they start
has a throwaway project name and a free port, and is removed at the end whatever happens, so a
stack running elsewhere on the machine is never touched and never in the way.

Test modules import the plain helpers from here (`from conftest import wait_until`).
"""

import copy
import dataclasses
import itertools
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]

CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Keeps the browser on this machine: any other host name fails to resolve.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]

LONG_RUNNING = ("web", "app", "db")
ONE_SHOT = ("secrets", "migrate")

# Bounds for every docker compose call: a build from cache, or a start to healthy.
UP_TIMEOUT = 300
COMMAND_TIMEOUT = 120

# Modules run in this order: the ones that stop services or restart the stack come last, and
# the development stack (a second stack) runs after the production one is done with. A module
# not named here runs at the "*", so a new module always runs, before the failure scenarios.
MODULE_ORDER = (
    "test_stack_health",
    "test_through_nginx",
    "test_browser",
    "test_isolation",
    "test_persistence",
    "test_database_outage",
    "*",
    # Failure scenarios: each breaks something on purpose and checks how the stack recovers.
    "test_crash_recovery",
    "test_database_restart",
    "test_app_upgrade",
    "test_backup_restore",
    "test_disk_full",
    # Can restart the Docker daemon itself, which every stack on the machine feels: last.
    "test_data_survival",
    "test_dev_reload",
)


def unavailable(reason):
    """Skips a test whose tool is missing; under CI a missing tool fails it instead."""
    if CI:
        pytest.fail(f"{reason} (CI=true: a missing tool is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


def wait_until(predicate, timeout, what, interval=0.2):
    """Calls predicate until it returns something truthy, and returns that.

    An exception from predicate counts as "not yet" (a refused connection, a failed assert).
    After `timeout` seconds an AssertionError names `what` and the last outcome.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = predicate()
        except Exception as exc:
            last = f"{type(exc).__name__}: {exc}"
        else:
            if result:
                return result
            last = repr(result)
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}; last: {last}")
        time.sleep(interval)


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http_session():
    """A requests session that ignores proxy settings from the environment (traffic is local)."""
    session = requests.Session()
    session.trust_env = False
    return session


def compose_variables(directory):
    """The names the compose files of `directory` interpolate, such as VISITORS_PORT."""
    names = set()
    for path in directory.glob("compose*.yaml"):
        names |= set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", path.read_text()))
    return names


class Compose:
    """One compose project: `docker compose` with its name, files and environment fixed.

    The environment is hermetic: the variables the compose files read are taken from here
    (the test port, the `test` image tag) or left to their defaults, never from the caller's
    shell or a `.env` file, so the stack under test is the one a fresh clone runs.
    """

    def __init__(self, directory, files=None, prefix="visitors-test"):
        self.directory = Path(directory)
        self.files = files
        self.project = f"{prefix}-{secrets.token_hex(4)}"
        self.port = free_port()
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in compose_variables(self.directory) and not key.startswith("COMPOSE_")
        }
        env |= {
            "VISITORS_PORT": str(self.port),
            "VISITORS_BIND": "127.0.0.1",
            "VISITORS_VERSION": "test",
        }
        self.env = env
        self._empty_env_file = tempfile.NamedTemporaryFile(  # noqa: SIM115 - lives with self
            prefix="visitors-test-", suffix=".env"
        )

    def command(self, *args):
        files = [arg for name in self.files or () for arg in ("--file", name)]
        return [
            "docker",
            "compose",
            "--project-name",
            self.project,
            "--project-directory",
            str(self.directory),
            "--env-file",
            self._empty_env_file.name,
            *files,
            *args,
        ]

    def execute(self, command, env, check, timeout):
        """Runs `command` in the checkout; with `check`, fails the test on a non-zero exit."""
        try:
            result = subprocess.run(
                command,
                cwd=self.directory,
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise AssertionError(f"{' '.join(command)}: no answer within {timeout} s") from exc
        if check and result.returncode != 0:
            raise AssertionError(
                f"{' '.join(command)} exited {result.returncode}\n"
                f"--- stdout\n{result.stdout[-4000:]}\n--- stderr\n{result.stderr[-4000:]}"
            )
        return result

    def run(self, *args, check=True, timeout=COMMAND_TIMEOUT):
        """Runs `docker compose ARGS` for this project; fails the test on a non-zero exit."""
        return self.execute(self.command(*args), self.env, check, timeout)

    def up(self, build=False, recreate=False):
        """Starts the stack and waits until every service is healthy; returns the seconds taken."""
        started = time.monotonic()
        args = ["up", "--detach", "--wait", "--wait-timeout", str(UP_TIMEOUT - 30)]
        if build:
            args.append("--build")
        if recreate:
            args.append("--force-recreate")
        try:
            self.run(*args, timeout=UP_TIMEOUT)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n--- logs\n{self.logs(tail=40)}") from None
        return time.monotonic() - started

    def down(self, volumes=False):
        args = ["down", "--remove-orphans", "--timeout", "30"]
        if volumes:
            args.append("--volumes")
        self.run(*args, timeout=COMMAND_TIMEOUT)

    def close(self):
        """Removes everything of this project, volumes included; never raises."""
        try:
            self.down(volumes=True)
        except AssertionError as exc:
            print(f"\nteardown of {self.project} failed: {exc}")
        self._empty_env_file.close()

    def logs(self, *services, tail=200):
        result = self.run("logs", "--no-color", "--tail", str(tail), *services, check=False)
        return result.stdout + result.stderr

    def ps(self):
        """Every container of the project, exited ones too: service name -> compose's JSON."""
        output = self.run("ps", "--all", "--format", "json").stdout.strip()
        # Compose prints one JSON object per line (older versions: one JSON array).
        if output.startswith("["):
            rows = json.loads(output)
        else:
            rows = [json.loads(line) for line in output.splitlines() if line.strip()]
        return {row["Service"]: row for row in rows}

    def container(self, service):
        """`docker inspect` of the service's container."""
        return json.loads(docker_cli("inspect", self.ps()[service]["Name"]))[0]

    def exec(self, service, *command):
        return self.run("exec", "-T", service, *command).stdout

    def python(self, service, code):
        """Runs Python code in a running service container (the app images have no shell)."""
        return self.exec(service, "python", "-c", code)

    def credentials(self):
        """What `manage.py credentials` prints: {'admin username': ..., 'API token': ...}."""
        output = self.exec("app", "python", "manage.py", "credentials")
        pairs = (line.split(":", 1) for line in output.splitlines() if ":" in line)
        return {key.strip(): value.strip() for key, value in pairs}

    def url(self, path="/"):
        return f"http://127.0.0.1:{self.port}{path}"

    def variant(self, files, **variables):
        """The same project (name, port, folder) driven with other compose files or variables.

        It shares this one's containers and volumes: close this one, never the variant.
        """
        other = copy.copy(self)
        other.files = files
        other.env = self.env | variables
        return other

    def state(self, service):
        """What matters of the service's container for a restart: see ContainerState."""
        return ContainerState.of(self.container(service))

    def wait_healthy(self, *services, timeout=UP_TIMEOUT):
        """Waits until each service's container runs and its healthcheck passes."""
        services = services or LONG_RUNNING

        def all_healthy():
            states = {service: self.state(service) for service in services}
            waiting = {name: state.health for name, state in states.items() if not state.healthy}
            assert not waiting, f"not healthy yet: {waiting}"
            return True

        wait_until(all_healthy, timeout, f"{', '.join(services)} of {self.project} healthy", 0.5)

    def script_env(self):
        """The environment for a script that runs a bare `docker compose` (deploy/backup)."""
        return self.env | {
            "COMPOSE_PROJECT_NAME": self.project,
            "COMPOSE_FILE": os.pathsep.join(self.files or ["compose.yaml"]),
            "COMPOSE_ENV_FILES": self._empty_env_file.name,
        }

    def run_script(self, script, *args, timeout=COMMAND_TIMEOUT):
        """Runs a script of the checkout (deploy/backup, ...) for this project, in its folder."""
        command = [str(self.directory / script), *map(str, args)]
        return self.execute(command, self.script_env(), check=True, timeout=timeout).stdout

    def psql(self, sql):
        """Runs SQL in the database as the stack's database user; returns psql's bare output."""
        return self.exec(
            "db", "psql", "--username", "visitors", "--dbname", "visitors",
            "--no-psqlrc", "--set", "ON_ERROR_STOP=1", "--tuples-only", "--no-align",
            "--command", sql,
        ).strip()  # fmt: skip

    def export_visitors(self):
        """Every visitor, newest first, as `manage.py export_visitors --format json` gives them."""
        output = self.exec("app", "python", "manage.py", "export_visitors", "--format", "json")
        return json.loads(output)


@dataclasses.dataclass(frozen=True)
class ContainerState:
    """A container's identity and health: a restart changes started_at and restarts."""

    id: str
    image: str
    started_at: str
    restarts: int
    running: bool
    health: str
    pid: int

    @classmethod
    def of(cls, inspected):
        state = inspected["State"]
        return cls(
            id=inspected["Id"],
            image=inspected["Image"],
            started_at=state["StartedAt"],
            restarts=inspected["RestartCount"],
            running=state["Running"],
            health=(state.get("Health") or {}).get("Status", "none"),
            pid=state["Pid"],
        )

    @property
    def healthy(self):
        return self.running and self.health == "healthy"

    @property
    def start(self):
        """Unchanged means the container was not started again (by compose or by Docker)."""
        return self.id, self.started_at, self.restarts


def docker_cli(*args):
    """Runs `docker ARGS` (for what compose has no command for) and returns its output."""
    result = subprocess.run(
        ["docker", *args],
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, f"docker {' '.join(args)}: {result.stderr}"
    return result.stdout


def docker_is_usable():
    if shutil.which("docker") is None:
        return "docker is not installed"
    try:
        subprocess.run(
            ["docker", "compose", "version"],
            capture_output=True,
            timeout=30,
            check=True,
        )
        subprocess.run(["docker", "info"], capture_output=True, timeout=30, check=True)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        return f"docker is not usable: {exc}"
    return None


@pytest.fixture(scope="session")
def docker():
    problem = docker_is_usable()
    if problem:
        unavailable(problem)


TIMINGS = pytest.StashKey[dict]()


@pytest.fixture(scope="session")
def timings(request):
    """Figures the run reports at the end (see pytest_terminal_summary): name -> seconds."""
    return request.config.stash.setdefault(TIMINGS, {})


@pytest.fixture(scope="session")
def stack(docker, timings):
    """The production stack (compose.yaml only), built and healthy, removed after the session."""
    production = Compose(REPO, files=["compose.yaml"])
    try:
        seconds = production.up(build=True)
        timings["production: up --build start -> every service healthy"] = seconds
        print(f"\n{production.project}: healthy {seconds:.1f} s after `up` started")
        yield production
    finally:
        production.close()


@pytest.fixture(scope="session")
def api_token(stack):
    token = stack.credentials()["API token"]
    assert token and token != "(not set)", "the stack has no API token"
    return token


@pytest.fixture
def http():
    with http_session() as session:
        yield session


@pytest.fixture
def api(stack, api_token, http):
    """Calls the API: api("POST", "/api/visitors", json=...) with the token, or token=None."""

    def call(method, path, token=api_token, **kwargs):
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return http.request(method, stack.url(path), headers=headers, timeout=10, **kwargs)

    return call


# One request for each kind of answer the stack gives: the app's pages, errors and JSON,
# nginx's static files and nginx's own error pages. Tests check what every kind has in common.
ANSWER_KINDS = {
    "page": ("GET", "/", 200),
    "health": ("GET", "/health", 200),
    "app 404": ("GET", "/no-such-page", 404),
    "api list": ("GET", "/api/visitors", 200),
    "api 401": ("POST", "/api/visitors", 401),
    "admin login": ("GET", "/admin/login/", 200),
    "static": ("GET", "/static/visitors/site.css", 200),
    "static 404": ("GET", "/static/no-such-file.js", 404),
    "nginx 413 page": ("POST-LARGE", "/", 413),
    "nginx 413 json": ("POST-LARGE", "/api/visitors", 413),
}


def answer_of_kind(stack, http, kind):
    """Sends the request of ANSWER_KINDS[kind] and checks its status; returns the response."""
    method, path, status = ANSWER_KINDS[kind]
    body = None
    if method == "POST-LARGE":
        method, body = "POST", b"a" * 100_000  # over nginx's 64k client_max_body_size
    response = http.request(method, stack.url(path), data=body, timeout=15)
    assert response.status_code == status
    return response


def unique(label):
    """A visitor name no other test (or earlier run) uses."""
    return f"{label} {secrets.token_hex(3)}"


# What nginx answers itself while the app cannot be reached (502/503/504): JSON under /api.
NGINX_UNAVAILABLE_JSON = json.loads((REPO / "deploy/web/errors/retry/unavailable.json").read_text())
NGINX_UNAVAILABLE_PAGE = (REPO / "deploy/web/errors/retry/unavailable.html").read_text()


@dataclasses.dataclass
class Answer:
    """One request of a test's traffic and what came back (status None: no HTTP answer)."""

    method: str
    path: str
    started: float  # time.monotonic()
    ended: float = 0.0
    status: int | None = None
    headers: dict = dataclasses.field(default_factory=dict)
    text: str = ""
    error: str | None = None

    @property
    def ok(self):
        return self.status in (200, 201)

    def json(self):
        try:
            return json.loads(self.text)
        except ValueError:
            return None

    @property
    def from_nginx(self):
        """A 503 that nginx answered itself: the app was not there (stopped or starting)."""
        if self.status != 503:
            return False
        if self.path.startswith("/api/"):
            return self.json() == NGINX_UNAVAILABLE_JSON
        return self.text == NGINX_UNAVAILABLE_PAGE

    @property
    def clean_503(self):
        """503 with Retry-After: JSON with an "error" under /api, an HTML page elsewhere."""
        if self.status != 503 or not self.headers.get("Retry-After", "").isdigit():
            return False
        if "Traceback" in self.text:
            return False
        content_type = self.headers.get("Content-Type", "")
        if self.path.startswith("/api/"):
            body = self.json()
            return content_type == "application/json" and isinstance(body, dict) and "error" in body
        return content_type.startswith("text/html")

    def describe(self):
        outcome = self.error or f"{self.status} {self.headers.get('Content-Type', '')}"
        return f"{self.method} {self.path} at {self.started:.2f}: {outcome} {self.text[:200]!r}"


def send(session, method, path, url, token=None, body=None, timeout=40):
    """Sends one request and returns its Answer; a failure to get any answer is kept too.

    The timeout is longer than nginx's proxy_read_timeout, so nginx always answers first.
    """
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    answer = Answer(method, path, started=time.monotonic())
    try:
        response = session.request(
            method, url, json=body, headers=headers, timeout=timeout, allow_redirects=False
        )
    except requests.RequestException as exc:
        answer.error = f"{type(exc).__name__}: {exc}"
    else:
        answer.status = response.status_code
        answer.headers = dict(response.headers)
        answer.text = response.text
    answer.ended = time.monotonic()
    return answer


class Traffic:
    """Requests from background threads at a bounded pace; every answer is kept in order.

    plan(n) gives the n-th request as (method, path, JSON body or None); POSTs carry the token.
    Each thread sends one request, then waits `interval` seconds; the whole stops after
    `max_requests` requests or `max_seconds`, whichever comes first, or when the `with`
    block ends.
    """

    def __init__(self, stack, plan, token, interval, threads=1, max_requests=300, max_seconds=120):
        self.stack = stack
        self.plan = plan
        self.token = token
        self.interval = interval
        self.max_requests = max_requests
        self.deadline = time.monotonic() + max_seconds
        self.answers = []
        self._numbers = itertools.count()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._send, daemon=True) for _ in range(threads)]

    def __enter__(self):
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def _send(self):
        with http_session() as session:
            while not self._stop.is_set() and time.monotonic() < self.deadline:
                with self._lock:
                    number = next(self._numbers)
                if number >= self.max_requests:
                    return
                method, path, body = self.plan(number)
                token = self.token if method != "GET" else None
                answer = send(session, method, path, self.stack.url(path), token, body)
                with self._lock:
                    self.answers.append(answer)
                self._stop.wait(self.interval)

    def snapshot(self):
        with self._lock:
            return list(self.answers)

    def since(self, moment):
        """The answers to requests sent at or after `moment` (time.monotonic())."""
        return [answer for answer in self.snapshot() if answer.started >= moment]

    def wait_for(self, count, what, timeout, since=0.0):
        """Waits until `count` answers sent since `since` pass what(answer); returns them."""

        def enough():
            matching = [answer for answer in self.since(since) if what(answer)]
            return matching if len(matching) >= count else None

        description = f"{count} answers passing {getattr(what, '__name__', what)}"
        return wait_until(enough, timeout, description, interval=0.1)


def create_visitors(stack, token, visitors):
    """Posts each visitor (a dict of fields) through the API; returns what the 201s gave back."""
    created = []
    with http_session() as session:
        for visitor in visitors:
            response = session.post(
                stack.url("/api/visitors"),
                json=visitor,
                headers={"Authorization": f"Bearer {token}"},
                timeout=10,
            )
            assert response.status_code == 201, response.text
            created.append(response.json())
    return created


def created_visitors(answers):
    """The visitors the API acknowledged (201) among the answers."""
    return [answer.json() for answer in answers if answer.status == 201]


def visitors_not_kept(stack, visitors):
    """The acknowledged visitors that GET /api/visitors/<id> does not give back unchanged."""
    missing = []
    with http_session() as session:
        for visitor in visitors:
            response = session.get(stack.url(f"/api/visitors/{visitor['id']}"), timeout=10)
            if response.status_code != 200 or response.json() != visitor:
                missing.append((visitor, response.status_code, response.text[:200]))
    return missing


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright is not installed (pip install -r tests/stack/requirements.txt)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_page(browser, stack):
    """Opens pages in fresh browser contexts: new_page(java_script_enabled=False)."""
    contexts = []

    def open_page(**options):
        context = browser.new_context(base_url=stack.url(), **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def pytest_collection_modifyitems(items):
    def rank(item):
        name = item.path.stem
        return MODULE_ORDER.index(name if name in MODULE_ORDER else "*")

    items.sort(key=rank)  # stable: the tests of a module keep their order


def pytest_terminal_summary(terminalreporter, config):
    """Prints the figures: a number is seconds; a (number, unit) pair is a count or a size."""
    figures = config.stash.get(TIMINGS, {})
    if figures:
        terminalreporter.write_sep("-", "stack timings")
        for name, figure in figures.items():
            value, unit = figure if isinstance(figure, tuple) else (figure, "s")
            number = f"{value:7d}" if isinstance(value, int) else f"{value:7.2f}"
            terminalreporter.write_line(f"{number} {unit}  {name}")
