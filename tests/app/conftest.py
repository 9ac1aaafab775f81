"""Shared fixtures for the app's tests: visitors, the API token, htmx, an unreachable database."""

import contextlib
import copy
import json
import os
import re
import subprocess
import sys
import time
from datetime import timedelta

import hypothesis
import pytest
from django.conf import settings as django_settings
from django.db import connections
from django.utils import timezone
from stalling_proxy import StallingProxy

from visitors import freshness
from visitors.models import Visitor

API_TOKEN = "test-api-token-0123456789"
READ_TOKEN = "test-read-token-0123456789"
VISITOR_ID = re.compile(r'id="visitor-(\d+)"')


@pytest.fixture(scope="session")
def _empty_static_root(tmp_path_factory):
    return tmp_path_factory.mktemp("staticfiles")


@pytest.fixture(autouse=True)
def _plain_static_files(settings, _empty_static_root):
    """Static URLs without the manifest: the bind-mounted source has no collected files.

    The images run collectstatic at build time; the dev container mounts the source over it.
    """
    settings.STATIC_ROOT = _empty_static_root
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def listed_ids():
    """Reads the visitor ids an HTML page or fragment lists, in order: all of them, or those
    of one list ("present-list", "signed-out-list")."""

    def ids(html, within=None):
        if within:
            start = html.index(f'<ol id="{within}"')
            html = html[start : html.index("</ol>", start)]
        return [int(found) for found in VISITOR_ID.findall(html)]

    return ids


@pytest.fixture
def htmx():
    """The header htmx sends with each of its requests."""
    return {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def make_visitor(db):
    """Creates a visitor; `days_ago` backdates created_at."""

    def make(name="Ada Lovelace", company="", message="", days_ago=None, **fields):
        if days_ago is not None:
            fields["created_at"] = timezone.now() - timedelta(days=days_ago)
        return Visitor.objects.create(name=name, company=company, message=message, **fields)

    return make


@pytest.fixture
def make_visitors(make_visitor):
    """Creates `count` visitors named "Visitor 1".."Visitor N", oldest first (ascending ids),
    in the building or, with `signed_out`, gone."""

    def make(count, start=1, signed_out=False):
        left = {"signed_out_at": timezone.now()} if signed_out else {}
        return [make_visitor(name=f"Visitor {n}", **left) for n in range(start, start + count)]

    return make


@pytest.fixture
def api_token(settings):
    settings.VISITORS_API_TOKEN = API_TOKEN
    return API_TOKEN


@pytest.fixture
def auth(api_token):
    """Request headers that carry the configured API token (reads and writes)."""
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token}"}


@pytest.fixture
def read_auth(settings):
    """Request headers that carry the configured read-only token."""
    settings.VISITORS_API_READ_TOKEN = READ_TOKEN
    return {"HTTP_AUTHORIZATION": f"Bearer {READ_TOKEN}"}


@pytest.fixture
def answer_cache(settings, production_cache_settings):
    """The answer cache as production has it (development, where the suite runs, has none)."""
    settings.VISITORS_ANSWER_CACHE_BYTES = production_cache_settings["VISITORS_ANSWER_CACHE_BYTES"]
    return freshness.CACHE


def database_through(alias, **changes):
    """A connection configured like the app's database, with `changes`, under its own alias.

    Its own alias keeps the pool Django caches per alias for the real database untouched.
    """
    settings_dict = copy.deepcopy(connections.settings["default"]) | changes
    return type(connections["default"])(settings_dict, alias=alias)


def terminate(*pids, through=None):
    """Ends server processes as a database restart does, over `through` (the default
    database's connection unless given); returns once they are gone."""
    with (through or connections["default"]).cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pid) FROM unnest(%s) AS pid", [list(pids)])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", [list(pids)]
            )
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.05)
    raise AssertionError(f"server processes {pids} still run 10 s after pg_terminate_backend")


@contextlib.contextmanager
def default_database(replacement):
    """Makes `replacement` the app's default database for a while, then puts the real one back."""
    real = connections["default"]
    connections["default"] = replacement
    try:
        yield replacement
    finally:
        connections["default"] = real
        replacement.close()
        replacement.close_pool()  # a no-op without a pool


@pytest.fixture
def database_down(request, db):
    """The default database, as the app reaches it, now refuses every connection.

    A real connection (no mocks) to a closed port of this machine, configured like the real
    one, including the psycopg pool if settings turn it on. Parametrize indirectly with
    "pool" or "no-pool" to choose.
    """
    options = dict(connections.settings["default"]["OPTIONS"])
    mode = getattr(request, "param", None)
    if mode == "no-pool":
        options["pool"] = False
    elif mode == "pool" and not options.get("pool"):
        options["pool"] = {"min_size": 2, "max_size": 8, "timeout": 2.0}
    unreachable = database_through("unreachable", HOST="127.0.0.1", PORT="1", OPTIONS=options)
    with default_database(unreachable):
        yield unreachable


@pytest.fixture
def stalling_proxy(db):
    """The default database, reached through a StallingProxy: proxy.stall() freezes it."""
    real = connections.settings["default"]
    proxy = StallingProxy(real["HOST"], real["PORT"])
    try:
        with default_database(
            database_through(f"stalling-{proxy.port}", HOST="127.0.0.1", PORT=str(proxy.port))
        ):
            yield proxy
    finally:
        proxy.close()


# Hypothesis keeps no example database: the source is mounted read-only for the test user,
# and every run starts from the same seeds anyway.
hypothesis.settings.register_profile("visitors", database=None)
hypothesis.settings.load_profile("visitors")


# The suite runs in the development container (DEBUG on), where nothing is cached. Every test
# that sends requests through Django's test client also runs with production's cache
# settings, read from visitors_site/settings.py with DEBUG off, and with its writes committed
# as production's requests are (inside a test's transaction the answer cache is bypassed:
# visitors/freshness.py).
CACHE_SETUPS = ("development", "production")
REQUEST_FIXTURES = {"client", "admin_client"}


def pytest_generate_tests(metafunc):
    if REQUEST_FIXTURES & set(metafunc.fixturenames):
        metafunc.parametrize("cache_setup", CACHE_SETUPS, indirect=True)


def pytest_collection_modifyitems(items):
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec and callspec.params.get("cache_setup") == "production":
            item.add_marker(pytest.mark.django_db(transaction=True))


@pytest.fixture(scope="session")
def production_cache_settings():
    """Every setting about caching (CACHE in its name), as production has it."""
    # Production refuses to start without a secret key; reading its settings needs a dummy one.
    # The development container's own cache settings (compose.override.yaml) are left out.
    env = {name: value for name, value in os.environ.items() if "CACHE" not in name}
    env |= {"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "read-settings-only"}
    code = (
        "import json; from visitors_site import settings as s; "
        "print(json.dumps({n: getattr(s, n) for n in dir(s) if n.isupper() and 'CACHE' in n}))"
    )
    found = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(found.stdout)


@pytest.fixture(autouse=True)
def cache_setup(request, settings, production_cache_settings):
    """The cache settings of the test's setup (parametrized: see pytest_generate_tests), with
    nothing cached from an earlier test."""
    setup = getattr(request, "param", "development")
    if setup == "production":
        for name, value in production_cache_settings.items():
            setattr(settings, name, value)
    freshness.forget()
    yield setup
    freshness.forget()
