"""One compose project of this repository, driven with `docker compose` from the host.

The stack tests and the benchmark both start the stack through ComposeProject, so both get
the same isolation from the caller: a project name of their own, a free port, and nothing
from the caller's shell or a `.env` file that could change the configuration under test.
"""

import copy
import dataclasses
import json
import os
import re
import secrets
import socket
import time
from pathlib import Path

from hosttools.commands import run_command
from hosttools.waiting import wait_until

REPO = Path(__file__).resolve().parents[1]

LONG_RUNNING = ("web", "app", "db", "retention")
ONE_SHOT = ("secrets", "migrate")

# Bounds for every docker call: a build from cache, or a start to healthy.
UP_TIMEOUT = 300
COMMAND_TIMEOUT = 120


class DockerError(RuntimeError):
    """A docker or docker compose command failed or did not answer in time."""


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def compose_variables(directory, files=()):
    """The names the compose files interpolate (VISITORS_PORT, GUNICORN_TIMEOUT, ...): those of
    `directory` (compose*.yaml) and of `files` (paths relative to it)."""
    paths = {*directory.glob("compose*.yaml"), *(directory / name for name in files)}
    names = set()
    for path in paths:
        names |= set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", path.read_text()))
    return names


def run_docker(command, env=None, cwd=None, check=True, timeout=COMMAND_TIMEOUT):
    """Runs a docker command; with `check`, raises DockerError on a non-zero exit."""
    return run_command(command, DockerError, env=env, cwd=cwd, check=check, timeout=timeout)


def docker_cli(*args, timeout=COMMAND_TIMEOUT):
    """Runs `docker ARGS` (for what compose has no command for) and returns its output."""
    return run_docker(["docker", *args], timeout=timeout).stdout


class ComposeProject:
    """One compose project: `docker compose` with its name, files and environment fixed.

    The environment is hermetic: the variables the compose files read are taken from here
    (the port, the image tag) or left to their defaults, never from the caller's shell or a
    `.env` file, so the stack is the one a fresh clone runs.

    `files` None means compose's own choice (compose.yaml and compose.override.yaml);
    `project` None a throwaway name starting with `prefix`; `profiles` the compose profiles
    enabled (`monitoring`), `variables` more of the variables the compose files read.
    """

    def __init__(
        self,
        directory=REPO,
        files=("compose.yaml",),
        project=None,
        prefix="visitors-test",
        port=None,
        version="test",
        profiles=(),
        variables=None,
    ):
        self.directory = Path(directory)
        self.files = list(files) if files is not None else None
        self.profiles = list(profiles)
        self.project = project or f"{prefix}-{secrets.token_hex(4)}"
        self.port = port or free_port()
        interpolated = compose_variables(self.directory, self.files or ())
        self.env = {
            key: value
            for key, value in os.environ.items()
            if key not in interpolated and not key.startswith("COMPOSE_")
        } | {
            "VISITORS_PORT": str(self.port),
            "VISITORS_BIND": "127.0.0.1",
            "VISITORS_VERSION": version,
            **(variables or {}),
        }

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"

    def url(self, path="/"):
        return self.base_url + path

    def command(self, *args):
        files = [arg for name in self.files or () for arg in ("--file", name)]
        profiles = [arg for name in self.profiles for arg in ("--profile", name)]
        return [
            "docker",
            "compose",
            "--project-name",
            self.project,
            "--project-directory",
            str(self.directory),
            "--env-file",
            os.devnull,
            *files,
            *profiles,
            *args,
        ]

    def run(self, *args, check=True, timeout=COMMAND_TIMEOUT):
        """Runs `docker compose ARGS` for this project; raises DockerError on a non-zero exit."""
        return run_docker(self.command(*args), self.env, self.directory, check, timeout)

    def variant(self, files=None, directory=None, **variables):
        """The same project (name, port) driven with other compose files, another checkout of
        the repository, or more variables (unchanged where not given).

        It shares this one's containers and volumes: close this one, never the variant.
        """
        other = copy.copy(self)
        other.files = self.files if files is None else list(files)
        other.directory = Path(directory or self.directory)
        other.env = self.env | variables
        return other

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
        except DockerError as exc:
            raise DockerError(f"{exc}\n--- logs\n{self.logs(tail=40)}") from None
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
        except DockerError as exc:
            print(f"\nteardown of {self.project} failed: {exc}")

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

    def state(self, service):
        """What matters of the service's container for a restart: see ContainerState."""
        return ContainerState.of(self.container(service))

    def wait_healthy(self, *services, timeout=UP_TIMEOUT, interval=0.5, started=None):
        """Waits until each service's container runs and its healthcheck passes; returns the
        seconds since `started` (a time.monotonic(); default: now)."""
        started = started or time.monotonic()
        services = services or LONG_RUNNING

        def all_healthy():
            rows = self.ps()
            waiting = {
                name: (rows.get(name) or {}).get("Health") or "no container"
                for name in services
                if (rows.get(name) or {}).get("State") != "running"
                or rows[name].get("Health") != "healthy"
            }
            assert not waiting, f"not healthy yet: {waiting}"
            return True

        remaining = timeout - (time.monotonic() - started)
        wait_until(all_healthy, remaining, f"{', '.join(services)} of {self.project} healthy",
                   interval)  # fmt: skip
        return time.monotonic() - started

    def exec(self, service, *command, timeout=COMMAND_TIMEOUT):
        return self.run("exec", "-T", service, *command, timeout=timeout).stdout

    def python(self, service, code):
        """Runs Python code in a running service container (the app images have no shell)."""
        return self.exec(service, "python", "-c", code)

    def credentials(self):
        """What `manage.py credentials` prints: {'admin username': ..., 'API token': ...}.

        It runs in the migrate job's container: the app is not given the admin password.
        """
        command = ["run", "--rm", "--no-deps", "migrate", "python", "manage.py", "credentials"]
        output = self.run(*command).stdout
        pairs = (line.split(":", 1) for line in output.splitlines() if ":" in line)
        return {key.strip(): value.strip() for key, value in pairs}

    def script_env(self):
        """The environment for a script that runs a bare `docker compose` (deploy/backup)."""
        return self.env | {
            "COMPOSE_PROJECT_NAME": self.project,
            "COMPOSE_FILE": os.pathsep.join(self.files or ["compose.yaml"]),
            "COMPOSE_ENV_FILES": os.devnull,
            "COMPOSE_PROFILES": ",".join(self.profiles),
        }

    def run_script(self, script, *args, timeout=COMMAND_TIMEOUT):
        """Runs a script of the checkout (deploy/backup, ...) for this project, in its folder."""
        command = [str(self.directory / script), *map(str, args)]
        return run_docker(command, self.script_env(), self.directory, timeout=timeout).stdout

    def psql(self, sql, service="db"):
        """Runs SQL in the database as the stack's database user; returns psql's bare output.

        `service`: another service running PostgreSQL with the same users (a test's standby).
        """
        return self.exec(
            service, "psql", "--username", "visitors", "--dbname", "visitors",
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
