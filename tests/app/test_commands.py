"""The management commands an operator runs: export, purge, seed, create_admin, credentials."""

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from visitors.management.commands import enforce_retention
from visitors.models import Visitor

pytestmark = pytest.mark.django_db


def run(*args, **options):
    out = io.StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


# --- export_visitors ------------------------------------------------------------------------


@pytest.fixture
def three(make_visitor):
    return [
        make_visitor(name="Ada", company="=cmd|' /C calc'!A0", days_ago=3),
        make_visitor(name="Zoë 王芳 Øyvind", message="line one\nline two", days_ago=2),
        make_visitor(name="Grace", company="US Navy, Inc."),
    ]


def test_export_csv_is_the_default(three):
    rows = list(csv.reader(io.StringIO(run("export_visitors"))))
    assert rows[0] == ["id", "name", "company", "message", "created_at", "signed_out_at"]
    assert [row[0] for row in rows[1:]] == [str(v.id) for v in reversed(three)]
    grace, zoe, ada = rows[1:]
    assert grace[1:3] == ["Grace", "US Navy, Inc."]
    assert zoe[1:4] == ["Zoë 王芳 Øyvind", "", "line one\nline two"]
    assert ada[2] == "'=cmd|' /C calc'!A0"  # a formula is never exported as one


def test_export_json(three):
    exported = json.loads(run("export_visitors", format="json"))
    assert exported == [v.as_json() for v in reversed(three)]


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [("csv", "id,name,company,message,created_at,signed_out_at"), ("json", [])],
)
def test_export_with_no_visitors(fmt, expected):
    out = run("export_visitors", format=fmt)
    assert (out.strip() if fmt == "csv" else json.loads(out)) == expected


def test_export_json_is_one_visitor_a_line(three):
    # What `jq -c '.[]'` and a person paging through it expect: no blank lines.
    lines = [json.dumps(v.as_json(), ensure_ascii=False) for v in reversed(three)]
    assert run("export_visitors", format="json") == "[\n" + ",\n".join(lines) + "\n]\n"


def test_export_json_of_nobody_is_an_empty_array_on_two_lines():
    assert run("export_visitors", format="json") == "[\n]\n"


def test_export_rejects_an_unknown_format():
    with pytest.raises(CommandError, match="invalid choice"):
        run("export_visitors", "--format", "xml")


# --- purge_visitors and the retention service ------------------------------------------------


@pytest.fixture
def by_age(make_visitor):
    return {days: make_visitor(name=f"{days} days ago", days_ago=days) for days in (0, 10, 31, 400)}


@pytest.mark.parametrize(
    ("days", "deleted"),
    [(30, {31, 400}), (365, {400}), (1000, set()), (5, {10, 31, 400})],
)
def test_purge_deletes_only_older_visitors(by_age, days, deleted):
    out = run("purge_visitors", older_than=days)
    assert f"Deleted {len(deleted)} visitors" in out
    remaining = set(Visitor.objects.values_list("name", flat=True))
    assert remaining == {f"{d} days ago" for d in by_age if d not in deleted}


def test_purge_dry_run_counts_and_deletes_nothing(by_age):
    out = run("purge_visitors", "--older-than", "30", "--dry-run")
    assert "Would delete 2 visitors" in out
    assert "dry run" in out
    assert Visitor.objects.count() == len(by_age)


@pytest.mark.parametrize(
    "args",
    [["--older-than", "-1"], ["--older-than", "abc"], ["--older-than", "1.5"], ["--older-than"]],
    ids=["negative", "not-a-number", "fraction", "missing"],
)
def test_purge_refuses_bad_days(by_age, args):
    with pytest.raises(CommandError):
        run("purge_visitors", *args)
    assert Visitor.objects.count() == len(by_age)


# --- seed_visitors --------------------------------------------------------------------------


def test_seed_adds_visitors_in_arrival_order(make_visitor):
    existing = make_visitor(name="Already here")
    out = run("seed_visitors", "25", "--days", "3")
    assert "Added 25 visitors" in out
    seeded = list(Visitor.objects.exclude(pk=existing.pk).order_by("id"))
    assert len(seeded) == 25
    times = [v.created_at for v in seeded]
    assert times == sorted(times)
    for visitor in seeded:
        visitor.full_clean()  # every seeded visitor passes the rules real ones do


def test_seed_is_repeatable_with_a_seed():
    def seeded(seed):
        Visitor.objects.all().delete()
        run("seed_visitors", "15", "--seed", str(seed))
        return list(Visitor.objects.order_by("id").values_list("name", "company", "message"))

    first = seeded(42)
    assert seeded(42) == first
    assert seeded(7) != first


@pytest.mark.parametrize("args", [["-3"], ["many"], ["5", "--days", "-1"]])
def test_seed_refuses_bad_numbers(args):
    with pytest.raises(CommandError):
        run("seed_visitors", *args)
    assert not Visitor.objects.exists()


# --- create_admin, prepare_database, credentials --------------------------------------------


@pytest.fixture
def admin_settings(settings):
    settings.VISITORS_ADMIN_USERNAME = "frontdesk"
    settings.VISITORS_ADMIN_EMAIL = "desk@example.com"
    settings.VISITORS_ADMIN_PASSWORD = "correct horse battery staple"
    return settings


def test_create_admin_creates_a_superuser_once(admin_settings):
    users = get_user_model().objects
    assert "Created admin user 'frontdesk'" in run("create_admin")
    admin_settings.VISITORS_ADMIN_PASSWORD = "a different password"
    assert "exists; left as it is" in run("create_admin")
    user = users.get()
    assert (user.username, user.email) == ("frontdesk", "desk@example.com")
    assert user.is_superuser and user.is_staff and user.is_active
    assert user.check_password("correct horse battery staple")


def test_created_admin_can_log_in(admin_settings, client):
    run("create_admin")
    assert client.login(username="frontdesk", password="correct horse battery staple")
    assert client.get("/admin/visitors/visitor/").status_code == 200


def test_create_admin_without_password_fails_clearly(admin_settings):
    admin_settings.VISITORS_ADMIN_PASSWORD = ""
    with pytest.raises(CommandError, match="DJANGO_ADMIN_PASSWORD"):
        run("create_admin")
    assert not get_user_model().objects.exists()


def test_create_admin_if_configured_is_quiet_without_password(admin_settings):
    admin_settings.VISITORS_ADMIN_PASSWORD = ""
    assert run("create_admin", "--if-configured") == ""
    assert not get_user_model().objects.exists()


@pytest.mark.parametrize("password", ["", "s3cret-admin-password"])
def test_prepare_database_migrates_and_creates_the_configured_admin(admin_settings, password):
    admin_settings.VISITORS_ADMIN_PASSWORD = password
    run("prepare_database", verbosity=0)
    assert get_user_model().objects.filter(username="frontdesk").exists() == bool(password)
    assert run("showmigrations", "visitors", "--plan").count("[X]") >= 1
    assert "[ ]" not in run("showmigrations", "--plan")


def test_credentials_prints_the_token_and_login(admin_settings, api_token):
    out = run("credentials")
    assert api_token in out
    assert "frontdesk" in out
    assert "correct horse battery staple" in out


def test_credentials_says_when_nothing_is_set(settings):
    settings.VISITORS_API_TOKEN = ""
    settings.VISITORS_ADMIN_PASSWORD = ""
    out = run("credentials")
    assert out.count("(not set)") == 2


def test_purge_keeps_the_configured_retention_by_default(by_age, settings):
    settings.VISITORS_RETENTION_DAYS = 30
    assert "Deleted 2 visitors" in run("purge_visitors")
    assert set(Visitor.objects.values_list("name", flat=True)) == {"0 days ago", "10 days ago"}


@pytest.mark.django_db(transaction=True)
def test_the_retention_service_purges_at_once_and_stops_when_asked(by_age, tmp_path):
    # The service's own process, as compose runs it, against this test's database.
    environment = os.environ | {
        "DATABASE_NAME": connection.settings_dict["NAME"],
        "VISITORS_RETENTION_DAYS": "30",
    }
    service = subprocess.Popen(
        [sys.executable, "manage.py", "enforce_retention"],
        env=environment, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while Visitor.objects.count() != 2:
            assert time.monotonic() < deadline, "old visitors still there after 30 s"
            time.sleep(0.1)
        check = subprocess.run(
            [sys.executable, "manage.py", "enforce_retention", "--check"],
            env=environment, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert check.returncode == 0, check.stderr
        assert "visitors are kept 30 days" in check.stdout
    finally:
        service.send_signal(signal.SIGTERM)
        output, _ = service.communicate(timeout=10)
    assert service.returncode == 0
    assert "Deleted 2 visitors" in output and "Stopped." in output


def test_the_retention_check_fails_before_any_run(monkeypatch, tmp_path):
    monkeypatch.setattr(enforce_retention, "LAST_RUN", tmp_path / "last-run")
    with pytest.raises(CommandError, match="No retention run has finished yet"):
        run("enforce_retention", "--check")


# --- wait_for_migrations (what app pods run before they serve) ------------------------------


def test_wait_for_migrations_returns_at_once_when_the_database_is_current():
    assert run("wait_for_migrations", "--timeout", "0") == "Every migration is applied.\n"


def test_wait_for_migrations_fails_clearly_while_a_migration_is_missing():
    # As if this release shipped a migration its job has not applied yet.
    MigrationRecorder(connection).migration_qs.filter(app="visitors").delete()
    with pytest.raises(CommandError, match=r"Still waiting for \d+ unapplied migrations after"):
        run("wait_for_migrations", "--timeout", "0.2", "--interval", "0.05")
