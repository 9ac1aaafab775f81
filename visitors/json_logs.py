"""Log lines as JSON, one object a line, for Django (visitors_site/settings.py LOGGING) and
gunicorn (deploy/gunicorn.conf.py logconfig_dict) alike: one configuration for both.

gunicorn's configuration imports this module before Django is set up, and the offline
Kubernetes checks load that configuration on the host: so it imports only the standard
library, and names the formatter (visitors/log_formatters.py) by its path.
"""

import logging
import logging.config


def config(level="INFO"):
    """A logging.config.dictConfig dictionary: every record through one JSON handler on
    standard error, each with its request's id."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "visitors.log_formatters.JsonLines"}},
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


def configure(config):
    """Django's LOGGING_CONFIG: the dictionary above, and Python's warnings as log records.

    Without captureWarnings a warning (Django's for a naive datetime in an admin filter, say)
    goes to standard error as a bare text line among the JSON ones.
    """
    logging.config.dictConfig(config)
    logging.captureWarnings(True)
