"""Serves the free and total bytes of the file system holding the database, for Prometheus.

postgres_exporter cannot see the disk, so compose's `database-disk` service runs this with the
database's volume mounted read-only, as a user that is not postgres: statvfs() of the mount
point needs no right to the directory, and no data file can be read.

Usage: python -m visitors.metrics.database_disk PATH [PORT]   (default port 9101)
"""

import os
import signal
import sys

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

DEFAULT_PORT = 9101


class DiskCollector(Collector):
    def __init__(self, path):
        self.path = path

    def collect(self):
        disk = os.statvfs(self.path)
        yield GaugeMetricFamily(
            "visitors_database_disk_free_bytes",
            "Bytes the database's file system has free for PostgreSQL (not root's reserve).",
            value=disk.f_bavail * disk.f_frsize,
        )
        yield GaugeMetricFamily(
            "visitors_database_disk_size_bytes",
            "Total bytes of the database's file system.",
            value=disk.f_blocks * disk.f_frsize,
        )


def main(path, port=DEFAULT_PORT):
    os.statvfs(path)  # fails at start, not at the first scrape, when the volume is missing
    registry = CollectorRegistry()
    registry.register(DiskCollector(path))
    # PID 1 gets no default action for SIGTERM: without this `docker stop` waits for SIGKILL.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    # prometheus_client's own server, as gunicorn's master uses (server.py): it logs no line
    # per scrape, and serves from a daemon thread while this one waits for the signal.
    start_http_server(int(port), registry=registry)
    while True:
        signal.pause()


if __name__ == "__main__":
    main(*sys.argv[1:])
