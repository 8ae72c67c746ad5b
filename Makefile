# hlfc — every set-up step lives here, so a fresh machine needs only `make render` and
# `make test`.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := render

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
BLUEPRINTS := $(sort $(wildcard blueprints/*.yaml))

.PHONY: env render schema lint test check bench clean

# The environment: a virtualenv with hlfc and its dev tools at the pinned versions.
$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/pip install -q --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $@

env: $(VENV)/.installed

schema: env
	$(BIN)/hlfc schema -o schemas/blueprint.schema.json

render: env schema
	$(BIN)/hlfc render $(BLUEPRINTS) -o output

lint: env
	$(BIN)/ruff check compiler tests bench
	$(BIN)/ruff format --check compiler tests bench
	$(BIN)/mypy

test: env lint
	$(BIN)/pytest

# Re-render and fail on any difference from what is committed (output/ and schemas/).
check: render
	@git diff --exit-code --stat -- output schemas || \
	  { echo "output/ or schemas/ differ from a fresh render: run 'make render' and commit"; exit 1; }
	@untracked=$$(git status --porcelain --untracked-files=all -- output schemas); \
	  if [ -n "$$untracked" ]; then echo "$$untracked"; \
	  echo "untracked files in output/ or schemas/: run 'make render' and commit"; exit 1; fi

bench: env
	$(BIN)/python bench/bench_render.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
