"""The strict Content-Security-Policy in a real browser: nothing on the site violates it.

Chromium reports every violation as a `securitypolicyviolation` event (recorded from the
first script on) and a console error; the public page with its htmx sign-in and the admin's
pages must produce none, and htmx must still work under the policy.
"""

import pytest
from helpers_security import admin_browser_context, assert_clean, watch
from visitors_api import unique

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture reports it
    expect = None


@pytest.fixture
def watched_page(new_page):
    return watch(new_page())


def test_htmx_sign_in_works_under_the_policy_without_violations(watched_page):
    page = watched_page
    page.goto("/")
    page.wait_for_function("() => window.htmx !== undefined")
    page.evaluate("window.__noReload = 1")
    name = unique("CSP Carol")
    page.locator("#id_name").fill(name)
    page.locator("#id_company").fill("Policy Ltd")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#present-list > li.visitor").first.locator(".name")).to_have_text(name)
    assert page.evaluate("window.__noReload") == 1, "the page was reloaded"
    assert_clean(page)


@pytest.fixture(scope="module")
def admin(browser, stack):
    with admin_browser_context(browser, stack, stack.credentials()) as context:
        yield context


@pytest.fixture
def admin_page(admin):
    page = watch(admin.new_page())
    yield page
    page.close()


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/visitors/visitor/",
        "/admin/visitors/visitor/?q=a&created_at__gte=2000-01-01",
    ],
    ids=["index", "change list", "change list filtered"],
)
def test_admin_pages_have_no_violations(admin_page, api, path):
    assert api("POST", "/api/visitors", json={"name": unique("Admin CSP")}).status_code == 201
    admin_page.goto(path)
    expect(admin_page.locator("#content")).to_be_visible()
    assert "/admin/login/" not in admin_page.url
    assert_clean(admin_page)


def test_admin_change_form_has_no_violations(admin_page, api):
    created = api("POST", "/api/visitors", json={"name": unique("Admin CSP form")})
    assert created.status_code == 201
    admin_page.goto(f"/admin/visitors/visitor/{created.json()['id']}/change/")
    expect(admin_page.locator("#id_name")).to_have_value(created.json()["name"])
    assert_clean(admin_page)


def test_login_page_has_no_violations(watched_page):
    watched_page.goto("/admin/login/")
    expect(watched_page.locator("#id_username")).to_be_visible()
    assert_clean(watched_page)


def test_the_recorder_sees_a_violation(watched_page):
    # The recorder must not be blind: an inline script without the nonce is blocked and seen.
    watched_page.goto("/")
    watched_page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.__ran = 1'; document.head.appendChild(s); }"
    )
    watched_page.wait_for_function("() => window.__cspViolations.length > 0")
    assert watched_page.evaluate("window.__ran") is None
    assert watched_page.problems()["violations"][0]["effective"] == "script-src-elem"
