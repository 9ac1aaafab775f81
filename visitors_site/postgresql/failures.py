"""What kind of database failure an exception is, which decides what a client is answered.

An outage: the server cannot be reached, does not answer in time, or dropped the connection.
Nothing the client did, and the server may have restarted. A conflict: a healthy server refused
this one statement (a deadlock, a serialization failure, a lock or statement timeout, a
cancelled query); worth retrying, and no sign of a restart. Anything else is a bug (a 500).
"""

import psycopg
from django import db

# A server going away: admin shutdown, crash shutdown, cannot connect now, database dropped.
# Class 08 (connection exception) counts too.
SHUTDOWN = {"57P01", "57P02", "57P03", "57P04"}
# Deadlock, serialization failure, lock not available, query cancelled (statement_timeout).
CONFLICT = {"40P01", "40001", "55P03", "57014"}
DISK_FULL = "53100"


def sqlstate(exception):
    """The SQLSTATE behind a psycopg error, or one Django wrapped; None if it has none."""
    cause = exception if isinstance(exception, psycopg.Error) else exception.__cause__
    return getattr(cause, "sqlstate", None)


def is_outage(exception):
    """The connection failed: refused, timed out, cut, or the server shut down."""
    if isinstance(exception, db.InterfaceError | psycopg.InterfaceError):
        return True
    if not isinstance(exception, db.OperationalError | psycopg.OperationalError):
        return False
    # psycopg's own errors (no answer, connection closed, pool timeout) carry no SQLSTATE.
    state = sqlstate(exception)
    return state is None or state.startswith("08") or state in SHUTDOWN


def is_conflict(exception):
    return isinstance(exception, db.Error | psycopg.Error) and sqlstate(exception) in CONFLICT


def is_disk_full(exception):
    return isinstance(exception, db.Error | psycopg.Error) and sqlstate(exception) == DISK_FULL
