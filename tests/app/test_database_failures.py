"""What a client is answered when the database fails a request, by the kind of failure.

The errors are real ones from PostgreSQL and psycopg, handed to the middleware as a view
would raise them.
"""

import json

import pytest
from django import db
from django.db import connection, transaction
from django.test import RequestFactory

from visitors.middleware import DatabaseMiddleware


def raised_by(sql):
    with pytest.raises(db.Error) as caught, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    return caught.value


def answer(exception, path):
    middleware = DatabaseMiddleware(get_response=None)
    return middleware.process_exception(RequestFactory().get(path), exception)


@pytest.mark.django_db(transaction=True)
def test_a_cancelled_statement_is_busy_not_an_outage(answer_cache):
    # statement_timeout here; a deadlock or a serialization failure is answered alike.
    cancelled = raised_by("SET LOCAL statement_timeout = 1; SELECT pg_sleep(1)")
    answer_cache.put(b"sentinel", "state", b"cached before the conflict")
    response = answer(cancelled, "/api/visitors")
    assert response.status_code == 503
    assert json.loads(response.content)["error"] == (
        "Visitors is busy with another change. Please try again."
    )
    assert response["Retry-After"].isdigit()
    # Not a sign of a restart: the cache stays.
    assert answer_cache.get(b"sentinel", "state") == b"cached before the conflict"


def test_a_refused_connection_is_an_outage_and_empties_the_cache(database_down, answer_cache):
    with pytest.raises(db.OperationalError) as refused:
        database_down.ensure_connection()
    answer_cache.put(b"sentinel", "state", b"cached before the outage")
    response = answer(refused.value, "/")
    assert response.status_code == 503
    assert "The database is not answering" in response.text
    assert answer_cache.get(b"sentinel", "state") is None


@pytest.mark.django_db(transaction=True)
def test_a_wrong_query_stays_a_server_error():
    assert answer(raised_by("SELECT no_such_column FROM visitors_visitor"), "/") is None
