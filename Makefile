# Two commands: `make run` (install the app, seed the demo board, serve) and `make test`.
# Each bootstraps .venv on its own, so either works as the first command on a fresh machine:
# `make run` installs what Firelane needs to run, `make test` adds the development tools.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
APP    := $(VENV)/.installed-app
DEV    := $(VENV)/.installed-dev
HOST   ?= 127.0.0.1
PORT   ?= 8000

# pip's output goes to a log that is shown only if pip fails.
PIP = $(BIN)/python -m pip install --disable-pip-version-check
QUIET = > $(VENV)/pip.log 2>&1 || { cat $(VENV)/pip.log; exit 1; }

.PHONY: run test lint fmt bench clean vendor

$(APP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Firelane needs Python >= 3.11, found " + sys.version.split()[0]'
	@echo "installing Firelane into $(VENV) (the first time takes a minute or two)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(PIP) --upgrade pip $(QUIET)
	@$(PIP) -e . $(QUIET)
	@touch $@

$(DEV): $(APP)
	@echo "installing the development tools into $(VENV)"
	@$(PIP) -e '.[dev]' $(QUIET)
	@touch $@

# A random secret key, made once and kept out of git.
.env:
	@$(PYTHON) -c 'import secrets; print("FIRELANE_SECRET_KEY=" + secrets.token_urlsafe(48))' > .env
	@echo "wrote .env with a new FIRELANE_SECRET_KEY"

# tests/e2e/test_readme.py runs this recipe as `make -n run` prints it.
run: $(APP) .env
	@$(BIN)/firelane demo --quiet
	@exec $(BIN)/firelane serve --host $(HOST) --port $(PORT)

lint: $(DEV)
	$(BIN)/ruff check app tests bench migrations scripts
	$(BIN)/ruff format --check app tests bench scripts
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/hadolint Dockerfile

test: lint
	$(BIN)/pytest $(PYTEST_ARGS)

fmt: $(DEV)
	$(BIN)/ruff check --fix app tests bench migrations scripts
	$(BIN)/ruff format app tests bench scripts

# Fetch the pinned third-party browser files listed in vendor.json from the npm registry (needs
# node/npm, only here: never to run Firelane), record their sha256, and check them.
vendor:
	$(PYTHON) scripts/vendor.py

bench: $(DEV)
	$(BIN)/python bench/board.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
