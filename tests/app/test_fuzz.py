"""The sign-in form fuzzed with hypothesis: the no-JavaScript post and the htmx post.

Whatever a visitor types (any Unicode, control characters, markup, very long text) the page
never answers 5xx. What the rules accept is stored exactly as typed, trimmed, and shown back
escaped; what they refuse comes back 422 with the errors and stores nothing. The rules
(README, "Validation"): name 1 to 100 characters after trimming, company up to 100, message
up to 500, no control characters except newlines and tabs in the message.
"""

import re
import unicodedata

import pytest
from django.test import Client
from django.utils.html import escape
from django.utils.text import normalize_newlines
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from visitors.models import Visitor

pytestmark = pytest.mark.django_db

LIMITS = {"name": 100, "company": 100, "message": 500}
MESSAGE_CONTROLS = "\n\r\t"

# Text as a browser may post it: any code point a UTF-8 form can carry (lone surrogates
# cannot be encoded, so they are left out here and sent as raw bytes further down), with
# plenty of the characters that matter: controls, whitespace, markup, quotes, long runs.
INTERESTING = "\x00\x01\x08\x0b\x0c\x1b\x1f\x7f\x85\xa0\u2028\u3000\ufeff \t\r\n<>&\"'`/=;"
characters = st.characters(exclude_categories=["Cs"]) | st.sampled_from(INTERESTING)
printable = st.characters(exclude_categories=["Cs", "Cc"])
padding = st.text(st.sampled_from(" \t\n\r\u3000\xa0"), max_size=3)


def field_text(limit):
    """Mostly text the rules accept (so both outcomes are exercised), the rest anything."""
    plausible = st.builds(
        lambda before, text, after: before + text + after,
        padding,
        st.text(printable, max_size=limit) | st.text(printable, min_size=limit - 5, max_size=limit),
        padding,
    )
    anything = st.one_of(
        st.text(characters, max_size=20),
        st.text(characters, min_size=limit - 10, max_size=limit + 20),
        st.builds(
            lambda text, count: text * count,
            st.text(characters, min_size=1, max_size=3),
            st.integers(1, limit + 10),
        ),
    )
    return st.one_of(plausible, plausible, anything)


forms = st.fixed_dictionaries({field: field_text(limit) for field, limit in LIMITS.items()})

FUZZ = settings(
    max_examples=120,
    deadline=None,
    database=None,
    # No "explain" phase: tracing Django through it exhausts the container's 384 MiB.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def expected_errors(form):
    """The fields the rules refuse, computed independently of the app."""
    refused = set()
    for field, value in form.items():
        value = value.strip()
        allowed = MESSAGE_CONTROLS if field == "message" else ""
        if len(value) > LIMITS[field]:
            refused.add(field)
        if any(unicodedata.category(c) == "Cc" and c not in allowed for c in value):
            refused.add(field)
    if not form["name"].strip():
        refused.add("name")
    return refused


def shown(field, value):
    """How a stored value appears in the page's HTML."""
    if field == "message":
        return escape(normalize_newlines(value)).replace("\n", "<br>")
    return escape(value)


# The template's own tags in a row (the sign-out form is the template's; its token, a value).
TEMPLATE_TAGS = re.compile(r"</?(?:span|time|p|form|input|button)\b[^<>]*>|<br>")


def visitor_html(html, visitor_id):
    match = re.search(
        rf'<li class="visitor" id="visitor-{visitor_id}">(.*?)</li>', html, flags=re.DOTALL
    )
    assert match, f"visitor {visitor_id} is not listed"
    return match.group(1)


def check_stored_and_shown(form, visitor, html):
    event("accepted")
    for field in ("name", "company", "message"):
        assert getattr(visitor, field) == form[field].strip(), field
    row = visitor_html(html, visitor.id)
    assert f'<span class="name">{shown("name", visitor.name)}</span>' in row
    if visitor.company:
        assert f'<span class="company">{shown("company", visitor.company)}</span>' in row
    if visitor.message:
        assert f'<p class="message">{shown("message", visitor.message)}</p>' in row
    # Nothing the visitor typed became markup: only the template's own tags are left.
    assert "<" not in TEMPLATE_TAGS.sub("", row), row


def check_refused(form, response, before):
    event(f"refused: {', '.join(sorted(expected_errors(form)))}")
    assert response.status_code == 422, response.status_code
    html = response.content.decode()
    for field in expected_errors(form):
        assert f'id="id_{field}_error"' in html, field
    assert Visitor.objects.count() == before


@FUZZ
@given(form=forms)
def test_form_post_without_javascript(form):
    client = Client()
    before = Visitor.objects.count()
    response = client.post("/", form)
    assert response.status_code < 500
    if expected_errors(form):
        check_refused(form, response, before)
        return
    assert response.status_code == 302, response.content[:2000]
    assert response["Location"] == "/"
    assert Visitor.objects.count() == before + 1
    visitor = Visitor.objects.latest("id")
    page = client.get("/")
    assert page.status_code == 200
    check_stored_and_shown(form, visitor, page.content.decode())


@FUZZ
@given(form=forms)
def test_htmx_post(form):
    client = Client(headers={"HX-Request": "true"})
    before = Visitor.objects.count()
    response = client.post("/", form)
    assert response.status_code < 500
    if expected_errors(form):
        check_refused(form, response, before)
        # Only the form comes back, never the whole page.
        assert "<html" not in response.content.decode()
        return
    assert response.status_code == 200
    assert Visitor.objects.count() == before + 1
    visitor = Visitor.objects.latest("id")
    check_stored_and_shown(form, visitor, response.content.decode())


@FUZZ
@given(
    raw=st.binary(max_size=300),
    field=st.sampled_from(["name", "company", "message"]),
    htmx=st.booleans(),
)
def test_undecodable_bytes_never_cause_a_server_error(raw, field, htmx):
    """Invalid UTF-8, lone surrogates included, as a hostile client can post them."""
    body = b"name=Ada&" + field.encode() + b"=" + raw.replace(b"&", b"%26")
    headers = {"HX-Request": "true"} if htmx else {}
    before = Visitor.objects.count()
    response = Client(headers=headers).post(
        "/", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code in {200, 302, 400, 422}, response.status_code
    if response.status_code in {200, 302}:
        visitor = Visitor.objects.latest("id")
        for name in ("name", "company", "message"):
            allowed = MESSAGE_CONTROLS if name == "message" else ""
            value = getattr(visitor, name)
            assert not any(
                unicodedata.category(c) in {"Cc", "Cs"} and c not in allowed for c in value
            ), (name, value)
    else:
        assert Visitor.objects.count() == before


@pytest.mark.parametrize("htmx", [False, True], ids=["no-js", "htmx"])
def test_lone_surrogate_is_refused_not_stored(htmx):
    # "\ud800" sent the way a broken client encodes it: UTF-8 with surrogatepass.
    body = "name=Ada&company=\ud800".encode("utf-8", "surrogatepass")
    headers = {"HX-Request": "true"} if htmx else {}
    before = Visitor.objects.count()
    response = Client(headers=headers).post(
        "/", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code < 500
    if response.status_code in {200, 302}:
        assert "\ud800" not in Visitor.objects.latest("id").company
    else:
        assert Visitor.objects.count() == before
