#!/usr/bin/env bash
# Set up (with test tools), make sure a Chromium exists for the end-to-end tests, run the suite.
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev

# Debian's chromium for the end-to-end tests (with CJK fonts, so the Chinese screenshots show Chinese), and
# docker-compose to validate docker-compose.yml offline.
if { [ ! -x /usr/bin/chromium ] || [ ! -d /usr/share/fonts/opentype/noto ] || ! command -v docker-compose >/dev/null; } \
   && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "==> installing Debian's chromium and docker-compose for the end-to-end and deployment tests"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk docker-compose >/dev/null
fi

export VAR_DIR="${VAR_DIR:-$PWD/var/test}"
exec .venv/bin/python -m pytest "$@"
