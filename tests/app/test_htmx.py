"""Signing in through the form: with htmx (fragments), without JavaScript (redirects), CSRF."""

import re

import pytest
from django.test import Client

from visitors.models import Visitor

pytestmark = pytest.mark.django_db

THANKS = "Thanks, Grace Hopper: you are signed in."
NEW_ROW = re.compile(r'<ol hx-swap-oob="afterbegin:#present-list">(.*?)</ol>', re.DOTALL)
COUNT = re.compile(r'<span id="present-title" hx-swap-oob="innerHTML">(.*?)</span>', re.DOTALL)
NOTICE = re.compile(r'<div id="notice" hx-swap-oob="innerHTML">(.*?)</div>', re.DOTALL)
CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

VALID = {"name": "  Grace Hopper ", "company": "US Navy", "message": "Here for COBOL"}
INVALID = [
    ({"name": "   "}, "name", "Please tell us your name."),
    ({"name": "x" * 101}, "name", "at most 100 characters"),
    ({"name": "Ada", "company": "Acme\x1b"}, "company", "Control characters"),
    ({"name": "Ada", "message": "m" * 501}, "message", "at most 500 characters"),
]


def field_value(html, name):
    found = re.search(rf'<input type="text" name="{name}"[^>]*?(?: value="([^"]*)")?[^>]*>', html)
    assert found, f"no input named {name}"
    return found.group(1)


def test_htmx_sign_in_swaps_the_form_and_adds_the_visitor(client, htmx, listed_ids):
    response = client.post("/", VALID, **htmx)
    assert response.status_code == 200
    visitor = Visitor.objects.get()
    assert visitor.name == "Grace Hopper"
    html = response.text
    assert "<html" not in html
    assert html.count('<form id="sign-in"') == 1
    assert field_value(html, "name") is None  # the form is cleared
    assert field_value(html, "company") is None
    assert THANKS in NOTICE.search(html).group(1)  # the live region says it
    new_row = NEW_ROW.search(html)
    assert new_row, "no out-of-band element for the present list"
    assert listed_ids(new_row.group(1)) == [visitor.id]
    assert "US Navy" in new_row.group(1)
    assert f'aria-label="Sign out {visitor.name}"' in new_row.group(1)


def test_htmx_sign_in_updates_the_count_of_those_in_the_building(
    client, htmx, make_visitors, make_visitor
):
    make_visitors(2)
    make_visitors(1, start=3, signed_out=True)
    make_visitor(name="Yesterday", days_ago=1)
    response = client.post("/", VALID, **htmx)
    assert COUNT.search(response.text).group(1) == "In the building now (3)"


def test_thank_you_is_shown_once(client, htmx):
    client.post("/", VALID, **htmx)
    assert THANKS not in client.get("/").text


@pytest.mark.parametrize(("data", "field", "error"), INVALID)
def test_htmx_invalid_sign_in_is_422_with_inline_errors(client, htmx, data, field, error):
    response = client.post("/", data, **htmx)
    assert response.status_code == 422
    html = response.text
    assert "<html" not in html
    assert html.count('<form id="sign-in"') == 1
    assert f'id="id_{field}_error"' in html
    assert error in html
    assert "The form has 1 problem: please correct it." in NOTICE.search(html).group(1)
    assert not Visitor.objects.exists()


def test_htmx_older_page_is_only_the_rows(client, htmx, listed_ids, make_visitors):
    visitors = make_visitors(25, signed_out=True)
    response = client.get("/", {"before": visitors[-1].id}, **htmx)
    assert response.status_code == 200
    html = response.text
    assert "<html" not in html
    assert "<form" not in html
    assert listed_ids(html) == [v.id for v in reversed(visitors[:-1])][:20]
    assert f'hx-get="/?before={visitors[4].id}"' in html
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize("headers", [{}, {"HTTP_HX_REQUEST": "true"}], ids=["plain", "htmx"])
def test_page_varies_on_hx_request(client, headers):
    # Caches must not serve the fragment for the full page or the other way round.
    assert "HX-Request" in client.get("/", **headers)["Vary"]


def test_no_js_sign_in_redirects_and_shows_the_visitor(client, listed_ids):
    response = client.post("/", VALID)
    assert response.status_code in {302, 303}
    assert response["Location"] == "/"
    page = client.get(response["Location"]).text
    visitor = Visitor.objects.get()
    assert listed_ids(page, "present-list") == [visitor.id]
    assert re.search(rf'<div id="notice"[^>]*><p>{THANKS}</p></div>', page)
    assert THANKS not in client.get("/").text


@pytest.mark.parametrize(("data", "field", "error"), INVALID)
def test_no_js_invalid_sign_in_is_a_422_page_keeping_the_values(client, data, field, error):
    data = {"name": "Ada", "company": "Analytical Engines", **data}
    response = client.post("/", data)
    assert response.status_code == 422
    html = response.text
    assert "<html" in html
    assert error in html
    assert f'id="id_{field}_error"' in html
    if field != "company":
        assert field_value(html, "company") == "Analytical Engines"
    if field == "message":
        assert field_value(html, "name") == "Ada"
        assert "m" * 501 in html  # the textarea keeps it
    assert not Visitor.objects.exists()


def test_no_js_invalid_sign_in_escapes_the_kept_values(client):
    response = client.post("/", {"name": '"><script>alert(1)</script>', "message": "m" * 501})
    assert response.status_code == 422
    assert "<script>alert(1)</script>" not in response.text
    assert field_value(response.text, "name") == "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"


def test_htmx_sign_in_escapes_the_new_visitor(client, htmx):
    response = client.post("/", {"name": "<script>alert(1)</script>"}, **htmx)
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in NEW_ROW.search(response.text).group(1)


def test_form_body_with_broken_utf8_is_not_a_server_error():
    # \ud800 cannot be sent as UTF-8; its CESU-8 bytes are what a broken client would send.
    client = Client(raise_request_exception=False)
    response = client.post("/", "name=%ED%A0%80", content_type="application/x-www-form-urlencoded")
    assert response.status_code in {302, 422}


@pytest.mark.parametrize("headers", [{}, {"HTTP_HX_REQUEST": "true"}], ids=["plain", "htmx"])
def test_post_without_csrf_token_is_a_friendly_403(headers):
    client = Client(enforce_csrf_checks=True)
    client.get("/")  # the csrf cookie alone is not enough
    response = client.post("/", {"name": "Mallory"}, **headers)
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")
    assert "The form had expired or came from another site." in response.text
    assert not Visitor.objects.exists()


def test_post_with_the_pages_csrf_token_signs_in():
    client = Client(enforce_csrf_checks=True)
    token = CSRF_TOKEN.search(client.get("/").text).group(1)
    response = client.post("/", {**VALID, "csrfmiddlewaretoken": token})
    assert response.status_code in {302, 303}
    assert Visitor.objects.get().name == "Grace Hopper"


def test_post_with_a_forged_csrf_token_is_refused():
    client = Client(enforce_csrf_checks=True)
    client.get("/")
    response = client.post("/", {**VALID, "csrfmiddlewaretoken": "x" * 64})
    assert response.status_code == 403
    assert not Visitor.objects.exists()


def test_database_unavailable_on_sign_in_is_a_503(client, htmx, database_down):
    response = client.post("/", VALID, **htmx)
    assert response.status_code == 503
    assert response["Retry-After"].isdigit()
