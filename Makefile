# The README's two commands: `make sweep` (install + the default sweep) and `make test` (install + checks).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: sweep test lint typecheck pytest bench bench-quick clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,bench]'
	touch $(STAMP)

sweep: $(STAMP)
	$(BIN)/sweep launch

lint: $(STAMP)
	$(BIN)/ruff check sweep trainables search_spaces tests bench
	$(BIN)/ruff format --check sweep trainables search_spaces tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	RAY_USAGE_STATS_ENABLED=0 $(BIN)/pytest -q

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python -m bench.run

bench-quick: $(STAMP)
	$(BIN)/python -m bench.run --quick

clean:
	rm -rf $(VENV) sweeps .pytest_cache .mypy_cache .ruff_cache
