#!/usr/bin/env bash
# Set up (with test tools), make sure a Chromium exists for the end-to-end tests, run the suite.
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev

if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "==> installing Debian's chromium for the end-to-end tests"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
fi

export VAR_DIR="${VAR_DIR:-$PWD/var/test}"
exec .venv/bin/python -m pytest "$@"
