#!/usr/bin/env bash
# A PostgreSQL primary and a streaming-replication hot standby on loopback ports, for measuring DATABASE_READ_URL.
# Both clusters are the bench's own (temporary directories, run as the postgres user); the machine's server is untouched.
#   bench/replica.sh start   → prints DATABASE_URL and DATABASE_READ_URL
#   bench/replica.sh stop
set -euo pipefail
BIN=/usr/lib/postgresql/$(ls /etc/postgresql | head -n 1)/bin
ROOT=${REPLICA_ROOT:-/tmp/samverkan-replica}
PRIMARY_PORT=${PRIMARY_PORT:-5434}
STANDBY_PORT=${STANDBY_PORT:-5435}
as_pg() { runuser -u postgres -- "$@"; }

case "${1:-start}" in
start)
  mkdir -p "$ROOT" && chown postgres "$ROOT"
  if [ ! -d "$ROOT/primary" ]; then
    as_pg "$BIN/initdb" -D "$ROOT/primary" -U postgres -A trust >/dev/null
    cat >>"$ROOT/primary/postgresql.conf" <<CONF
port = $PRIMARY_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$ROOT'
wal_level = replica
max_wal_senders = 5
hot_standby = on
shared_buffers = 256MB
max_connections = 200
fsync = on
CONF
    echo "host replication all 127.0.0.1/32 trust" >>"$ROOT/primary/pg_hba.conf"
  fi
  as_pg "$BIN/pg_ctl" -D "$ROOT/primary" -l "$ROOT/primary.log" -w start >/dev/null
  if [ ! -d "$ROOT/standby" ]; then
    as_pg "$BIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -D "$ROOT/standby" -R -X stream >/dev/null
    sed -i "s/^port = .*/port = $STANDBY_PORT/" "$ROOT/standby/postgresql.conf"
  fi
  as_pg "$BIN/pg_ctl" -D "$ROOT/standby" -l "$ROOT/standby.log" -w start >/dev/null
  echo "DATABASE_URL=postgres://postgres@127.0.0.1:$PRIMARY_PORT/postgres"
  echo "DATABASE_READ_URL=postgres://postgres@127.0.0.1:$STANDBY_PORT/postgres"
  ;;
stop)
  as_pg "$BIN/pg_ctl" -D "$ROOT/standby" -m fast stop >/dev/null 2>&1 || true
  as_pg "$BIN/pg_ctl" -D "$ROOT/primary" -m fast stop >/dev/null 2>&1 || true
  if [ "${2:-}" = "--clean" ]; then rm -rf "$ROOT"; fi
  ;;
esac
