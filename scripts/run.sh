#!/usr/bin/env bash
# Set everything up, then start the Celery workers (with beat) and the web server; Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"

queues=demos
if .venv/bin/python -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)"; then
  queues=demos,gpu
fi
echo "==> starting a Celery worker (queues: $queues, with beat), an optimizer worker and an exports worker"
# Beat runs inside the demo worker (-B): one local instance, and the reaper it sends runs on `demos`
# anyway (a restarted worker reaps on start). The optimiser's minutes-long fits get their own worker,
# so they never hold up a demo; its fits are few, so one process is enough. Large Anki decks likewise.
.venv/bin/celery -A quizapp worker -B --loglevel=INFO --concurrency=1 -Q "$queues" -n "local@%h" \
  > var/worker.log 2>&1 &
worker_pid=$!
.venv/bin/celery -A quizapp worker --loglevel=INFO --concurrency=1 -Q optimizer -n "optimizer@%h" \
  > var/optimizer.log 2>&1 &
optimizer_pid=$!
.venv/bin/celery -A quizapp worker --loglevel=INFO --concurrency=1 -Q exports -n "exports@%h" \
  > var/exports.log 2>&1 &
exports_pid=$!
# Each demo's default run, computed ahead so its pages show a result on arrival: only what this engine
# version lacks, so a restart with nothing new costs a second. In the background: the web need not wait.
.venv/bin/python manage.py precompute_demos > var/precompute.log 2>&1 &
precompute_pid=$!
trap 'kill "$worker_pid" "$optimizer_pid" "$exports_pid" "$precompute_pid" 2>/dev/null
      wait "$worker_pid" "$optimizer_pid" "$exports_pid" "$precompute_pid" 2>/dev/null' EXIT INT TERM

echo "==> the app is at http://$HOST:$PORT/  (worker log: var/worker.log; default runs: var/precompute.log)"
.venv/bin/python manage.py runserver "$HOST:$PORT"
