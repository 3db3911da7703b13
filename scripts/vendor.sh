#!/usr/bin/env bash
# Copy the front-end libraries installed by npm (package.json + package-lock.json) into
# static/vendor, where Django's staticfiles (and whitenoise in production) serve them. No CDN.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules/katex ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
rm -rf static/vendor
mkdir -p static/vendor/katex static/vendor/chartjs
cp node_modules/katex/dist/katex.min.js node_modules/katex/dist/katex.min.css static/vendor/katex/
cp -r node_modules/katex/dist/fonts static/vendor/katex/fonts
# The minified Chart.js names its source map: the map must travel with it, or the production
# build's manifest storage (which follows such references) stops at the missing file.
cp node_modules/chart.js/dist/chart.umd.min.js node_modules/chart.js/dist/chart.umd.min.js.map \
   static/vendor/chartjs/
