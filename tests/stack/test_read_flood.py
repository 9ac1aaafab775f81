"""Reads of many distinct pages cannot drive the app out of memory.

Anonymous clients read the public page (today's visitors, any `before` cursor); the API's
reads need a token, so a token holder (or one who stole it) floods it here.

Every distinct `before` cursor and `limit` is a distinct answer; with visitors of the longest
text anyone may post, each is close to a megabyte. The answer cache is bounded in bytes per
worker, and cursors that show the same rows share one text.
"""

import concurrent.futures
import re
import threading
import time

from http_client import http_session

from hosttools.compose_project import docker_cli

VISITORS = 100
REQUESTS = 1000  # for each of the API and the page
CLIENTS = 8
MEMORY_LIMIT_MIB = 384  # the app's mem_limit in compose.yaml, as the README documents it


# Four bytes of UTF-8 for each character: the most the fields' limits let anyone send (through
# the public form, a few minutes' work within its rate limit; added directly here).
LONGEST_VISITORS = f"""
from visitors.models import Visitor
Visitor.objects.bulk_create(
    Visitor(name=f"{{n:03d}}" + "🙂" * 97, company="🙂" * 100, message="🙂" * 500)
    for n in range({VISITORS})
)
"""
# Later tests share the stack: they get it back without these visitors.
WITHOUT_THEM = """
from visitors.models import Visitor
Visitor.objects.filter(company="🙂" * 100).delete()
"""


def mebibytes(text):
    """docker stats' "123.4MiB / 384MiB" -> 123.4 (the first figure)."""
    number, unit = re.match(r"([\d.]+)\s*([KMG]i?B)", text).groups()
    return float(number) * {"KiB": 1 / 1024, "MiB": 1, "GiB": 1024, "B": 1 / 2**20}[unit]


class MemorySampler(threading.Thread):
    """The container's memory use, sampled with docker stats until stopped."""

    def __init__(self, container):
        super().__init__(daemon=True)
        self.container = container
        self.samples = []
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.is_set():
            usage = docker_cli("stats", "--no-stream", "--format", "{{.MemUsage}}", self.container)
            self.samples.append(mebibytes(usage))


def flood(stack, paths, headers):
    """GETs every path from CLIENTS clients at once; returns each as (status, complete)."""

    def get(path):
        with http_session() as session:
            response = session.get(stack.url(path), headers=headers, timeout=30)
            if path.startswith("/api/"):
                try:
                    complete = len(response.json()["results"]) > 0
                except ValueError:
                    complete = False
            else:
                complete = response.text.rstrip().endswith("</html>")
            return response.status_code, complete

    with concurrent.futures.ThreadPoolExecutor(CLIENTS) as pool:
        return list(pool.map(get, paths))


def test_distinct_cursors_do_not_exhaust_the_apps_memory(stack, timings):
    stack.exec("app", "python", "manage.py", "shell", "--command", LONGEST_VISITORS)
    app = stack.state("app")
    since = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() - 1))
    sampler = MemorySampler(stack.ps()["app"]["Name"])
    sampler.start()
    started = time.monotonic()
    try:
        # Distinct cursors past the newest visitor (all showing the same rows) and distinct
        # page sizes (each its own rows).
        api = [f"/api/visitors?limit={1 + n % 100}&before={10**15 + n}" for n in range(REQUESTS)]
        page = [f"/?before={10**15 + n}" for n in range(REQUESTS)]
        # Reads of the API need a token since the history is private: a token holder's flood.
        reader = {"Authorization": f"Bearer {stack.credentials()['API read token']}"}
        answers = flood(stack, api, reader) + flood(stack, page, {})
    finally:
        sampler.stopped.set()
        sampler.join(timeout=30)
        stack.exec("app", "python", "manage.py", "shell", "--command", WITHOUT_THEM)
    timings["read flood: 2,000 distinct reads"] = time.monotonic() - started
    peak = max(sampler.samples)
    timings["read flood: app memory at its peak"] = (round(peak), "MiB")

    assert all(answer == (200, True) for answer in answers), [
        answer for answer in answers if answer != (200, True)
    ][:5]
    log = stack.run("logs", "--no-color", "--since", since, "app").stdout
    assert "SIGKILL" not in log and "out of memory" not in log.lower()
    assert stack.state("app").start == app.start, "the app container restarted"
    assert not stack.container("app")["State"]["OOMKilled"]
    assert stack.container("app")["HostConfig"]["Memory"] == MEMORY_LIMIT_MIB * 2**20
    assert peak < MEMORY_LIMIT_MIB * 0.75, f"the app used {peak:.0f} MiB"
