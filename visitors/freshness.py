"""Answers cached for exactly as long as the data they show is unchanged.

PostgreSQL's current snapshot (pg_current_snapshot(): which transactions are visible) names
the data every query would see right now. A commit from anywhere (this app, the admin, a
manage.py command, psql) gives later queries another snapshot; other snapshot changes (an
abort, autovacuum) only cost a cache miss. An answer kept with the snapshot it was rendered
in is therefore correct for any later request that sees the same snapshot, and a visitor
signed in is on the very next page. Checking costs one small query instead of reading and
rendering the visitors.

A snapshot is a range of transaction ids, and the same ids can name other data on another
server or after a failover, so the server's identity joins the snapshot: the cluster's system
identifier (another cluster, such as a database restored into a new volume, whose ids start
again), its timeline and the server's start time. After an asynchronous failover the promoted
standby never received the old primary's last commits and hands out their transaction ids
again, so its snapshot text can be one the old primary showed with other rows; its timeline is
new, and so is its start time. The identity is read once per connection (the database backend,
visitors_site/postgresql/, which also connects to a primary only: a standby's snapshot trails
the primary's), so a request still costs one small query. A crash restart keeps the identity
but may hand out again transaction ids that never reached the disk, so the cache is emptied
whenever a connection to the database is lost (the connection_lost signal, from the database
backend and the middleware).

An answer is in one language (visitors/i18n.py), so the active language joins every key: a
Portuguese page is never served to an English reader.

Parts of answers are kept too (fragment()), keyed by everything they show instead of by a
snapshot: a visitor's row, say, by the visitor's fields. A commit then costs the next page a
query and the rows that changed, not a render of every row again (a roll call of 500 people:
71 ms of CPU rendered whole, 14 ms with its rows kept).

Each gunicorn worker keeps its own answers, within VISITORS_ANSWER_CACHE_BYTES: the least
recently used go first. Any client can ask for many different pages (every `before` cursor
and `limit`), so the budget is in bytes, not entries, and an answer's text is kept once however
many requests share it: cursors past the newest visitor all show the first page, for instance.
"""

import hashlib
import secrets
import threading

import cachetools
from django.conf import settings
from django.db import connection
from django.middleware.csp import get_nonce
from django.middleware.csrf import get_token
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.safestring import mark_safe

from visitors.metrics.instruments import CACHE_HITS, CACHE_MISSES

SNAPSHOT = "SELECT pg_current_snapshot()::text"
# What an entry costs beyond its text: the key, the state and the cache's own bookkeeping.
ENTRY_BYTES = 256

# What differs in every response of a page otherwise shared: rendered once with these
# placeholders, filled in for each request. Random, so no visitor's text can be taken for one.
# page_path is the address the language switcher returns to.
SLOTS = {
    "csrf_token": f"csrf-slot-{secrets.token_hex(16)}",
    "csp_nonce": f"nonce-slot-{secrets.token_hex(16)}",
    "page_path": f"path-slot-{secrets.token_hex(16)}",
}


def _digest(value, kind):
    return hashlib.blake2b(value, digest_size=16, person=kind).digest()


class AnswerCache:
    """One worker's answers: key -> (state, digest of the text), digest -> the text."""

    def __init__(self, max_bytes):
        self._lock = threading.Lock()
        self._entries = cachetools.LRUCache(max_bytes, getsizeof=self._size) if max_bytes else None

    @property
    def size(self):
        """Bytes in use, as the budget counts them."""
        return self._entries.currsize if self._entries is not None else 0

    @staticmethod
    def _size(value):
        return ENTRY_BYTES + (len(value) if isinstance(value, bytes) else 0)

    def get(self, key, state):
        if self._entries is None:
            return None
        with self._lock:
            found = self._entries.get(key)
            if found is None or found[0] != state:
                return None
            return self._entries.get(found[1])

    def put(self, key, state, answer):
        if self._entries is None:
            return
        digest = _digest(answer, b"answer")
        with self._lock:
            try:
                self._entries[digest] = answer
                self._entries[key] = (state, digest)
            except ValueError:
                pass  # larger than the whole budget: not kept

    def clear(self):
        if self._entries is not None:
            with self._lock:
                self._entries.clear()


CACHE = AnswerCache(settings.VISITORS_ANSWER_CACHE_BYTES)


def database_state():
    """What the data looks like now: the server's identity and its current snapshot."""
    with connection.cursor() as cursor:
        cursor.execute(SNAPSHOT)
        snapshot = cursor.fetchone()[0]
    return f"{connection.server_identity}/{snapshot}"


def _keep(key, state, render, counted=False):
    """render()'s text as UTF-8 bytes, kept under key and the active language while `state`
    holds; `counted`: in the answer cache's hits and misses."""
    key = _digest(repr((translation.get_language(), key)).encode(), b"key")
    answer = CACHE.get(key, state)
    if answer is not None:
        if counted:
            CACHE_HITS.inc()
        return answer
    if counted:
        CACHE_MISSES.inc()
    answer = _bytes(render())
    CACHE.put(key, state, answer)
    return answer


def cached(key, render):
    """render()'s answer as UTF-8 bytes, from the cache while the database is unchanged.

    key: a tuple naming the answer and what else it depends on (which page, which host...);
    the active language is added to it here.
    """
    if connection.in_atomic_block:
        # A transaction's own uncommitted writes do not show in its snapshot.
        return _bytes(render())
    return _keep(key, database_state(), render, counted=True)


def fragment(key, render):
    """render()'s text, kept while the answer cache has room; key must name everything the
    text shows (the active language and time zone are added to it here)."""
    text = _keep(("fragment", timezone.get_current_timezone_name(), key), "", render)
    return mark_safe(text.decode())  # noqa: S308 - rendered by a template, escaped there


def shared_page(request, key, render):
    """A page that every visitor sees alike, with this request's CSRF token, CSP nonce and path.

    render(slots) renders it with `slots` in the template context in place of what differs
    per request, and without the request itself, so nothing of one visitor's (user, session,
    messages) can ever be in it.
    """
    page = cached(key, lambda: render(SLOTS))
    fills = {
        "csrf_token": get_token(request),
        "csp_nonce": str(get_nonce(request)),
        "page_path": escape(request.get_full_path()),
    }
    for name, value in fills.items():
        page = page.replace(SLOTS[name].encode(), value.encode())
    return page


def forget(**signal):
    """Drops every cached answer: a connection was lost, maybe to a crash restart."""
    CACHE.clear()


def resize(*, setting, **signal):
    """Follows a changed budget (tests change settings while the process runs)."""
    global CACHE
    if setting == "VISITORS_ANSWER_CACHE_BYTES":
        CACHE = AnswerCache(settings.VISITORS_ANSWER_CACHE_BYTES)


def _bytes(answer):
    return answer.encode() if isinstance(answer, str) else answer
