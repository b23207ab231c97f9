#!/usr/bin/env bash
# Ensures a PostgreSQL server listens on 127.0.0.1 with the shelfcast role and test database.
# Idempotent: starts the Debian cluster only if it is down, creates role and database only if missing.
# Prints the URL tests read from SHELFCAST_TEST_PG_URL.
set -euo pipefail
# Only the URL may reach stdout (callers capture it); pg_ctlcluster chatter such as
# "Removed stale pid file." goes to stderr.
exec 3>&1 1>&2
PORT="${SHELFCAST_PG_PORT:-5432}"
USER_NAME=shelfcast
PASSWORD=shelfcast
DB=shelfcast_test
as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }

read -r version cluster _ < <(pg_lsclusters --no-header | awk -v p="$PORT" '$3 == p {print $1, $2, $4}')
if [ -z "${version:-}" ]; then
  echo "error: no PostgreSQL cluster on port $PORT (pg_lsclusters); run scripts/system-deps.sh" >&2
  exit 1
fi
if ! pg_lsclusters --no-header | awk -v p="$PORT" '$3 == p && $4 == "online"' | grep -q .; then
  # A server killed without shutdown (container restart, SIGKILL) leaves its socket lock behind
  # where /var/run is not a tmpfs; pg_ctl then refuses to start. Remove it only if its owner is gone.
  for lock in /var/run/postgresql/.s.PGSQL."$PORT".lock; do
    if [ -f "$lock" ] && ! kill -0 "$(head -n1 "$lock")" 2>/dev/null; then
      rm -f "$lock" "${lock%.lock}"
    fi
  done
  pg_ctlcluster "$version" "$cluster" start 3>&-
fi
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p "$PORT" && break
  sleep 0.5
done
pg_isready -q -h 127.0.0.1 -p "$PORT" || { echo "error: PostgreSQL did not become ready on $PORT" >&2; exit 1; }
if ! as_postgres psql -p "$PORT" -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$USER_NAME'" | grep -q 1; then
  as_postgres psql -p "$PORT" -qc "CREATE ROLE $USER_NAME LOGIN PASSWORD '$PASSWORD' CREATEDB"
fi
if ! as_postgres psql -p "$PORT" -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
  as_postgres psql -p "$PORT" -qc "CREATE DATABASE $DB OWNER $USER_NAME"
fi
# The Redshift compile test reaches this server with dbt-redshift's own driver, which cannot do SCRAM (it
# misreads PostgreSQL's mechanism list): its role authenticates with md5, on the loopback only.
RS_USER=shelfcast_redshift
hba="$(as_postgres psql -p "$PORT" -tAc 'SHOW hba_file')"
if ! grep -q "^host all $RS_USER 127.0.0.1/32 md5" "$hba"; then
  as_postgres sed -i "0,/^host/s//host all $RS_USER 127.0.0.1\/32 md5\n&/" "$hba"
  as_postgres psql -p "$PORT" -qc "SELECT pg_reload_conf()" >/dev/null
fi
if ! as_postgres psql -p "$PORT" -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$RS_USER'" | grep -q 1; then
  as_postgres psql -p "$PORT" -qc "SET password_encryption = 'md5'; CREATE ROLE $RS_USER LOGIN PASSWORD '$PASSWORD'"
fi
# It acts as the test database's owner (its sessions start as that role): dbt's on-run-start creates the
# target schema and the test results table, which a role of its own may not do on a fresh server, and
# what it creates must stay the owner's for the other tests to replace.
as_postgres psql -p "$PORT" -qc "GRANT $USER_NAME TO $RS_USER" 2>/dev/null
as_postgres psql -p "$PORT" -qc "ALTER ROLE $RS_USER SET role = '$USER_NAME'"
echo "postgresql://$USER_NAME:$PASSWORD@127.0.0.1:$PORT/$DB" >&3
