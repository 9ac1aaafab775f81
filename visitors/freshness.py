"""Answers cached for exactly as long as the data they show is unchanged.

PostgreSQL's current snapshot (pg_current_snapshot(): which transactions are visible) names
the data every query would see right now. A commit from anywhere (this app, the admin, a
manage.py command, psql) gives later queries another snapshot; other snapshot changes (an
abort, autovacuum) only cost a cache miss. An answer kept with the snapshot it was rendered
in is therefore correct for any later request that sees the same snapshot, and a visitor
signed in is on the very next page. Checking costs one small query instead of reading and
rendering the visitors.

The server's start time joins the snapshot, so a database restored into a new volume (whose
transaction ids start again) never meets answers cached from the old one. A crash restart
keeps the start time but may hand out again transaction ids that never reached the disk, so
the cache is emptied whenever the database fails under a worker (forget()).

The cache is each worker's own memory (settings.CACHES): the shared page holds slots that only
this process fills in (visitors/views.py).
"""

import hashlib

from django.core.cache import cache
from django.db import connection

STATE = "SELECT pg_postmaster_start_time()::text || '/' || pg_current_snapshot()::text"
KEEP_SECONDS = 3600  # a hit is never stale; expiry only returns memory


def database_state():
    with connection.cursor() as cursor:
        cursor.execute(STATE)
        return cursor.fetchone()[0]


def cached(key, render):
    """render()'s result, from the cache while the database is unchanged.

    key: a tuple naming the answer and what else it depends on (which page, which host...).
    Each answer is kept once, with the state it shows: a commit replaces it, nothing piles up.
    """
    if connection.in_atomic_block:
        # A transaction's own uncommitted writes do not show in its snapshot.
        return render()
    state = database_state()
    key = hashlib.blake2b(repr(key).encode(), digest_size=16).hexdigest()  # a valid cache key
    found = cache.get(key)
    if found is not None and found[0] == state:
        return found[1]
    answer = render()
    cache.set(key, (state, answer), KEEP_SECONDS)
    return answer


def forget():
    """Drops every cached answer: the database failed, maybe it restarted after a crash."""
    cache.clear()
