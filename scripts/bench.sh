#!/usr/bin/env bash
# Run the benchmarks (bench/*.py). Each prints its figures with a baseline taken in the same run.
#   make bench                       # every benchmark
#   bash scripts/bench.sh demos      # one of them; extra arguments go to the script
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev
export VAR_DIR="${VAR_DIR:-$PWD/var/bench}"
mkdir -p "$VAR_DIR"
if [ $# -gt 0 ]; then
  name="$1"; shift
  exec .venv/bin/python "bench/$name.py" "$@"
fi
for script in bench/[a-z]*.py; do
  echo "==> $script"
  .venv/bin/python "$script"
done
