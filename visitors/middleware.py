import psycopg
from django import db

from visitors import errors, freshness


class DatabaseUnavailableMiddleware:
    """Answers 503 with Retry-After, not 500, while the database cannot be reached.

    Only connection-level failures count: a query that is wrong still surfaces as a 500.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception.__cause__, psycopg.errors.DiskFull):
            return errors.database_full(request)
        if isinstance(exception, db.OperationalError | db.InterfaceError):
            freshness.forget()
            return errors.database_unavailable(request)
        return None
