# The README's commands. `make dev` starts everything; `make test` runs the whole suite.
VENV   ?= .venv
PYTHON ?= $(shell command -v python3.11 || command -v python3)
BIN     = $(VENV)/bin

.PHONY: dev test lint bench install clean

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,postgres]'
	touch $@

install: $(BIN)/.installed

## Install, migrate, load the example catalog, start Redis (if none), web and worker; open /demo.
dev: install
	$(BIN)/adserver dev

## Lint, then the whole suite on SQLite and on PostgreSQL (started or installed if missing).
test: install
	scripts/test

lint: install
	$(BIN)/ruff check adserver tests bench

bench: install
	$(BIN)/python bench/decision.py
	$(BIN)/python bench/embed.py

clean:
	rm -rf $(VENV) var .pytest_cache
