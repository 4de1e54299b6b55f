# make run: install into .venv, migrate, load the demo meeting and serve on 127.0.0.1:8000.
# make test: install, lint, run every test (the accessibility audit needs axe-core from npm).
# make bench: the benchmarks at modest sizes (needs PostgreSQL on 127.0.0.1:5432 and
#   redis-server); BASELINE=<git revision> measures that revision beside this checkout.

SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

# The first Python >= 3.12 found: on PATH, then under pyenv. PYTHON=... overrides it.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.14 python3 \
	$$HOME/.pyenv/versions/3.13*/bin/python $$HOME/.pyenv/versions/3.12*/bin/python \
	$$HOME/.pyenv/versions/3.14*/bin/python; do \
	if command -v $$p >/dev/null 2>&1 && \
	   $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
	  command -v $$p; break; fi; done)

.PHONY: run test install lint format messages bench clean

$(BIN)/python:
	@if [ -z "$(PYTHON)" ]; then \
	  echo "No Python 3.12 or newer found. Install one, or name it: make PYTHON=/path/to/python3.12 ..." >&2; \
	  exit 1; fi
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

# axe-core, which the accessibility audit (tests/e2e/test_accessibility.py) injects into the
# pages. A stamp, not axe.min.js itself: npm gives the files of a package a fixed old date.
node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund
	touch $@

run: install
	DEBUG=1 $(BIN)/python manage.py migrate --no-input
	DEBUG=1 $(BIN)/python manage.py load_demo
	@echo "Serving on http://$(HOST):$(PORT)/"
	DEBUG=1 $(BIN)/python manage.py runserver $(HOST):$(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The tests without a browser run on every core (pytest-xdist); the browser journeys, which
# start servers and Chromium of their own, one after the other.
test: lint node_modules/.installed
	$(BIN)/python -m pytest -n auto -m "not e2e"
	$(BIN)/python -m pytest -m e2e

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Each command prints one JSON line; docs/benchmarks.md says what they measure.
BASELINE ?=
BENCH_BASELINE := $(if $(BASELINE),--baseline $(BASELINE))
bench: install
	$(BIN)/python bench/ws_fanout.py --clients 200 --processes 1 --layer memory $(BENCH_BASELINE)
	$(BIN)/python bench/ws_fanout.py --clients 200 --processes 2 --layer redis $(BENCH_BASELINE)
	$(BIN)/python bench/ws_storm.py --clients 200 --rounds 5 $(BENCH_BASELINE)
	$(BIN)/python bench/http_phone.py --db sqlite --participants 100 --duration 5 $(BENCH_BASELINE)
	$(BIN)/python bench/http_phone.py --db postgres --participants 100 --duration 5 $(BENCH_BASELINE)
	DEBUG=1 $(BIN)/python bench/pdf_render.py

# Needs GNU gettext; the compiled catalogues are committed, so only translators need it.
messages: install
	$(BIN)/python manage.py makemessages -l sv --no-obsolete --ignore=.venv --ignore=node_modules
	$(BIN)/python manage.py compilemessages --ignore=.venv --ignore=node_modules

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache
