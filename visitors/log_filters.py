"""Log filters: what a client sends never decides how much is logged."""

import logging

# Enough of a host name to recognise it; a request may carry 8 KiB of it.
HOST_CHARACTERS = 100


class OneLineForUnknownHosts(logging.Filter):
    """Django logs a refused Host with its traceback and the whole name: 7 KiB of host became
    29 KiB of log. This keeps one line with the name cut short."""

    def filter(self, record):
        host = getattr(record, "request", None) and record.request.META.get("HTTP_HOST", "")
        host = host or ""
        shown = host[:HOST_CHARACTERS] + ("…" if len(host) > HOST_CHARACTERS else "")
        record.msg, record.args = "Refused a request for an unknown host: %r", (shown,)
        record.exc_info = record.exc_text = record.stack_info = None
        return True
