"""The front desk in Chromium through nginx: signing out (htmx and without JavaScript),
searching as you type, and the printed roll call."""

import pytest
from visitors_api import create_visitors, unique

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture reports it: a skip, or under CI a failure
    expect = None

NO_RELOAD = "window.__noReload"


@pytest.fixture
def visitor(stack):
    """Someone in the building, signed in through the API."""
    token = stack.credentials()["API token"]
    return create_visitors(stack, token, [{"name": unique("Ada Lovelace"), "company": "Acme"}])[0]


def row(page, visitor):
    return page.locator(f"#visitor-{visitor['id']}")


def present_count(page):
    return int(page.locator("#present-title").inner_text().rsplit("(", 1)[1].rstrip(")"))


def open_with_htmx(page):
    page.goto("/")
    page.wait_for_function("() => window.htmx !== undefined")
    page.evaluate(f"{NO_RELOAD} = 1")


def test_htmx_sign_out_moves_the_row_and_announces_it(new_page, visitor):
    page = new_page()
    open_with_htmx(page)
    in_building = present_count(page)
    expect(page.locator("#present-list").locator(row(page, visitor))).to_be_visible()

    row(page, visitor).get_by_role("button", name=f"Sign out {visitor['name']}").click()

    expect(page.locator("#signed-out-list").locator(row(page, visitor))).to_be_visible()
    expect(page.locator("#present-list").locator(row(page, visitor))).to_have_count(0)
    expect(page.locator("#present-title")).to_have_text(f"In the building now ({in_building - 1})")
    notice = page.locator("#notice")
    expect(notice).to_contain_text(f"Goodbye, {visitor['name']}: signed out at")
    expect(notice).to_be_focused()
    expect(row(page, visitor).get_by_role("button")).to_have_count(0)
    assert page.evaluate(NO_RELOAD) == 1, "the page was reloaded"


def test_sign_out_without_javascript_posts_and_redirects(new_page, stack, visitor):
    page = new_page(java_script_enabled=False)
    documents = []
    page.on(
        "response",
        lambda r: r.request.resource_type == "document" and documents.append(r.status),
    )
    page.goto("/")
    with page.expect_navigation():
        row(page, visitor).get_by_role("button", name=f"Sign out {visitor['name']}").click()
    assert page.url == stack.url("/")
    assert documents == [200, 302, 200]
    expect(page.locator("#notice")).to_contain_text(f"Goodbye, {visitor['name']}")
    expect(page.locator("#signed-out-list").locator(row(page, visitor))).to_be_visible()


def test_searching_as_you_type_filters_the_lists_without_reload(new_page, stack, visitor):
    token = stack.credentials()["API token"]
    other = create_visitors(stack, token, [{"name": unique("Grace Hopper")}])[0]
    page = new_page()
    open_with_htmx(page)
    search = page.get_by_label("Search by name or company")
    search.press_sequentially(visitor["name"].lower().replace("a", "á", 1))  # accents differ

    expect(page.locator("#present-list li.visitor")).to_have_count(1)
    expect(row(page, visitor)).to_be_visible()
    expect(row(page, other)).to_have_count(0)
    expect(search).to_be_focused()  # typing goes on
    search.fill("")
    search.press("Enter")  # a search box's own "search" event: everyone again
    expect(row(page, other)).to_be_visible()
    assert page.evaluate(NO_RELOAD) == 1, "the page was reloaded"


def test_search_without_javascript_is_a_form(new_page, stack, visitor):
    page = new_page(java_script_enabled=False)
    page.goto("/")
    page.get_by_label("Search by name or company").fill(visitor["name"])
    with page.expect_navigation():
        page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator("#present-list li.visitor")).to_have_count(1)
    expect(row(page, visitor)).to_be_visible()


def test_the_printed_page_is_the_roll_call(new_page, visitor):
    page = new_page()
    page.goto("/")
    page.emulate_media(media="print")
    expect(row(page, visitor).locator(".name")).to_be_visible()
    expect(row(page, visitor).locator(".company")).to_be_visible()
    expect(row(page, visitor).locator("time")).to_be_visible()
    for hidden in ("#sign-in", "#search", ".masthead", "#signed-out", "#notice"):
        expect(page.locator(hidden)).to_be_hidden()
    expect(row(page, visitor).get_by_role("button")).to_be_hidden()
