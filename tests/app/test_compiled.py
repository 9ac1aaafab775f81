"""Querysets compiled once: the same answers as the queryset, for any values."""

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.db.models import Value
from django.utils import timezone

from visitors.compiled import CompiledQuery
from visitors.models import PRESENT_SINCE, VISITOR_BY_ID, Visitor, start_of_today

pytestmark = pytest.mark.django_db


def fields(visitor):
    return visitor and visitor.as_json()


def test_rows_are_the_querysets_for_every_value(make_visitors):
    visitors = make_visitors(3)
    for pk in [v.pk for v in visitors] + [0, -1, max(v.pk for v in visitors) + 1]:
        expected = [fields(v) for v in Visitor.objects.filter(pk=pk)[:1]]
        assert [fields(v) for v in VISITOR_BY_ID.rows(pk=pk)] == expected


def test_rows_are_model_instances_that_can_be_saved(make_visitors):
    [visitor] = make_visitors(1)
    [found] = VISITOR_BY_ID.rows(pk=visitor.pk)
    found.signed_out_at = timezone.now()
    found.save()
    assert Visitor.objects.get(pk=visitor.pk).signed_out_at == found.signed_out_at


def test_count_is_the_querysets_for_every_value(make_visitors):
    make_visitors(4)
    Visitor.objects.filter(pk=Visitor.objects.first().pk).sign_out()
    now = timezone.now()
    for since in (start_of_today(), now - timedelta(days=400), now + timedelta(minutes=1)):
        expected = Visitor.objects.since(since).present().count()
        assert PRESENT_SINCE.count(since=since) == expected


def test_the_querys_execute_wrappers_see_it(make_visitors):
    # The request's query deadline (visitors_site/postgresql/deadline.py) is one.
    make_visitors(1)
    seen = []

    def wrapper(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        PRESENT_SINCE.count(since=start_of_today())
    assert len(seen) == 1 and "count(*)" in seen[0]


def test_a_queryset_whose_sql_depends_on_the_value_is_refused():
    twice = CompiledQuery(lambda pk: Visitor.objects.filter(id__gte=pk, id__lte=pk), pk=int)
    with pytest.raises(ValueError, match="is 2 parameters"):
        twice.rows(pk=1)
    unused = CompiledQuery(lambda since: Visitor.objects.all(), since=datetime)
    with pytest.raises(ValueError, match="is 0 parameters"):
        unused.count(since=start_of_today())


def test_annotations_are_refused():
    annotated = CompiledQuery(
        lambda pk: Visitor.objects.filter(pk=pk).annotate(one=Value(1)),
        pk=int,
    )
    with pytest.raises(ValueError, match="whole model rows"):
        annotated.rows(pk=1)


def test_arguments_must_be_the_declared_ones():
    with pytest.raises(TypeError, match="arguments"):
        VISITOR_BY_ID.rows(id=1)
