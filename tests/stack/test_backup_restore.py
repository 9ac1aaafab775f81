"""deploy/backup and deploy/restore move every visitor, exactly, into a fresh stack.

The production stack gets 500 seeded visitors and a few with awkward text (accents, other
scripts, quotes, SQL and spreadsheet look-alikes, newlines and tabs). `deploy/backup FILE`
dumps it; a second stack with fresh volumes (another project) is brought up and
`deploy/restore FILE` loads the dump into it. Both stacks must then export the same
visitors, row for row, and the restored one must serve them and go on taking new ones.
Both scripts run `docker compose` in the checkout, told the project by COMPOSE_PROJECT_NAME
and COMPOSE_FILE, as an operator would run them.

A dump is as secret as the admin's password hash in it, so it is written 0600 even under
umask 022, and it holds no login sessions: the admin is logged in when the dump is made, and
the session key (which would open /admin/ on the live site) must not be in it.
"""

import os
import secrets
import stat
import subprocess
import time
from dataclasses import dataclass

import pytest
from helpers_security import admin_login
from http_client import http_session
from visitors_api import create_visitors, visitors_not_kept

from hosttools.compose_project import ComposeProject

SEEDED = 500
AWKWARD = [
    {"name": 'Zoë "Zed" O\'Neil-Łukasiewicz', "company": "Müller & Söhne", "message": ""},
    {"name": "李小龍 (Bruce)", "company": "東京 株式会社", "message": "مرحبا — שלום"},
    {
        "name": "Robert'); DROP TABLE visitors_visitor;--",
        "company": '=HYPERLINK("http://example.invalid","click")',
        "message": "+1 and -1 and @mention",
    },
    {
        "name": "Emoji 🙂 Visitor",
        "company": "",
        "message": "line one\nline two\ttabbed, \"double\", 'single', back\\slash, 100% _x_",
    },
    {"name": "e\u0301 (combining) vs \u00e9", "company": "\u00a0non-breaking\u00a0", "message": ""},
]


@dataclass
class Restore:
    source_visitors: list
    awkward: list
    target: ComposeProject
    target_token: str
    dump_mode: int
    dump_text: str
    session_key: str


@pytest.fixture(scope="module")
def restored(stack, api_token, timings, tmp_path_factory):
    stack.exec("app", "python", "manage.py", "seed_visitors", str(SEEDED), "--seed", "3")
    tag = secrets.token_hex(3)
    awkward = create_visitors(
        stack, api_token, [v | {"name": f"{v['name']} {tag}"} for v in AWKWARD]
    )
    dump = tmp_path_factory.mktemp("backup") / "visitors.dump"
    with http_session() as admin:
        assert admin_login(admin, stack.url, stack.credentials()).status_code == 302
        session_key = admin.cookies["sessionid"]

    started = time.monotonic()
    umask = os.umask(0o022)  # what most shells have
    try:
        stack.run_script("deploy/backup", dump)
    finally:
        os.umask(umask)
    timings["backup/restore: deploy/backup"] = time.monotonic() - started
    source_visitors = stack.export_visitors()  # nothing writes to the stack in between
    assert dump.read_bytes()[:5] == b"PGDMP", "not a pg_dump custom-format archive"
    timings["backup/restore: dump size"] = (dump.stat().st_size // 1024, "KiB")
    timings["backup/restore: visitors in the dump"] = (len(source_visitors), "rows")

    target = ComposeProject(stack.directory, files=stack.files, prefix="visitors-test-restore")
    try:
        timings["backup/restore: second stack up -> every service healthy"] = target.up()
        assert target.export_visitors() == [], "the second stack is not fresh"
        started = time.monotonic()
        target.run_script("deploy/restore", dump)
        timings["backup/restore: deploy/restore"] = time.monotonic() - started
        target.wait_healthy("app", timeout=120)  # the script starts the app again
        timings["backup/restore: deploy/restore start -> app healthy again"] = (
            time.monotonic() - started
        )
        yield Restore(
            source_visitors=source_visitors,
            awkward=awkward,
            target=target,
            target_token=target.credentials()["API token"],
            dump_mode=stat.S_IMODE(dump.stat().st_mode),
            dump_text=as_sql(stack, dump),
            session_key=session_key,
        )
    finally:
        target.close()


def as_sql(stack, dump):
    """The dump as the SQL text pg_restore makes of it (its data uncompressed)."""
    return subprocess.run(
        stack.command("exec", "-T", "db", "pg_restore", "--file", "-"),
        input=dump.read_bytes(),
        env=stack.env,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout.decode()


def test_the_dump_is_readable_by_its_owner_only(restored):
    assert restored.dump_mode == 0o600


def test_the_dump_holds_no_login_sessions(restored):
    assert "CREATE TABLE public.django_session" in restored.dump_text  # the table, no rows
    assert "COPY public.django_session" not in restored.dump_text
    assert restored.session_key not in restored.dump_text
    assert restored.target.psql("SELECT count(*) FROM django_session") == "0"


def test_the_restored_stack_has_exactly_the_backed_up_visitors(restored):
    assert len(restored.source_visitors) >= SEEDED + len(AWKWARD)
    restored_visitors = restored.target.export_visitors()
    assert len(restored_visitors) == len(restored.source_visitors)
    differing = [
        (source, target)
        for source, target in zip(restored.source_visitors, restored_visitors, strict=True)
        if source != target
    ]
    assert differing == []


def test_the_restored_stack_serves_them_through_nginx(restored):
    assert visitors_not_kept(restored.target, restored.awkward) == []
    with http_session() as session:
        reader = {"Authorization": f"Bearer {restored.target.credentials()['API read token']}"}
        url = restored.target.url("/api/visitors?limit=100")
        listed = session.get(url, headers=reader, timeout=10).json()
        page = session.get(restored.target.url("/"), timeout=10)
    assert listed["results"] == restored.source_visitors[:100]
    assert page.status_code == 200


def test_the_restored_stack_takes_new_visitors_after_the_last_id(restored):
    # The id sequence is restored too: a new visitor never collides with a restored one.
    (created,) = create_visitors(
        restored.target, restored.target_token, [{"name": "After the restore"}]
    )
    assert created["id"] > max(visitor["id"] for visitor in restored.source_visitors)
