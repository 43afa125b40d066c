# The two commands that matter: `make demo` and `make test` (see README).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
CFM := $(BIN)/cfm

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
export DBT_SEND_ANONYMOUS_USAGE_STATS := False
export DO_NOT_TRACK := 1
export GX_ANALYTICS_ENABLED := False

.PHONY: system-deps install lock generate demo run test test-fast lint sample-data compose-check airflow-ui docs clean stop-db bench-insight

## The locked set (requirements.lock: every package, exact versions, dev tools included), then the
## project itself without letting pip re-resolve anything.
$(BIN)/.installed: requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps -e .
	@touch $@

install: $(BIN)/.installed

## System packages the report needs beyond Python: fonts with Arabic and CJK glyphs (charts and
## PDF) and headless Chromium (the test that the page has no horizontal scroll at phone width).
## WeasyPrint's Pango comes with Debian's base image. Skips what is installed; needs root (apt).
SYSTEM_PACKAGES := chromium fonts-noto-core fonts-noto-cjk
system-deps:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	else echo "system packages present: $(SYSTEM_PACKAGES)"; fi

## Re-resolve requirements.lock from the direct dependencies in pyproject.toml (runtime + the dev
## extra). Existing pins are kept unless pyproject.toml needs otherwise; UPGRADE=1 takes the newest
## versions allowed. torch resolves to the CPU build (torch==2.13.0+cpu, no CUDA packages) from
## TORCH_WHEELS: the wheels on disk (PIP_FIND_LINKS) here, PyTorch's CPU wheel page elsewhere.
TORCH_WHEELS ?= $(or $(PIP_FIND_LINKS),https://download.pytorch.org/whl/cpu/torch/)
lock: install
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
		--find-links $(TORCH_WHEELS) $(if $(UPGRADE),--upgrade) \
		--custom-compile-command "make lock" --quiet -o requirements.lock
	@! grep -q '^nvidia-' requirements.lock || { echo "requirements.lock pulled CUDA packages: torch must be the +cpu build" >&2; exit 1; }

## Rewrite what dbt and Airflow must know about the sources (dbt vars, raw tables, pools)
## from cfm.sources.registry; tests/unit/sources/test_registry_codegen.py fails when they drift.
generate: install
	$(BIN)/python -m cfm.sources.codegen

## The main job on the bundled sample data, through Airflow, on the embedded PostgreSQL
## (or CFM_WAREHOUSE_URL). A second run changes nothing and skips the stages with nothing to do
## (transform skips dbt when no dbt source changed since the last build; see README), one line per stage.
demo: install
	$(CFM) demo

## The same tasks in-process, without Airflow (local runs and backfills).
run: install
	$(CFM) run

## The test suite against a real PostgreSQL: CFM_TEST_DATABASE_URL, else the embedded one.
test: install
	$(BIN)/pytest

test-fast: install
	$(BIN)/pytest -m "not slow"

lint: install
	$(BIN)/ruff check plugins dags tests bench sample_data

sample-data: install
	$(BIN)/python sample_data/generate_drop.py
	$(BIN)/python sample_data/generate_customers.py

## Validates docker-compose.yml offline (Debian's docker-compose 1.29 or the compose plugin).
compose-check:
	@if command -v docker-compose >/dev/null; then CFM_PSEUDONYM_KEY=compose-check AIRFLOW_JWT_SECRET=compose-check docker-compose -f docker-compose.yml config -q && echo "docker-compose.yml is valid"; \
	elif docker compose version >/dev/null 2>&1; then CFM_PSEUDONYM_KEY=compose-check AIRFLOW_JWT_SECRET=compose-check docker compose -f docker-compose.yml config -q && echo "docker-compose.yml is valid"; \
	else echo "no docker compose client here"; fi

## The Airflow UI on http://localhost:8080 with this project's DAGs (login printed by standalone).
airflow-ui: install
	$(CFM) airflow standalone

## dbt docs (every mart, column, test and lineage) built from the warehouse and served on
## http://127.0.0.1:8081 (PORT=... to change); `cfm docs --no-serve` only builds them.
PORT ?= 8081
docs: install
	$(CFM) docs --port $(PORT)

stop-db:
	$(BIN)/python -c "from cfm.config import PROJECT_ROOT; from cfm.warehouse.embedded import stop_embedded; stop_embedded(PROJECT_ROOT / '.cfm')"

clean: stop-db
	rm -rf .cfm airflow_home out dbt/target dbt/logs

## Insight quality on ../shared/datasets through `cfm analyze`, baselines in the same run
## (bench/results/insight.md). BERTopic lives in its own virtualenv: its dependencies would pull
## a CUDA torch and numba into the project's.
BENCH_VENV ?= .bench-venv
$(BENCH_VENV)/.installed:
	$(PYTHON) -m venv --without-pip $(BENCH_VENV)
	$(BIN)/pip --python $(BENCH_VENV)/bin/python install -q umap-learn==0.5.12 hdbscan==0.8.44 numba==0.68.1 \
		numpy==2.4.6 pandas==3.1.1 scikit-learn==1.9.1 scipy==1.17.1 plotly==7.1.0 PyYAML==6.0.4 tqdm==4.70.1
	$(BIN)/pip --python $(BENCH_VENV)/bin/python install -q --no-deps bertopic==0.17.4
	@touch $@

bench-insight: install $(BENCH_VENV)/.installed
	BERTOPIC_PYTHON=$(BENCH_VENV)/bin/python PYTHONPATH=plugins nice $(BIN)/python bench/insight.py $(ARGS)
