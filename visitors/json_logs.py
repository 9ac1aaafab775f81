"""Log lines as JSON, one object a line, for Django (visitors_site/settings.py LOGGING) and
gunicorn (deploy/gunicorn.conf.py logconfig_dict) alike: one configuration for both.

This module is imported by gunicorn's configuration before Django is set up, so it imports
nothing of Django.
"""

from pythonjsonlogger.json import JsonFormatter

# What a line may hold, in this order; anything else a record carries is left out. Django
# passes the request object along (its repr holds the query string), and no extra a caller
# adds can bring a visitor's data or a header into the logs.
FIELDS = ("time", "level", "logger", "message", "request_id", "status_code", "exception", "stack")


class JsonLines(JsonFormatter):
    """time (ISO 8601, UTC), level, logger, message, request_id (visitors/request_id.py),
    Django's status_code, and an exception's traceback or a stack as one string each."""

    def __init__(self):
        super().__init__(
            ["levelname", "name", "message", "request_id"],
            rename_fields={
                "levelname": "level",
                "name": "logger",
                "exc_info": "exception",
                "stack_info": "stack",
            },
            timestamp="time",
        )

    def process_log_record(self, log_data):
        return {name: log_data[name] for name in FIELDS if name in log_data}


def config(level="INFO"):
    """A logging.config.dictConfig dictionary: every record through one JSON handler on
    standard error, each with its request's id."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "visitors.json_logs.JsonLines"}},
        "filters": {
            "request_id": {"()": "visitors.request_id.RequestIdFilter"},
            "unknown_host": {"()": "visitors.log_filters.OneLineForUnknownHosts"},
        },
        "handlers": {
            "json": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["json"], "level": level},
        "loggers": {
            # Django's own default handlers (plain text in development, mail to admins) go:
            # its records reach the JSON handler through the root.
            "django": {},
            # Any client can send any Host: one short line each, never its traceback.
            "django.security.DisallowedHost": {"filters": ["unknown_host"]},
            # gunicorn's loggers do not propagate (gunicorn sets that); the level of its
            # error log is gunicorn's loglevel.
            "gunicorn.error": {"handlers": ["json"], "propagate": False},
            "gunicorn.access": {"handlers": ["json"], "propagate": False},
        },
    }
