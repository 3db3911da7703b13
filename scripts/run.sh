#!/usr/bin/env bash
# Set everything up, then start a Celery worker and the web server; Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"

queues=demos
if .venv/bin/python -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)"; then
  queues=demos,gpu
fi
echo "==> starting a Celery worker (queues: $queues)"
.venv/bin/celery -A quizapp worker --loglevel=INFO --concurrency=1 -Q "$queues" -n "local@%h" \
  > var/worker.log 2>&1 &
worker_pid=$!
trap 'kill "$worker_pid" 2>/dev/null; wait "$worker_pid" 2>/dev/null' EXIT INT TERM

echo "==> the app is at http://$HOST:$PORT/  (worker log: var/worker.log)"
.venv/bin/python manage.py runserver "$HOST:$PORT"
