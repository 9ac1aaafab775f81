"""Running wrk, from the host or inside the web container's network namespace, and parsing it.

wrk competes with the stack for this machine's 2 cores, so it gets one thread up to 16
connections and two above (wrk needs one thread per core to keep 64 connections busy).
Every run has a fixed duration (-d) and a subprocess timeout on top.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

LUA_DIR = Path(__file__).resolve().parent.parent / "lua"
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def ensure_wrk():
    """wrk on PATH, installed from Debian's package when running as root; else exit with how."""
    if shutil.which("wrk"):
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk is missing: installing Debian's package", flush=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "wrk"],
            check=False,
            timeout=300,
            env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"),
        )
        if not shutil.which("wrk"):
            subprocess.run(["apt-get", "update", "-q"], check=False, timeout=300)
            subprocess.run(
                ["apt-get", "install", "-y", "-q", "wrk"],
                check=True,
                timeout=300,
                env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"),
            )
        return
    sys.exit(
        "bench: wrk is missing. Install it first: sudo apt-get install wrk (Debian/Ubuntu), "
        "or build https://github.com/wg/wrk and put it on PATH."
    )


def threads_for(connections):
    return 1 if connections <= 16 else 2


def parse(output):
    match = re.search(r"^BENCH_RESULT (.*)$", output, re.MULTILINE)
    if not match:
        raise RuntimeError(f"wrk gave no result line:\n{output}")
    fields = dict(item.split("=", 1) for item in match[1].split())
    statuses = {}
    for pair in filter(None, fields.pop("statuses").split(",")):
        status, count = pair.split("=")
        statuses[int(status)] = int(count)
    numbers = {key: int(value) for key, value in fields.items()}
    # p99 from wrk's own --latency distribution (same histogram as the script's percentile).
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)$", output, re.MULTILINE)
    seconds = numbers["duration_us"] / 1e6
    return {
        "rps": round(numbers["requests"] / seconds, 1),
        "requests": numbers["requests"],
        "p50_ms": round(numbers["p50_us"] / 1000, 2),
        "p99_ms": round(float(p99[1]) * UNITS[p99[2]], 2)
        if p99
        else round(numbers["p99_us"] / 1000, 2),
        "max_ms": round(numbers["max_us"] / 1000, 2),
        "socket_errors": {k: numbers[k] for k in ("connect", "read", "write", "timeout")},
        "statuses": statuses,
    }


def start(url, script, connections, duration, env=None, netns_pid=None):
    """Start one wrk run in the background; netns_pid runs the host's wrk inside that
    process's network namespace (nsenter), so it reaches nginx without the published port."""
    cmd = [
        "wrk",
        f"-t{threads_for(connections)}",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(LUA_DIR / script),
        url,
    ]
    if netns_pid:
        cmd = ["nsenter", f"--net=/proc/{netns_pid}/ns/net", *cmd]
    return subprocess.Popen(
        cmd,
        env=dict(os.environ, BENCH_LUA_DIR=str(LUA_DIR), **(env or {})),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process, duration):
    try:
        out, err = process.communicate(timeout=duration + 60)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    if process.returncode != 0:
        raise RuntimeError(f"wrk failed ({process.returncode}): {err}{out}")
    return parse(out)


def run(url, script, connections, duration, env=None, netns_pid=None):
    return finish(start(url, script, connections, duration, env, netns_pid), duration)
