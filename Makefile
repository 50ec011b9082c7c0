# The README's commands. Each installs into .venv first when needed.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: dev test test-sqlite test-postgres lint bench install procfile

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,postgres]'
	touch $(STAMP)

install: $(STAMP)

dev: $(STAMP)
	$(BIN)/adserver dev

lint: $(STAMP)
	$(BIN)/ruff check adserver tests bench

test: lint test-sqlite test-postgres

test-sqlite: $(STAMP)
	ADSERVER_TEST_DATABASE=sqlite $(BIN)/python -m pytest -n 2 -p no:cacheprovider

test-postgres: $(STAMP)
	TEST_POSTGRES_URL="$$(scripts/ensure-postgres)" ADSERVER_TEST_DATABASE=postgresql \
		$(BIN)/python -m pytest -n 2 -p no:cacheprovider

bench: $(STAMP)
	$(BIN)/python bench/decision.py

# The Procfile's two lines under honcho (Redis must answer at REDIS_URL; run `adserver db upgrade` first).
procfile: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start
