# `make run` and `make test` set everything up themselves: a .venv with pinned versions, then go.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
PIP_INSTALL := $(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt

.PHONY: run test lint format fuzz bench bench-migration bench-auth bench-slow-clients bench-throughput bench-pages bench-webhooks bench-signin-stall clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(PIP_INSTALL) -e '.[embedded]'
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP_INSTALL) -e '.[test]'
	touch $@

## Start iris on IRIS_HOST:IRIS_PORT (default 127.0.0.1:8000); embedded PostgreSQL unless a database is configured.
# SETUPTOOLS_USE_DISTUTILS=stdlib: hug imports distutils, and setuptools' stand-in for it would load all of
# setuptools and pkg_resources (11 MB a worker); the standard library's has what hug uses. Read at start-up.
run: $(VENV)/.installed
	IRIS_LOG_FORMAT=$${IRIS_LOG_FORMAT:-text} SETUPTOOLS_USE_DISTUTILS=stdlib $(BIN)/iris serve --migrate --with-worker

## Run the whole test suite (embedded PostgreSQL, or TEST_DATABASE_URL's server).
test: $(VENV)/.installed-test
	@scripts/ensure-test-tools
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## Check style and common bugs with ruff (configured in pyproject.toml); `make format` fixes what it can.
lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## A long schemathesis run with a random seed (figures in .iris/fuzz-report.json), then the hostile-input
## properties (bodies, cursors, searches, query strings, headers past the schema) with IRIS_HOSTILE_EXAMPLES each.
fuzz: $(VENV)/.installed-test
	mkdir -p .iris
	IRIS_FUZZ_EXAMPLES=$${IRIS_FUZZ_EXAMPLES:-1500} IRIS_FUZZ_SEED=random IRIS_FUZZ_REPORT=.iris/fuzz-report.json \
		$(BIN)/python -m pytest tests/integration/test_fuzz.py -s $(PYTEST_ARGS)
	IRIS_HOSTILE_EXAMPLES=$${IRIS_HOSTILE_EXAMPLES:-5000} $(BIN)/python -m pytest tests/integration/test_hostile_input.py \
		--hypothesis-show-statistics $(PYTEST_ARGS)

## GET /tickets latency at 10k and 1M tickets through gunicorn, over the growing vocabulary (real text's shape) and
## the fixed one (search's worst case); writes docs/performance-results-growing.md and docs/performance-results.md (~20 min).
bench: $(VENV)/.installed-test
	BENCH_VOCABULARY=growing $(BIN)/python bench/list_bench.py
	BENCH_VOCABULARY=fixed $(BIN)/python bench/list_bench.py

## Time the `due` migration over 100,000 rows; record the printed line in docs/migrations.md.
bench-migration: $(VENV)/.installed-test
	$(BIN)/python bench/due_migration.py

## GET /tickets/{id} with and without a token, side by side on one server (wrk); record it in docs/performance.md.
bench-auth: $(VENV)/.installed-test
	@scripts/ensure-bench-tools
	$(BIN)/python bench/auth_bench.py

## /health and GET /tickets/1 with 200 held connections, per gunicorn worker class; record it in docs/reliability.md.
bench-slow-clients: $(VENV)/.installed-test
	$(BIN)/python bench/slow_clients.py

## iris (prod settings: token, rate limits, JSON logs) beside a bare hug endpoint, req/s and RSS (wrk, ~5 min);
## record it in docs/performance.md. BENCH_SECONDS, BENCH_ROUNDS, BENCH_TICKETS, BENCH_ONLY=get,put,list,comments.
bench-throughput: $(VENV)/.installed-test
	@scripts/ensure-bench-tools
	$(BIN)/python bench/throughput.py

## The board and ticket pages beside the API calls that fetch the same data (wrk, one server, ~5 min); record it in
## docs/performance.md. BENCH_SECONDS, BENCH_ROUNDS, BENCH_WARMUP_SECONDS, BENCH_TICKETS.
bench-pages: $(VENV)/.installed-test
	@scripts/ensure-bench-tools
	$(BIN)/python bench/page_bench.py

## Write latency with webhooks on (a worker delivering to a local receiver) vs a3217d1, before the outbox, and vs the
## outbox alone (wrk, three servers taking turns; B's drains make it long, 30 min or more at the defaults); record it
## in docs/performance.md. BENCH_SECONDS, BENCH_ROUNDS, BENCH_WARMUP_SECONDS, BENCH_TICKETS, BENCH_ONLY=put,comments,edit.
bench-webhooks: $(VENV)/.installed-test
	@scripts/ensure-bench-tools
	$(BIN)/python bench/webhook_latency.py

## /live while clients sign in, one gevent worker, Argon2 on gevent's thread pool vs the worker's own thread (~1 min);
## record it in docs/web.md.
bench-signin-stall: $(VENV)/.installed-test
	$(BIN)/python bench/signin_stall.py

clean:
	rm -rf $(VENV) .pytest_cache
