"""gunicorn settings for the app container; every number can be changed from the environment."""

import os

from visitors import json_logs

wsgi_app = "visitors_site.wsgi:application"

# Only nginx can reach this socket (it shares the socket's volume, nothing else does), so
# gunicorn never listens on the network and the proxy headers it gets are nginx's own.
bind = [os.environ.get("GUNICORN_BIND", "unix:/run/gunicorn/gunicorn.sock")]

# Threads overlap database round trips; processes use the cores. Two workers of four
# threads suit a small two-core host (more threads only queue for the GIL: bench/README.md);
# each worker has its own database pool.
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread" if threads > 1 else "sync"

# Heartbeat files on a memory file system: a slow disk must never look like a hung worker.
worker_tmp_dir = "/dev/shm"  # noqa: S108 - a private tmpfs inside the container
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# Requests in flight get this long to finish on shutdown; compose's stop_grace_period is longer.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "20"))
# Longer than nginx's upstream keepalive_timeout, so nginx always closes idle connections first.
keepalive = 75

# nginx, the only client, holds the limits on request lines and headers (8 KiB each,
# large_client_header_buffers) and answers past them in the client's form (JSON under /api).
# gunicorn's own, smaller ones (4 KiB lines, 100 headers) would refuse what nginx lets
# through with a bare HTML page, so they are off: 0 is unlimited, 32768 is gunicorn's most.
limit_request_line = 0
limit_request_field_size = 0
limit_request_fields = 32768

# No gunicornc control socket: it is not used here, and it would want a writable home.
control_socket_disable = True

# nginx logs every request, with the app's answer and time ($upstream_status and
# $upstream_response_time). gunicorn's own line for each one cost about 15 % of the app's
# throughput (README.md, Performance); GUNICORN_ACCESS_LOG=- brings it back when debugging,
# with the request's id and its path without the query string.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
access_log_format = '%({x-forwarded-for}i)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms %({x-request-id}i)s'
errorlog = "-"
# JSON lines, in the app's own configuration (visitors/json_logs.py): gunicorn's lines read
# like Django's, so every line of the app's log is one JSON object.
logconfig_dict = json_logs.config()
# Its access log off unless GUNICORN_ACCESS_LOG asks for it (visitors/gunicorn_logging.py).
logger_class = "visitors.gunicorn_logging.Logger"

# Prometheus metrics (visitors/metrics/). Each worker writes its own into files here, on the
# container's private /tmp tmpfs, and the master serves their sums on this port, which only
# the stack's internal network reaches (never nginx: it answers /metrics with 404). The
# variable must be set before prometheus_client is first imported, which picks its mode then.
os.environ["PROMETHEUS_MULTIPROC_DIR"] = "/tmp/visitors-metrics"  # noqa: S108 - a private tmpfs
metrics_port = int(os.environ.get("VISITORS_METRICS_PORT", "9100"))


def on_starting(server):
    from visitors.metrics import server as metrics

    metrics.use_fresh_directory()


def when_ready(server):
    from visitors.metrics import server as metrics

    metrics.serve(metrics_port)


def post_worker_init(worker):
    from visitors.metrics import sampler

    sampler.start()


def child_exit(server, worker):
    from visitors.metrics import server as metrics

    metrics.worker_exited(worker.pid)
