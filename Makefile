# cxhub: `make run` starts the whole stack, `make test` runs every test. Both set up what they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export PORT

.PHONY: run test setup migrate demo lint chromium clean bench bench-load test-postgres

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing Python packages (first run takes a minute)…"
	@$(PY) -m pip install --disable-pip-version-check -q --upgrade pip
	@$(PY) -m pip install --disable-pip-version-check --progress-bar on -r requirements-dev.txt
	@touch $@

setup: $(VENV)/.installed
	@mkdir -p var

migrate: setup
	@$(PY) manage.py migrate --noinput

demo: migrate
	@$(PY) manage.py seed_demo

run: demo
	@$(PY) -m cxhub.stack

# Debian's chromium for the browser tests; never a downloaded browser.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests…"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

test: setup chromium
	@$(VENV)/bin/ruff check .
	@DJANGO_SETTINGS_MODULE=cxhub.settings.test $(PY) -m pytest $(PYTEST_ARGS)

lint: setup
	@$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

bench: setup
	@$(PY) bench/assistant.py

# Load: 1,000 conversations (2,000 sockets) at 100 msg/s on one daphne, both channel layers, against a minimal
# relay, plus a burst of 1,000 handshakes and the AI path. Run it on a quiet machine; BENCH_ARGS=--quick for ~1 min.
bench-load: setup
	@$(PY) bench/chat_load.py $(BENCH_ARGS)

# The test suite against a private PostgreSQL cluster under var/pg (Debian's package, installed if missing).
test-postgres: setup
	@scripts/test_postgres.sh $(PYTEST_ARGS)

clean:
	rm -rf var/*.sqlite3* var/redis var/artifacts
