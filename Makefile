# The README's two commands: `make report` (set up + main job) and `make test`.
# Both create .venv with the interpreter in PYTHON when it is missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# pip installs without compiling every module of every package to bytecode (about 20
# CPU-seconds, most of it for modules nothing here imports); Python compiles a module
# when it is first imported and keeps the result in __pycache__ (ignored by git), which
# later processes read. Recipes therefore always write bytecode, even where
# PYTHONDONTWRITEBYTECODE is set: otherwise each of the test suite's ~150 Python
# processes (kernels, workers, command lines) would compile its imports again.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: report test setup lint bench browser clean-generated

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "cma_research needs Python >= 3.11; run: make PYTHON=python3.11 ...")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --no-compile -e ".[test]"
	touch $(STAMP)

setup: $(STAMP)

# Main job: the bundled study (study.yaml): validate its returns, then run every notebook
# with papermill and rebuild reports/ (HTML, figures, tables, index.html, manifest.json,
# study_summary.json). Unchanged notebooks are restored from the build cache
# (.cma-cache/); BUILD_ARGS="--force" re-runs all.
BUILD_ARGS ?=
report: $(STAMP)
	$(BIN)/cma-research validate --study study.yaml
	$(BIN)/cma-research build --study study.yaml $(BUILD_ARGS)

# The browser test needs Debian's chromium: installed here when possible (root + apt-get),
# otherwise the test is skipped and says which command to run.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium for the browser test (apt-get)"; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null || \
	    echo "chromium could not be installed; the browser test will be skipped"; \
	  else echo "chromium missing: sudo apt-get install chromium (the browser test is skipped)"; fi; }

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks conftest.py
	$(BIN)/ruff format --check src tests benchmarks conftest.py
	$(BIN)/mypy

# Tests: lint and format check, then the type check and pytest (unit, property and
# doctests) side by side: pytest on every core (pytest-xdist; the tests that share the
# session's build of the bundled study run on one worker), mypy beside it at low
# priority (it fills the moments pytest waits for kernels and browsers), its report
# printed when pytest ends. The 15 slowest tests are listed. Fails if either fails.
PYTEST_ARGS ?= -n auto --dist loadgroup --durations=15
test: $(STAMP) browser
	$(BIN)/ruff check src tests benchmarks conftest.py
	$(BIN)/ruff format --check src tests benchmarks conftest.py
	@log=$$(mktemp); echo "$(BIN)/mypy (beside pytest, at low priority; its report follows pytest's)"; \
	nice -n 19 $(BIN)/mypy > $$log 2>&1 & mypy=$$!; \
	echo "$(BIN)/python -m pytest $(PYTEST_ARGS)"; \
	$(BIN)/python -m pytest $(PYTEST_ARGS); s=$$?; \
	[ $$s -ne 5 ] || echo 'pytest collected no tests' >&2; \
	wait $$mypy; m=$$?; echo "$(BIN)/mypy"; cat $$log; rm -f $$log; \
	[ $$s -ne 0 ] && exit $$s; exit $$m

# Benchmarks (on demand; they print figures, they do not pass or fail).
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_stats.py
	$(BIN)/python benchmarks/bench_build.py
	$(BIN)/python benchmarks/bench_import.py

clean-generated:
	find data/processed reports -mindepth 1 ! -name README.md -delete
