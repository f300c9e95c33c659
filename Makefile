# CertCenter: `make run` and `make test` each do all their own set-up on a fresh clone.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
LOAD_STAMP := $(VENV)/.installed-load
HOST ?= 127.0.0.1
PORT ?= 8000
# The simulated handset shows every phone's codes: off when DEBUG is off, unless asked for
# (make serve SIMULATED_PHONE_ENABLED=True, for a demo on gunicorn).
SIMULATED_PHONE_ENABLED ?= False
# The simulator controls (movable clock, channel faults): likewise off unless asked for.
SIMULATOR_CONTROLS_ENABLED ?= False

.PHONY: run test serve setup install env migrate e2e bench load lint clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

.env:
	$(PYTHON) -m certcenter.envfile .env

env: .env

migrate: install env
	$(PY) manage.py migrate --noinput

setup: migrate
	$(PY) manage.py init_ca
	$(PY) manage.py seed_demo

## Development server with the demo customers and the simulated handset on http://127.0.0.1:8000
run: setup
	@echo "CertCenter: http://$(HOST):$(PORT)/  (simulated handset: http://$(HOST):$(PORT)/phone/)"
	$(PY) manage.py runserver $(HOST):$(PORT)

## The whole test suite (set-up included)
test: install env
	$(PY) -m pytest $(PYTEST_ARGS)

## Production-like: gunicorn + whitenoise, DEBUG off, plain HTTP on loopback (TLS belongs to a proxy)
serve: setup
	DEBUG=False $(PY) manage.py collectstatic --noinput --verbosity 0
	DEBUG=False SESSION_COOKIE_SECURE=False CSRF_COOKIE_SECURE=False \
		SIMULATED_PHONE_ENABLED=$(SIMULATED_PHONE_ENABLED) SIMULATOR_CONTROLS_ENABLED=$(SIMULATOR_CONTROLS_ENABLED) \
		$(VENV)/bin/gunicorn certcenter.wsgi:application --bind $(HOST):$(PORT) --workers 2 --access-logfile -

## Only the end-to-end browser test
e2e: install env
	$(PY) -m pytest tests/e2e $(PYTEST_ARGS)

## Benchmarks (scripts, not timed tests); each figure on its own line with its bound and PASS/FAIL
bench: install env
	$(PY) scripts/bench.py

$(LOAD_STAMP): $(STAMP) pyproject.toml
	$(PY) -m pip install --quiet -e ".[dev,load]"
	touch $(LOAD_STAMP)

## Load test: gunicorn as `make serve` runs it, on a fresh PostgreSQL database, under Locust
## (LOAD_ARGS="--flows 600 --users 60 --profile"; see scripts/load.py)
load: $(LOAD_STAMP) env
	$(PY) scripts/load.py $(LOAD_ARGS)

lint: install
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
