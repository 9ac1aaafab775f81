"""The benchmark's own compose project: production compose.yaml plus bench/compose.bench.yaml.

Every command has a timeout, so a hung docker call ends the run instead of stalling it.
"""

import json
import os
import re
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

PROJECT = "visitors-bench"
LONG_RUNNING = ("web", "app", "db")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def parse_size(text):
    """'45.2MiB' -> MiB as a float (docker stats units)."""
    match = re.match(r"([\d.]+)\s*([KMGT]?i?B)", text.strip())
    if not match:
        return 0.0
    value, unit = float(match[1]), match[2]
    scale = {"B": 1 / 2**20, "kB": 1 / 1024, "KiB": 1 / 1024, "MiB": 1, "MB": 1, "GiB": 1024}
    return value * scale.get(unit, 1)


class Stack:
    def __init__(self, repo, port, version="bench"):
        self.repo = Path(repo)
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"
        self.env = dict(
            os.environ, VISITORS_VERSION=version, VISITORS_PORT=str(port), VISITORS_BIND="127.0.0.1"
        )
        # Nothing from the caller's shell may switch the production settings under test.
        for name in (
            "GUNICORN_WORKERS",
            "GUNICORN_THREADS",
            "GUNICORN_ACCESS_LOG",
            "DATABASE_POOL",
            "DATABASE_CONN_MAX_AGE",
            "DATABASE_POOL_MIN_SIZE",
            "DATABASE_POOL_MAX_SIZE",
            "DJANGO_DEBUG",
        ):
            self.env.pop(name, None)

    def compose_args(self, root=None):
        root = Path(root or self.repo)
        # --env-file /dev/null: a developer's .env must not change the production settings.
        return [
            "docker",
            "compose",
            "-p",
            PROJECT,
            "--project-directory",
            str(root),
            "--env-file",
            "/dev/null",
            "-f",
            str(root / "compose.yaml"),
            "-f",
            str(root / "bench" / "compose.bench.yaml"),
        ]

    def compose(self, *args, env=None, root=None, timeout=300, capture=True, check=True):
        result = subprocess.run(
            [*self.compose_args(root), *args],
            env=dict(self.env, **(env or {})),
            capture_output=capture,
            text=True,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise RuntimeError(f"docker compose {' '.join(args)} failed:\n{result.stderr}")
        return result.stdout if capture else ""

    # --- lifecycle ------------------------------------------------------------------------
    def build(self):
        self.compose("build", timeout=900)

    def up(self, *args, env=None, root=None):
        self.compose("up", "-d", *args, env=env, root=root, timeout=300)

    def down(self, volumes=True):
        args = ["down", "--remove-orphans", "--timeout", "10"] + (["-v"] if volumes else [])
        self.compose(*args, timeout=180, check=False)

    def states(self):
        out = self.compose("ps", "-a", "--format", "json", timeout=30)
        rows = (
            json.loads(out)
            if out.strip().startswith("[")
            else [json.loads(line) for line in out.splitlines() if line.strip()]
        )
        return {row["Service"]: row for row in rows}

    def wait_healthy(self, services=LONG_RUNNING, timeout=120, start=None):
        """Seconds since `start` until every service runs healthy; raises after `timeout`."""
        start = start or time.monotonic()
        while time.monotonic() - start < timeout:
            states = self.states()
            if all(states.get(s, {}).get("Health") == "healthy" for s in services):
                return time.monotonic() - start
            time.sleep(0.2)
        raise RuntimeError(f"not healthy within {timeout}s: {self.states()}")

    def wait_http(self, path="/health", timeout=60, start=None):
        start = start or time.monotonic()
        while time.monotonic() - start < timeout:
            try:
                with urllib.request.urlopen(self.base_url + path, timeout=2) as answer:
                    if answer.status == 200:
                        return time.monotonic() - start
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{path} did not answer 200 within {timeout}s")

    # --- containers -----------------------------------------------------------------------
    def container(self, service):
        cid = self.compose("ps", "-q", service, timeout=30).strip()
        if not cid:
            raise RuntimeError(f"service {service} has no container")
        return cid

    def host_pid(self, service):
        out = subprocess.run(
            ["docker", "inspect", "-f", "{{.State.Pid}}", self.container(service)],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout
        return int(out)

    def exec(self, service, *cmd, timeout=300):
        return self.compose("exec", "-T", service, *cmd, timeout=timeout)

    def worker_pids(self):
        """Host pids of the gunicorn workers (children of the gunicorn master)."""
        out = subprocess.run(
            ["docker", "top", self.container("app"), "-eo", "pid,ppid,args"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout
        rows = [line.split(None, 2) for line in out.splitlines()[1:]]
        gunicorn = {int(r[0]): int(r[1]) for r in rows if len(r) == 3 and "gunicorn" in r[2]}
        return sorted(pid for pid, ppid in gunicorn.items() if ppid in gunicorn)

    def memory(self):
        """MiB used by each long-running container now (docker stats, one sample)."""
        ids = {self.container(s): s for s in LONG_RUNNING}
        out = subprocess.run(
            [
                "docker",
                "stats",
                "--no-stream",
                "--format",
                "{{.ID}}\t{{.MemUsage}}\t{{.CPUPerc}}",
                *ids,
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
        usage = {}
        for line in out.splitlines():
            short_id, mem, _cpu = line.split("\t")
            service = next(s for cid, s in ids.items() if cid.startswith(short_id))
            usage[service] = round(parse_size(mem.split("/")[0]), 1)
        usage["total"] = round(sum(usage[s] for s in LONG_RUNNING), 1)
        return usage
