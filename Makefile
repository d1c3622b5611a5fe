# The README's commands. `make run` for the demo, `make test` for the suite; see README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/servicedesk
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
PORT ?= 8000

.PHONY: help venv run test e2e bench lint format messages translations vendor check-deploy clean

help:
	@echo "make run    - install, migrate, load demo data, start web + worker + beat on http://127.0.0.1:$(PORT)/"
	@echo "make test   - install and run the whole test suite on PostgreSQL and Redis"
	@echo "make e2e    - browser journeys in headless Chromium (Playwright)"
	@echo "make bench  - seed a large desk and report latency figures"
	@echo "make lint   - ruff check + format check"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q ".[test]"
	@rm -rf build *.egg-info
	@touch $@

venv: $(STAMP)

gettext:
	@command -v msgfmt >/dev/null 2>&1 || { echo "Installing gettext (msgfmt) to compile translations"; \
	  (apt-get update -qq && apt-get install -y -qq gettext) >/dev/null || { echo "ERROR: install gettext (msgfmt)"; exit 1; }; }

# Compiles every catalogue under locale/ (and the apps'); before the first one exists there is nothing to do.
messages: venv gettext
	@if compgen -G "locale/*/LC_MESSAGES/*.po" >/dev/null || compgen -G "*/locale/*/LC_MESSAGES/*.po" >/dev/null; then \
	  $(BIN)/python manage.py compilemessages -v 0 --ignore=.venv --ignore=var; \
	else echo "No translation catalogues (locale/*/LC_MESSAGES/*.po) yet: nothing to compile"; fi

# Regenerate the .po catalogues from the sources (then translate the new zh_Hans entries).
translations: venv gettext
	$(BIN)/python manage.py makemessages -l zh_Hans -l en --ignore=.venv --ignore=var --ignore=bench --ignore=tests --no-obsolete
	$(BIN)/python manage.py makemessages -d djangojs -l zh_Hans -l en --ignore=.venv --ignore=var --ignore=static/vendor --no-obsolete

run: venv messages
	@mkdir -p var
	DEBUG=1 $(BIN)/python manage.py migrate --noinput -v 0
	DEBUG=1 $(BIN)/python manage.py load_demo
	DEBUG=1 $(BIN)/python manage.py load_kb_demo
	@echo ""
	@echo "  Service desk: http://127.0.0.1:$(PORT)/   (API docs: http://127.0.0.1:$(PORT)/api/docs/)"
	@DEBUG=1 $(BIN)/python manage.py load_demo --print-logins
	@echo ""
	DEBUG=1 BIND=127.0.0.1:$(PORT) PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start -f Procfile

test: venv messages
	@bash .ci/ensure-services
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) SECURE_SSL_REDIRECT=0 \
	  $(BIN)/python -m pytest -m "not e2e" --create-db $(PYTEST_ARGS)

e2e: venv messages
	@bash .ci/ensure-services
	@command -v chromium >/dev/null 2>&1 || { echo "Installing Debian's chromium for the browser suite"; \
	  (apt-get update -qq && apt-get install -y -qq chromium) >/dev/null || { echo "ERROR: install chromium (apt-get install chromium)"; exit 1; }; }
	@mkdir -p artifacts/e2e
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) SECURE_SSL_REDIRECT=0 \
	  $(BIN)/python -m pytest tests/e2e -m e2e --create-db -p no:randomly $(PYTEST_ARGS)

# Pages and API at 1M tickets, the SLA sweep, knowledge search, reports; each on its own database.
bench: venv
	@bash .ci/ensure-services
	$(BIN)/python bench/run.py $(BENCH_ARGS)
	$(BIN)/python bench/sweep.py
	$(BIN)/python bench/kb.py
	$(BIN)/python bench/reports.py

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check-deploy: venv
	DEBUG=0 SECRET_KEY=$$(head -c 48 /dev/urandom | base64) ALLOWED_HOSTS=desk.example.com \
	  $(BIN)/python manage.py check --deploy --fail-level WARNING

vendor:
	bash static/vendor/refresh.sh

clean:
	rm -rf $(VENV) var artifacts build *.egg-info
