"""Every metric the app writes. Label values are bounded: no path, id or query in them.

Gauges are summed over the workers alive now ("livesum"): a worker that died is dropped from
them (server.worker_exited), while counters keep what every worker ever counted.
"""

from prometheus_client import Counter, Gauge, Histogram

REQUESTS = Counter(
    "visitors_http_requests",
    "Requests answered by the app, by URL name (unmatched: none), method and status.",
    ["route", "method", "status"],
)
DURATION = Histogram(
    "visitors_http_request_duration_seconds",
    "Time from the app receiving a request to its answer, by URL name and method.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

POOL_SIZE = Gauge(
    "visitors_db_pool_size",
    "Database connections open in the workers' pools (idle, in use or being opened).",
    multiprocess_mode="livesum",
)
POOL_IDLE = Gauge(
    "visitors_db_pool_idle",
    "Database connections waiting idle in the workers' pools.",
    multiprocess_mode="livesum",
)
POOL_MAX = Gauge(
    "visitors_db_pool_max",
    "The most database connections the workers' pools may open together.",
    multiprocess_mode="livesum",
)
POOL_WAITING = Gauge(
    "visitors_db_pool_waiting",
    "Requests waiting for a database connection from their worker's pool.",
    multiprocess_mode="livesum",
)
POOL_TIMEOUTS = Counter(
    "visitors_db_pool_timeouts",
    "Requests that got no database connection within DATABASE_POOL_TIMEOUT (answered 503).",
)

CACHE_HITS = Counter("visitors_answer_cache_hits", "Answers served from a worker's answer cache.")
CACHE_MISSES = Counter(
    "visitors_answer_cache_misses",
    "Answers rendered because the cache had none for the database's current state.",
)
CACHE_BYTES = Gauge(
    "visitors_answer_cache_bytes",
    "Bytes the workers' answer caches hold, as VISITORS_ANSWER_CACHE_MIB counts them.",
    multiprocess_mode="livesum",
)

SIGNED_IN = Counter("visitors_signed_in", "Visitors signed in, through the page, htmx or the API.")
SIGNED_OUT = Counter(
    "visitors_signed_out",
    "Visitors signed out, through the page, htmx, the API, the admin or sign_out_all.",
)
