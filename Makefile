# The two commands a newcomer needs:  `make demo`  and  `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
COLLECTIONS := .collections/ansible_collections
STATE ?= .local-cluster
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: help venv collections build cluster-up cluster-down demo test unit sanity artifact lint integration molecule bench changelog clean

help:
	@echo "make demo          start the local control plane and run playbooks/site.yml against it"
	@echo "make test          every test and gate (unit, lint, sanity, artifact, integration, molecule); what CI runs"
	@echo "make cluster-up    start the local control plane (prints export KUBECONFIG=...)"
	@echo "make cluster-down  stop it and remove its state"
	@echo "make bench         benchmarks, printed as ratios against baselines measured in the same run"

$(STAMP): requirements.txt requirements-dev.txt constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -r requirements-dev.txt
	touch $@

venv: $(STAMP)

# Ansible sees exactly this checkout and the collections pinned through constraints.txt:
# kubernetes.core (the dependency) and ansible.posix (its json callback, for the tests).
collections: $(STAMP)
	mkdir -p $(COLLECTIONS)/modelserving
	ln -sfn ../../.. $(COLLECTIONS)/modelserving/maas
	for fqcn in kubernetes.core ansible.posix; do \
		ns=$${fqcn%%.*}; name=$${fqcn#*.}; mkdir -p $(COLLECTIONS)/$$ns; \
		src=$$($(BIN)/python -c "import ansible_collections.$$fqcn as m; print(list(m.__path__)[0])"); \
		ln -sfn "$$src" $(COLLECTIONS)/$$ns/$$name; \
	done

build: $(STAMP)
	$(BIN)/python hack/localcluster.py build

cluster-up: $(STAMP)
	@$(BIN)/python hack/localcluster.py up --state-dir $(STATE)

cluster-down: $(STAMP)
	@$(BIN)/python hack/localcluster.py down --state-dir $(STATE)

demo: collections
	hack/demo.sh $(STATE)

test: collections
	hack/run-tests.sh all

unit: collections
	hack/run-tests.sh unit

sanity: collections
	hack/run-tests.sh sanity

artifact: collections
	hack/run-tests.sh artifact

lint: collections
	hack/run-tests.sh lint

integration: collections
	hack/run-tests.sh integration

molecule: collections
	hack/run-tests.sh molecule

bench: collections
	hack/run-tests.sh bench

changelog: $(STAMP)
	$(BIN)/antsibull-changelog lint

clean:
	-$(BIN)/python hack/localcluster.py down --state-dir $(STATE)
	rm -rf .collections .pytest_cache tests/output bench/results
