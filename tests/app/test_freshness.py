"""Answers cached by database snapshot: never stale, and really reused while nothing changes.

These tests commit (transaction=True), as requests do in production: inside a test's
transaction nothing is cached, because its own writes do not change the snapshot.
"""

import re
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.utils import formats, timezone

from visitors import freshness
from visitors.models import Visitor
from visitors.templatetags import visitor_rows

pytestmark = pytest.mark.django_db(transaction=True)

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SCRIPT_NONCE = re.compile(r'<script [^>]*nonce="([^"]+)"')


@pytest.fixture(autouse=True)
def _production_cache(answer_cache):
    pass


@pytest.fixture(autouse=True)
def _api_reader(client, read_auth):
    client.defaults.update(read_auth)  # the API's reads need a token


def api_names(client, path="/api/visitors"):
    return [v["name"] for v in client.get(path).json()["results"]]


def test_every_change_shows_on_the_next_request(client, make_visitors):
    first, second = make_visitors(2)
    client.get("/"), client.get("/api/visitors")

    Visitor.objects.filter(pk=first.pk).update(name="Renamed by the admin")
    assert "Renamed by the admin" in client.get("/").text
    assert "Renamed by the admin" in api_names(client)

    second.delete()
    assert f'id="visitor-{second.id}"' not in client.get("/").text
    assert "Visitor 2" not in api_names(client)

    newest = make_visitors(1, start=9)[0]
    assert f'id="visitor-{newest.id}"' in client.get("/").text
    assert api_names(client)[0] == "Visitor 9"


def test_a_change_made_outside_django_shows_too(client, make_visitors):
    # As from psql or another container: the snapshot changes, whoever commits.
    make_visitors(1)
    client.get("/")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE visitors_visitor SET company = 'Changed in SQL'")
    assert "Changed in SQL" in client.get("/").text
    assert client.get("/api/visitors").json()["results"][0]["company"] == "Changed in SQL"


@pytest.mark.parametrize(
    "path, headers",
    [
        ("/", {}),
        ("/?before=3", {"HX-Request": "true"}),  # the rows htmx appends
        ("/api/visitors", {}),
        ("/api/visitors?limit=2", {}),
    ],
)
def test_unchanged_data_is_not_read_again(
    client, make_visitors, path, headers, django_assert_max_num_queries
):
    make_visitors(3)
    client.get(path, headers=headers)
    # The snapshot is the whole server's: a commit elsewhere (autovacuum's ANALYZE) between
    # two requests is a rightful miss, so the next request gets a second chance.
    for _ in range(3):
        with django_assert_max_num_queries(2) as queries:
            assert client.get(path, headers=headers).status_code == 200
        if len(queries) == 1:
            break
    assert len(queries) == 1, "every request read the visitors again"
    assert "pg_current_snapshot()" in queries.captured_queries[0]["sql"]


def test_the_page_and_htmx_rows_of_the_same_cursor_are_kept_apart(client, make_visitors, htmx):
    make_visitors(25)
    assert "<html" in client.get("/?before=24").text
    assert "<html" not in client.get("/?before=24", **htmx).text
    assert "<html" in client.get("/?before=24").text


def test_each_page_has_its_own_csrf_token_and_nonce(make_visitors):
    make_visitors(1)
    tokens, nonces = set(), set()
    for _ in range(2):
        response = Client().get("/")
        nonce = SCRIPT_NONCE.search(response.text).group(1)
        assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]
        assert "slot" not in response.text
        tokens.add(CSRF_INPUT.search(response.text).group(1))
        nonces.add(nonce)
    assert len(tokens) == len(nonces) == 2


def test_the_cached_pages_csrf_token_signs_in(make_visitors):
    make_visitors(1)
    Client().get("/")  # fills the cache
    browser = Client(enforce_csrf_checks=True)
    token = CSRF_INPUT.search(browser.get("/").text).group(1)
    response = browser.post("/", {"csrfmiddlewaretoken": token, "name": "Grace Hopper"})
    assert response.status_code == 302
    assert "Grace Hopper" in browser.get("/").text


def test_a_notice_is_never_shared(make_visitors):
    make_visitors(1)
    visitor, other = Client(), Client()
    visitor.post("/", {"name": "Grace Hopper"})
    assert "Thanks, Grace Hopper" in visitor.get("/").text
    assert "Thanks" not in other.get("/").text
    assert "Thanks" not in visitor.get("/").text


def test_next_links_name_the_host_that_was_asked(make_visitors, settings, read_auth):
    settings.ALLOWED_HOSTS = ["one.example", "two.example"]
    make_visitors(3)
    for host in ["one.example", "two.example"]:
        page = Client(**read_auth).get("/api/visitors?limit=1", headers={"Host": host}).json()
        assert page["next"].startswith(f"http://{host}/api/visitors?limit=1&before=")


def test_a_database_failure_empties_the_cache(client, database_down, answer_cache):
    # After a crash restart PostgreSQL may reuse transaction ids, and so repeat a snapshot.
    answer_cache.put(b"sentinel", "state", b"cached before the failure")
    assert client.get("/").status_code == 503
    assert answer_cache.get(b"sentinel", "state") is None


def test_the_cache_keeps_within_its_byte_budget(client, make_visitor, settings):
    settings.VISITORS_ANSWER_CACHE_BYTES = 256 * 1024
    for number in range(100):
        make_visitor(name=f"{number} " + "🙂" * 90, message="🙂" * 500)
    sizes = []
    for before in range(101, 1, -1):  # every cursor shows other rows
        body = client.get(f"/api/visitors?limit=100&before={before}").content
        sizes.append(freshness.CACHE.size)
    assert len(body) > 0 and max(sizes) <= 256 * 1024


def test_cursors_that_show_the_same_rows_keep_one_text(client, make_visitors, answer_cache):
    make_visitors(30)
    body = client.get("/api/visitors?limit=100").content
    for offset in range(50):
        # Each is its own request, all past the newest visitor: all show the same page.
        assert client.get(f"/api/visitors?limit=100&before={10**12 + offset}").content != b""
    assert answer_cache.size < len(body) + 60 * freshness.ENTRY_BYTES


@pytest.fixture
def rendered_rows(client, monkeypatch):
    """rendered_rows(path, **headers): the page, and the ids of the visitor rows its request
    rendered from the template (the others came from the fragment cache)."""
    rows = []

    def counting(template_name, context=None, *args, **kwargs):
        rows.append(context["visitor"].pk)
        return render_to_string(template_name, context, *args, **kwargs)

    monkeypatch.setattr(visitor_rows, "render_to_string", counting)

    def get(path="/", **headers):
        rows.clear()
        return client.get(path, **headers).text, list(rows)

    return get


def test_a_commit_renders_only_the_rows_that_changed(rendered_rows, make_visitors):
    first, second, third = make_visitors(3)
    page, rendered = rendered_rows()
    assert sorted(rendered) == sorted([first.pk, second.pk, third.pk])

    Visitor.objects.filter(pk=second.pk).update(name="Renamed by the admin")
    newcomer = Visitor.objects.create(name="Newcomer")
    page, rendered = rendered_rows()
    assert sorted(rendered) == sorted([second.pk, newcomer.pk])
    assert "Renamed by the admin" in page and "Newcomer" in page


def test_a_row_kept_in_one_language_is_not_shown_in_another(rendered_rows, make_visitors):
    make_visitors(1)
    english, _ = rendered_rows(HTTP_ACCEPT_LANGUAGE="en")
    portuguese, rendered = rendered_rows(HTTP_ACCEPT_LANGUAGE="pt-BR")
    assert ">Sign out</button>" in english
    assert ">Registrar saída</button>" in portuguese and len(rendered) == 1


def test_a_row_shows_times_in_the_time_zone_of_the_settings(client, make_visitor, settings):
    visitor = make_visitor(name="Early bird")
    client.get("/")
    settings.TIME_ZONE = "America/Sao_Paulo"
    make_visitor(name="Later")  # a commit: the page is rendered again, its rows kept or not
    shown = formats.time_format(
        timezone.localtime(visitor.created_at, ZoneInfo(settings.TIME_ZONE))
    )
    assert f">{shown}</time>" in client.get("/").text
