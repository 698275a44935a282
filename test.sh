#!/usr/bin/env bash
# Run the whole test suite on a fresh machine: installs what is missing (apt
# and pip), starts PostgreSQL and Redis if they are not running, then runs
# pytest: unit tests, integration tests on SQLite AND PostgreSQL, RQ workers on
# a private Redis, an SMTP server, and browser journeys in Debian's Chromium.
# Extra arguments go to pytest (e.g. ./test.sh tests/unit -x).
set -euo pipefail
cd "$(dirname "$0")"

SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"

# --- system packages
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v redis-server >/dev/null || need+=(redis-server)
command -v pg_ctlcluster >/dev/null || need+=(postgresql)
command -v psql >/dev/null || need+=(postgresql-client)
if [ ${#need[@]} -gt 0 ]; then
  echo "Installation des paquets système : ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

# --- PostgreSQL: the machine's server, or a private one (trust auth) if none answers
PG_URL=${BACKOFFICE_TEST_PG:-postgresql://postgres@127.0.0.1:5432/postgres}
pg_ok() { psql "$1" -Atqc "select 1" >/dev/null 2>&1; }
if ! pg_ok "$PG_URL"; then
  for version in $(ls /etc/postgresql 2>/dev/null); do
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start >/dev/null 2>&1 || true
  done
  sleep 2
fi
if ! pg_ok "$PG_URL"; then
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  PGDATA=/tmp/backoffice-pg-data
  if [ ! -d "$PGDATA" ]; then
    mkdir -p "$PGDATA" && chown postgres "$PGDATA" 2>/dev/null || true
    runuser -u postgres -- "$PGBIN/initdb" -D "$PGDATA" -A trust -U postgres >/dev/null
  fi
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -o "-p 55432 -k /tmp" -l /tmp/backoffice-pg.log start >/dev/null || true
  sleep 2
  PG_URL=postgresql://postgres@127.0.0.1:55432/postgres
  pg_ok "$PG_URL" || { echo "PostgreSQL ne répond pas" >&2; exit 1; }
fi
export BACKOFFICE_TEST_PG="$PG_URL"

# --- Redis: the tests start private servers; the default one is started if absent
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
fi

# --- Python
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt

# --- Lint first: a style error fails the run as a test would.
.venv/bin/ruff check --quiet .

# --- Tests, one worker per core (pytest-xdist: each test has its own databases, Redis keys and
# ports); TEST_WORKERS=0 runs them in this process, and an -n given to ./test.sh wins.
exec .venv/bin/python -m pytest -n "${TEST_WORKERS:-auto}" "$@"
