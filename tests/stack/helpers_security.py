"""Helpers for the security tests of the stack (hardening, TLS, rate limits, bad input).

Plain functions and context managers; the fixtures stay in the test modules.
"""

import contextlib
import re

from http_client import http_session

from hosttools.compose_project import REPO, ComposeProject

# Records every Content-Security-Policy violation the page reports, from the first script on.
CSP_RECORDER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push({
    directive: event.violatedDirective,
    effective: event.effectiveDirective,
    blocked: event.blockedURI,
    source: event.sourceFile,
    line: event.lineNumber,
    sample: event.sample,
  });
});
"""


def watch(page):
    """Makes the page record CSP violations and console errors: page.problems()."""
    page.add_init_script(CSP_RECORDER)
    console = []
    page.on(
        "console",
        lambda message: message.type in {"error", "warning"} and console.append(message.text),
    )
    page.on("pageerror", lambda error: console.append(f"page error: {error}"))

    def problems():
        violations = page.evaluate("window.__cspViolations || []")
        csp_console = [text for text in console if "Content Security Policy" in text]
        return {"violations": violations, "console": csp_console, "errors": console}

    page.problems = problems
    return page


def assert_clean(page):
    found = page.problems()
    assert found["violations"] == [], found
    assert found["console"] == [], found


CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@contextlib.contextmanager
def own_stack(timings, label, files=("compose.yaml",), env=None, prefix="visitors-test"):
    """A production stack of its own (throwaway name, free port), removed afterwards.

    For tests that would disturb the shared session stack, or need other compose files.
    `env` adds variables to the hermetic environment compose gets.
    """
    stack = ComposeProject(REPO, files=list(files), prefix=prefix)
    stack.env |= env or {}
    try:
        seconds = stack.up(build=True)
        timings[f"{label}: up --build start -> every service healthy"] = seconds
        yield stack
    finally:
        stack.close()


def csrf_token(html):
    match = CSRF_INPUT.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def assert_refused(response, status, content_type, page_text):
    """A refusal in the form the client expects: JSON with an error, or a page saying page_text;
    either names the request's id, as the answer's X-Request-ID does."""
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith(content_type)
    request_id = response.headers["X-Request-ID"]
    if content_type == "application/json":
        assert "error" in response.json()
        assert response.json()["request_id"] == request_id
    else:
        assert page_text in response.text
        assert f"Reference: <code>{request_id}</code>" in response.text


def form_session(url):
    """A session that has loaded the page at `url`: (session, its form's CSRF token)."""
    session = http_session()
    response = session.get(url, timeout=15)
    assert response.status_code == 200, response.status_code
    return session, csrf_token(response.text)


def admin_login(session, url, credentials):
    """Posts the admin's login form with `session`; url(path) is the stack's address for path.

    Returns the answer: a redirect to /admin/ when the login worked.
    """
    login_page = url("/admin/login/")
    return session.post(
        login_page,
        data={
            "csrfmiddlewaretoken": csrf_token(session.get(login_page, timeout=15).text),
            "username": credentials["admin username"],
            "password": credentials["admin password"],
            "next": "/admin/",
        },
        headers={"Referer": login_page},
        timeout=15,
        allow_redirects=False,
    )


def browser_admin_login(page, credentials):
    """Logs the browser page into the admin (the page's context keeps the session)."""
    page.goto("/admin/login/")
    page.locator("#id_username").fill(credentials["admin username"])
    page.locator("#id_password").fill(credentials["admin password"])
    with page.expect_navigation():
        page.locator("input[type=submit], button[type=submit]").first.click()
    assert "/admin/login/" not in page.url, "the admin login failed"


@contextlib.contextmanager
def admin_browser_context(browser, stack, credentials):
    """A browser context logged into the admin once (the login is rate-limited)."""
    context = browser.new_context(base_url=stack.url())
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        browser_admin_login(page, credentials)
        page.close()
        yield context
    finally:
        context.close()
