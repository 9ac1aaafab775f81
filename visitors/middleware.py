import logging

from django import db
from django.conf import settings

from visitors import errors
from visitors_site.postgresql import failures
from visitors_site.postgresql.deadline import Deadline
from visitors_site.postgresql.signals import connection_lost

logger = logging.getLogger(__name__)


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
            return self.answer(errors.database_full, request, exception)
        if failures.is_conflict(exception):
            return self.answer(errors.database_busy, request, exception)
        if failures.is_outage(exception):
            connection_lost.send(sender=type(self), alias=db.DEFAULT_DB_ALIAS)
            return self.answer(errors.database_unavailable, request, exception)
        return None

    @staticmethod
    def answer(error_page, request, exception):
        """The error page, and a line saying why: Django's own line for the 503 names only
        the path. The exception's first line, not its traceback: an outage fails every
        request the same way."""
        cause = str(exception).strip().partition("\n")[0]
        logger.warning("%s answered 503: %s: %s", request.path, type(exception).__name__, cause)
        return error_page(request)
