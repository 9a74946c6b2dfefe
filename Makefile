# Two commands: `make run` (set up, migrate, seed the demo board, serve) and `make test`.
# Each bootstraps .venv on its own, so either works as the first command on a fresh machine.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-dev
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test lint fmt bench clean vendor

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Firelane needs Python >= 3.11, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# A random secret key, made once and kept out of git.
.env:
	@$(PYTHON) -c 'import secrets; print("FIRELANE_SECRET_KEY=" + secrets.token_urlsafe(48))' > .env
	@echo "wrote .env with a new FIRELANE_SECRET_KEY"

run: $(STAMP) .env
	$(BIN)/firelane db upgrade
	$(BIN)/firelane demo
	$(BIN)/firelane serve --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check app tests bench migrations scripts
	$(BIN)/ruff format --check app tests bench scripts
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/hadolint Dockerfile

test: lint
	$(BIN)/pytest $(PYTEST_ARGS)

fmt: $(STAMP)
	$(BIN)/ruff check --fix app tests bench migrations scripts
	$(BIN)/ruff format app tests bench scripts

# Fetch the pinned third-party browser files listed in vendor.json from the npm registry (needs
# node/npm, only here: never to run Firelane), record their sha256, and check them.
vendor:
	$(PYTHON) scripts/vendor.py

bench: $(STAMP)
	$(BIN)/python bench/board.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
