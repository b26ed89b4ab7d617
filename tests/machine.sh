#!/usr/bin/env bash
# What `make test` needs of the machine, installed or started when it is missing: Node.js (the API Design
# Rules linter), curl (the README's walk through the API), Chromium (the dashboard test), PgBouncer (the
# API behind a transaction pooler) and a PostgreSQL server. Prints, as its last line, the address of that server for WR_TEST_POSTGRES_URL; everything else
# goes to standard error.
# Needs root (or sudo) only for what it has to install or start. Runs without standard input.
set -euo pipefail
exec 3>&1 1>&2

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"; else
    echo "machine: '$*' needs root; run it once as root, or install it yourself" >&2; return 1
  fi
}

updated=""
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  if [ -z "$updated" ]; then as_root apt-get update -qq </dev/null; updated=1; fi
  as_root apt-get install -y -qq --no-install-recommends "$@" </dev/null >/dev/null
}

command -v npx >/dev/null 2>&1 || { echo "machine: installing Node.js"; apt_install nodejs npm; }
command -v curl >/dev/null 2>&1 || { echo "machine: installing curl (the README's walk)"; apt_install curl ca-certificates; }
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 ||
  { echo "machine: installing Chromium"; apt_install chromium fonts-dejavu-core; }
command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] ||
  { echo "machine: installing PgBouncer"; apt_install pgbouncer; }

answers() { PGCONNECT_TIMEOUT=3 psql "$1" -Atc 'select 1' >/dev/null 2>&1; }
to_asyncpg() { printf '%s\n' "${1/#postgresql:/postgresql+asyncpg:}"; }

if [ -n "${WR_TEST_POSTGRES_URL:-}" ]; then  # the caller's own server: used as it is
  to_asyncpg "$WR_TEST_POSTGRES_URL" >&3
  exit 0
fi

plain="postgresql://postgres@127.0.0.1:5432/postgres"
with_password="postgresql://postgres:postgres@127.0.0.1:5432/postgres"
command -v psql >/dev/null 2>&1 && command -v pg_ctlcluster >/dev/null 2>&1 ||
  { echo "machine: installing PostgreSQL"; apt_install postgresql postgresql-client; }

if ! answers "$plain" && ! PGPASSWORD=postgres answers "$with_password"; then
  echo "machine: starting PostgreSQL"
  for version in $(ls /etc/postgresql); do
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  done
  for _ in $(seq 1 30); do
    answers "$plain" || PGPASSWORD=postgres answers "$with_password" || { sleep 1; continue; }
    break
  done
fi

if answers "$plain"; then
  to_asyncpg "$plain" >&3
  exit 0
fi
# A fresh Debian cluster asks for a password over TCP: give the postgres role a known one for the tests.
if ! PGPASSWORD=postgres answers "$with_password"; then
  as_root su postgres -c "psql -Atc \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null
fi
PGPASSWORD=postgres answers "$with_password" || { echo "machine: PostgreSQL does not answer on 127.0.0.1:5432"; exit 1; }
to_asyncpg "$with_password" >&3
