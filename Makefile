# The two set-up commands of the README: `make run` and `make test`.
# uv is used from PATH when present, else bootstrapped into .tools/ with the machine's Python.

SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
PY := .venv/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=


.PHONY: uv run test install install-dev pdf-libs assets migrate seed lint typecheck check-migrations ci clean serve bench

.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv

uv:
	@command -v $(UV) >/dev/null 2>&1 || $(MAKE) --no-print-directory .tools/bin/uv

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

assets: node_modules/.package-lock.json

# WeasyPrint (the portfolio's PDF) needs Debian's pango libraries and a font: installed with
# apt when missing and we may, else a note (every page but the PDF works without them).
pdf-libs:
	@if ldconfig -p | grep -q 'libpangoft2-1.0.so.0' && [ -d /usr/share/fonts/truetype/dejavu ]; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		echo "Installing pango and a font for the PDF export (apt-get)"; \
		apt-get update -qq && apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core >/dev/null; \
	else \
		echo "Note: the PDF export needs the Debian packages libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core"; \
	fi

install: uv assets pdf-libs
	$(UV) sync --frozen --no-dev

install-dev: uv assets pdf-libs
	$(UV) sync --frozen

migrate:
	$(PY) manage.py migrate --noinput

seed:
	$(PY) manage.py seed_demo

## make run: install, migrate, load the demo organisations and serve on http://$(HOST):$(PORT)
run: install migrate seed
	@echo "Serving on http://$(HOST):$(PORT)/  (Ctrl+C to stop)"
	$(PY) manage.py runserver $(HOST):$(PORT)

## make serve: production mode on http://$(HOST):$(PORT): gunicorn, a Celery worker and Celery
## beat (the Procfile, run by honcho) against PostgreSQL and Redis, after migrate and
## collectstatic. DATABASE_URL, CELERY_BROKER_URL and DJANGO_SECRET_KEY come from the
## environment when set; else the local services and a key made once in var/secret_key
## (git-ignored). Every other setting: README, "Production". Stop with Ctrl+C.
## SERVE_INSTALL= skips `make install` (which drops the dev tools from .venv).
SERVE_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/enabling_model
SERVE_BROKER_URL ?= redis://127.0.0.1:6379/0
SERVE_INSTALL ?= install
serve: $(SERVE_INSTALL)
	@mkdir -p var
	@[ -n "$$DJANGO_SECRET_KEY" ] || [ -s var/secret_key ] || (umask 077 && $(PY) -c 'import secrets; print(secrets.token_urlsafe(50))' > var/secret_key)
	@export DJANGO_DEBUG=0 HOST=$(HOST) PATH="$(CURDIR)/.venv/bin:$$PATH" \
		DJANGO_SECRET_KEY="$${DJANGO_SECRET_KEY:-$$(cat var/secret_key)}" \
		DATABASE_URL="$${DATABASE_URL:-$(SERVE_DATABASE_URL)}" \
		CELERY_BROKER_URL="$${CELERY_BROKER_URL:-$(SERVE_BROKER_URL)}"; \
	$(PY) manage.py migrate --noinput && \
	$(PY) manage.py collectstatic --noinput --verbosity 0 && \
	echo "Serving on http://$(HOST):$(PORT)/ (production mode; Ctrl+C to stop)" && \
	exec honcho start --procfile Procfile --port $(PORT)

## make bench: the benchmark (docs/performance.md): recomputes at three sizes, the main pages
## under load against gunicorn (as ratios to a trivial page), a flag to its fresh report with
## a real worker. Against PostgreSQL and Redis when DATABASE_URL and CELERY_BROKER_URL are
## set, else SQLite with tasks in the web process. Writes bench-results.json.
## BENCH_SIZES=small for a quick run; BENCH_ARGS for more (manage.py bench --help);
## BENCH_INSTALL= skips `make install-dev`.
BENCH_SIZES ?= small,reference,4x
BENCH_ARGS ?=
BENCH_INSTALL ?= install-dev
bench: $(BENCH_INSTALL)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py bench --sizes $(BENCH_SIZES) $(BENCH_ARGS)

## make test: install what the tests need and run the whole suite (two processes)
test: install-dev
	$(PY) -m pytest -n 2 $(PYTEST_ARGS)

lint: install-dev
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

typecheck: install-dev
	.venv/bin/mypy .

check-migrations: install-dev
	$(PY) manage.py makemigrations --check --dry-run

clean:
	rm -rf .venv .tools node_modules staticfiles db.sqlite3 db.sqlite3-*
