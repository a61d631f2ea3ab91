# The two commands of the README: `make book` and `make test`. Each creates or
# refreshes .venv from pyproject.toml and installs what it needs, on a fresh machine
# with only Python 3.11, pip and make (plus apt-get and npm for the browser test).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
NOTEBOOKS := $(wildcard notebooks/*.ipynb)
MATHJAX := _build/npm/node_modules/mathjax/es5/tex-mml-chtml.js

# One BLAS thread per process: many small matrices; parallelism is per chapter.
export OPENBLAS_NUM_THREADS := 1
export OMP_NUM_THREADS := 1
export MPLBACKEND := Agg

.PHONY: book test venv browser mathjax expected clean-notebooks benchmark clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.book-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[book]"
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.book-installed

venv: $(VENV)/.test-installed

## book: execute every chapter and build the HTML book into _build/html/index.html
book: $(VENV)/.book-installed
	$(BIN)/python -m qbkit.book

## test: unit tests, notebook checks (nbval), CLI tests and the HTML smoke test in Chromium
test: $(VENV)/.test-installed browser mathjax
	$(BIN)/python -m qbkit.nbtools check $(NOTEBOOKS)
	$(BIN)/python -m qbkit.book
	$(BIN)/python -m pytest tests notebooks --nbval-lax --nbval-current-env \
	    --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider; \
	rc=$$?; if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; exit $$rc

## browser: headless Chromium and its driver from Debian, for the HTML smoke test
browser:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
	    if [ "$$(id -u)" -eq 0 ]; then SUDO=; else SUDO=sudo; fi; \
	    $$SUDO apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; \
	fi

## mathjax: a local MathJax 3 (npm) so the smoke test typesets offline
mathjax: $(MATHJAX)
$(MATHJAX):
	npm install --silent --no-audit --no-fund --prefix _build/npm mathjax@3

## expected: re-execute the notebooks and store the outputs of their nbval check cells
expected: $(VENV)/.book-installed
	@mkdir -p _build; for nb in $(NOTEBOOKS); do \
	    $(BIN)/papermill --no-progress-bar --cwd notebooks $$nb _build/expected.ipynb && \
	    $(BIN)/python -m qbkit.nbtools refresh $$nb _build/expected.ipynb || exit 1; \
	done

clean-notebooks: $(VENV)/.book-installed
	$(BIN)/python -m qbkit.nbtools clean $(NOTEBOOKS)

## benchmark: time each chapter and its heaviest computations
benchmark: $(VENV)/.book-installed
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf _build
