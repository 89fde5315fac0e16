# Dailyge Infra. The two commands that matter:  make local   and   make test
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
CHECKOV_VENV := .venv-checkov
ENV ?= local

# Keep every tool's home, cache and temp inside the repository (all ignored by git).
export PATH := $(BIN):$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export ANSIBLE_HOME := $(CURDIR)/.ansible
export XDG_CACHE_HOME := $(CURDIR)/.cache
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PYTHONPATH := $(CURDIR)
export TF_CLI_CONFIG_FILE := $(CURDIR)/.state/terraform/terraformrc

.PHONY: help deps local down status test lint pytest terraform-checks checkov venv venv-checkov plan bench graph clean \
	monitoring-test promtool-test molecule bench-ecs-targets sanity

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt | deps
	@$(PYTHON) --version >/dev/null 2>&1 || { echo "$(PYTHON) not found: install Python 3.11 (apt-get install python3.11 python3.11-venv) or run make PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(CHECKOV_VENV)/.installed: requirements-checkov.txt | deps
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet -r requirements-checkov.txt
	touch $@

deps: ## the Debian packages the tests and the local environment run (installed only when missing)
	@bash scripts/deps.sh

venv: $(VENV)/.installed ## create the virtualenv from requirements.txt

venv-checkov: $(CHECKOV_VENV)/.installed ## checkov's own virtualenv

local: deps venv ## start the embedded AWS and deploy the local environment (idempotent)
	$(BIN)/python -m emulator start
	$(BIN)/ansible-playbook site.yml -i inventories/local
	@echo "Last messages of the local Slack receiver:"
	@$(BIN)/python -m emulator slack-messages

down: venv ## stop the embedded AWS (and its Slack receiver)
	$(BIN)/python -m emulator stop

status: venv ## is the embedded AWS running?
	$(BIN)/python -m emulator status

plan: venv ## terraform plan of ENV (default local) without applying
	$(BIN)/ansible-playbook playbooks/provision.yml -i inventories/$(ENV) --check

test: deps venv venv-checkov lint sanity terraform-checks checkov pytest monitoring-test ## every check: lint, collection sanity, terraform, checkov, unit and integration tests, monitoring roles

lint: venv ## ruff, yamllint, ansible-lint (production), workflows (schema, zizmor), role specs, ansible-doc
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/yamllint --strict .
	$(BIN)/ansible-lint --profile production
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(BIN)/zizmor --offline --min-severity medium .github/workflows
	$(BIN)/pytest -q tests/unit/test_role_argument_specs.py tests/lint

# ansible-test sanity of the dailyge.infra collection on a copy beside amazon.aws, on Python 3.11 and on
# the modules' floor 3.9; offline but for PyPI (scripts/ansible_test_pip_bootstrap.py gives ansible-test
# its pip bootstrap). SANITY_PYTHONS="3.11" to run the controller's Python only.
sanity: venv ## ansible-test sanity of the collection (Python 3.11 and 3.9)
	bash scripts/sanity.sh

terraform-checks: venv ## terraform fmt, validate (every env) and test (every module)
	$(BIN)/pytest -q tests/terraform

checkov: venv-checkov ## checkov on every module and env, offline
	$(CHECKOV_VENV)/bin/checkov --quiet --compact --skip-download --framework terraform -d terraform

pytest: venv ## unit and integration tests
	$(BIN)/pytest -q tests/unit tests/integration

graph: venv ## render the Terraform resource graph of ENV (default here: dev) to docs/graph.png (Graphviz)
	$(BIN)/python scripts/graph.py --env $(if $(filter command line,$(origin ENV)),$(ENV),dev) --output docs/graph.png

# Monitoring (issue 3): the alert rules' promtool tests and one molecule scenario per role, each
# converging the role on this machine (Debian packages, init scripts) and verifying it over HTTP.
MOLECULE_SCENARIOS := node_exporter db_exporters alertmanager prometheus grafana

monitoring-test: molecule promtool-test ## the molecule scenarios of the monitoring roles, then the alert rule tests

promtool-test: ## promtool test rules on the alert rules (promtool comes with Debian's prometheus package)
	@command -v promtool >/dev/null || { echo "promtool not found: make molecule installs it (or apt-get install prometheus)"; exit 1; }
	promtool check rules roles/prometheus/files/rules/*.yml
	promtool test rules tests/promtool/alerts_test.yml

# `reset` first: with the default driver molecule would remember a scenario as prepared and skip prepare.
molecule: venv ## molecule test of every monitoring role against this machine (default driver)
	@for scenario in $(MOLECULE_SCENARIOS); do \
	  echo "== molecule test -s $$scenario"; \
	  $(BIN)/molecule reset -s $$scenario >/dev/null; \
	  $(BIN)/molecule test -s $$scenario || exit 1; \
	done

bench-ecs-targets: venv ## benchmark of dailyge.infra.ecs_task_targets: 500 tasks, 10 services, 50 instances
	$(BIN)/python scripts/bench_ecs_task_targets.py

bench: venv ## benchmark: cold converge, no-op re-run, --check run, API calls
	$(BIN)/python scripts/benchmark.py

clean: ## stop the emulator and remove everything the runs created (.state, caches)
	-$(BIN)/python -m emulator stop
	rm -rf .state .ansible .cache .pytest_cache .ruff_cache
