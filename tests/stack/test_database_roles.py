"""The app, its migrations and restores cannot act as a PostgreSQL superuser.

The attacks these repeat: as a superuser the app could run `COPY ... TO PROGRAM` (a program
in the db container, as uid 70), and a dump given to `deploy/restore` could do the same
through a function its index calls. Now the app and restores log in as `visitors_app`,
which owns the schema and nothing more; a database from before that role existed is moved to
it on the database's next start. A stack of its own, as the last test rewinds it.
"""

import subprocess

import pytest
from visitors_api import create_visitors

from hosttools.compose_project import REPO, ComposeProject, DockerError, docker_cli

APP_ROLE = "visitors_app"
# The roles postgres_exporter's role is a member of: pg_monitor only.
MONITOR_ROLE_GRANTS = (
    "SELECT string_agg(roleid::regrole::text, ',') FROM pg_auth_members"
    " WHERE member = 'visitors_monitor'::regrole"
)
PROOF = "/tmp/ran-a-program"  # noqa: S108 - a file in the db container's own /tmp
# A dump anyone could make: an index whose function runs a program in the database's server,
# so restoring the table's rows runs it, as whichever role restores them.
CRAFTED = f"""
CREATE FUNCTION public.payload() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  COPY (SELECT 1) TO PROGRAM 'id > {PROOF}';
END $$;
CREATE FUNCTION public.harmless(integer) RETURNS integer LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  PERFORM public.payload();
  RETURN $1;
END $$;
CREATE TABLE public.bait (n integer);
INSERT INTO public.bait VALUES (1);
CREATE INDEX bait_harmless ON public.bait (public.harmless(n));
"""  # noqa: S608 - the test's own text
DUMP_CRAFTED = ("pg_dump", "--username", "visitors", "--dbname", "crafted", "--format", "custom")
# What the app's connection is allowed, and what a COPY to a program does from the app.
AS_THE_APP = """
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("SELECT current_user, rolsuper, rolcreatedb, rolcreaterole"
                   " FROM pg_roles WHERE rolname = current_user")
    print(*cursor.fetchone())
    try:
        cursor.execute("COPY (SELECT 1) TO PROGRAM 'id'")
    except Exception as error:
        print(type(error).__name__, str(error).splitlines()[0])
    else:
        print("ran a program")
"""


@pytest.fixture(scope="module")
def own(docker):
    stack = ComposeProject(REPO, files=["compose.yaml"], prefix="visitors-test-roles")
    try:
        stack.up(build=True)
        yield stack
    finally:
        stack.close()


def as_the_app(stack):
    return stack.exec(
        "app", "python", "manage.py", "shell", "--verbosity", "0", "--command", AS_THE_APP
    )


def db_has_file(stack, path):
    result = stack.run("exec", "-T", "db", "test", "-e", path, check=False)
    return result.returncode == 0


SEARCH_FUNCTION_OWNER = "SELECT proowner::regrole FROM pg_proc WHERE proname = 'visitors_fold'"


def owners(stack):
    return stack.psql(
        "SELECT string_agg(DISTINCT tableowner, ',') FROM pg_tables WHERE schemaname = 'public'"
    )


def test_the_app_logs_in_as_a_role_without_privileges(own):
    user, superuser, createdb, createrole = as_the_app(own).splitlines()[0].split()
    assert (user, superuser, createdb, createrole) == (APP_ROLE, "False", "False", "False")


def test_the_app_cannot_run_a_program_on_the_database_server(own):
    outcome = as_the_app(own).splitlines()[1]
    assert "permission denied to COPY to or from an external program" in outcome, outcome


def test_the_migrations_ran_as_the_apps_role(own):
    assert owners(own) == APP_ROLE


def test_each_service_sees_only_its_own_secrets(own):
    # The superuser's password (db_password) once sat next to the app's own secrets: with it
    # the app could log in as the superuser over the network and undo everything above.
    listing = "import os; print(*sorted(os.listdir('/run/secrets')))"
    assert own.python("app", listing).split() == [
        "api_read_token", "api_token", "db_app_password", "django_secret_key",
    ]  # fmt: skip
    assert own.python("retention", listing).split() == ["db_app_password", "django_secret_key"]
    assert own.exec("db", "ls", "/run/secrets").split() == [
        "db_app_password", "db_monitor_password", "db_password",
    ]  # fmt: skip


def test_a_crafted_dump_cannot_run_a_program_through_restore(own, tmp_path):
    (kept,) = create_visitors(own, own.credentials()["API token"], [{"name": "Before"}])
    before = own.export_visitors()
    own.psql("CREATE DATABASE crafted")
    own.exec("db", "psql", "--username", "visitors", "--dbname", "crafted",
             "--set", "ON_ERROR_STOP=1", "--command", CRAFTED)  # fmt: skip
    dump = tmp_path / "crafted.dump"
    dump.write_bytes(
        subprocess.run(
            own.command("exec", "-T", "db", *DUMP_CRAFTED),
            env=own.env,
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout
    )
    own.exec("db", "rm", "-f", PROOF)  # making the dump ran it once, as the superuser

    with pytest.raises(DockerError, match="permission denied"):
        own.run_script("deploy/restore", dump)
    assert not db_has_file(own, PROOF), "the restore ran a program in the db container"
    own.wait_healthy("app", timeout=120)
    assert own.export_visitors() == before
    assert kept in before


def test_a_database_from_before_the_role_moves_to_it(own):
    # Rewind the stack to how it was made before visitors_app and visitors_monitor: the
    # superuser owns every table, the app connects as the superuser, and there is neither
    # db_app_password nor db_monitor_password.
    own.run("stop", "app", "web", "migrate")
    own.psql(
        "REASSIGN OWNED BY visitors_app TO visitors;"
        "ALTER SCHEMA public OWNER TO pg_database_owner;"
        "DROP OWNED BY visitors_app;"
        "DROP ROLE visitors_app;"
        "DROP ROLE visitors_monitor;"
    )
    assert owners(own) == "visitors"
    assert own.psql(SEARCH_FUNCTION_OWNER) == "visitors"
    count = own.psql("SELECT count(*) FROM visitors_visitor")
    own.run("stop", "db")
    docker_cli(
        "run", "--rm", "--network", "none", "--volume", f"{own.project}_secrets:/secrets",
        "--entrypoint", "rm", "cgr.dev/chainguard/postgres:latest", "/secrets/db_app_password",
        "/secrets/db_monitor_password",
    )  # fmt: skip

    own.up(recreate=True)

    assert owners(own) == APP_ROLE
    assert own.psql(SEARCH_FUNCTION_OWNER) == APP_ROLE
    assert own.psql("SELECT rolsuper FROM pg_roles WHERE rolname = 'visitors_app'") == "f"
    assert own.psql("SELECT count(*) FROM visitors_visitor") == count
    assert as_the_app(own).splitlines()[0].split()[0] == APP_ROLE
    assert own.psql(MONITOR_ROLE_GRANTS) == "pg_monitor"
