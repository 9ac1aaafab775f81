"""Whether a database failed a request moments ago: then requests fail at once.

While the database does not answer, every request that waits for it holds a gunicorn thread
for the pool's timeout or the query deadline, and the requests behind it queue for a thread.
So for a moment after a failure a request that would have to wait for a new connection is
answered at once instead; an idle connection the pool has (re)made is still used, and the
pool keeps reconnecting in the background, so service returns as soon as the database does.
"""

import time

# Seconds after a failure during which requests do not wait for a new connection.
HOLD = 1.0

_failed_at = {}  # database alias -> time.monotonic() of its last failure


def record(alias):
    _failed_at[alias] = time.monotonic()


def recent(alias):
    return time.monotonic() - _failed_at.get(alias, float("-inf")) < HOLD
