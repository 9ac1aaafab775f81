"""Development mode (compose.override.yaml, loaded by a plain `docker compose up`) reloads edits.

The stack runs from a copy of the checkout, so the edits never touch the repository: a
template edit shows on the next request, a Python edit (and the next one right after it) once
every gunicorn worker has reloaded, and none needs a rebuild or a restart. In Chromium the
page is as clean as in production: no Content-Security-Policy violation, no missing file.
"""

import os
import secrets
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from helpers_security import assert_clean, watch
from visitors_api import unique

from hosttools.compose_project import REPO, ComposeProject
from hosttools.waiting import wait_until

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture reports it
    expect = None

TEMPLATE = Path("visitors/templates/visitors/index.html")
VIEWS = Path("visitors/views.py")
HEADING = "Welcome! Please sign in"
LIVE_ANSWER = 'return JsonResponse({"status": "ok"})'
TEMPLATE_DEADLINE = 20
PYTHON_DEADLINE = 30
CONSECUTIVE = 10


def copy_checkout(source, target):
    """Copies the files git knows (tracked, and untracked but not ignored) into target.

    Everything in the copy is readable by the containers' user (uid 65532).
    """
    listing = subprocess.run(
        ["git", "-C", str(source), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        timeout=30,
        check=True,
    ).stdout.decode()
    target.chmod(0o755)
    for name in sorted(set(filter(None, listing.split("\0")))):
        origin = source / name
        if not origin.is_file():  # deleted in the work tree but still in the index
            continue
        destination = target / name
        destination.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
        shutil.copy2(origin, destination)
        destination.chmod(destination.stat().st_mode | 0o444)
    for directory, _, _ in os.walk(target):
        Path(directory).chmod(0o755)


def edit(path, old, new):
    text = path.read_text()
    assert old in text, f"{path} no longer contains {old!r}: update this test"
    path.write_text(text.replace(old, new, 1))


@pytest.fixture(scope="module")
def dev_stack(docker, timings):
    copy = Path(tempfile.mkdtemp(prefix="visitors-dev-"))
    try:
        copy_checkout(REPO, copy)
        dev = ComposeProject(copy, files=None, prefix="visitors-test-dev")
        try:
            seconds = dev.up(build=True)
            timings["development: up --build start -> every service healthy"] = seconds
            yield dev
        finally:
            dev.close()
    finally:
        shutil.rmtree(copy, ignore_errors=True)


def app_identity(stack):
    """The app container, its start time and restart count: unchanged means not restarted."""
    container = stack.container("app")
    return container["Id"], container["State"]["StartedAt"], container["RestartCount"]


def test_the_override_runs_the_development_image(dev_stack):
    assert dev_stack.ps()["app"]["Image"] == "visitors-app-dev:test"


def test_template_edit_shows_without_restart(dev_stack, http, timings):
    before = app_identity(dev_stack)
    heading = f"Welcome, reload check {secrets.token_hex(3)}"
    edit(dev_stack.directory / TEMPLATE, HEADING, heading)
    started = time.monotonic()
    wait_until(
        lambda: heading in http.get(dev_stack.url("/"), timeout=5).text,
        timeout=TEMPLATE_DEADLINE,
        what=f"GET / to show the edited heading {heading!r}",
    )
    timings["development: template edit -> visible"] = time.monotonic() - started
    assert app_identity(dev_stack) == before, "the app container was restarted"


def test_python_edits_show_without_restart(dev_stack, http, timings):
    """Two edits of a view, one right after the other shows: a developer's save, look, save."""
    before = app_identity(dev_stack)
    views = dev_stack.directory / VIEWS
    answer = LIVE_ANSWER
    for attempt in ("first", "second"):
        marker = secrets.token_hex(3)
        edited = f'return JsonResponse({{"status": "ok", "reloaded": "{marker}"}})'
        edit(views, answer, edited)
        answer = edited

        def every_answer_is_new(marker=marker):
            # Requests in a row: every gunicorn worker must run the edit, not just one.
            responses = [
                http.get(dev_stack.url("/health/live"), timeout=5) for _ in range(CONSECUTIVE)
            ]
            return all(response.json().get("reloaded") == marker for response in responses)

        started = time.monotonic()
        wait_until(
            every_answer_is_new,
            timeout=PYTHON_DEADLINE,
            what=f"{CONSECUTIVE} GET /health/live in a row to answer with the {attempt} edit",
        )
        seconds = time.monotonic() - started
        timings[f"development: {attempt} Python edit -> visible (gunicorn reload)"] = seconds
    assert app_identity(dev_stack) == before, "the app container was restarted"


def test_the_page_and_htmx_posts_are_clean_in_chromium(dev_stack, browser):
    context = browser.new_context(base_url=dev_stack.url())
    try:
        page = watch(context.new_page())
        failed = []
        page.on("response", lambda response: response.status >= 400 and failed.append(response))
        page.goto("/")
        page.wait_for_function("() => window.htmx !== undefined")
        # Without an icon of its own the browser asks for /favicon.ico, a 404, on every page.
        icon = context.request.get(page.locator("link[rel=icon]").get_attribute("href"))
        assert (icon.status, icon.headers["content-type"]) == (200, "image/svg+xml")
        page.locator("#id_name").fill("   ")  # only spaces: the form comes back with an error
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator("#id_name_error")).to_be_visible()
        name = unique("Dev Dana")
        page.locator("#id_name").fill(name)
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator("#present-list > li.visitor").first.locator(".name")).to_have_text(name)
        assert_clean(page)
        assert [(r.status, r.url) for r in failed if r.status != 422] == []
    finally:
        context.close()
