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

.PHONY: help install system-packages demo down report env test unit app-test integration ansible-test-units compat molecule lab-test lint sanity galaxy ee ee-test bench bench-book drill faults clean

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

env:  ## print the settings that point a shell at the running demo: eval "$$(make env)"
	@lab/demo.sh env

down:  ## stop what `make demo` started (by pid file)
	lab/demo.sh down

test: install lint galaxy unit app-test integration compat molecule lab-test  ## everything CI runs (lab-test includes the EE test)

unit: install  ## pure functions, no network
	$(BIN)/pytest -q tests/unit

app-test: install  ## the trading app on loopback: shared book on a real PostgreSQL, idempotency, reconnect, the page in headless Chromium
	$(BIN)/pytest -q tests/app

# Three workers (a file each, each with its own moto): the runs mostly wait on ansible-playbook processes and moto.
integration: install  ## modules and roles against a moto server the tests start on loopback; ansible-test's targets
	$(BIN)/pytest -q -n 3 --dist loadfile tests/integration
	tools/ansible-test.sh integration

ansible-test-units: install  ## tests/unit through `ansible-test units` (its conventions; make unit is the quick way)
	tools/ansible-test.sh units --requirements

# The oldest ansible-core meta/runtime.yml claims, beside the newest in .venv: ansible-core 2.16 with the
# collections of the `ansible` 11 package (--no-deps: its own pin is ansible-core 2.18).
VENV_COMPAT := $(CURDIR)/.venv-compat
$(VENV_COMPAT)/.installed: requirements.txt requirements-compat.txt
	$(PYTHON) -m venv $(VENV_COMPAT)
	$(VENV_COMPAT)/bin/pip install --quiet --upgrade pip
	$(VENV_COMPAT)/bin/pip install --quiet -r requirements-compat.txt
	$(VENV_COMPAT)/bin/pip install --quiet --no-deps 'ansible>=11,<12'
	touch $@

compat: install $(VENV_COMPAT)/.installed  ## unit tests and the demo deploy against moto on the oldest ansible-core claimed (2.16)
	$(VENV_COMPAT)/bin/python -c 'import ansible.release as r; print("ansible-core", r.__version__)'
	$(VENV_COMPAT)/bin/pytest -q tests/unit tests/integration/test_site_demo.py

molecule: install  ## each role's molecule scenario (delegated driver, moto on loopback)
	tools/molecule-all.sh

# molecule (ansible-compat) installs a copy of this collection into ~/.ansible/collections, which
# ansible-lint then prefers to the checkout; a stale copy would hide new roles, so it goes first.
STALE_COPY := $(HOME)/.ansible/collections/ansible_collections/hatrading/aws

lab-test: install  ## the apps and the data plane: images built and run, reconcile, load balancer sync, the drills and the rollback at small scale (root, Docker)
	$(BIN)/pytest -q tests/lab

lint: install  ## ruff, ansible-lint (production profile), ansible-test sanity
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	rm -rf $(STALE_COPY)
	$(BIN)/ansible-lint --offline --profile production
	tools/ansible-test-sanity.sh

galaxy: install  ## the tarball as Galaxy receives it: build_ignore, galaxy-importer (0 errors), antsibull-docs lint
	tools/galaxy-check.sh

ee: install  ## the execution environment image hatrading/ee:<version> in the lab's engine, FROM its Debian base (cached)
	tools/ee-build.sh

ee-test: install  ## site.yml --check and a deploy inside the EE, launched through ansible-runner as AWX does (Docker)
	$(BIN)/pytest -q tests/lab/test_execution_environment.py

sanity: install
	tools/ansible-test-sanity.sh

bench: install  ## API calls and seconds, ours beside stock modules, on a fresh moto
	$(BIN)/python bench/run.py

drill: install  ## failover drills under load in the lab at full scale: instance loss, AZ loss, bad release, database failover, then the audit; and a bad release rolled back by itself; prints the reports and figures (root, Docker; ~10 min)
	HATRADING_DRILL_SCALE=full $(BIN)/pytest -q -s tests/lab/test_failover_drills.py tests/lab/test_rollback.py

faults: install  ## the whole stack under faults from a proxy on loopback: 10 seeded deploys (20 % throttling, 5 % 500/503), then a lost answer for each network call (docs/faults.md; about an hour)
	$(BIN)/python tests/faults/run.py throttle --runs 10 --seed 1 --throttle 0.2 --errors 0.05
	$(BIN)/python tests/faults/run.py lost --tier network

bench-book: install  ## the order book: per-instance vs shared, two back-ends on one PostgreSQL (loopback, bounded)
	$(BIN)/python bench/orderbook_bench.py

clean: down
	rm -rf $(VENV) $(VENV_COMPAT) tests/output .pytest_cache .ruff_cache
