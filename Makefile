# One command runs the app, one runs the tests. Both set themselves up on a fresh machine (Python 3.11+).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install xmlsec1 run test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) xmlsec1

# Single sign-on (pysaml2) verifies SAML signatures with the xmlsec1 program. CI runs as root on Debian.
xmlsec1:
	@command -v xmlsec1 >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq xmlsec1; \
	  else \
	    echo "Single sign-on needs the xmlsec1 program. Install it and run make again:" >&2; \
	    echo "  Debian/Ubuntu: sudo apt-get install xmlsec1    macOS: brew install libxmlsec1" >&2; \
	    exit 1; \
	  fi; }

# Served by gunicorn as in production (gunicorn.conf.py), restarting its workers when code or templates change.
# One worker: without REDIS_URL each process keeps its own cache (rate limits, credential versions, sign-in
# throttling); four threads in it so a page's requests do not queue.
run: install
	DJANGO_DEBUG=$${DJANGO_DEBUG:-True} $(BIN)/python manage.py migrate --no-input
	DJANGO_DEBUG=$${DJANGO_DEBUG:-True} $(BIN)/python manage.py collectstatic --no-input -v0
	DJANGO_DEBUG=$${DJANGO_DEBUG:-True} $(BIN)/python manage.py seed_demo
	@echo "Background work runs without Redis or a Celery worker: tasks run in the process that starts them, and"
	@echo "manage.py run_periodic runs the periodic jobs beside the server. Emails are printed below (console backend)."
	DJANGO_DEBUG=$${DJANGO_DEBUG:-True} $(BIN)/python manage.py run_periodic & periodic=$$!; \
	  trap 'kill $$periodic 2>/dev/null' EXIT INT TERM; \
	  DJANGO_DEBUG=$${DJANGO_DEBUG:-True} WEB_CONCURRENCY=$${WEB_CONCURRENCY:-1} GUNICORN_THREADS=$${GUNICORN_THREADS:-4} \
	  $(BIN)/gunicorn -c gunicorn.conf.py --bind 127.0.0.1:8000 --reload --reload-extra-file 'templates/**/*.html' \
	  plandisc.wsgi:application

# The import contracts first (pyproject.toml, [tool.importlinter]): which app may use which.
test: install
	$(BIN)/lint-imports --no-logo --no-cache
	$(BIN)/pytest $(PYTEST_ARGS)

# Benchmarks on gunicorn + PostgreSQL + Redis on this machine (README, "Benchmarks"); writes bench/RESULTS.md.
# BENCH_ARGS="--tiny" for a run of seconds; `.venv/bin/python -m bench --help` for the rest.
BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $(BENCH_STAMP)

bench: install $(BENCH_STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var
