#!/usr/bin/env bash
# Run the test suite against a private PostgreSQL cluster: Debian's `postgresql` package (installed if
# missing), a cluster under var/pg on a free port, run as the `postgres` user when we are root (initdb refuses
# root), stopped again whatever the outcome. Usage: scripts/test_postgres.sh [pytest args…]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=${PY:-.venv/bin/python}

bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
if [ -z "$(bindir)" ]; then
  echo "Installing Debian's postgresql for the PostgreSQL test run…"
  SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
fi
BIN=$(bindir)

PGROOT="$ROOT/var/pg"
DATA="$PGROOT/data"
PORT=${PGPORT:-$("$PY" -c 'from cxhub.stack import free_port; print(free_port())')}
mkdir -p "$PGROOT"
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
if [ "$(id -u)" = 0 ]; then chown -R postgres: "$PGROOT"; fi

if [ ! -s "$DATA/PG_VERSION" ]; then
  # Throwaway data: trust on loopback only, no fsync.
  as_owner "$BIN/initdb" -D "$DATA" -U cxhub -A trust -E UTF8 --no-sync >"$PGROOT/initdb.log"
fi
as_owner "$BIN/pg_ctl" -D "$DATA" -l "$PGROOT/server.log" -w \
  -o "-p $PORT -k $PGROOT -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=300" \
  start >/dev/null
stop_cluster() { as_owner "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null || true; }
trap stop_cluster EXIT
as_owner "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U cxhub cxhub 2>/dev/null || true

echo "PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT (data in var/pg)"
DATABASE_URL="postgres://cxhub@127.0.0.1:$PORT/cxhub" DJANGO_SETTINGS_MODULE=cxhub.settings.test \
  "$PY" -m pytest -p no:cacheprovider "$@"
