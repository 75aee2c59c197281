# IER Tracker: `make run` and `make test` do everything on a fresh machine.
# DATABASE_URL=postgres://user:password@host:5432/name switches both to PostgreSQL.

VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
STAMP := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)

.DEFAULT_GOAL := help
.PHONY: help install setup run serve test lint format check ci clean

help:
	@echo "make run     set up (venv, install, migrate, reference data, demo data, local accounts) and serve http://127.0.0.1:8000/"
	@echo "make test    the same set-up, then the whole test suite"
	@echo "make serve   the production configuration on this machine: gunicorn on PostgreSQL, http://127.0.0.1:8001/"
	@echo "make lint    ruff check + ruff format --check + makemigrations --check + manage.py check"
	@echo "make format  ruff format + ruff check --fix"
	@echo "make ci      what CI runs (.ci/run): tests on SQLite and PostgreSQL, lint"

# Finds a Python >= 3.12 by running each candidate (pyenv shims may exist and still fail).
$(STAMP): pyproject.toml
	@py=""; \
	for c in "$$PYTHON" python3.14 python3.13 python3.12 python3 \
	         $$(ls -d $$HOME/.pyenv/versions/3.1[2-9]*/bin/python3 /usr/local/bin/python3.1[2-9] /usr/bin/python3.1[2-9] 2>/dev/null | sort -rV); do \
	  [ -n "$$c" ] || continue; \
	  if "$$c" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; then py="$$c"; break; fi; \
	done; \
	if [ -z "$$py" ]; then \
	  echo "error: Python 3.12 or newer is needed (Django 6.1) and none was found."; \
	  echo "       Install one (e.g. 'pyenv install 3.12') or name it: make PYTHON=/path/to/python3.12 ..."; \
	  exit 1; \
	fi; \
	if [ -x $(PY) ] && ! $(PY) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then rm -rf $(VENV); fi; \
	[ -x $(PY) ] || { echo "Creating $(VENV) with $$("$$py" --version) ($$py)"; "$$py" -m venv $(VENV); }
	$(PY) -m pip install --quiet --disable-pip-version-check "pip==26.0.1"
	$(PY) -m pip install --quiet --disable-pip-version-check --group dev
	@rm -f $(VENV)/.installed-*; touch $(STAMP)

install: $(STAMP)

setup: install
	$(MANAGE) migrate --no-input
	$(MANAGE) load_reference_data
	$(MANAGE) seed_demo --if-fresh
	@if [ "$${DEBUG:-1}" != "0" ]; then $(MANAGE) ensure_local_accounts; fi

run: setup
	$(MANAGE) runserver 127.0.0.1:8000

# The production configuration (DEBUG off) on this machine, over plain HTTP: PostgreSQL,
# gunicorn (WEB_CONCURRENCY workers, default 2), hashed and compressed static files. The
# secret key is made once into .secret_key (git-ignored). README, "Deployment".
SERVE_DATABASE_URL ?= postgres://iertracker:iertracker@127.0.0.1:5432/iertracker
serve: install
	@test -s .secret_key || $(PY) -c 'import secrets; print(secrets.token_urlsafe(50))' > .secret_key
	DEBUG=0 SECRET_KEY="$$(cat .secret_key)" ALLOWED_HOSTS="$${ALLOWED_HOSTS:-127.0.0.1,localhost}" \
	DATABASE_URL="$${DATABASE_URL:-$(SERVE_DATABASE_URL)}" \
	SECURE_SSL_REDIRECT=0 SESSION_COOKIE_SECURE=0 CSRF_COOKIE_SECURE=0 SECURE_HSTS_SECONDS=0 \
	sh -c '$(MANAGE) migrate --no-input && $(MANAGE) load_reference_data && \
	  $(MANAGE) collectstatic --no-input -v 0 && \
	  exec $(VENV)/bin/gunicorn -c iertracker/gunicorn.conf.py iertracker.wsgi'

test: setup
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(MANAGE) makemigrations --check --dry-run
	$(MANAGE) check

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

ci:
	.ci/run

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .secret_key
