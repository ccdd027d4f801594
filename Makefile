# Two commands set up everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTEST_ARGS ?=

.PHONY: run test test-live lint format migrate worker bench fuzz clean

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

migrate: $(STAMP)
	DEBUG=true $(BIN)/python manage.py migrate --noinput

# Development server on SQLite with a job worker beside it; Ctrl-C stops both.
run: migrate
	@echo "Serving on http://$(HOST):$(PORT)/ (first time: $(BIN)/python manage.py createsuperuser, or register at /register)"
	@trap 'kill 0' INT TERM EXIT; \
	DEBUG=true $(BIN)/python manage.py db_worker --no-reload & \
	DEBUG=true $(BIN)/python manage.py runserver $(HOST):$(PORT)

worker: $(STAMP)
	$(BIN)/python manage.py db_worker

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Only the scenario tests against a live ERPNext: set ERPNEXT_LIVE_URL, ERPNEXT_LIVE_KEY and
# ERPNEXT_LIVE_SECRET (and ERPNEXT_LIVE_RESTRICTED_KEY/_SECRET); without them they are skipped.
test-live: $(STAMP)
	INTEGRATIONS_ALLOW_PRIVATE_NETWORKS=true $(BIN)/python -m pytest -m live tests/scenarios $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python benchmarks/settings_api.py
	$(BIN)/python benchmarks/takeoff.py

# schemathesis over /api/schema against gunicorn with DEBUG off, on a throwaway database;
# FUZZ_EXAMPLES examples per operation (default 20), fixed seed (FUZZ_SEED).
fuzz: $(STAMP)
	BIN=$(BIN) benchmarks/fuzz.sh

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
