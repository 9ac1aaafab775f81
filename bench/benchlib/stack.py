"""The benchmark's compose project, and what the benchmark reads of its containers.

The project is the production compose.yaml plus bench/compose.bench.yaml, driven by the same
ComposeProject as the stack tests (hosttools/compose_project.py): nothing from the caller's
shell or a `.env` file changes what is measured. Every docker call has a timeout, so a hung
one ends the run instead of stalling it.
"""

import re
import time
import urllib.request

from hosttools.compose_project import (
    LONG_RUNNING,
    REPO,
    UP_TIMEOUT,
    ComposeProject,
    docker_cli,
)
from hosttools.waiting import wait_until

PROJECT = "visitors-bench"
FILES = ("compose.yaml", "bench/compose.bench.yaml")


def bench_project(port=None, directory=REPO):
    """The project "visitors-bench" on `port` (default: a free one), images tagged bench."""
    return ComposeProject(directory, files=FILES, project=PROJECT, port=port, version="bench")


def start(stack, *args, env=None, directory=None):
    """`up --detach ARGS`, with more variables or from another checkout of the repository;
    returns at once (callers time how long the services take to become healthy)."""
    project = stack.variant(directory=directory, **(env or {}))
    project.run("up", "--detach", *args, timeout=UP_TIMEOUT)


def recreate_app(stack, env):
    """Recreates only the app container with `env` added; returns once /health answers 200
    through nginx."""
    started = time.monotonic()
    start(stack, "--no-deps", "--force-recreate", "app", env=env)
    stack.wait_healthy("app", timeout=120, interval=0.2, started=started)
    wait_http(stack, "/health", started=started)


def parse_size(text):
    """'45.2MiB' -> MiB as a float (docker stats units)."""
    match = re.match(r"([\d.]+)\s*([KMGT]?i?B)", text.strip())
    if not match:
        return 0.0
    value, unit = float(match[1]), match[2]
    scale = {"B": 1 / 2**20, "kB": 1 / 1024, "KiB": 1 / 1024, "MiB": 1, "MB": 1, "GiB": 1024}
    return value * scale.get(unit, 1)


def wait_http(stack, path="/health", timeout=60, started=None):
    """Seconds since `started` (time.monotonic(); default now) until GET path answers 200."""
    started = started or time.monotonic()

    def answered():
        with urllib.request.urlopen(stack.url(path), timeout=2) as answer:
            return answer.status == 200

    remaining = timeout - (time.monotonic() - started)
    wait_until(answered, remaining, f"{path} to answer 200", interval=0.1)
    return time.monotonic() - started


def worker_pids(stack):
    """Host pids of the gunicorn workers (children of the gunicorn master)."""
    output = docker_cli("top", stack.ps()["app"]["Name"], "-eo", "pid,ppid,args")
    rows = [line.split(None, 2) for line in output.splitlines()[1:]]
    gunicorn = {int(r[0]): int(r[1]) for r in rows if len(r) == 3 and "gunicorn" in r[2]}
    return sorted(pid for pid, ppid in gunicorn.items() if ppid in gunicorn)


def memory(stack):
    """MiB used by each long-running container now (docker stats, one sample)."""
    rows = stack.ps()
    names = {rows[service]["Name"]: service for service in LONG_RUNNING}
    output = docker_cli(
        "stats", "--no-stream", "--format", "{{.Name}}\t{{.MemUsage}}", *names, timeout=60
    )
    usage = {}
    for line in output.splitlines():
        name, used = line.split("\t")
        usage[names[name]] = round(parse_size(used.split("/")[0]), 1)
    usage["total"] = round(sum(usage[service] for service in LONG_RUNNING), 1)
    return usage
