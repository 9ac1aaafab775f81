"""The gunicorn master's side of the metrics (hooks in deploy/gunicorn.conf.py).

It never handles a request, so it serves the sums of the workers' files on its own port,
reachable from the containers of the stack's internal network only (compose.yaml).
"""

import os
import shutil

from prometheus_client import CollectorRegistry, ProcessCollector, multiprocess, start_http_server


def use_fresh_directory():
    """Empties the workers' metrics directory (PROMETHEUS_MULTIPROC_DIR) before any starts.

    What a previous master left there (a restart of the container keeps its tmpfs) would be
    counted again, and its workers' pids may be reused.
    """
    path = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path, mode=0o700)


def serve(port):
    """Serves the workers' metrics summed, and the master's own process metrics
    (process_start_time_seconds: a restart of the app), at http://:port/metrics."""
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    ProcessCollector(registry=registry)
    start_http_server(port, registry=registry)


def worker_exited(pid):
    """Drops a dead worker's gauges: its pool and cache are gone. Its counts stay counted."""
    multiprocess.mark_process_dead(pid)
