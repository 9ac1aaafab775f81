"""The app container's healthcheck: GET a path from gunicorn over its Unix socket.

Exits 0 when the answer is 200, 1 otherwise. The runtime image has no shell and no curl;
it has Python. Usage: python deploy/probe.py [PATH]   (default /health)
"""

import http.client
import os
import socket
import sys

SOCKET = os.environ.get("GUNICORN_BIND", "unix:/run/gunicorn/gunicorn.sock").removeprefix("unix:")


class UnixHTTPConnection(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(SOCKET)


def main(path):
    connection = UnixHTTPConnection("localhost", timeout=5)
    try:
        connection.request("GET", path)
        status = connection.getresponse().status
    except OSError as error:
        print(f"probe: {SOCKET}: {error}", file=sys.stderr)
        return 1
    print(f"probe: GET {path} -> {status}")
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "/health"))
