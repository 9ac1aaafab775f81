"""Reads a worker's database pool and answer cache into the gauges, once a second.

A thread of each gunicorn worker does it (deploy/gunicorn.conf.py, post_worker_init), so
requests pay nothing for these metrics. Prometheus scrapes every 15 s: a second-old reading
is as fresh as it needs.
"""

import threading
import time

from django import db

from visitors import freshness
from visitors.metrics import instruments

INTERVAL = 1.0


class PoolTimeouts:
    """Turns the pool's running count of failed requests for a connection into the counter.

    psycopg_pool counts a request that got no connection in time (and a closed pool's refusal,
    which only happens at shutdown) as `requests_errors`; a new pool counts from 0 again.
    """

    def __init__(self):
        self._pool = None
        self._seen = 0

    def update(self, pool, errors):
        if pool is not self._pool or errors < self._seen:
            self._pool, self._seen = pool, 0
        instruments.POOL_TIMEOUTS.inc(errors - self._seen)
        self._seen = errors


TIMEOUTS = PoolTimeouts()


def current_pool(alias=db.DEFAULT_DB_ALIAS):
    """The process's pool for `alias` if a request has opened it, else None.

    Django keeps one pool per process and alias and opens it on first use; a reading must not
    open one (nor, in the Django suite, one for another database than the test database).
    """
    return type(db.connections[alias])._connection_pools.get(alias)


def sample():
    instruments.CACHE_BYTES.set(freshness.CACHE.size)
    pool = current_pool()
    if pool is None:
        return
    stats = pool.get_stats()
    instruments.POOL_SIZE.set(stats["pool_size"])
    instruments.POOL_IDLE.set(stats["pool_available"])
    instruments.POOL_MAX.set(stats["pool_max"])
    instruments.POOL_WAITING.set(stats.get("requests_waiting", 0))
    TIMEOUTS.update(pool, stats.get("requests_errors", 0))


def _loop():
    while True:
        sample()
        time.sleep(INTERVAL)


def start():
    """Starts this process's sampling thread (a daemon: it ends with the worker)."""
    threading.Thread(target=_loop, name="metrics-sampler", daemon=True).start()
