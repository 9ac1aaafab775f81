"""A deadline for each query a request runs: a database that stops answering holds no thread.

A paused server, frozen storage or a network partition leaves the TCP connection open with
nothing coming back, and libpq waits for as long as that lasts (psycopg has no query timeout of
its own; the server's statement_timeout needs a server that runs). So a watchdog thread in each
process shuts down the socket of any query still running at its deadline: the query fails at
once with "server closed the connection", psycopg marks the connection broken and the pool
throws it away, and the request is answered 503 (visitors.middleware).

Use it as a Django execute wrapper around a request:

    with connection.execute_wrapper(Deadline(seconds)):
        ...
"""

import os
import socket
import threading
import time

from django import db

from visitors_site.postgresql import outage

# How often the watchdog looks: the deadline is kept to within this.
TICK = 0.05


class Watchdog:
    """One thread per process, cutting the sockets of queries past their deadline."""

    def __init__(self):
        self._lock = threading.Lock()
        self._running = {}  # thread id -> (deadline, socket file descriptor)
        self._pid = None

    def watch(self, fileno, deadline):
        with self._lock:
            if self._pid != os.getpid():
                # First use in this process (gunicorn forks workers; threads do not follow).
                self._pid = os.getpid()
                threading.Thread(target=self._loop, name="query-deadline", daemon=True).start()
            self._running[threading.get_ident()] = (deadline, fileno)

    def done(self):
        """Ends the watch of this thread's query; True if the watchdog had cut it."""
        with self._lock:
            return self._running.pop(threading.get_ident(), None) is None

    def _loop(self):
        while True:
            time.sleep(TICK)
            now = time.monotonic()
            with self._lock:
                # Under the lock: a watched query's connection is open, so its descriptor is
                # still its own and not some other file's.
                late = [key for key, (deadline, _) in self._running.items() if deadline <= now]
                for key in late:
                    _, fileno = self._running.pop(key)
                    _shut_down(fileno)


def _shut_down(fileno):
    sock = socket.socket(fileno=fileno)
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed by the other side
    finally:
        sock.detach()  # the descriptor stays libpq's


WATCHDOG = Watchdog()


class Deadline:
    """An execute wrapper: each query gets `seconds` to be answered."""

    def __init__(self, seconds):
        self.seconds = seconds

    def __call__(self, execute, sql, params, many, context):
        database = context["connection"]
        fileno = database.connection.fileno()
        WATCHDOG.watch(fileno, time.monotonic() + self.seconds)
        try:
            result = execute(sql, params, many, context)
        except db.Error as error:
            if WATCHDOG.done():
                outage.record(database.alias)
                raise db.OperationalError(
                    f"the database did not answer within {self.seconds} s"
                ) from error
            raise
        WATCHDOG.done()
        return result
