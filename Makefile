# The README's commands. `make dev` starts everything; `make test` runs the whole suite.
VENV   ?= .venv
PYTHON ?= $(shell command -v python3.11 || command -v python3)
BIN     = $(VENV)/bin
PORT   ?= 8000
# The container image: its base (localhost/debian-py:bookworm is made by scripts/base-image, from Debian's
# packages alone), its name, and the builder: podman when installed (scripts/podman adds this kind of
# machine's flags), else docker.
BASE   ?= python:3.11-slim-bookworm
IMAGE  ?= localhost/adserver:latest
CONTAINER ?= $(if $(shell command -v podman),scripts/podman,docker)

.PHONY: dev test lint bench install clean image

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,postgres]'
	touch $@

install: $(BIN)/.installed

## Install, migrate, load the example catalog, start Redis (if none), web and worker; open /demo.
dev: install
	$(BIN)/adserver dev --port $(PORT)

## Lint, then the whole suite on SQLite and on PostgreSQL (started or installed if missing).
test: install
	scripts/test

lint: install
	$(BIN)/ruff check adserver tests bench

bench: install
	$(BIN)/python bench/decision.py
	$(BIN)/python bench/embed.py

## The container image (Dockerfile): the wheelhouse it installs from (var/wheelhouse), then the build.
image: install
	rm -rf var/wheelhouse
	@# async-timeout: redis needs it below Python 3.11.3 (Debian bookworm's is 3.11.2), so pip here may skip it.
	$(BIN)/pip wheel -q --wheel-dir var/wheelhouse '.[postgres]' 'async-timeout>=4.0.3'
	rm -rf build  # setuptools' in-tree build of the adserver wheel
	$(CONTAINER) build $(if $(findstring podman,$(CONTAINER)),--format docker --layers=false) --build-arg BASE=$(BASE) -t $(IMAGE) .

clean:
	rm -rf $(VENV) var .pytest_cache
