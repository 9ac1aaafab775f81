import time

from django.views import View

from visitors.metrics.instruments import DURATION, REQUESTS

# The methods Django's views know; anything else a client invents counts as one label value.
METHODS = frozenset(name.upper() for name in View.http_method_names)


class RequestMetricsMiddleware:
    """Counts every answer by route, method and status, and times it.

    First in MIDDLEWARE, so the time covers every other middleware, and an answer that another
    one gives before any URL is resolved (a refused host) still counts, as `unmatched`.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        match = request.resolver_match
        route = match.view_name if match else "unmatched"
        method = request.method if request.method in METHODS else "other"
        REQUESTS.labels(route, method, str(response.status_code)).inc()
        DURATION.labels(route, method).observe(elapsed)
        return response
