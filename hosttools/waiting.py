"""Waiting for a condition with a deadline, instead of sleeping a guessed time."""

import time


def wait_until(predicate, timeout, what, interval=0.2):
    """Calls predicate until it returns something truthy, and returns that.

    An exception from predicate counts as "not yet" (a refused connection, a failed assert).
    After `timeout` seconds an AssertionError names `what` and the last outcome.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = predicate()
        except Exception as exc:
            last = f"{type(exc).__name__}: {exc}"
        else:
            if result:
                return result
            last = repr(result)
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}; last: {last}")
        time.sleep(interval)
