"""The app's Prometheus metrics, correct across gunicorn's worker processes.

Each worker writes its metrics into files of its own in PROMETHEUS_MULTIPROC_DIR (memory-mapped,
a few microseconds an update); the gunicorn master reads them all and serves the sums on
VISITORS_METRICS_PORT (deploy/gunicorn.conf.py, server.py). Without that variable (the Django
suite, manage.py commands) the metrics live in the process's own registry.

instruments.py  the metrics themselves
middleware.py   requests by route, method and status, and their duration
sampler.py      each worker's database pool and answer cache, read once a second
server.py       the gunicorn master's side: the directory, the exposition, dead workers
database_disk.py  the database volume's free and total bytes (compose's `database-disk`)
"""
