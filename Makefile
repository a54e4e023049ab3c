# hatrading.aws: `make demo` and `make test` are the two set-up commands; both install what they need.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
COLLECTION_LINK := $(VENV)/collections/ansible_collections/hatrading/aws
export PATH := $(BIN):$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export MOTO_PORT ?= 5000

.PHONY: help install system-packages demo down report test unit app-test integration molecule lab-test lint sanity bench bench-book drill clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

install: system-packages $(VENV)/.installed $(COLLECTION_LINK)  ## Debian packages, venv, Python packages, the collection linked in place

system-packages:
	tools/system-packages.sh

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

$(COLLECTION_LINK):
	mkdir -p $(dir $@)
	ln -sfn $(CURDIR) $@

# LAB_CLOCK=realistic LAB_CLOCK_SCALE=10 LAB_LATENCY_MS=50 make demo: AWS's waits / 10 and 50 ms a call (docs/lab.md)
demo: install  ## start moto (unless AWS_ENDPOINT_URL is set), deploy the whole stack, print the report
	lab/demo.sh up

report: install  ## print what the demo stack holds, as the endpoint reports it
	lab/demo.sh report

down:  ## stop what `make demo` started (by pid file)
	lab/demo.sh down

test: install lint unit app-test integration molecule lab-test  ## everything CI runs

unit: install  ## pure functions, no network
	$(BIN)/pytest -q tests/unit

app-test: install  ## the trading app on loopback: shared book on a real PostgreSQL, idempotency, reconnect, the page in headless Chromium
	$(BIN)/pytest -q tests/app

integration: install  ## modules and roles against a moto server the tests start on loopback
	$(BIN)/pytest -q tests/integration

molecule: install  ## each role's molecule scenario (delegated driver, moto on loopback)
	tools/molecule-all.sh

# molecule (ansible-compat) installs a copy of this collection into ~/.ansible/collections, which
# ansible-lint then prefers to the checkout; a stale copy would hide new roles, so it goes first.
STALE_COPY := $(HOME)/.ansible/collections/ansible_collections/hatrading/aws

lab-test: install  ## the apps and the data plane: images built and run, reconcile, load balancer sync (root, Docker)
	$(BIN)/pytest -q tests/lab

lint: install  ## ruff, ansible-lint (production profile), ansible-test sanity
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	rm -rf $(STALE_COPY)
	$(BIN)/ansible-lint --offline --profile production
	tools/ansible-test-sanity.sh

sanity: install
	tools/ansible-test-sanity.sh

bench: install  ## API calls and seconds, ours beside stock modules, on a fresh moto
	$(BIN)/python bench/run.py

drill: install  ## failover drills under load in the lab: instance loss, AZ loss, database failover; and a bad release rolled back by itself; prints the reports and figures (root, Docker; ~10 min)
	HATRADING_DRILLS=1 $(BIN)/pytest -q -s tests/lab/test_failover_drills.py tests/lab/test_rollback.py

bench-book: install  ## the order book: per-instance vs shared, two back-ends on one PostgreSQL (loopback, bounded)
	$(BIN)/python bench/orderbook_bench.py

clean: down
	rm -rf $(VENV) tests/output .pytest_cache .ruff_cache
