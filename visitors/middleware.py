from django import db
from django.conf import settings

from visitors import errors
from visitors_site.postgresql import failures
from visitors_site.postgresql.deadline import Deadline
from visitors_site.postgresql.signals import connection_lost


class DatabaseMiddleware:
    """Requests get a deadline for each query, and a clear 503 when the database fails them.

    A stalled database costs a request DATABASE_QUERY_TIMEOUT at most, not a worker thread
    for as long as the stall lasts. Only failures of the database count: a query that is wrong
    still surfaces as a 500.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.deadline = Deadline(settings.DATABASE_QUERY_TIMEOUT)

    def __call__(self, request):
        with db.connection.execute_wrapper(self.deadline):
            return self.get_response(request)

    def process_exception(self, request, exception):
        if failures.is_disk_full(exception):
            return errors.database_full(request)
        if failures.is_conflict(exception):
            return errors.database_busy(request)
        if failures.is_outage(exception):
            connection_lost.send(sender=type(self), alias=db.DEFAULT_DB_ALIAS)
            return errors.database_unavailable(request)
        return None
