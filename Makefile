# Northbound — the two commands a new user needs:
#   make run    set up a virtual environment, install, migrate, serve on http://127.0.0.1:8000
#   make test   install what the tests need and run the whole suite
# `make help` lists every target.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
# The suite is spread over every core (pytest-xdist; the Redis tests stay on one worker).
# PYTEST_ARGS= runs one test after another.
PYTEST_ARGS ?= -n auto --dist loadgroup

.DEFAULT_GOAL := help
.PHONY: help run test install install-test lint typecheck check bench clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) \
	  | awk 'BEGIN {FS = ":.*## "} {printf "  make %-13s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

install: $(VENV)/.installed ## create the virtual environment and install the site

install-test: $(VENV)/.installed-test ## install the site with the test and check tools

run: install ## migrate and serve on http://127.0.0.1:8000 (HOST=..., PORT=... to change)
	$(BIN)/northbound db upgrade
	$(BIN)/northbound serve --host $(HOST) --port $(PORT)

test: install-test ## start the services the tests need, then run the whole suite
	bash scripts/test-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-test ## ruff format --check and ruff check over src, tests and bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench

typecheck: install-test ## mypy strict over src, tests and bench (pyproject.toml [tool.mypy])
	$(BIN)/mypy

check: install-test ## scripts/check (format, lint, types), then the tests
	VENV=$(VENV) bash scripts/check
	$(MAKE) test

bench: install ## the page and waiting-room benchmarks (need Debian's wrk; bench/*.py has more)
	@command -v wrk >/dev/null 2>&1 || { echo "make bench: wrk not found (apt-get install wrk)"; exit 1; }
	$(BIN)/python bench/pages.py
	$(BIN)/python bench/waiting_room.py

clean: ## remove the virtual environment, caches and build output
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist src/*.egg-info
