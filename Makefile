# Two commands for a new machine: `make demo` (the whole flow on an embedded AWS emulator) and
# `make test` (the whole suite). Both bootstrap what they need, idempotently.
# Bootstrap messages go to stderr so that `make -s token` prints the token and nothing else.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_PY := $(VENV)/.installed
STAMP_NODE := node_modules/.installed
# checkov's pins conflict with the project's: it lives in a virtualenv of its own.
CHECKOV_VENV := .venv-checkov
STAMP_CHECKOV := $(CHECKOV_VENV)/.installed
# The API contract checker (schemathesis) has a virtualenv of its own: its pytest plugin and
# Hypothesis stay out of the project's test session.
CONTRACT_VENV := .venv-contract
STAMP_CONTRACT := $(CONTRACT_VENV)/.installed

export CDK_DISABLE_VERSION_CHECK := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PATH := $(CURDIR)/$(BIN):$(PATH)

TENANT ?= tenant-a
ROLE ?= admin

.PHONY: bootstrap demo serve token test test-e2e lint typecheck unit openapi synth checkov bench clean

$(STAMP_PY): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11+ is required")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing pinned Python dependencies into $(VENV) ..." >&2
	@$(BIN)/pip install --quiet --requirement requirements-dev.txt >&2 2> >(grep -v "is ignored: it is neither" >&2)
	@touch $@

$(STAMP_NODE): package.json package-lock.json
	@echo "Installing the pinned CDK CLI and ASL validator (npm ci) ..." >&2
	@npm ci --no-audit --no-fund --loglevel=error >/dev/null
	@touch $@

$(STAMP_CHECKOV): requirements-checkov.txt
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	@echo "Installing the pinned checkov into $(CHECKOV_VENV) ..." >&2
	@# Every dependency is pinned in the file: nothing to resolve. Modules compile on first import.
	@$(CHECKOV_VENV)/bin/pip install --quiet --no-deps --no-compile --requirement requirements-checkov.txt >&2 2> >(grep -v "is ignored: it is neither" >&2)
	@$(CHECKOV_VENV)/bin/pip check >&2
	@touch $@

$(STAMP_CONTRACT): requirements-contract.txt
	@test -x $(CONTRACT_VENV)/bin/python || $(PYTHON) -m venv $(CONTRACT_VENV)
	@echo "Installing the pinned API contract checker into $(CONTRACT_VENV) ..." >&2
	@$(CONTRACT_VENV)/bin/pip install --quiet --requirement requirements-contract.txt >&2 2> >(grep -v "is ignored: it is neither" >&2)
	@touch $@

bootstrap: $(STAMP_PY) $(STAMP_NODE) $(STAMP_CHECKOV) $(STAMP_CONTRACT)

demo: bootstrap ## The whole flow, locally, on an embedded AWS emulator
	@$(BIN)/python -m local demo

serve: bootstrap ## The local API on 127.0.0.1:$${API_PORT:-8000}, left running
	@$(BIN)/python -m local serve

token: $(STAMP_PY) ## Print a signed development JWT: make -s token TENANT=<id> ROLE=<admin|viewer>
	@$(BIN)/python -m local.tokens --tenant "$(TENANT)" --role "$(ROLE)"

lint: $(STAMP_PY)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP_PY)
	$(BIN)/mypy

test: bootstrap lint ## The whole suite: lint, types, unit, integration, infrastructure, end to end
	@# On every core (tests sharing a costly fixture stay on one worker: tests/conftest.py); then the
	@# end-to-end tests, which start the whole local run in their own process, beside the type check.
	$(BIN)/pytest -n auto --dist loadgroup --cov --cov-report= tests/unit tests/emulator tests/infrastructure tests/integration
	@$(MAKE) --no-print-directory -j2 --output-sync=target typecheck test-e2e

test-e2e: bootstrap
	$(BIN)/pytest --cov --cov-append --cov-report=term:skip-covered tests/e2e

openapi: $(STAMP_PY) ## Regenerate docs/openapi.json from the routes
	PYTHONPATH=functions $(BIN)/python -m skylight.handlers.api.openapi > docs/openapi.json

bench: bootstrap ## Crawl a synthetic 10k-resource account in the emulator and print the figures
	$(BIN)/python -m local.bench

synth: bootstrap ## cdk synth, offline
	npx cdk synth --quiet

checkov: synth ## checkov's report on the synthesized template (acknowledged checks are in its metadata)
	CKV_SKIP_PACKAGE_UPDATE_CHECK=true $(CHECKOV_VENV)/bin/checkov --file cdk.out/Skylight.template.json \
		--framework cloudformation --skip-download --compact

clean:
	rm -rf cdk.out .pytest_cache .mypy_cache .ruff_cache .coverage .local
