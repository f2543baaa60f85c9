# Cruddur Messages. `make test` is what CI runs; every target installs what it needs into .venv first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PTH_NAME := cruddur-messages.pth
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
TRANSFORMED_TEMPLATE := .aws-sam/transformed-template.json
# make test fails if the tests cover less of the layer (lines and branches, in-process: pyproject.toml's
# [tool.coverage.run]) than this. Measured at 94.95% on a clean clone once the layer was reorganised by
# feature; 94 leaves room for the property tests' varying paths. Raise it as coverage grows.
COVERAGE_FLOOR := 94
# pytest-xdist workers for make test (and integration, e2e, browser): one more than the cores (most tests wait on a
# server or a browser part of the time), at most 6. Each worker starts its own moto + PostgreSQL and `make dev`
# stack on free ports under its own basetemp; --dist loadgroup hands tests out one by one but keeps a module with
# module-scoped fixtures of its own on one worker (tests/conftest.py). On these 2-core machines pytest took 19:50
# in one process, 12:47 with two workers and 8:36 to 10:13 with three. TEST_WORKERS=0 runs it in one process.
CORES := $(shell getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
TEST_WORKERS ?= $(shell n=$$(( $(CORES) + 1 )); [ $$n -gt 6 ] && n=6; echo $$n)
XDIST := -n $(TEST_WORKERS) --dist loadgroup
# sam build needs a real python3.12 first on PATH; the venv's is one.
export PATH := $(CURDIR)/$(BIN):$(PATH)
export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= us-east-1

.PHONY: help install typecheck dev soak bench lint format validate build security unit integration e2e browser frontend-check test clean

help: ## List the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

# The Makefile is a prerequisite too: a venv made by an older recipe gets what this one adds (the .pth file).
$(STAMP): requirements-dev.txt layers/messaging/requirements.txt Makefile
	@python=$$(scripts/find-python312) && echo "Using $$python" && \
	  { [ -x $(BIN)/python3.12 ] || "$$python" -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@# The shared layer (where Lambda has /opt/python) and the project root on the venv's path, so that
	@# messaging, tooling, local, ops and bench import from any directory and no import edits sys.path.
	@site=$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))') && \
	  printf '%s\n' "$(CURDIR)/layers/messaging" "$(CURDIR)" > "$$site/$(PTH_NAME)" && \
	  echo "Wrote $$site/$(PTH_NAME)"
	@touch $@

install: $(STAMP) ## Create .venv (Python 3.12) with the pinned requirements

# checkov pins its own boto3, older than ours: it lives in a venv of its own.
$(CHECKOV_STAMP): requirements-checkov.txt
	@python=$$(scripts/find-python312) && { [ -x $(CHECKOV_VENV)/bin/python3.12 ] || "$$python" -m venv $(CHECKOV_VENV); }
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	@touch $@

dev: $(STAMP) ## Run the whole product locally: API on :3000, moto on :8000, PostgreSQL under .local/
	$(BIN)/python -m local.dev $(ARGS)

bench: $(STAMP) ## Speed and cost per pattern, cold start per function; prints a table, writes bench/results.json
	$(BIN)/python -m bench.run $(BENCH_ARGS)

soak: $(STAMP) ## A few minutes of bounded load on a fresh local stack; prints figures (SOAK_ARGS="--seconds 60")
	$(BIN)/python -m bench.soak $(SOAK_ARGS)

lint: $(STAMP) ## ruff check and ruff format --check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP) ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

validate: $(STAMP) ## sam validate --lint (cfn-lint) on template.yaml
	$(BIN)/sam validate --lint

build: $(STAMP) ## sam build (no container needed)
	$(BIN)/sam build

# Both the template and what the SAM transform makes of it (the roles and permissions SAM adds): a check a resource
# does not meet is skipped in its Metadata in template.yaml, with the reason. --skip-download: no network.
security: $(STAMP) $(CHECKOV_STAMP) ## IaC security scan (checkov) of template.yaml and of its SAM transform
	$(BIN)/python -m tooling.sam_transform $(TRANSFORMED_TEMPLATE)
	$(CHECKOV_VENV)/bin/checkov --quiet --compact --skip-download --framework cloudformation \
	  -f template.yaml -f $(TRANSFORMED_TEMPLATE)

unit: $(STAMP) ## Unit tests only
	$(BIN)/pytest -m unit tests/unit

integration: $(STAMP) ## Integration tests (start moto server and PostgreSQL themselves)
	$(BIN)/pytest $(XDIST) -m integration tests/integration

# The path as well as -m: only that suite's modules are imported, not every test of the project.
e2e: $(STAMP) ## End-to-end tests without a browser: the make dev stack over HTTP, operator scripts, sam, fuzzing
	$(BIN)/pytest $(XDIST) -m "e2e and not browser" tests/e2e

browser: $(STAMP) ## Browser tests of the web client (needs Chromium: apt-get install chromium)
	$(BIN)/pytest $(XDIST) -m browser tests/e2e

# Not part of `make test`: it builds another repository's frontend (npm ci + npm run build, a few minutes).
frontend-check: $(STAMP) ## The original Cruddur frontend, patched, in Chromium against make dev (FRONTEND_SRC=dir)
	scripts/frontend-check "$(FRONTEND_SRC)"

typecheck: $(STAMP) ## mypy --strict on the layer
	$(BIN)/mypy

test: lint typecheck validate build security ## Everything CI checks: lint, types, template, build, security scan, all tests
	@# The 40 slowest tests in the log: where the suite's time goes, run after run (issue 22's budget).
	$(BIN)/pytest $(XDIST) --durations=40 --cov --cov-fail-under=$(COVERAGE_FLOOR)

clean: ## Remove the venv, build output and local state
	rm -rf $(VENV) $(CHECKOV_VENV) .aws-sam .local .pytest_cache .ruff_cache .coverage
