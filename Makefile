# Two commands on a fresh machine: `make demo` and `make test`. Both build .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Silences pip's notices about this machine's extra local indexes.
PIP := $(BIN)/python -m pip --disable-pip-version-check --quiet

.PHONY: install demo test lint typecheck imports unit clean

$(STAMP): pyproject.toml constraints.txt Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# torch first, pinned to the CPU wheel this machine carries; anything later that wants torch then
	# finds it satisfied instead of pulling the CUDA build.
	$(PIP) install torch==2.13.0
	$(PIP) install -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# `make demo OULAD=path/to/oulad` loads the Open University data set instead of synthetic data.
demo: $(STAMP)
	$(BIN)/skillstudio demo $(if $(OULAD),--oulad "$(OULAD)")

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# DESIGN.md's layout rules (pyproject.toml [tool.importlinter]): a wrong import fails like a test.
imports: $(STAMP)
	$(BIN)/lint-imports

# pytest exits 5 when it collects no test; make treats that as a failure like any other. The 25 slowest
# tests are listed at the end: the suite has a 10-minute budget on 2 cores, so it runs on two pytest-xdist
# workers; tests/scheduling.py keeps each module, and the modules sharing a heavy fixture, on one worker.
unit: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadgroup --durations=25

test: lint typecheck imports unit

clean:
	rm -rf $(VENV) .skillstudio dbt/target dbt/logs
