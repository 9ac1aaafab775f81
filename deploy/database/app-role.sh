# Sourced by deploy/database/start (every start of an existing database, in single-user mode),
# by initdb/app-role.sh (a new database), and by deploy/backup and deploy/restore (the name).
# The app, its migrations and restores log in as visitors_app: a role that owns the public
# schema and what is in it and nothing more (no superuser, no CREATEDB or CREATEROLE), so SQL
# run as the app, or a dump given to deploy/restore, cannot run programs or read files on the
# server. The superuser that POSTGRES_USER made stays for the database's own tools and cannot
# be demoted. app_role_sql prints the statements, each ending with ";" and an empty line
# (single-user mode's -j terminator); they are safe to run again, and move anything the
# superuser owned in the schema (a database from before this role existed) to the role.
APP_ROLE=visitors_app
app_role_sql() {
  local password
  password=$(< "${DB_APP_PASSWORD_FILE:-/run/secrets/db_app_password}")
  cat <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$APP_ROLE') THEN
    CREATE ROLE $APP_ROLE;
  END IF;
END \$\$;

ALTER ROLE $APP_ROLE WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
  PASSWORD '${password//\'/\'\'}';

ALTER SCHEMA public OWNER TO $APP_ROLE;

DO \$\$ DECLARE item record; BEGIN
  FOR item IN SELECT c.oid::regclass AS name FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
        AND c.relowner <> '$APP_ROLE'::regrole
  LOOP
    EXECUTE format('ALTER TABLE %s OWNER TO $APP_ROLE', item.name);
  END LOOP;
END \$\$;

SQL
}
