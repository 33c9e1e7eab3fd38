# The README's two commands: `make run` and `make test`. Everything else helps them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test install lint format bench clean messages

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

# The Nu HTML checker (vnu-jar, pinned in package-lock.json) for tests/test_html_valid.py.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	@touch $@

install: $(STAMP) node_modules/.installed

## Set up, migrate, seed the demo data, print the sign-ins and serve on :8000,
## with one queue worker beside the web server (stopped with it).
# Served with DEBUG off, as people will see it: the portal's own 404 and 500 pages,
# static files from WhiteNoise (hence collectstatic). Seeding runs with DEBUG on.
# The worker prints each email it sends (EMAIL_URL's default is the console).
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py collectstatic --noinput -v0
	@DJANGO_DEBUG=false $(BIN)/python manage.py db_worker --no-reload --interval 0.5 & \
	worker=$$!; trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	DJANGO_DEBUG=false $(BIN)/python manage.py runserver 127.0.0.1:8000

## Set up and run every test (browser tests included when chromium is present).
test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Refresh the French catalogue (needs GNU gettext); the compiled .mo is committed,
## and tests/test_translations.py fails when it is out of step with the .po.
messages: install
	$(BIN)/python manage.py makemessages -l fr --ignore=.venv --ignore=bench --no-obsolete
	$(BIN)/python manage.py compilemessages --ignore=.venv

bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles node_modules
