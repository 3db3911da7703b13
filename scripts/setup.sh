#!/usr/bin/env bash
# Idempotent set-up shared by `make run` and `make test`: virtualenv and Python packages,
# front-end assets from npm, translations, database migrations and the corpus.
# Usage: scripts/setup.sh [dev]   ("dev" adds the test tools)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3.11}"
requirements=requirements.txt
[ "${1:-}" = "dev" ] && requirements=requirements-dev.txt

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv with $PYTHON"
  "$PYTHON" -m venv .venv
  .venv/bin/pip install --quiet --upgrade pip
fi
stamp=".venv/.installed-$(cat requirements.txt "$requirements" | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "==> installing Python packages ($requirements)"
  .venv/bin/pip install --quiet --disable-pip-version-check -r "$requirements"
  touch "$stamp"
fi

if [ ! -f static/vendor/katex/katex.min.js ] || [ package-lock.json -nt static/vendor/katex/katex.min.js ]; then
  echo "==> installing front-end assets (npm ci)"
  bash scripts/vendor.sh
fi

if command -v msgfmt >/dev/null; then
  .venv/bin/python manage.py compilemessages --ignore=.venv --ignore=node_modules -v0
fi

# The test suite builds its own databases; the app's database is set up for `make run` only.
if [ "${1:-}" != "dev" ]; then
  .venv/bin/python manage.py migrate --no-input -v0
  .venv/bin/python manage.py load_corpus
fi
