"""Answers cached for exactly as long as the data they show is unchanged.

PostgreSQL's current snapshot (pg_current_snapshot(): which transactions are visible) names
the data every query would see right now. Any commit, from this app, the admin, a manage.py
command or psql, gives new snapshots; nothing else does. An answer rendered once and kept
under the snapshot it was rendered in is therefore correct for every later request that sees
the same snapshot, and a visitor signed in is on the very next page. Checking costs one small
query instead of reading and rendering the visitors.

The server's start time joins the key, so a database restored into a new volume (whose
transaction ids start again) never meets answers cached from the old one.
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
    """
    if connection.in_atomic_block:
        # A transaction's own uncommitted writes do not show in its snapshot.
        return render()
    state = database_state()
    digest = hashlib.blake2b(repr((state, key)).encode(), digest_size=16).hexdigest()
    found = cache.get(digest)
    if found is None:
        found = render()
        cache.set(digest, found, KEEP_SECONDS)
    return found
