# Two entry points for users: `make demo` and `make test`; `make docs` serves the documentation.
# Each bootstraps .venv on first use and reinstalls only when pyproject.toml changes.
# bash with pipefail: an install step piped into grep still fails when the install fails.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The browser tests drive Debian's Chromium (Playwright's own browser download is not used).
CHROMIUM := /usr/bin/chromium
# The JPEG XL tests read variants back with Debian's djxl/jxlinfo, a decoder independent of the encoder.
DJXL := /usr/bin/djxl

.PHONY: demo test docs bench synth clean

$(STAMP): pyproject.toml
	@command -v node >/dev/null || { echo "Node.js 20+ is required (CDK synthesis uses jsii)."; exit 1; }
	@echo "==> [1/3] creating $(VENV)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "==> [2/3] upgrading pip"
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@echo "==> [3/3] installing imgfan and its dependencies (first time: about a minute)"
	@$(BIN)/python -m pip install --progress-bar on --disable-pip-version-check -e '.[dev]' \
		| { grep --line-buffered -v '^Requirement already satisfied' || test $$? = 1; }
	@touch $(STAMP)
	@echo "==> ready"

$(CHROMIUM):
	@echo "==> installing Debian's Chromium for the browser tests (apt-get, as root)"
	@apt-get update -qq
	@DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium \
		| { grep --line-buffered -E '^(Setting up|E:)' || test $$? = 1; }
	@test -x $(CHROMIUM)

$(DJXL):
	@echo "==> installing Debian's libjxl-tools for the JPEG XL tests (apt-get, as root)"
	@apt-get update -qq
	@DEBIAN_FRONTEND=noninteractive apt-get install -y -q libjxl-tools \
		| { grep --line-buffered -E '^(Setting up|E:)' || test $$? = 1; }
	@test -x $(DJXL)

demo: $(STAMP)
	$(BIN)/imgfan demo

# Lint and types first (seconds): a finding fails the run before the suite starts.
test: $(STAMP) $(CHROMIUM) $(DJXL)
	$(BIN)/ruff check
	$(BIN)/mypy
	$(BIN)/python -m pytest

# The site at http://127.0.0.1:8000/, rebuilt on every save. NO_MKDOCS_2_WARNING silences
# Material's end-of-life banner, printed on every build (it is not a build warning).
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python benchmarks/engine.py $(PHOTOS)
	$(if $(PHOTOS),$(BIN)/python benchmarks/render_vs_vips.py $(PHOTOS))

synth: $(STAMP)
	$(BIN)/imgfan synth

clean:
	rm -rf $(VENV) cdk.out .imgfan-cache imgfan-demo site
