# Koers — two commands on a fresh machine:
#   make run    set up and run the whole product on its embedded default
#   make test   set up and run the test suite (plus ruff and mypy)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.koers-installed
RUN_STAMP := $(VENV)/.koers-runtime
UV := $(BIN)/uv pip install --quiet --python $(BIN)/python
AIRFLOW_VENV := .venv-airflow
AIRFLOW_BIN := $(AIRFLOW_VENV)/bin
AIRFLOW_STAMP := $(AIRFLOW_VENV)/.koers-installed
AIRFLOW_FILES := deploy/airflow/requirements.txt deploy/airflow/constraints.txt
AXE := tests/browser/node_modules/.koers-installed
PACKAGES := -e libs/koers -e services/campaigns -e services/landing -e services/analytics
PACKAGE_FILES := constraints.txt requirements-dev.txt libs/koers/pyproject.toml \
	services/campaigns/pyproject.toml services/landing/pyproject.toml \
	services/analytics/pyproject.toml

.PHONY: setup browser-setup airflow-setup run demo test pytest lint typecheck unit contracts clean-var help

help:
	@echo "make run   - set up and run Koers (campaigns :8000, landing :8001, analytics :8002)"
	@echo "make demo  - with \`make run\` up: eight simulated weeks on autopilot, in minutes"
	@echo "make test  - set up and run ruff, mypy and the whole test suite"

# Two stamps: `make run` needs only the packages and the Procfile runner; `make test`
# adds the test tools (pytest, Playwright, schemathesis, ruff, mypy...).
# uv installs the pinned set in seconds where pip needs minutes (measured: 8 s against
# 64 s for the runtime set), which keeps a fresh `make run` well inside its time budget.
$(RUN_STAMP): $(PACKAGE_FILES)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet -c constraints.txt uv
	$(UV) -c constraints.txt $(PACKAGES) honcho
	@touch $(RUN_STAMP)

# The test set is compiled to bytecode: where PYTHONDONTWRITEBYTECODE is set (as on the
# CI machine) every process the suite starts (pytest workers, services, Airflow, CLIs)
# would compile each module it imports again; importing the three services took 6.3 s
# of CPU so and 2.7 s compiled. `make run` alone skips it to keep its start-up short.
$(STAMP): $(RUN_STAMP)
	$(UV) --compile-bytecode -c constraints.txt $(PACKAGES) -r requirements-dev.txt
	@touch $(STAMP)

# axe-core for the accessibility checks runs inside Chromium; npm installs it from the
# lock file. Chromium itself is Debian's (never downloaded by Playwright).
$(AXE): tests/browser/package-lock.json
	npm ci --prefix tests/browser --no-audit --no-fund --silent
	@touch $(AXE)

setup: $(STAMP)

# Airflow gets its own virtualenv: its pins clash with the services' own, and production
# runs it in its own image (apache/airflow, same version). uv installs it in ~20 s.
$(AIRFLOW_STAMP): $(AIRFLOW_FILES)
	@test -x $(AIRFLOW_BIN)/python || $(PYTHON) -m venv $(AIRFLOW_VENV)
	@test -x $(AIRFLOW_BIN)/uv || $(AIRFLOW_BIN)/python -m pip install --quiet -c deploy/airflow/constraints.txt uv
	$(AIRFLOW_BIN)/uv pip install --quiet --compile-bytecode --python $(AIRFLOW_BIN)/python -c deploy/airflow/constraints.txt -r deploy/airflow/requirements.txt
	@touch $(AIRFLOW_STAMP)

airflow-setup: $(AIRFLOW_STAMP)

browser-setup: $(if $(wildcard tests/browser/package-lock.json),$(AXE))
	@test -x /usr/bin/chromium || { echo "Chromium missing: apt-get install chromium chromium-driver (.ci/run does it)"; exit 1; }

var/koers.env:
	@mkdir -p var
	@$(BIN)/python deploy/dev/make_env.py var/koers.env

run: $(RUN_STAMP) var/koers.env
	@set -a; source var/koers.env; set +a; \
	$(BIN)/koers-campaigns migrate && $(BIN)/koers-landing migrate && \
	$(BIN)/koers-analytics migrate && $(BIN)/koers-campaigns seed-demo && \
	echo && echo "Starting Koers; the URLs and the login follow once it is up." && echo && \
	set -o pipefail && PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start -f Procfile \
		-e var/koers.env 2>&1 | $(BIN)/python deploy/dev/announce.py

# Needs the stack of `make run` (another terminal). Writes var/demo/ and docs/benchmarks.md.
demo: $(RUN_STAMP) var/koers.env
	@set -a; source var/koers.env; set +a; \
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python deploy/dev/demo.py $(DEMO_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup airflow-setup
	$(BIN)/mypy libs/koers/koers services/campaigns/campaigns services/landing/landing \
		services/analytics/analytics
	cd deploy/airflow/dags && $(CURDIR)/$(BIN)/mypy --config-file $(CURDIR)/pyproject.toml \
		--cache-dir $(CURDIR)/.mypy_cache --python-executable $(CURDIR)/$(AIRFLOW_BIN)/python \
		koers_api.py koers_weekly_allocation.py koers_daily_retention.py koers_push_due.py

contracts: setup
	$(BIN)/koers contracts export contracts

# One worker more than cores: much of a test's time is spent waiting on the processes,
# broker and PostgreSQL it started (measured on two cores: pytest 854 s with 2 workers,
# 808 s with 3). A module stays on one worker (its module-scoped servers, Airflow or
# Chromium start once), and every worker has its own brokers, ports and databases
# (tests/conftest.py). A plain `.venv/bin/pytest tests/...` runs in one process.
PYTEST_WORKERS := -n $(shell echo $$(( $$(nproc) + 1 ))) --dist loadscope

# mypy runs beside pytest, not before it: on a clean clone it took ~45 s of wall (16 s
# of CPU) ahead of the suite, while pytest's own processes keep only about 1.1 of 2
# cores busy. ruff goes first (under a second). pytest's output is printed live; mypy
# prints only its verdict. (Not measured apart: the whole of `make test` was.)
test: lint browser-setup airflow-setup
	@$(MAKE) --no-print-directory -j2 typecheck pytest

# The packages are installed editable, so uv compiles none of their modules: compile
# them once here (the suite's processes read the bytecode even where they may not write).
pytest: setup
	$(BIN)/python -m compileall -q -j 0 libs services deploy/airflow/dags
	$(BIN)/pytest $(PYTEST_WORKERS)

clean-var:
	rm -rf var
