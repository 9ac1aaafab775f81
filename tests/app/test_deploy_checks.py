"""Deployment readiness: migrations, Django's deploy checks, and how settings read secrets."""

import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core import checks
from django.core.management import call_command

# What only serving the site over HTTPS can fix (the README's "Production" section).
HTTPS_ONLY = {"security.W004", "security.W008", "security.W012", "security.W016"}


@pytest.mark.django_db
def test_no_missing_migrations(capsys):
    try:
        call_command("makemigrations", "--check", "--dry-run", verbosity=1)
    except SystemExit:
        pytest.fail(f"models changed without a migration:\n{capsys.readouterr().out}")


def test_deployment_checks_leave_only_what_https_fixes():
    found = checks.run_checks(include_deployment_checks=True)
    unexpected = [f"{m.id}: {m.msg}" for m in found if m.id not in HTTPS_ONLY]
    assert not unexpected, "\n".join(unexpected)


SETUP = "import django; django.setup()"


def show(setting):
    """Code that starts Django and prints a setting."""
    return f"{SETUP}; from django.conf import settings; print({setting})"


def python(env, *args):
    """Runs the app in a fresh interpreter with this environment, as the containers start it."""
    return subprocess.run(
        [sys.executable, *args],
        env=env,
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def env():
    """The container's environment without any secret key, in production mode."""
    clean = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_SECRET_KEY", "VISITORS_API_TOKEN", "DATABASE_PASSWORD"))
    }
    return {**clean, "DJANGO_DEBUG": "0", "DJANGO_SETTINGS_MODULE": "visitors_site.settings"}


@pytest.mark.parametrize("secret_key", [None, ""], ids=["unset", "empty"])
def test_refuses_to_start_without_a_secret_key(env, secret_key):
    if secret_key is not None:
        env["DJANGO_SECRET_KEY"] = secret_key
    result = python(env, "-c", SETUP)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE) must be set" in result.stderr


def test_starts_without_a_secret_key_in_development_only(env):
    env["DJANGO_DEBUG"] = "1"
    result = python(env, "-c", f"{SETUP}; print('started')")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "started"


@pytest.mark.parametrize(
    ("variable", "setting"),
    [
        ("DJANGO_SECRET_KEY", "settings.SECRET_KEY"),
        ("VISITORS_API_TOKEN", "settings.VISITORS_API_TOKEN"),
        ("DATABASE_PASSWORD", "settings.DATABASES['default']['PASSWORD']"),
    ],
)
def test_secrets_are_read_from_files(env, tmp_path, variable, setting):
    secret = tmp_path / variable.lower()
    secret.write_text("  from-a-file-0123456789-abcdefghij-KLMNOPQRST-uvwxyz  \n")
    env[f"{variable}_FILE"] = str(secret)
    if variable != "DJANGO_SECRET_KEY":
        env["DJANGO_SECRET_KEY"] = "only-here-so-the-settings-load-" + "x" * 40
    result = python(env, "-c", show(setting))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "from-a-file-0123456789-abcdefghij-KLMNOPQRST-uvwxyz"


def test_https_settings_leave_check_deploy_silent():
    # The environment compose.tls.yaml gives the app.
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECURE_COOKIES": "1",
        "DJANGO_SECURE_SSL_REDIRECT": "1",
        "DJANGO_SECURE_HSTS_SECONDS": "31536000",
        "DJANGO_SECURE_HSTS_PRELOAD": "1",
    }
    result = python(env, "manage.py", "check", "--deploy")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr


def test_unreadable_secret_file_is_a_clear_error(env, tmp_path):
    env["DJANGO_SECRET_KEY_FILE"] = str(tmp_path / "missing")
    result = python(env, "-c", SETUP)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY_FILE=" in result.stderr
    assert "cannot be read" in result.stderr


def test_the_variable_itself_wins_over_its_file(env, tmp_path):
    secret = tmp_path / "key"
    secret.write_text("from-the-file")
    env.update(DJANGO_SECRET_KEY="from-the-variable", DJANGO_SECRET_KEY_FILE=str(secret))
    result = python(env, "-c", show("settings.SECRET_KEY"))
    assert result.stdout.strip() == "from-the-variable", result.stderr
