# The two commands of the quick start: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
export RETENTION_DATABASE_URL ?= sqlite:///var/retention.sqlite3

.PHONY: run test lint format migrate demo bench clean messages screenshots
BENCH_SIZE ?= full

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(STAMP)

## run: install, migrate the SQLite database, load demo data when empty, compute today's
## invitations and call tasks (a re-run writes nothing), serve on :8000
run: $(STAMP)
	$(BIN)/retention migrate
	$(BIN)/retention demo --if-empty --vehicles 2000
	$(BIN)/retention compute
	$(BIN)/retention report rebuild
	$(BIN)/retention demo-users
	@echo "Serving on http://127.0.0.1:8000  (API docs: http://127.0.0.1:8000/docs)"
	$(BIN)/retention serve --host 127.0.0.1 --port 8000

## test: install the dev tools and run the test suite (PostgreSQL too when
## RETENTION_TEST_DATABASE_URL is set)
test: $(DEV_STAMP)
	$(BIN)/pytest

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(DEV_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrate: $(STAMP)
	$(BIN)/retention migrate

## messages: extract the UI's messages, merge them into every catalog, compile (docs/i18n.md)
messages: $(DEV_STAMP)
	$(BIN)/pybabel extract -F app/web/babel.cfg -o app/web/locales/messages.pot --no-location \
		--sort-output --project service-retention --version 0.1.0 .
	$(BIN)/pybabel update -i app/web/locales/messages.pot -d app/web/locales -D messages \
		--ignore-obsolete --width 100
	$(BIN)/pybabel compile -d app/web/locales -D messages --statistics

## bench: run every benchmark (BENCH_SIZE=full: DESIGN §7's sizes, hours on 2 cores; small: a
## quick check) and rewrite the generated table at the top of docs/benchmarks.md
bench: $(DEV_STAMP)
	$(BIN)/python benchmarks/run_all.py --size $(BENCH_SIZE) $(BENCH_ARGS)

## screenshots: serve the demo and save PNGs of each page into docs/screenshots/
screenshots: $(DEV_STAMP)
	$(BIN)/python docs/screenshots/make.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
