#!/usr/bin/env bash
# Run the back-office on this machine with no server at all: SQLite under
# instance/, seeded referentials and demo data, jobs in process (every minute),
# mail written to instance/mail/. Prints the demo accounts, then serves on 127.0.0.1:5000
# (or PORT; the links in e-mails follow it).
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt

export FLASK_APP=wsgi
PORT=${PORT:-5000}
# links in e-mails lead to the port served here (an explicit BASE_URL wins)
export BASE_URL=${BASE_URL:-http://127.0.0.1:$PORT}
# no Redis here: the web process itself runs the daily jobs and sends the outbox every minute
export JOBS_IN_PROCESS=1
# creates the base, or brings an existing one to this code's structure; nothing to do the second time
.venv/bin/flask db upgrade
.venv/bin/flask seed-demo
echo
echo "DOKELIO Île-de-France : http://127.0.0.1:$PORT/  (Ctrl+C pour arrêter)"
exec .venv/bin/flask run --host 127.0.0.1 --port "$PORT"
