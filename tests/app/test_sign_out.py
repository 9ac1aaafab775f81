"""Signing visitors out: the page's button (htmx and without JavaScript), the API, the admin's
action and filter, and `manage.py sign_out_all`."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from visitors.models import MAX_ID, Visitor

pytestmark = pytest.mark.django_db

NOTICE = re.compile(r'<div id="notice" hx-swap-oob="innerHTML">(.*?)</div>', re.DOTALL)
CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CHANGE_LIST = "/admin/visitors/visitor/"


def sign_out_url(visitor_id):
    return f"/visitors/{visitor_id}/sign-out"


def api_sign_out_url(visitor_id):
    return f"/api/visitors/{visitor_id}/sign-out"


def reloaded(visitor):
    visitor.refresh_from_db()
    return visitor


# --- the page ---------------------------------------------------------------------------------


def test_htmx_sign_out_moves_the_visitor_to_those_who_left(client, htmx, listed_ids, make_visitors):
    staying, leaving = make_visitors(2)
    response = client.post(sign_out_url(leaving.id), **htmx)
    assert response.status_code == 200
    html = response.text
    assert "<html" not in html
    assert listed_ids(html, "present-list") == [staying.id]
    assert listed_ids(html, "signed-out-list") == [leaving.id]
    assert "In the building now (1)" in html
    left = timezone.localtime(reloaded(leaving).signed_out_at)
    assert abs(left - timezone.now()) < timedelta(seconds=30)
    notice = NOTICE.search(html).group(1)
    assert f"Goodbye, {leaving.name}: signed out at" in notice
    # The next page shows it: the answer cache follows the database.
    assert listed_ids(client.get("/").text, "signed-out-list") == [leaving.id]


def test_htmx_sign_out_keeps_the_search(client, htmx, listed_ids, make_visitor):
    ada, grace = make_visitor(name="Ada"), make_visitor(name="Grace")
    response = client.post(sign_out_url(ada.id), {"q": "ada"}, **htmx)
    assert listed_ids(response.text) == [ada.id]
    assert grace.id not in listed_ids(response.text)


def test_no_js_sign_out_redirects_to_the_page_with_a_notice(client, listed_ids, make_visitor):
    visitor = make_visitor(name="Ada Lovelace")
    response = client.post(sign_out_url(visitor.id))
    assert response.status_code == 302
    assert response["Location"] == "/"
    page = client.get("/").text
    assert "Goodbye, Ada Lovelace: signed out at" in page
    assert listed_ids(page, "signed-out-list") == [visitor.id]
    assert listed_ids(page, "present-list") == []


def test_no_js_sign_out_returns_to_the_search(client, make_visitor):
    visitor = make_visitor(name="Ada Lovelace")
    response = client.post(sign_out_url(visitor.id), {"q": "Ada L"})
    assert response["Location"] == "/?q=Ada+L"


@pytest.mark.parametrize("headers", [{}, {"HTTP_HX_REQUEST": "true"}], ids=["plain", "htmx"])
def test_signing_out_twice_says_so_and_keeps_the_first_time(client, make_visitor, headers):
    visitor = make_visitor(name="Ada Lovelace")
    client.post(sign_out_url(visitor.id))
    first = reloaded(visitor).signed_out_at
    response = client.post(sign_out_url(visitor.id), follow=not headers, **headers)
    assert response.status_code == 200
    assert "Ada Lovelace had already signed out, at" in response.text
    assert reloaded(visitor).signed_out_at == first


@pytest.mark.parametrize("visitor_id", ["missing", "yesterday", MAX_ID, MAX_ID + 1])
def test_signing_out_someone_not_on_todays_page_is_a_404_page(client, make_visitor, visitor_id):
    yesterday = make_visitor(name="Yesterday", days_ago=1)
    ids = {"missing": yesterday.id + 1000, "yesterday": yesterday.id}
    response = client.post(sign_out_url(ids.get(visitor_id, visitor_id)))
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert "There is no visitor with that number today." in response.text
    assert reloaded(yesterday).signed_out_at is None


def test_sign_out_only_takes_posts(client, make_visitor):
    response = client.get(sign_out_url(make_visitor().id))
    assert response.status_code == 405
    assert response["Allow"] == "POST, OPTIONS"
    assert "Signing out is done with the button on the page." in response.text


def test_sign_out_needs_the_pages_csrf_token(make_visitor):
    visitor = make_visitor()
    client = Client(enforce_csrf_checks=True)
    client.get("/")
    assert client.post(sign_out_url(visitor.id)).status_code == 403
    assert reloaded(visitor).signed_out_at is None
    token = CSRF_TOKEN.search(client.get("/").text).group(1)
    assert client.post(sign_out_url(visitor.id), {"csrfmiddlewaretoken": token}).status_code == 302
    assert reloaded(visitor).signed_out_at is not None


# --- the API ----------------------------------------------------------------------------------


def test_api_sign_out_answers_the_visitor(client, auth, make_visitor):
    visitor = make_visitor(days_ago=3)  # the API is not limited to today
    response = client.post(api_sign_out_url(visitor.id), **auth)
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == visitor.id
    assert body["signed_out_at"] == reloaded(visitor).signed_out_at.isoformat()
    assert client.get(f"/api/visitors/{visitor.id}", **auth).json() == body


def test_api_sign_out_of_someone_gone_is_a_409(client, auth, make_visitor):
    visitor = make_visitor()
    client.post(api_sign_out_url(visitor.id), **auth)
    first = reloaded(visitor).signed_out_at
    response = client.post(api_sign_out_url(visitor.id), **auth)
    assert response.status_code == 409
    body = response.json()
    assert body["error"] == f"Visitor {visitor.id} had already signed out, at {first.isoformat()}."
    assert body["request_id"]
    assert reloaded(visitor).signed_out_at == first


@pytest.mark.parametrize("visitor_id", [1_000_000, MAX_ID, MAX_ID + 1])
def test_api_sign_out_of_nobody_is_a_404(client, auth, visitor_id):
    response = client.post(api_sign_out_url(visitor_id), **auth)
    assert response.status_code == 404
    assert response.json()["error"] == f"There is no visitor with id {visitor_id}."


def test_api_sign_out_needs_the_write_token(client, read_auth, make_visitor):
    visitor = make_visitor()
    assert client.post(api_sign_out_url(visitor.id)).status_code == 401
    response = client.post(api_sign_out_url(visitor.id), **read_auth)
    assert response.status_code == 403
    assert "signing out needs the API token" in response.json()["error"]
    assert reloaded(visitor).signed_out_at is None


@pytest.mark.parametrize(("present", "expected"), [("true", ["in"]), ("false", ["gone"])])
def test_api_lists_those_present_or_gone(client, auth, make_visitor, present, expected):
    names = {"in": make_visitor(name="in", days_ago=2), "gone": make_visitor(name="gone")}
    client.post(api_sign_out_url(names["gone"].id), **auth)
    body = client.get("/api/visitors", {"present": present}, **auth).json()
    assert [item["name"] for item in body["results"]] == expected


def test_api_present_pages_keep_the_filter(client, auth, make_visitors):
    make_visitors(3, signed_out=True)
    present = make_visitors(3, start=4)
    body = client.get("/api/visitors", {"present": "true", "limit": 2}, **auth).json()
    assert [item["id"] for item in body["results"]] == [present[2].id, present[1].id]
    assert "present=true" in body["next"]
    rest = client.get(body["next"], **auth).json()
    assert [item["id"] for item in rest["results"]] == [present[0].id]
    assert rest["next"] is None


@pytest.mark.parametrize("present", ["", "yes", "TRUE", "1"])
def test_api_present_takes_true_or_false_only(client, auth, present):
    response = client.get("/api/visitors", {"present": present}, **auth)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"present"}


# --- the admin and the end of the day ----------------------------------------------------------


def test_admin_action_signs_out_the_selected(admin_client, make_visitor):
    ada, grace, linus = make_visitor(name="Ada"), make_visitor(name="Grace"), make_visitor()
    earlier = timezone.now() - timedelta(hours=1)
    Visitor.objects.filter(pk=linus.pk).update(signed_out_at=earlier)
    response = admin_client.post(
        CHANGE_LIST,
        {"action": "sign_out", "_selected_action": [ada.pk, linus.pk]},
        follow=True,
    )
    assert "Signed out 1 visitor." in response.text
    assert reloaded(ada).signed_out_at is not None
    assert reloaded(grace).signed_out_at is None
    assert reloaded(linus).signed_out_at == earlier


@pytest.mark.parametrize(("present", "expected"), [("yes", {"Ada"}), ("no", {"Grace"})])
def test_admin_filters_those_in_the_building(admin_client, make_visitor, present, expected):
    make_visitor(name="Ada")
    make_visitor(name="Grace", signed_out_at=timezone.now())
    response = admin_client.get(CHANGE_LIST, {"present": present})
    listed = {visitor.name for visitor in response.context["cl"].result_list}
    assert listed == expected
    assert "in the building" in response.text


def test_sign_out_all_signs_out_everyone_still_in(make_visitor):
    in_today, in_last_week = make_visitor(), make_visitor(days_ago=7)
    gone_at = timezone.now() - timedelta(hours=2)
    gone = make_visitor(signed_out_at=gone_at)
    out = StringIO()
    call_command("sign_out_all", stdout=out)
    assert out.getvalue() == "Signed out 2 visitors.\n"
    assert reloaded(in_today).signed_out_at is not None
    assert reloaded(in_last_week).signed_out_at is not None
    assert reloaded(gone).signed_out_at == gone_at
    out = StringIO()
    call_command("sign_out_all", stdout=out)
    assert out.getvalue() == "Signed out 0 visitors.\n"
