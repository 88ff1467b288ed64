# Two entry points for users: `make demo` and `make test`. Both bootstrap .venv on first use
# and reinstall only when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench synth clean

$(STAMP): pyproject.toml
	@command -v node >/dev/null || { echo "Node.js 20+ is required (CDK synthesis uses jsii)."; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/imgfan demo

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python benchmarks/engine.py $(PHOTOS)

synth: $(STAMP)
	$(BIN)/imgfan synth

clean:
	rm -rf $(VENV) cdk.out .imgfan-cache imgfan-demo
