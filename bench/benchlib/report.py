"""The machine description and the result files (JSON for tools, Markdown for people)."""

import json
import os
import subprocess
import time
from pathlib import Path


def _run(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def load_average():
    return [round(x, 2) for x in os.getloadavg()]


def other_containers(project):
    names = _run("docker", "ps", "--format", "{{.Names}}").split()
    return sorted(n for n in names if not n.startswith(project + "-"))


def machine(project):
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown",
    )
    mem_kib = int(
        next(
            line.split()[1]
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
    )
    others = other_containers(project)
    return {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "nproc": os.cpu_count(),
        "cpu_model": cpu,
        "memory_gib": round(mem_kib / 2**20, 1),
        "kernel": _run("uname", "-r"),
        "docker": _run("docker", "version", "--format", "{{.Server.Version}}"),
        "compose": _run("docker", "compose", "version", "--short"),
        "wrk": _run("sh", "-c", "wrk --version 2>&1 | head -1").split(" [")[0],
        "load_average_at_start": load_average(),
        "other_containers_at_start": len(others),
    }


def _fmt(row, key, digits=0):
    return f"{row[key]:.{digits}f}" if row else "-"


def markdown(results):
    m = results["machine"]
    out = [
        f"# Visitors benchmark ({'quick' if results['settings']['quick'] else 'full'} run)",
        "",
        f"- date: {m['date']}; machine: {m['nproc']} CPUs ({m['cpu_model']}), "
        f"{m['memory_gib']} GiB RAM, kernel {m['kernel']}",
        f"- docker {m['docker']}, compose {m['compose']}, {m['wrk']}",
        f"- load average at start {m['load_average_at_start']}, "
        f"at end {m.get('load_average_at_end')}; "
        f"{m['other_containers_at_start']} containers of other projects were running "
        "(shared machine: expect noise of a few to ~20 %)",
        f"- settings: {results['settings']}",
        "",
        "## Throughput and latency (median of the runs; wrk -t1 at 16 connections, -t2 at 64)",
        "",
        "| case | 16 conn req/s | p50 ms | p99 ms | 64 conn req/s | p50 ms | p99 ms "
        "| inside network 64 conn req/s | p99 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    pub, inside = results["published"], results["inside"]
    for key, label in results["cases"].items():
        a, b, c = pub["16"].get(key), pub["64"].get(key), inside["64"].get(key)
        out.append(
            f"| {label} | {_fmt(a, 'rps')} | {_fmt(a, 'p50_ms', 1)} | {_fmt(a, 'p99_ms', 1)} "
            f"| {_fmt(b, 'rps')} | {_fmt(b, 'p50_ms', 1)} | {_fmt(b, 'p99_ms', 1)} "
            f"| {_fmt(c, 'rps')} | {_fmt(c, 'p99_ms', 1)} |"
        )
    alone = pub.get("1", {})
    if alone:
        out += [
            "",
            "## One connection (published port): what a request costs without waiting for others",
            "",
            "| case | req/s | p50 ms | p99 ms |",
            "|---|---:|---:|---:|",
        ]
        for key, row in alone.items():
            out.append(
                f"| {results['cases'][key]} | {_fmt(row, 'rps')} | {_fmt(row, 'p50_ms', 1)} "
                f"| {_fmt(row, 'p99_ms', 1)} |"
            )
    out += [
        "",
        "## Reference configurations (64 connections, published port)",
        "",
        "| configuration | environment | GET / req/s | p99 ms | GET /api/visitors req/s | p99 ms "
        "| floor req/s | p99 ms |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    refs = {
        "project": {
            "env": "production defaults (compose.yaml: 2 workers x 4 threads, pool 2..4)",
            "64": pub["64"],
        }
    }
    refs.update(results["references"])
    for name, ref in refs.items():
        r = ref["64"]
        out.append(
            f"| {name} | {ref['env']} | {_fmt(r.get('page'), 'rps')} | "
            f"{_fmt(r.get('page'), 'p99_ms', 1)} | {_fmt(r.get('api_get'), 'rps')} | "
            f"{_fmt(r.get('api_get'), 'p99_ms', 1)} | {_fmt(r.get('floor'), 'rps')} | "
            f"{_fmt(r.get('floor'), 'p99_ms', 1)} |"
        )
    t, mem = results["timings"], results["memory"]
    out += [
        "",
        "## Start-up and redeploy",
        "",
        f"- image build (cached, not a target): {t['build_s']:.1f} s",
        f"- `up -d` to all healthy, fresh volumes (secrets, initdb, migrations, admin): "
        f"{t['up_fresh_s']:.1f} s",
        f"- `up -d` to all healthy, existing volumes: {t['up_existing_s']:.1f} s",
        f"- code-only rebuild + redeploy (`up -d --build app` from a copy with one comment "
        f"changed) to healthy and answering through nginx: {t['rebuild_redeploy_s']:.1f} s",
        f"- `manage.py seed_visitors` (not a target): {results['settings']['seeded']:,} "
        f"visitors {t['seed_s']:.1f} s, the search case's {results['settings']['search_seeded']:,} "
        f"{t['search_seed_s']:.1f} s",
        "",
        "## Memory (MiB, docker stats)",
        "",
        "| when | web | app | db | total |",
        "|---|---:|---:|---:|---:|",
    ]
    rows = [("idle (seeded, warmed up)", mem["idle"])]
    rows += [(f"under load: {s['during']}", s) for s in mem["under_load"]]
    for label, s in rows:
        out.append(f"| {label} | {s['web']} | {s['app']} | {s['db']} | {s['total']} |")
    soak = results.get("soak")
    if soak:
        out += [
            "",
            f"## Soak ({soak['seconds']} s of mixed traffic at 16 connections: 80 % GET /, "
            "10 % GET /api/visitors, 10 % POST /api/visitors)",
            "",
            "| segment | req/s | p99 ms | stack MiB |",
            "|---:|---:|---:|---:|",
        ]
        for i, seg in enumerate(soak["segments"], 1):
            out.append(f"| {i} | {seg['rps']:.0f} | {seg['p99_ms']:.1f} | {seg['memory_total']} |")
    prof = results.get("profile")
    if prof and "gil" in prof:
        out += [
            "",
            f"## Where the time goes (py-spy, {prof['seconds']} s per mode, {prof['case']} "
            f"@ 64 conn, workers {prof['workers']}; raw stacks in {prof['raw']})",
            "",
            "| area (innermost frame of a sample) | wall: all busy threads % | CPU: GIL holder % |",
            "|---|---:|---:|",
        ]
        wall = {a["frame"]: a["percent"] for a in prof["wall"]["areas"]}
        gil = {a["frame"]: a["percent"] for a in prof["gil"]["areas"]}
        for area in sorted(set(wall) | set(gil), key=lambda a: -gil.get(a, 0)):
            out.append(f"| {area} | {wall.get(area, 0)} | {gil.get(area, 0)} |")
        out += ["", "| hottest functions, self time (CPU: GIL holder) | % |", "|---|---:|"]
        out += [f"| `{f['frame']}` | {f['percent']} |" for f in prof["gil"]["self"][:12]]
        out += ["", "| hottest functions, self time (wall: all busy threads) | % |", "|---|---:|"]
        out += [f"| `{f['frame']}` | {f['percent']} |" for f in prof["wall"]["self"][:8]]
    out += ["", "## Targets", "", "| target | measured | result |", "|---|---|---|"]
    for row in results["targets"]:
        verdict = {True: "PASS", False: "**FAIL**", None: "skipped"}[row["pass"]]
        out.append(f"| {row['target']} | {row['measured']} | {verdict} |")
    if results["errors"]:
        out += ["", "## Errors", ""] + [f"- {e}" for e in results["errors"]]
    return "\n".join(out) + "\n"


def write(results, directory, name):
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{name}.json").write_text(json.dumps(results, indent=2) + "\n")
    (directory / f"{name}.md").write_text(markdown(results))
    return directory / f"{name}.json", directory / f"{name}.md"
