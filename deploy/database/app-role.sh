# Sourced by deploy/database/start (every start of an existing database, in single-user mode),
# by initdb/app-role.sh (a new database), and by deploy/backup and deploy/restore (the name).
# The app, its migrations and restores log in as visitors_app: a role that owns the public
# schema and what is in it and nothing more (no superuser, no CREATEDB or CREATEROLE), so SQL
# run as the app, or a dump given to deploy/restore, cannot run programs or read files on the
# server. The superuser that POSTGRES_USER made stays for the database's own tools and cannot
# be demoted. app_role_sql prints the statements, each ending with ";" and an empty line
# (single-user mode's -j terminator); they are safe to run again, and move anything the
# superuser owned in the schema (a database from before this role existed) to the role.
# postgres_exporter logs in as visitors_monitor: a member of pg_monitor (it reads the server's
# statistics and settings) and nothing else, so it cannot read a visitor. It is made where its
# password is mounted (compose's db; Kubernetes monitors the database with its operator's own).
APP_ROLE=visitors_app
MONITOR_ROLE=visitors_monitor
app_role_sql() {
  login_role_sql "$APP_ROLE" "${DB_APP_PASSWORD_FILE:-/run/secrets/db_app_password}"
  cat <<SQL
ALTER SCHEMA public OWNER TO $APP_ROLE;

-- Search folds accents and finds words inside names (visitors' migration 0002). Trusted
-- extensions, but making them needs CREATE on the database, which the app's role lacks.
CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public;

CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;

DO \$\$ DECLARE item record; BEGIN
  FOR item IN SELECT c.oid::regclass AS name FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
        AND c.relowner <> '$APP_ROLE'::regrole
  LOOP
    EXECUTE format('ALTER TABLE %s OWNER TO $APP_ROLE', item.name);
  END LOOP;
  -- The app's functions too; those of the extensions stay with them.
  FOR item IN SELECT p.oid::regprocedure AS name FROM pg_proc p
      JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = 'public' AND p.proowner <> '$APP_ROLE'::regrole
        AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                        AND d.objid = p.oid AND d.deptype = 'e')
  LOOP
    EXECUTE format('ALTER FUNCTION %s OWNER TO $APP_ROLE', item.name);
  END LOOP;
END \$\$;

SQL
  local monitor_password=${DB_MONITOR_PASSWORD_FILE:-/run/secrets/db_monitor_password}
  [ -r "$monitor_password" ] || return 0
  login_role_sql "$MONITOR_ROLE" "$monitor_password" "CONNECTION LIMIT 3"
  printf 'GRANT pg_monitor TO %s;\n\n' "$MONITOR_ROLE"
}

# Role $1, made if missing, with the password in file $2 and no power beyond logging in (and
# the attributes $3).
login_role_sql() {
  local password
  password=$(< "$2")
  cat <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$1') THEN
    CREATE ROLE $1;
  END IF;
END \$\$;

ALTER ROLE $1 WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS${3:+ $3}
  PASSWORD '${password//\'/\'\'}';

SQL
}
