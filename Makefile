# The two commands of the README:
#   make demo   set up .venv and run `cible demo` (20,000 generated customers, report in demo_out/)
#   make test   set up .venv with test tools and run lint, types and the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
OUT ?= demo_out

.PHONY: demo test lint typecheck pytest services setup setup-test clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "cible needs Python >= 3.11"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

setup: $(BIN)/python
	$(BIN)/pip install --quiet -e .

setup-test: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'

demo: setup
	$(BIN)/cible demo --out $(OUT)

lint: setup-test
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: setup-test
	$(BIN)/mypy

services:
	bash .ci/services

pytest: setup-test services
	$(BIN)/python -m pytest -n 2 --durations=15

test: lint typecheck pytest

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .mypy_cache .ruff_cache
