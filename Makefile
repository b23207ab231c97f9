# The two commands: `make demo` runs every pipeline stage that exists on the embedded default,
# `make test` runs the whole test suite. Both set everything up from nothing and reuse it afterwards.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TOOLS := .cache/tools
UV := $(TOOLS)/bin/uv
UV_VERSION := 0.13.9
STAMP := $(VENV)/.shelfcast-installed
PYTEST_ARGS ?=
export UV_CACHE_DIR := $(CURDIR)/.cache/uv
# Hard links from the cache (uv copies instead when they sit on different file systems): a copy would
# double the ~4 GB the two environments take, and a CI machine ran out of disk on it.
export UV_LINK_MODE := hardlink
# Imports are compiled once at install: with PYTHONDONTWRITEBYTECODE set (as on CI machines) every process
# would otherwise recompile ~700 modules, ~2 s per `shelfcast` start.
export UV_COMPILE_BYTECODE := 1

.PHONY: help demo demo-stop test test-all lint format lock system system-tests postgres clean

help:
	@echo "make demo   set up, then run the pipeline end to end on the embedded default (scale s) and start its UIs"
	@echo "make demo-stop   stop the UIs make demo started"
	@echo "make test   set up, then run lint and the test suite CI runs (all but the extended tests)"
	@echo "make test-all   the same with the extended tests (about two hours on 2 cores)"
	@echo "make lock   re-resolve requirements.lock from pyproject.toml, and Superset's lock"

# The pipeline runs as one Dagster asset graph (`shelfcast run`: ingest, dbt, forecast, the marts on it, the
# dashboards' refresh); the UIs then start in the background and their URLs and logins are printed.
demo: $(STAMP) system
	$(BIN)/shelfcast generate
	scripts/with-sources-server.sh $(BIN)/shelfcast run
	scripts/demo-servers.sh

demo-stop:
	scripts/demo-servers.sh --stop

# CI's suite: every test but the `extended` ones (see README); `make test-all` runs those too.
TEST_MARKERS ?= not extended
test: $(STAMP) system-tests lint
	@url="$$(scripts/postgres.sh)"; \
	  SHELFCAST_TEST_PG_URL="$$url" $(BIN)/python -m pytest -m "$(TEST_MARKERS)" $(PYTEST_ARGS)

test-all: TEST_MARKERS = extended or not extended
test-all: test

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@# the dbt templater loads DuckDB's delta extension: install it from its wheel (no download)
	$(BIN)/python -c "from shelfcast.warehouse import install_duckdb_extensions as i; i()"
	SHELFCAST_DUCKDB_FILE=:memory: $(BIN)/sqlfluff lint dbt_project/models --processes 2
	@# the models of a landed dataset, which the pass above skips as disabled
	SHELFCAST_DUCKDB_FILE=:memory: $(BIN)/sqlfluff lint --config dbt_project/lint_profile/dataset.sqlfluff \
	  dbt_project/models/staging/dataset dbt_project/models/intermediate/dataset dbt_project/models/marts/dataset

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Debian packages (PostgreSQL, Java for Spark); a no-op when present.
system:
	@scripts/system-deps.sh

system-tests:
	@scripts/system-deps.sh --tests

postgres: system
	@scripts/postgres.sh

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

# The venv is rebuilt only when the lock or pyproject.toml changes.
$(STAMP): requirements.lock pyproject.toml | $(UV)
	@test -x $(BIN)/python || $(UV) venv --quiet --python $(PYTHON) $(VENV)
	$(UV) pip sync --quiet --python $(BIN)/python requirements.lock
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .
	@touch $@

LOCK_FLAGS := --python-version 3.11 --python-platform x86_64-manylinux_2_28
lock: | $(UV)
	UV_CUSTOM_COMPILE_COMMAND="make lock  (uv pip compile pyproject.toml --extra all --extra dev $(LOCK_FLAGS) -o requirements.lock)" \
	  $(UV) pip compile pyproject.toml --extra all --extra dev $(LOCK_FLAGS) --quiet -o requirements.lock
	UV_CUSTOM_COMPILE_COMMAND="make lock" \
	  $(UV) pip compile dashboards/superset-requirements.in $(LOCK_FLAGS) --quiet -o dashboards/superset-requirements.lock

clean:
	rm -rf $(VENV) .cache data
