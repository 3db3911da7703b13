.PHONY: run test lint bench

# Install everything, migrate, load the corpus, start a worker and the web server.
run:
	bash scripts/run.sh

# The whole test suite (unit, integration with a real worker, end-to-end in Chromium).
test:
	bash scripts/test.sh

lint:
	.venv/bin/ruff check .

bench:
	bash scripts/bench.sh
