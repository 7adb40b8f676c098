#!/usr/bin/env bash
# The scaled profile on one machine: PostgreSQL + Redis already running locally, then N daphne
# web processes, the gpu and realtime Celery workers and Celery beat. Ctrl+C stops them all.
#
#   scripts/run_scaled.sh                     # database `fer` on 127.0.0.1:5432, Redis db 0
#   WEB_PROCESSES=4 scripts/run_scaled.sh     # four web processes on ports 8001..8004
#
# Environment (defaults in brackets): DATABASE_URL [postgres://postgres@127.0.0.1:5432/fer],
# REDIS_URL [redis://127.0.0.1:6379/0], WEB_PROCESSES [2], WEB_PORT [8001, the first port],
# GPU_CONCURRENCY [1], REALTIME_CONCURRENCY [8 threads], SECRET_KEY [random, kept in var/scaled-secret-key],
# ALLOWED_HOSTS [127.0.0.1,localhost]; every other setting of README "Configuration" applies too.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
BIN=.venv/bin

export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/fer}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
export ALLOWED_HOSTS="${ALLOWED_HOSTS:-127.0.0.1,localhost}"
export DEBUG="${DEBUG:-0}"
mkdir -p var
if [[ -z "${SECRET_KEY:-}" ]]; then
  [[ -s var/scaled-secret-key ]] || "$PY" -c "import secrets; print(secrets.token_urlsafe(50))" > var/scaled-secret-key
  SECRET_KEY="$(cat var/scaled-secret-key)"
  export SECRET_KEY
fi
WEB_PROCESSES="${WEB_PROCESSES:-2}"
WEB_PORT="${WEB_PORT:-8001}"

# Create the database if it is missing (connects to the server's `postgres` maintenance database).
"$PY" - <<'PY'
import os
from urllib.parse import urlsplit

import psycopg

url = urlsplit(os.environ["DATABASE_URL"])
name = url.path.lstrip("/")
with psycopg.connect(url._replace(scheme="postgresql", path="/postgres").geturl(), autocommit=True) as conn:
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
        conn.execute(f'CREATE DATABASE "{name}"')
        print(f"created database {name}")
PY
"$PY" manage.py migrate --noinput -v0
"$PY" manage.py collectstatic --noinput -v0

pids=()
stop() {
  trap - INT TERM EXIT
  echo "stopping ${#pids[@]} processes"
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait || true
}
trap stop INT TERM EXIT

start() {  # name, command...: prefixes each output line with the process name
  local name=$1; shift
  "$@" > >(sed -u "s/^/[$name] /") 2>&1 &
  pids+=($!)
}

for ((i = 0; i < WEB_PROCESSES; i++)); do
  start "web$((i + 1))" "$PY" -m fer_site.serve --proxy-headers -b 127.0.0.1 -p $((WEB_PORT + i))
done
start worker-gpu "$BIN/celery" -A fer_site worker -Q gpu,celery -n "gpu@%h" --pool prefork \
  --concurrency "${GPU_CONCURRENCY:-1}" --loglevel INFO
start worker-realtime "$BIN/celery" -A fer_site worker -Q realtime -n "realtime@%h" --pool threads \
  --concurrency "${REALTIME_CONCURRENCY:-8}" --loglevel INFO
start beat "$BIN/celery" -A fer_site beat --schedule var/celerybeat-schedule --loglevel INFO

echo "FER platform (scaled profile) at:"
for ((i = 0; i < WEB_PROCESSES; i++)); do echo "  http://127.0.0.1:$((WEB_PORT + i))/"; done
echo "Ctrl+C stops everything."
wait -n "${pids[@]}" || true
echo "a process exited; stopping the others"
