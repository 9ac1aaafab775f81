"""gunicorn's logger as deploy/gunicorn.conf.py names it (logger_class)."""

from gunicorn import glogging


class Logger(glogging.Logger):
    """gunicorn's logger, with its access log off unless GUNICORN_ACCESS_LOG asks for it.

    With a logconfig_dict gunicorn counts its access log as on whatever `accesslog` says, and
    would write a line for every request: 90 µs of a worker's time each (measured), the cost
    turning it off saved (README.md, Performance).
    """

    def access(self, resp, req, environ, request_time):
        if self.cfg.accesslog:
            super().access(resp, req, environ, request_time)
