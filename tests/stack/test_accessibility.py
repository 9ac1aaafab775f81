"""The visitor page against the WCAG 2.2 A and AA rules, with axe-core in Chromium.

Zero violations on the page empty, full, with form errors, after an htmx sign-in, after an
htmx sign-out and after an htmx search, in each language (Accept-Language) and at a phone's
and a laptop's width. The module has a stack of its own, so "empty" really is the page before
anyone signed in, and the tests run in that order: empty pages first, then the full page and
the htmx answers.
"""

import pytest
from accessibility_tools import (
    LANGUAGES,
    VIEWPORTS,
    assert_no_violations,
    assert_nothing_missing,
    record_responses,
    with_axe,
)
from helpers_security import own_stack
from http_client import http_session
from visitors_api import create_visitors, unique

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture reports it
    expect = None

every_page = pytest.mark.parametrize(
    ("language", "viewport"),
    [(language, viewport) for language in LANGUAGES for viewport in VIEWPORTS],
)

PRESENT = "#present-list > li.visitor"
SIGNED_OUT = "#signed-out-list > li.visitor"


@pytest.fixture(scope="module")
def page_stack(timings):
    with own_stack(timings, "accessibility", prefix="visitors-test-a11y") as stack:
        yield stack


@pytest.fixture
def open_page(browser, page_stack):
    """Opens / in a fresh context with axe, as a reader of `language` at `viewport`."""
    contexts = []

    def open_at(language, viewport):
        context = browser.new_context(
            base_url=page_stack.url(), locale=language, viewport=VIEWPORTS[viewport]
        )
        context.set_default_timeout(10_000)
        contexts.append(with_axe(context))
        page = record_responses(context.new_page())
        page.goto("/")
        expect(page.locator("html")).to_have_attribute("lang", LANGUAGES[language])
        page.wait_for_function("() => window.htmx !== undefined")
        return page

    yield open_at
    for context in contexts:
        context.close()


@pytest.fixture(scope="module")
def full_page(page_stack):
    """Two dozen visitors today, long names and messages among them, a few signed out."""
    token = page_stack.credentials()["API token"]
    visitors = create_visitors(
        page_stack,
        token,
        [
            {
                "name": unique(f"Maria da Conceição Albuquerque {number}"),
                "company": "Companhia Paulista de Engenharia e Construção" if number % 2 else "",
                "message": "Reunião às 14h com o setor financeiro, sala 3" if number % 3 else "",
            }
            for number in range(24)
        ],
    )
    with http_session() as http:
        for visitor in visitors[:4]:
            answer = http.post(
                page_stack.url(f"/api/visitors/{visitor['id']}/sign-out"),
                headers={"Authorization": f"Bearer {token}"},
                timeout=10,
            )
            assert answer.status_code == 200, answer.text
    return visitors


def assert_accessible(page, state):
    """No axe violation on the page in `state`, and nothing it asked for answered 404."""
    assert_no_violations(page, state)
    assert_nothing_missing(page)


@every_page
def test_empty_page(open_page, language, viewport):
    page = open_page(language, viewport)
    expect(page.locator(f"{PRESENT}, {SIGNED_OUT}")).to_have_count(0)
    assert_accessible(page, "the empty page")


@every_page
def test_full_page(open_page, full_page, language, viewport):
    page = open_page(language, viewport)
    expect(page.locator(SIGNED_OUT).first).to_be_visible()
    assert page.locator(PRESENT).count() >= 20
    assert_accessible(page, "the full page")


@every_page
def test_form_errors(open_page, language, viewport):
    page = open_page(language, viewport)
    page.locator("#id_name").fill("   ")  # passes the browser's `required`, not the server
    page.locator("#sign-in [type=submit]").click()
    expect(page.locator("#id_name")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_name_error")).to_be_visible()
    assert_accessible(page, "the form with an error")


@every_page
def test_after_htmx_sign_in(open_page, full_page, language, viewport):
    page = open_page(language, viewport)
    name = unique("Axe Ada")
    page.locator("#id_name").fill(name)
    page.locator("#id_company").fill("Analytical Engines")
    page.locator("#sign-in [type=submit]").click()
    expect(page.locator(PRESENT).first.locator(".name")).to_have_text(name)
    expect(page.locator("#notice")).to_contain_text(name)
    assert_accessible(page, "the page after an htmx sign-in")


@every_page
def test_after_htmx_sign_out(open_page, full_page, language, viewport):
    page = open_page(language, viewport)
    leaving = page.locator(PRESENT).first
    name = leaving.locator(".name").inner_text()
    leaving.locator("button.sign-out").click()
    expect(page.locator(SIGNED_OUT).filter(has_text=name)).to_have_count(1)
    expect(page.locator("#notice")).to_contain_text(name)
    assert_accessible(page, "the page after an htmx sign-out")


@every_page
def test_after_htmx_search(open_page, full_page, language, viewport):
    page = open_page(language, viewport)
    # Still in the building: full_page signed out the oldest, the sign-out tests the newest.
    wanted = full_page[-1]["name"]
    page.locator("#id_q").fill(wanted.split()[-1])
    expect(page.locator(".search-summary")).to_be_visible()
    expect(page.locator(PRESENT)).to_have_count(1)
    expect(page.locator(PRESENT).locator(".name")).to_have_text(wanted)
    assert_accessible(page, "the page after an htmx search")
