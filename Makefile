# The README's two commands: `make report` (set up + main job) and `make test`.
# Both create .venv with the interpreter in PYTHON when it is missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: report test setup lint bench clean-generated

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "cma_research needs Python >= 3.11; run: make PYTHON=python3.11 ...")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

setup: $(STAMP)

# Main job: validate the bundled returns, write the cleaned cohorts to data/processed/,
# then run every notebook with papermill and rebuild reports/ (HTML, figures, tables,
# index.html, manifest.json). Extra build options: make report BUILD_ARGS="--jobs 1".
BUILD_ARGS ?=
report: $(STAMP)
	$(BIN)/cma-research validate data/raw/customer_wise_2007.csv
	$(BIN)/cma-research process data/raw/customer_wise_2007.csv --strategy all \
		--min-stages 6 --seed 2007 --output-dir data/processed
	$(BIN)/cma-research build $(BUILD_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks conftest.py
	$(BIN)/ruff format --check src tests benchmarks conftest.py
	$(BIN)/mypy

# Tests: lint, format check, type check, then pytest (unit, property and doctests).
test: lint
	$(BIN)/python -m pytest || { s=$$?; [ $$s -ne 5 ] || echo 'pytest collected no tests' >&2; exit $$s; }

# Benchmarks (on demand; they print figures, they do not pass or fail).
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_stats.py
	$(BIN)/python benchmarks/bench_build.py

clean-generated:
	find data/processed reports -mindepth 1 ! -name README.md -delete
