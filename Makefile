# Everyday commands. `make run` and `make test` work on a fresh clone: they create the
# environment they need first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
SPECTRAL := npx --yes @stoplight/spectral-cli@6.16.3
RULESET := ../shared/standards/nl-api-design-rules-2.2.0.spectral.yaml
OPENAPI := openapi/openapi.json
POSTGRES_URL := test-output/postgres-url

.PHONY: run test test-fast machine install lint format typecheck unit openapi spectral bench bench-figures bench-disclosure bench-events lock clean

$(BIN)/.installed: pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev]'
	@touch $@

install: $(BIN)/.installed

## Serve the API on the embedded SQLite database, with demo data.
run: install
	$(BIN)/wijkregistratie migrate
	$(BIN)/wijkregistratie seed-demo
	@echo "API docs: http://$(HOST):$(PORT)/docs   OpenAPI: http://$(HOST):$(PORT)/openapi.json"
	@echo "Dashboard: http://$(HOST):$(PORT)/dashboard (development sign-in as demo-gemeente)"
	WR_DASHBOARD_DEVELOPMENT_CLIENT=demo-gemeente $(BIN)/wijkregistratie serve --host $(HOST) --port $(PORT)

## Lint, type-check, check the OpenAPI document, and run every test on SQLite and PostgreSQL.
test: install machine lint typecheck spectral unit

## The service tier alone: the rules, on both databases, in well under a minute.
test-fast: install machine
	WR_TEST_POSTGRES_URL="$$(cat $(POSTGRES_URL))" $(BIN)/pytest -m fast -q

## What the tests need of the machine: Node.js, Chromium and a PostgreSQL server, installed or started.
machine:
	@mkdir -p test-output
	@bash tests/machine.sh > $(POSTGRES_URL)

lint: install
	$(BIN)/ruff check src tests migrations bench
	$(BIN)/ruff format --check src tests migrations bench
	$(BIN)/bandit --quiet --configfile pyproject.toml --recursive src

format: install
	$(BIN)/ruff check --fix src tests migrations bench
	$(BIN)/ruff format src tests migrations bench

typecheck: install
	$(BIN)/mypy

unit: install machine
	WR_TEST_POSTGRES_URL="$$(cat $(POSTGRES_URL))" $(BIN)/pytest -n auto --dist loadfile

## Write the OpenAPI document from the code (the tests fail while the committed one differs).
openapi: install
	$(BIN)/wijkregistratie export-openapi --output $(OPENAPI)
	$(BIN)/wijkregistratie export-schemas --output openapi/schemas

spectral: machine $(OPENAPI)
	$(SPECTRAL) lint --ruleset $(RULESET) --fail-severity error $(OPENAPI)

## The read and write paths beside a same-stack peer and a bare endpoint (wrk generates the load).
bench: install
	command -v wrk >/dev/null || apt-get install -y wrk
	$(BIN)/python bench/api_paths.py

bench-figures: install
	$(BIN)/python bench/figures.py

bench-disclosure: install
	$(BIN)/python bench/disclosure_utility.py

bench-events: install
	$(BIN)/python bench/events.py

lock:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install --quiet -e '.[dev]'
	.venv-lock/bin/pip freeze --exclude-editable > requirements.lock

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache test-output wijkregistratie.db*
