"""Development mode (compose.override.yaml, loaded by a plain `docker compose up`) reloads edits.

The stack runs from a copy of the checkout, so the edits never touch the repository: a
template edit shows on the next request, a Python edit (and the next one right after it) once
every gunicorn worker has reloaded, and none needs a rebuild or a restart.
"""

import os
import secrets
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from hosttools.compose_project import REPO, ComposeProject
from hosttools.waiting import wait_until

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
