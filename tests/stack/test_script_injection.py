"""Script-injection payloads in every field never run in a real browser, anywhere they show.

Visitors are created through the API (with the token) with the payloads in name, company and
message; Chromium then opens the public page, the admin change list and each change form.
No dialog opens, `window.__xss` stays undefined, no element is made from a payload, and the
text shows literally. Checks that the escaping holds by itself: the element checks would
catch markup that the Content-Security-Policy merely stopped from running.
"""

import secrets

import pytest
from helpers_security import CSP_RECORDER, admin_browser_context

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture reports it
    expect = None

PAYLOADS = [
    "<script>window.__xss=1;alert(1)</script>",
    '<img src=x onerror="window.__xss=1;alert(1)">',
    '"><svg onload=window.__xss=1>',
    "javascript:window.__xss=1;alert(1)",
    "</textarea><img src=x onerror=window.__xss=1>",
    "'><iframe srcdoc='<script>parent.__xss=1</script>'>",
    "{{ 7*7 }}<b onmouseover=window.__xss=1>bold</b>",
]
# Elements that exist only if a payload became markup.
INJECTED = (
    "img[src='x'], svg[onload], iframe, b[onmouseover], [onerror], "
    "a[href^='javascript:'], script:not([src])"
)


@pytest.fixture(scope="module")
def injected(stack, api_token):
    """{payload: created visitor}: each payload in every field of one visitor."""
    import requests

    created = {}
    with requests.Session() as session:
        session.trust_env = False
        for payload in PAYLOADS:
            tag = secrets.token_hex(2)
            response = session.post(
                stack.url("/api/visitors"),
                json={"name": f"{payload} {tag}", "company": payload, "message": payload},
                headers={"Authorization": f"Bearer {api_token}"},
                timeout=15,
            )
            assert response.status_code == 201, response.text
            created[payload] = response.json()
    return created


def watch(page):
    page.add_init_script(CSP_RECORDER)
    page.dialogs = []

    def on_dialog(dialog):
        page.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return page


def assert_nothing_ran(page):
    assert page.dialogs == []
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator(INJECTED).count() == 0
    # A payload blocked by the policy would show up here: escaping, not the policy, must hold.
    assert page.evaluate("window.__cspViolations") == []


def test_public_page_shows_payloads_as_text(new_page, injected):
    page = watch(new_page())
    page.goto("/")
    for visitor in injected.values():
        row = page.locator(f"#visitor-{visitor['id']}")
        expect(row.locator(".name")).to_have_text(visitor["name"])
        expect(row.locator(".company")).to_have_text(visitor["company"])
        expect(row.locator(".message")).to_have_text(visitor["message"])
    page.locator("#present-list li.visitor").first.hover()
    assert_nothing_ran(page)


@pytest.fixture(scope="module")
def admin(browser, stack):
    with admin_browser_context(browser, stack, stack.credentials()) as context:
        yield context


def test_admin_change_list_shows_payloads_as_text(admin, injected):
    page = watch(admin.new_page())
    page.goto("/admin/visitors/visitor/")
    for visitor in injected.values():
        expect(page.locator("#result_list").get_by_text(visitor["name"], exact=True)).to_have_count(
            1
        )
    assert_nothing_ran(page)
    page.close()


@pytest.mark.parametrize("index", range(len(PAYLOADS)))
def test_admin_change_form_shows_payloads_as_values(admin, injected, index):
    visitor = injected[PAYLOADS[index]]
    page = watch(admin.new_page())
    page.goto(f"/admin/visitors/visitor/{visitor['id']}/change/")
    expect(page.locator("#id_name")).to_have_value(visitor["name"])
    expect(page.locator("#id_company")).to_have_value(visitor["company"])
    expect(page.locator("#id_message")).to_have_value(visitor["message"])
    assert_nothing_ran(page)
    page.close()
