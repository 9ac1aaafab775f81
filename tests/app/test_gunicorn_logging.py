"""gunicorn's logging as deploy/gunicorn.conf.py sets it up: JSON lines, and an access log only
when GUNICORN_ACCESS_LOG asks for one."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings

# Loads the configuration file as gunicorn does, then logs one message and one request.
GUNICORN = """
import datetime
from gunicorn.app.base import Application

class App(Application):
    def init(self, parser, opts, args):
        pass
    def load_config(self):
        self.load_config_from_file("deploy/gunicorn.conf.py")
    def load(self):
        pass

cfg = App().cfg
log = cfg.logger_class(cfg)
log.info("Listening at: %s", "unix:/run/gunicorn/gunicorn.sock")

class Response:
    status, sent, headers = "200 OK", 512, []

class Request:
    headers = [("X-REQUEST-ID", "front-proxy.0123-abcd")]

environ = {"REQUEST_METHOD": "POST", "RAW_URI": "/?name=Ada", "PATH_INFO": "/",
           "SERVER_PROTOCOL": "HTTP/1.1", "QUERY_STRING": "name=Ada"}
log.access(Response, Request, environ, datetime.timedelta(milliseconds=3))
"""


def gunicorn_log(access_log):
    env = {name: value for name, value in os.environ.items() if name != "GUNICORN_ACCESS_LOG"}
    env["GUNICORN_ACCESS_LOG"] = access_log
    done = subprocess.run(
        [sys.executable, "-c", GUNICORN],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return [json.loads(line) for line in (done.stdout + done.stderr).splitlines()]


@pytest.mark.parametrize("access_log", ["", "-"], ids=["production", "GUNICORN_ACCESS_LOG=-"])
def test_gunicorn_writes_json_lines_and_each_request_only_when_asked(access_log):
    lines = gunicorn_log(access_log)
    assert lines[0]["logger"] == "gunicorn.error"
    assert lines[0]["message"] == "Listening at: unix:/run/gunicorn/gunicorn.sock"
    access = [line for line in lines if line["logger"] == "gunicorn.access"]
    if not access_log:
        # With a logconfig_dict gunicorn would log every request whatever accesslog says.
        assert access == []
    else:
        (line,) = access
        assert '"POST /" 200 512' in line["message"]
        assert line["message"].endswith(" front-proxy.0123-abcd")
        assert "Ada" not in line["message"]
