"""Traffic from background threads, as clients would send it while a test breaks something.

Every request's answer is kept (an Answer), with what it takes to judge it: whether nginx or
the app answered, and whether a 503 is the clean one with Retry-After.
"""

import dataclasses
import itertools
import json
import threading
import time

import requests
from http_client import http_session

from hosttools.compose_project import REPO
from hosttools.waiting import wait_until

# What nginx answers itself while the app cannot be reached (502/503/504): JSON under /api.
NGINX_UNAVAILABLE = REPO / "deploy/web/errors/retry/unavailable"
# Where nginx writes the request's id into its error pages (SSI).
REQUEST_ID_ECHO = '<!--# echo var="visitors_request_id" -->'


def nginx_error_page(path, request_id):
    """The text of one of nginx's error pages (deploy/web/errors/) as it answers it."""
    return path.read_text().replace(REQUEST_ID_ECHO, request_id)


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
        suffix = ".json" if self.path.startswith("/api/") else ".html"
        page = NGINX_UNAVAILABLE.with_suffix(suffix)
        return self.text == nginx_error_page(page, self.headers.get("X-Request-ID", ""))

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
                token = self.token  # reads need it too (the page ignores it)
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


def created_visitors(answers):
    """The visitors the API acknowledged (201) among the answers."""
    return [answer.json() for answer in answers if answer.status == 201]
