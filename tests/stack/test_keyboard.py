"""The visitor page with the keyboard alone: Tab, typing and Enter, never a click.

A mistake, a sign-in, a search and a sign-out, each answered by htmx; after a form's answer
focus is on the first field in error or on the notice, a live region that says what happened.
Every answer the page gets on the way is there (none is a 404).
"""

import re

import pytest
from accessibility_tools import LANGUAGES, assert_nothing_missing, record_responses
from visitors_api import unique

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture reports it
    expect = None

# More than the presses it takes to reach any control of a page with a few dozen visitors.
TAB_LIMIT = 200
ANYTHING = re.compile(r"\S")


def tab_to(page, selector):
    """Presses Tab until the focused element matches `selector`."""
    for _ in range(TAB_LIMIT):
        page.keyboard.press("Tab")
        if page.evaluate("(selector) => document.activeElement.matches(selector)", selector):
            return
    pytest.fail(f"{TAB_LIMIT} presses of Tab never reached {selector}")


def assert_announced(page, text=ANYTHING):
    """The live region holds `text` (by default: something)."""
    notice = page.locator("#notice")
    expect(notice).to_have_attribute("role", "status")
    expect(notice).to_contain_text(text)


@pytest.fixture
def keyboard_page(new_page, request):
    page = record_responses(new_page(locale=request.param))
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", LANGUAGES[request.param])
    page.wait_for_function("() => window.htmx !== undefined")
    page.evaluate("window.__noReload = 1")
    return page


@pytest.mark.parametrize("keyboard_page", list(LANGUAGES), indirect=True)
def test_sign_in_search_and_sign_out_with_the_keyboard_alone(keyboard_page):
    page = keyboard_page
    name = unique("Keyboard Katherine")

    # A name of spaces passes the browser's `required`, not the server: focus goes to the field.
    tab_to(page, "#id_name")
    page.keyboard.type("   ")
    page.keyboard.press("Enter")
    name_field = page.locator("#id_name")
    expect(name_field).to_have_attribute("aria-invalid", "true")
    expect(name_field).to_be_focused()
    error = page.locator("#id_name_error")
    expect(error).to_be_visible()
    assert "id_name_error" in name_field.get_attribute("aria-describedby").split()
    assert_announced(page)  # how many problems the form has

    # Signed in: the form is answered, and focus is on the notice that says so.
    name_field.press("Control+a")
    page.keyboard.type(name)
    tab_to(page, "#id_company")
    page.keyboard.type("Keyboard Works")
    tab_to(page, "#sign-in [type=submit]")
    page.keyboard.press("Enter")
    expect(page.locator("#notice")).to_be_focused()
    assert_announced(page, name)
    visitor = page.locator("#present-list > li.visitor").filter(has_text=name)
    expect(visitor).to_have_count(1)

    # Searching keeps focus in the search box while the list follows what is typed.
    tab_to(page, "#id_q")
    page.keyboard.type(name.split()[-1])
    expect(page.locator("#present-list > li.visitor")).to_have_count(1)
    expect(visitor).to_have_count(1)
    expect(page.locator("#id_q")).to_be_focused()

    # Signed out from the list: the row moves to those who left, focus to the notice.
    tab_to(page, f"#{visitor.get_attribute('id')} button.sign-out")
    page.keyboard.press("Enter")
    expect(page.locator("#notice")).to_be_focused()
    assert_announced(page, name)
    expect(page.locator("#signed-out-list > li.visitor").filter(has_text=name)).to_have_count(1)
    expect(page.locator("#present-list > li.visitor").filter(has_text=name)).to_have_count(0)

    assert page.evaluate("window.__noReload") == 1, "the page was reloaded"
    assert_nothing_missing(page)
