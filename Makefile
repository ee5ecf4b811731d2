# Two commands do everything on a fresh machine:
#   make demo   install, migrate, seed and serve the demo site at http://127.0.0.1:8000
#               (make demo PORT=8001 serves it on another port; links in it follow)
#   make test   install what the tests need (Python packages, Debian's chromium and varnish)
#               and run them
#   make stack  the production topology on this machine: Varnish on :8080 → 2 gunicorn app
#               servers (:8001, :8002) → PostgreSQL and Redis, plus the task worker if any
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml setup.py | sha1sum | cut -c1-12)
# The demo's port. Absolute links (emails, the seeded site's feed and sitemap) follow it
# through WAGTAILADMIN_BASE_URL, unless that is set already.
PORT ?= 8000

.PHONY: demo test lint install browser edge stack clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml setup.py
	$(BIN)/python -m pip install --quiet -e ".[test,postgres,redis]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

demo: export WAGTAILADMIN_BASE_URL ?= http://127.0.0.1:$(PORT)
demo: install
	mkdir -p var
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The edge cache for tests/integration/stack/test_edge_stack.py and `make stack`.
edge:
	@command -v varnishd >/dev/null 2>&1 || test -x /usr/sbin/varnishd || { \
		echo "Installing Debian's varnish for the edge tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq varnish >/dev/null; }

# PostgreSQL and Redis must be running (DATABASE_URL's database is created if missing).
STACK_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/sayso_stack
STACK_REDIS_URL ?= redis://127.0.0.1:6379/1
stack: install edge
	DATABASE_URL=$(STACK_DATABASE_URL) REDIS_URL=$(STACK_REDIS_URL) $(BIN)/python -m deploy.stack run

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# tests/integration/project/test_project.py also checks that makemigrations finds nothing to do. The Redis fault
# and shared-cache tests use their own Redis database (this machine kind runs Redis).
SAYSO_TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
export SAYSO_TEST_REDIS_URL
test: install browser edge lint
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) var
