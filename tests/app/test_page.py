"""The front desk page at /: the form, the newest visitors, older pages, errors."""

import re
import zoneinfo
from datetime import datetime, time, timedelta

import pytest

from visitors.models import MAX_ID

pytestmark = pytest.mark.django_db

MORE_LINK = re.compile(r'<a href="/\?before=(\d+)"[^>]*>Show earlier visitors</a>')


def next_before(html):
    found = MORE_LINK.search(html)
    return int(found.group(1)) if found else None


def test_page_shows_the_form_and_visitors_newest_first(client, listed_ids, make_visitors):
    visitors = make_visitors(3)
    response = client.get("/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.text
    assert '<form id="sign-in" method="post"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert all(f'name="{field}"' in html for field in ["name", "company", "message"])
    assert listed_ids(html) == [v.id for v in reversed(visitors)]
    assert html.index("Visitor 3") < html.index("Visitor 2") < html.index("Visitor 1")
    assert next_before(html) is None


def test_empty_state(client, listed_ids):
    html = client.get("/").text
    assert "No visitors yet today. Be the first to sign in!" in html
    assert listed_ids(html) == []
    assert "Show earlier visitors" not in html


def test_pages_hold_20_and_walk_back_without_repeats_or_skips(client, listed_ids, make_visitors):
    all_ids = [v.id for v in reversed(make_visitors(45))]
    seen, url, pages = [], "/", []
    while url:
        response = client.get(url)
        assert response.status_code == 200
        ids = listed_ids(response.text)
        pages.append(len(ids))
        seen += ids
        cursor = next_before(response.text)
        url = f"/?before={cursor}" if cursor else None
    assert pages == [20, 20, 5]
    assert seen == all_ids


def test_older_page_is_labelled_and_links_back(client, listed_ids, make_visitors):
    visitors = make_visitors(3)
    html = client.get(f"/?before={visitors[-1].id}").text
    assert "Earlier today" in html
    assert "Back to the newest visitors" in html
    assert listed_ids(html) == [visitors[1].id, visitors[0].id]


def test_exactly_one_full_page_has_no_more_link(client, listed_ids, make_visitors):
    make_visitors(20)
    html = client.get("/").text
    assert len(listed_ids(html)) == 20
    assert next_before(html) is None


def test_page_past_the_oldest_is_empty(client, listed_ids, make_visitors):
    oldest = make_visitors(2)[0]
    html = client.get(f"/?before={oldest.id}").text
    assert listed_ids(html) == []
    assert "No earlier visitors today." in html


@pytest.mark.parametrize("before", [1, MAX_ID])
def test_cursor_bounds_are_accepted(client, before):
    assert client.get("/", {"before": before}).status_code == 200


@pytest.mark.parametrize(
    "before", ["abc", "0", "-1", "1.5", str(MAX_ID + 1), "99999999999999999999999", "9" * 5000]
)
def test_invalid_cursor_is_a_400_page(client, before):
    response = client.get("/", {"before": before})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "<html" in response.text
    assert "That link to older visitors is not valid." in response.text


@pytest.mark.parametrize("query", ["limit=500", "limit=abc", "utm_source=mail"])
def test_parameters_the_page_does_not_take_are_ignored(client, listed_ids, make_visitors, query):
    # `limit` is the API's: a link that carries it shows the page as it is.
    make_visitors(3)
    response = client.get(f"/?{query}")
    assert response.status_code == 200
    assert listed_ids(response.text) == listed_ids(client.get("/").text)


def test_a_cursor_given_twice_is_a_400_page(client, make_visitors):
    visitors = make_visitors(3)
    response = client.get(f"/?before={visitors[2].id}&before={visitors[1].id}")
    assert response.status_code == 400
    assert "That link to older visitors is not valid." in response.text


@pytest.mark.parametrize("field", ["name", "company", "message"])
def test_user_supplied_html_is_escaped(client, make_visitor, field):
    payload = "<script>alert(1)</script>"
    make_visitor(**{"name": "Ada", field: payload})
    html = client.get("/").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert payload not in html


def test_message_line_breaks_are_shown_and_markup_escaped(client, make_visitor):
    make_visitor(message="<b>first</b>\nsecond")
    html = client.get("/").text
    assert "&lt;b&gt;first&lt;/b&gt;<br>second" in html


def test_unknown_page_is_a_404_html_page(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert "There is nothing at this address." in response.text


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_other_methods_are_a_405_html_page(client, method):
    response = getattr(client, method)("/")
    assert response.status_code == 405
    assert response["Content-Type"].startswith("text/html")
    assert set(response["Allow"].split(", ")) >= {"GET", "POST"}
    assert "This page can only be viewed or posted to." in response.text


@pytest.mark.parametrize("path", ["/", "/?before=1"])
def test_database_unavailable_is_a_503_page(client, database_down, path):
    response = client.get(path)
    assert response.status_code == 503
    assert response["Retry-After"].isdigit()
    assert response["Content-Type"].startswith("text/html")
    assert "The database is not answering" in response.text


def test_the_public_page_shows_only_todays_visitors(client, make_visitor, settings, htmx):
    # "Today" in the site's time zone: a visitor a second before its midnight is yesterday's.
    settings.TIME_ZONE = "America/Sao_Paulo"
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    midnight = datetime.combine(datetime.now(zone).date(), time.min, tzinfo=zone)
    yesterday = make_visitor(name="Yesterday visitor", created_at=midnight - timedelta(seconds=1))
    today = make_visitor(name="Today first visitor", created_at=midnight)
    for response in (client.get("/"), client.get(f"/?before={today.id + 1}", **htmx)):
        assert "Today first visitor" in response.text
        assert "Yesterday visitor" not in response.text
    # Nor through an older cursor: the history is for staff and token holders.
    assert "Yesterday visitor" not in client.get(f"/?before={today.id}").text
    assert yesterday.id < today.id
