# The two commands of the README:
#   make demo   set up .venv and run `cible demo` (20,000 generated customers, report in demo_out/)
#   make test   set up .venv with test tools and run lint, types and the whole test suite
# Both install from constraints.txt (the lock: the exact versions CI saw); `make lock` refreshes it.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
OUT ?= demo_out
LOCK := constraints.txt
PIP_INSTALL := $(BIN)/python -m pip install --quiet --constraint $(LOCK)

.PHONY: demo test lint typecheck pytest services setup setup-test setup-orchestrators lock mutation clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "cible needs Python >= 3.11"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

setup: $(BIN)/python
	$(PIP_INSTALL) -e .

# The Segment and RudderStack SDKs of the collector test (requirements/sdk-test.txt) declare
# python-dateutil<3 while the lock has 4 (which they work with): installed without their pins.
setup-test: $(BIN)/python
	$(PIP_INSTALL) -e '.[test]'
	$(PIP_INSTALL) --no-deps -r requirements/sdk-test.txt

# The orchestrator examples (examples/prefect_flow.py, examples/airflow_dag.py,
# examples/kubeflow_pipeline.py) are tested in venvs of their own: Prefect 3, Airflow 3 and kfp 2
# pin libraries older than cible's lock. Each installs from its own lock under requirements/.
setup-orchestrators: .venv-prefect/.installed .venv-airflow/.installed .venv-kfp/.installed

.venv-%/.installed: requirements/%.txt
	$(PYTHON) -m venv .venv-$*
	.venv-$*/bin/python -m pip install --quiet --upgrade pip
	.venv-$*/bin/python -m pip install --quiet --requirement requirements/$*.txt
	touch $@

demo: setup
	$(BIN)/cible demo --out $(OUT)

lint: setup-test
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: setup-test
	$(BIN)/mypy

services:
	bash .ci/services

pytest: setup-test setup-orchestrators services
	$(BIN)/python -m pytest -n 2 --durations=15

test: lint typecheck pytest

# Resolve every dependency afresh (newest versions the ranges in pyproject.toml allow) in a
# throw-away venv, write them to constraints.txt, then run the whole test suite on them.
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet -e '.[test,mutation]'
	.lock-venv/bin/python -m pip install --quiet --no-deps -r requirements/sdk-test.txt
	( echo "# The lock: exact versions for make demo / make test / CI. Refresh with: make lock"; \
	  .lock-venv/bin/python -m pip freeze --exclude-editable ) > $(LOCK)
	rm -rf .lock-venv
	$(MAKE) test

clean:
	rm -rf $(VENV) .venv-prefect .venv-airflow .venv-kfp $(OUT) .pytest_cache .mypy_cache .ruff_cache

# Mutation testing of the critical modules ([tool.mutmut] in pyproject.toml; docs/testing.md).
# Slow (about an hour on one core), so not part of `make test`. One module: MUTANTS='cible.predict.metrics.*'
MUTANTS ?=
.PHONY: mutation
mutation: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,mutation]'
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/mutmut run --max-children 1 $(MUTANTS)
	$(BIN)/python bench/mutation_score.py --survivors
