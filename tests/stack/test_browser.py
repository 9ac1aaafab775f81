"""The visitor page in Chromium: signing in with htmx (no reload) and without JavaScript."""

import pytest
from visitors_api import unique

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture reports it: a skip, or under CI a failure
    expect = None

NO_RELOAD = "window.__noReload"


def fill_form(page, name, company="", message=""):
    page.locator("#id_name").fill(name)
    page.locator("#id_company").fill(company)
    page.locator("#id_message").fill(message)


def newest_visitor(page):
    return page.locator("#present-list > li.visitor").first


@pytest.fixture
def htmx_page(new_page):
    """The page with htmx loaded and a marker that only a reload would remove."""
    page = new_page()
    page.goto("/")
    page.wait_for_function("() => window.htmx !== undefined")
    page.evaluate(f"{NO_RELOAD} = 1")
    return page


def test_sign_in_adds_the_visitor_on_top_and_clears_the_form_without_reload(htmx_page):
    page = htmx_page
    name = unique("Grace Hopper")
    fill_form(page, name, "US Navy", "Here for the compiler talk")
    page.get_by_role("button", name="Sign in").click()

    visitor = newest_visitor(page)
    expect(visitor.locator(".name")).to_have_text(name)
    expect(visitor.locator(".company")).to_have_text("US Navy")
    expect(visitor.locator(".message")).to_have_text("Here for the compiler talk")
    expect(page.get_by_role("status")).to_contain_text(f"Thanks, {name}")
    for field in ("#id_name", "#id_company", "#id_message"):
        expect(page.locator(field)).to_have_value("")
    expect(page.locator("#present-list .empty")).to_be_hidden()
    assert page.evaluate(NO_RELOAD) == 1, "the page was reloaded"


def test_invalid_sign_in_shows_the_error_inline_without_reload(htmx_page):
    page = htmx_page
    visitors_before = page.locator("#present-list > li.visitor").count()
    fill_form(page, "   ", "Nobody Inc")  # passes the browser's `required`, not the server
    page.get_by_role("button", name="Sign in").click()

    expect(page.locator("#id_name_error")).to_have_text("Please tell us your name.")
    expect(page.locator("#id_company")).to_have_value("Nobody Inc")  # what was typed stays
    assert page.locator("#present-list > li.visitor").count() == visitors_before
    assert page.evaluate(NO_RELOAD) == 1, "the page was reloaded"


@pytest.fixture
def no_js_page(new_page):
    """The page with JavaScript off, and the (method, status) of every document it loaded."""
    page = new_page(java_script_enabled=False)
    page.documents = []
    page.on(
        "response",
        lambda r: (
            r.request.resource_type == "document"
            and page.documents.append((r.request.method, r.status))
        ),
    )
    page.goto("/")
    return page


def test_sign_in_without_javascript_posts_redirects_and_shows_the_visitor(no_js_page, stack):
    page = no_js_page
    name = unique("Ada Lovelace")
    fill_form(page, name, "Analytical Engines")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()

    expect(newest_visitor(page).locator(".name")).to_have_text(name)
    expect(page.get_by_role("status")).to_contain_text(f"Thanks, {name}")
    assert page.url == stack.url("/")
    assert page.documents == [("GET", 200), ("POST", 302), ("GET", 200)]


def test_invalid_sign_in_without_javascript_shows_the_error(no_js_page):
    page = no_js_page
    fill_form(page, "   ")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()

    expect(page.locator("#id_name_error")).to_have_text("Please tell us your name.")
    assert page.documents == [("GET", 200), ("POST", 422)]


def test_the_favicon_answers_where_the_page_and_browsers_look_for_it(new_page):
    page = new_page()
    page.goto("/")
    linked = page.locator("link[rel=icon]").get_attribute("href")
    for path in (linked, "/favicon.ico"):  # browsers ask for /favicon.ico on their own
        answer = page.request.get(path)
        assert answer.status == 200, f"{path}: {answer.status}"
        assert answer.headers["content-type"].startswith("image/"), answer.headers
