# The two commands: `make run` and `make test`. Both bootstrap .venv on their own.
VENV ?= .venv
PYTHON ?= python3
STAMP := $(VENV)/.installed

.PHONY: install run test lint format

# (Re)install when a pyproject.toml changes; a fresh machine needs nothing else. The
# help desk depends on buzon-bounces (packages/bounces), which pip cannot find by a
# relative path: both are installed in one command, the library first. The library is
# compiled with mypyc into extension modules beside its sources (packages/bounces/setup.py;
# BUZON_BOUNCES_PURE=1 builds plain Python), which Python imports ahead of the .py files:
# a change to its sources rebuilds them, so that `make test` never runs stale code.
BOUNCES_SOURCES := $(wildcard packages/bounces/src/buzon_bounces/*.py packages/bounces/src/buzon_bounces/*/*.py)
$(STAMP): pyproject.toml packages/bounces/pyproject.toml packages/bounces/setup.py $(BOUNCES_SOURCES)
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q --upgrade pip
	$(VENV)/bin/python -m pip install -q -e packages/bounces -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(VENV)/bin/buzon run

test: install
	scripts/test.sh

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .
