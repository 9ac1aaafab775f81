"""The front desk page at /: the form, who is in the building, who left, older pages, errors."""

import re
import zoneinfo
from datetime import UTC, datetime, time, timedelta

import pytest

from visitors import views
from visitors.models import MAX_ID

pytestmark = pytest.mark.django_db

MORE_LINK = re.compile(r'<a href="/\?before=(\d+)"[^>]*>Show earlier visitors</a>')
NOT_VALID = "That search or link to older visitors is not valid."


def next_before(html):
    found = MORE_LINK.search(html)
    return int(found.group(1)) if found else None


def test_page_shows_the_form_who_is_in_and_who_left_newest_first(client, listed_ids, make_visitors):
    gone = make_visitors(2, signed_out=True)
    present = make_visitors(3, start=3)
    response = client.get("/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.text
    assert '<form id="sign-in" method="post"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert all(f'name="{field}"' in html for field in ["name", "company", "message"])
    assert "In the building now (3)" in html
    assert listed_ids(html, "present-list") == [v.id for v in reversed(present)]
    assert listed_ids(html, "signed-out-list") == [v.id for v in reversed(gone)]
    assert html.index("In the building now") < html.index("Signed out today")
    assert next_before(html) is None


def test_only_those_in_the_building_have_a_sign_out_button(client, make_visitors):
    present, gone = make_visitors(1)[0], make_visitors(1, start=2, signed_out=True)[0]
    html = client.get("/").text
    assert f'action="/visitors/{present.id}/sign-out"' in html
    assert f'aria-label="Sign out {present.name}"' in html
    assert f"/visitors/{gone.id}/sign-out" not in html


def test_times_in_and_out_are_in_the_site_time_zone(client, make_visitor, settings):
    settings.TIME_ZONE = "Asia/Kolkata"  # UTC+05:30, no daylight saving time
    now = datetime.now(zoneinfo.ZoneInfo(settings.TIME_ZONE))
    arrived = now.replace(hour=0, minute=5, second=0, microsecond=0)
    make_visitor(created_at=arrived, signed_out_at=arrived + timedelta(minutes=90))
    html = client.get("/").text
    assert f'<time datetime="{arrived.astimezone(UTC).isoformat()}">12:05 a.m.</time>' in html
    assert ">1:35 a.m.</time>" in html


def test_empty_state(client, listed_ids):
    html = client.get("/").text
    assert "In the building now (0)" in html
    assert "Nobody is signed in right now." in html
    assert "Nobody has signed out yet today." in html
    assert listed_ids(html) == []
    assert "Show earlier visitors" not in html


def test_those_who_left_come_20_a_page_without_repeats_or_skips(client, listed_ids, make_visitors):
    all_ids = [v.id for v in reversed(make_visitors(45, signed_out=True))]
    present = make_visitors(2, start=46)
    seen, url, pages = [], "/", []
    while url:
        response = client.get(url)
        assert response.status_code == 200
        ids = listed_ids(response.text, "signed-out-list")
        pages.append(len(ids))
        seen += ids
        # Every page has the whole roll call: it is never cut into pages.
        assert listed_ids(response.text, "present-list") == [v.id for v in reversed(present)]
        cursor = next_before(response.text)
        url = f"/?before={cursor}" if cursor else None
    assert pages == [20, 20, 5]
    assert seen == all_ids


def test_older_page_is_labelled_and_links_back(client, listed_ids, make_visitors):
    visitors = make_visitors(3, signed_out=True)
    html = client.get(f"/?before={visitors[-1].id}").text
    assert "Signed out earlier today" in html
    assert "Back to the newest visitors" in html
    assert listed_ids(html, "signed-out-list") == [visitors[1].id, visitors[0].id]


def test_exactly_one_full_page_has_no_more_link(client, listed_ids, make_visitors):
    make_visitors(20, signed_out=True)
    html = client.get("/").text
    assert len(listed_ids(html, "signed-out-list")) == 20
    assert next_before(html) is None


def test_page_past_the_oldest_is_empty(client, listed_ids, make_visitors):
    oldest = make_visitors(2, signed_out=True)[0]
    html = client.get(f"/?before={oldest.id}").text
    assert listed_ids(html, "signed-out-list") == []
    assert "Nobody signed out earlier today." in html


def test_a_long_roll_call_says_how_many_more_are_in(client, listed_ids, make_visitors, monkeypatch):
    monkeypatch.setattr(views, "ROLL_CALL_LIMIT", 3)
    visitors = make_visitors(5)
    html = client.get("/").text
    assert "In the building now (5)" in html
    assert listed_ids(html, "present-list") == [v.id for v in reversed(visitors)][:3]
    assert "Showing the newest 3 of 5; the admin lists everyone." in html


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
    assert NOT_VALID in response.text


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
    assert NOT_VALID in response.text


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
    make_visitor(name="Today first visitor", created_at=midnight)
    yesterday_gone = make_visitor(
        name="Yesterday leaver", created_at=midnight - timedelta(seconds=2), signed_out_at=midnight
    )
    today_gone = make_visitor(name="Today leaver", created_at=midnight, signed_out_at=midnight)
    pages = (client.get("/"), client.get(f"/?before={today_gone.id + 1}", **htmx))
    for response in pages:
        assert "Today leaver" in response.text
        assert "Yesterday" not in response.text
    assert "Today first visitor" in pages[0].text
    # Nor through an older cursor: the history is for staff and token holders.
    assert "Yesterday" not in client.get(f"/?before={today_gone.id}").text
    assert yesterday.id < yesterday_gone.id < today_gone.id
