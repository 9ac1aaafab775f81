# Test-only (tests/stack/compose.standby.yaml): production's init script, unchanged.
. /opt/visitors/initdb/app-role.sh
