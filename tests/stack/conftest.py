"""Fixtures and hooks of the black-box stack tests.

The tests drive the real stack from the outside: `docker compose` for the containers, HTTP to
the port nginx publishes on 127.0.0.1, and Chromium through Playwright. Every stack they start
has a throwaway project name and a free port, and is removed at the end whatever happens, so a
stack running elsewhere on the machine is never touched and never in the way.

Plain helpers live in modules named for what they are: hosttools/compose_project.py (the
compose driver, shared with the benchmark) and hosttools/waiting.py (wait_until); here
http_client.py, visitors_api.py, traffic.py (the load generator), gunicorn_workers.py (which
worker holds which database connection), missing_tools.py, helpers_security.py, chromium.py (the
browser and its arguments) and accessibility_tools.py (axe-core, Lighthouse).
"""

import shutil
import subprocess
from pathlib import Path

import pytest
from chromium import CHROMIUM, CHROMIUM_ARGS
from http_client import http_session
from missing_tools import unavailable

from hosttools.compose_project import ComposeProject

# Modules run in this order: the ones that stop services or restart the stack come last, and
# the development stack (a second stack) runs after the production one is done with. A module
# not named here runs at the "*", so a new module always runs, before the failure scenarios.
MODULE_ORDER = (
    "test_stack_health",
    "test_through_nginx",
    "test_browser",
    "test_isolation",
    "test_persistence",
    "test_database_outage",
    "*",
    # Failure scenarios: each breaks something on purpose and checks how the stack recovers.
    "test_crash_recovery",
    "test_database_restart",
    "test_app_upgrade",
    "test_backup_restore",
    "test_disk_full",
    "test_failover",
    # Can restart the Docker daemon itself, which every stack on the machine feels: last.
    "test_data_survival",
    "test_dev_reload",
)


def docker_is_usable():
    if shutil.which("docker") is None:
        return "docker is not installed"
    try:
        subprocess.run(
            ["docker", "compose", "version"],
            capture_output=True,
            timeout=30,
            check=True,
        )
        subprocess.run(["docker", "info"], capture_output=True, timeout=30, check=True)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        return f"docker is not usable: {exc}"
    return None


@pytest.fixture(scope="session")
def docker():
    problem = docker_is_usable()
    if problem:
        unavailable(problem)


TIMINGS = pytest.StashKey[dict]()


@pytest.fixture(scope="session")
def timings(request):
    """Figures the run reports at the end (see pytest_terminal_summary): name -> seconds."""
    return request.config.stash.setdefault(TIMINGS, {})


@pytest.fixture(scope="session")
def stack(docker, timings):
    """The production stack (compose.yaml only), built and healthy, removed after the session."""
    production = ComposeProject()
    try:
        seconds = production.up(build=True)
        timings["production: up --build start -> every service healthy"] = seconds
        print(f"\n{production.project}: healthy {seconds:.1f} s after `up` started")
        yield production
    finally:
        production.close()


@pytest.fixture(scope="session")
def api_token(stack):
    token = stack.credentials()["API token"]
    assert token and token != "(not set)", "the stack has no API token"
    return token


@pytest.fixture
def http():
    with http_session() as session:
        yield session


@pytest.fixture
def api(stack, api_token, http):
    """Calls the API: api("POST", "/api/visitors", json=...) with the token, or token=None."""

    def call(method, path, token=api_token, **kwargs):
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return http.request(method, stack.url(path), headers=headers, timeout=10, **kwargs)

    return call


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright is not installed (pip install -r tests/stack/requirements.txt)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_page(browser, stack):
    """Opens pages in fresh browser contexts: new_page(java_script_enabled=False)."""
    contexts = []

    def open_page(**options):
        context = browser.new_context(base_url=stack.url(), **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def pytest_collection_modifyitems(items):
    def rank(item):
        name = item.path.stem
        return MODULE_ORDER.index(name if name in MODULE_ORDER else "*")

    items.sort(key=rank)  # stable: the tests of a module keep their order


def pytest_terminal_summary(terminalreporter, config):
    """Prints the figures: a number is seconds; a (number, unit) pair is a count or a size."""
    figures = config.stash.get(TIMINGS, {})
    if figures:
        terminalreporter.write_sep("-", "stack timings")
        for name, figure in figures.items():
            value, unit = figure if isinstance(figure, tuple) else (figure, "s")
            number = f"{value:7d}" if isinstance(value, int) else f"{value:7.2f}"
            terminalreporter.write_line(f"{number} {unit}  {name}")
