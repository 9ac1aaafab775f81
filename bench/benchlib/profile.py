"""Where the time goes: py-spy samples the gunicorn workers from the host during a load run.

py-spy is installed into a throw-away virtualenv under /tmp on first use (pip from PyPI); it
reads the workers' memory from the host, which needs root (or CAP_SYS_PTRACE).
"""

import collections
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

VENV = Path(tempfile.gettempdir()) / "visitors-bench-py-spy"
FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")


def py_spy():
    found = shutil.which("py-spy") or (VENV / "bin" / "py-spy")
    if Path(found).exists():
        return str(found)
    print(f"installing py-spy into {VENV}", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True, timeout=120)
    subprocess.run([str(VENV / "bin" / "pip"), "install", "-q", "py-spy"], check=True, timeout=300)
    return str(VENV / "bin" / "py-spy")


def record(pids, seconds, outdir, mode):
    """Start one `py-spy record` per pid (raw collapsed stacks); returns the processes.
    mode "wall": every thread (waits for the database, the socket and the GIL included);
    mode "gil": only the thread holding the GIL, i.e. where the worker's CPU goes."""
    exe = py_spy()
    outdir.mkdir(parents=True, exist_ok=True)
    spies = []
    for pid in pids:
        out = outdir / f"py-spy-{mode}-{pid}.txt"
        cmd = [
            exe,
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(seconds),
            "--rate",
            "250",
            "--nonblocking",
            "--format",
            "raw",
            "--output",
            str(out),
        ]
        if mode == "gil":
            cmd.append("--gil")
        spies.append(
            (
                pid,
                out,
                subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True),
            )
        )
    return spies


def short(frame):
    match = FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    path = match["file"]
    for marker in ("site-packages/", "/app/", "lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{match['func']} ({path})"


# Leaf frames of threads that wait for work, not serve it: gthread's idle pool threads and main
# loop, psycopg_pool's background workers, gunicorn's arbiter. Samples ending there are dropped.
IDLE = (
    "_worker (concurrent/futures/thread.py)",
    "Condition.wait (threading.py)",
    "EpollSelector.select (selectors.py)",
    "Queue.get (",
    "ThreadWorker.is_parent_alive",
    "ThreadWorker.wait_for_and_dispatch_events",
    "Arbiter.sleep",
    "Event.wait (threading.py)",
)

AREAS = [  # first match wins, looked for anywhere in a stack (outermost area last)
    ("psycopg / database round trips", ("psycopg", "psycopg_pool")),
    ("Django ORM (query building, model instances)", ("django/db/",)),
    ("template rendering", ("django/template/", "template_partials", "django/templatetags")),
    ("forms and widgets", ("django/forms/",)),
    (
        "CSRF / CSP / middleware",
        (
            "django/middleware/",
            "django/contrib/sessions",
            "django/contrib/messages",
            "whitenoise",
            "django_htmx",
        ),
    ),
    ("JSON encoding", ("json/",)),
    ("gunicorn request I/O and parsing", ("gunicorn/",)),
]


def summarize(files, top=15):
    self_time, inclusive, areas = (
        collections.Counter(),
        collections.Counter(),
        collections.Counter(),
    )
    total = idle = 0
    for path in files:
        for line in Path(path).read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not stack or not count.isdigit():
                continue
            n = int(count)
            frames = [
                short(f)
                for f in stack.split(";")
                if f and not f.startswith("process ") and not f.startswith("thread ")
            ]
            if not frames:
                continue
            if frames[-1].startswith(IDLE):
                idle += n
                continue
            total += n
            self_time[frames[-1]] += n
            for frame in set(frames):
                inclusive[frame] += n
            # The innermost recognised area owns the sample.
            area = "other (Python interpreter, views, stdlib)"
            for frame in reversed(stack.split(";")):
                hit = next((name for name, keys in AREAS if any(k in frame for k in keys)), None)
                if hit:
                    area = hit
                    break
            areas[area] += n

    def pct(counter):
        return [
            {"frame": f, "percent": round(100 * n / total, 1)} for f, n in counter.most_common(top)
        ]

    return {
        "busy_samples": total,
        "idle_samples": idle,
        "self": pct(self_time),
        "inclusive": pct(inclusive),
        "areas": pct(areas),
    }
