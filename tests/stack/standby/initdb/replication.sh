# Test-only (tests/stack/compose.standby.yaml), run once when db creates its database: the
# standby service may stream db's write-ahead log, logging in as the superuser.
printf 'host replication %s all scram-sha-256\n' "$POSTGRES_USER" >> "$PGDATA/pg_hba.conf"
