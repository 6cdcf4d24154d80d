# chronos-operator developer tasks. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
CLUSTER := $(PYTHON) tests/cluster/localcluster.py
# The control-plane binaries (kubectl, kube-apiserver, kwok...) and the venv's programs
# (chronos-operator, kubectl-chronos, pytest...) are on the PATH of every target.
K8S_BIN := $(shell $(PYTHON) tests/cluster/localcluster.py bin-dir 2>/dev/null)
export PATH := $(abspath $(VENV))/bin:$(K8S_BIN):$(PATH)
PYTEST_ARGS ?=

.PHONY: help
help: ## Show this help
	@awk 'BEGIN {FS = ":.*?## "} /^[a-zA-Z0-9_-]+:.*?## / {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

.PHONY: install
install: $(VENV)/.installed ## Install the project and its dev tools into .venv

.PHONY: build-k8s
build-k8s: ## Build etcd, kube-*, kubectl, kwok and helm from the Go module proxy (cached in ~/.cache/chronos-operator)
	bash tests/cluster/build.sh >/dev/null

.PHONY: cluster-up
cluster-up: build-k8s ## Start the local control plane (etcd, apiserver, controllers, scheduler, kwok)
	@$(CLUSTER) up >/dev/null
	@$(CLUSTER) env

.PHONY: cluster-down
cluster-down: ## Stop the local control plane
	@$(CLUSTER) down

.PHONY: cluster-env
cluster-env: ## Print the export lines for KUBECONFIG and PATH (eval "$$(make -s cluster-env)")
	@$(CLUSTER) env

.PHONY: run
run: install ## Run the operator against the current KUBECONFIG (all namespaces)
	$(VENV)/bin/chronos-operator

.PHONY: demo
demo: install cluster-up ## Start the local cluster, apply the brief's jobs and a ticker, start the operator, show counts rising
	@$(PY) tests/cluster/demo.py

.PHONY: demo-stop
demo-stop: ## Stop the demo's operator and the local cluster
	@$(PY) tests/cluster/demo.py stop
	@$(CLUSTER) down

.PHONY: manifests
manifests: install ## Generate the CRD from the pydantic model (manifests/crd, the chart), then manifests/install.yaml from the chart
	$(PY) -m chronos_operator.model.crd
	$(PY) scripts/render_install.py

.PHONY: check-manifests
check-manifests: install ## Fail if the checked-in CRD or manifests/install.yaml differs from a fresh generation
	$(PY) -m chronos_operator.model.crd --check
	$(PY) scripts/render_install.py --check

.PHONY: chart-lint
chart-lint: ## helm lint --strict of the chart, with its defaults and with every option switched on
	helm lint --strict charts/chronos-operator
	helm lint --strict charts/chronos-operator -f charts/chronos-operator/ci/all-options-values.yaml

.PHONY: lint
lint: install ## ruff, the layering contract (import-linter), generated-file drift and helm lint
	$(VENV)/bin/ruff check operator tests scripts bench
	$(VENV)/bin/ruff format --check operator tests scripts bench
	$(VENV)/bin/lint-imports --config pyproject.toml --no-cache
	$(MAKE) -s check-manifests
	$(MAKE) -s chart-lint

.PHONY: typecheck
typecheck: install ## mypy --strict on the package
	$(VENV)/bin/mypy operator/chronos_operator

.PHONY: fmt
fmt: install ## Format the code
	$(VENV)/bin/ruff format operator tests scripts bench
	$(VENV)/bin/ruff check --fix operator tests scripts bench

.PHONY: unit
unit: install ## Unit tests (no cluster)
	$(PY) -m pytest tests/unit -q $(PYTEST_ARGS)

.PHONY: integration
integration: install build-k8s ## Integration tests on the local control plane (started if needed)
	$(PY) -m pytest tests/integration tests/e2e -q $(PYTEST_ARGS)

.PHONY: screenshots
screenshots: install cluster-up ## Screenshots of the web UI from a real run into docs/images/ (Debian's chromium)
	@eval "$$($(CLUSTER) env)"; kubectl apply --server-side --force-conflicts -f manifests/crd/ >/dev/null; \
	$(PY) docs/screenshots/make.py

.PHONY: bench-ui
bench-ui: install ## Render times of the web UI with 5,000 jobs -> bench/results/ui-render.{json,md}
	$(PY) bench/ui_render.py

.PHONY: test
test: lint typecheck unit integration ## Everything CI runs: lint, type check, unit and integration tests

$(VENV)/.bench-installed: pyproject.toml $(VENV)/.installed
	$(PY) -m pip install -q -e '.[dev,bench]'
	touch $@

SCENARIOS ?=
BENCH_ARGS ?=

.PHONY: bench
bench: $(VENV)/.bench-installed cluster-up ## Benchmarks vs CronJob on the local control plane (SCENARIOS="a b", BENCH_ARGS=--quick)
	$(PY) -m bench run $(SCENARIOS) $(BENCH_ARGS)

.PHONY: bench-%
bench-%: $(VENV)/.bench-installed cluster-up ## One benchmark scenario: make bench-side_by_side (see `python -m bench list`)
	$(PY) -m bench run $(subst -,_,$*) $(BENCH_ARGS)

.PHONY: clean
clean: cluster-down ## Stop the cluster and remove local state (keeps the binary cache)
	rm -rf .cluster .pytest_cache .mypy_cache .ruff_cache
