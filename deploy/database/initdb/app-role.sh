# Run by the image's entrypoint (sourced, as postgres) once, when it creates a new database.
. /opt/visitors/app-role.sh
app_role_sql | psql --quiet --no-psqlrc --set ON_ERROR_STOP=1 --username "$POSTGRES_USER" \
  --dbname "$POSTGRES_DB" >/dev/null
