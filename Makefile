# cbportal: `make run` serves the app on http://localhost:3000 with demo data;
# `make test` runs every test, browser ones included. Both install what is missing.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
BUN := .tools/bin/bun
CHROMIUM := /usr/bin/chromium
TEST_WORKERS ?= $(shell nproc)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export PATH := $(CURDIR)/.tools/bin:$(CURDIR)/$(VENV)/bin:$(PATH)
export REFLEX_TELEMETRY_ENABLED := false
export REFLEX_CHECK_LATEST_VERSION := false
export REFLEX_BUN_PATH := $(CURDIR)/$(BUN)

.PHONY: run dev lint test test-fast deps migrate demo bench screenshots clean

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	@touch $@

$(BUN):
	npm install -g --prefix ./.tools bun@1.4.5

$(CHROMIUM):
	$(SUDO) apt-get install -y chromium || ($(SUDO) apt-get update && $(SUDO) apt-get install -y chromium)

deps: $(VENV)/.installed $(BUN)

migrate: deps
	$(PY) -m cbportal.cli migrate

demo: migrate
	$(PY) -m cbportal.cli demo --if-empty

run: demo
	$(VENV)/bin/reflex run --env prod --single-port

dev: demo
	CBPORTAL_LOG_FORMAT=plain $(VENV)/bin/reflex run

# Three pytest runs: the tests without a browser on every core (pytest-xdist; each test has
# its own database), then the browser tests against one app build, then the scale tests
# (PostgreSQL, Redis, several app processes), which build the frontend again.
lint: deps
	$(VENV)/bin/ruff check .

test: lint $(CHROMIUM)
	$(PY) -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --ignore=tests/e2e --ignore=tests/scale
	$(PY) -m pytest -q -p no:cacheprovider tests/e2e
	$(PY) -m pytest -q -p no:cacheprovider tests/scale

test-fast: deps
	$(PY) -m pytest -q -p no:cacheprovider -m "not e2e" --ignore=tests/scale

bench: migrate
	$(PY) -m benchmarks.run_all

screenshots: deps $(CHROMIUM)
	$(PY) scripts/screenshots.py

clean:
	rm -rf .web .states var
