# protect-lambda: `make demo` and `make test` set everything up from python3, node and the
# package registries, then run. Node for jsii and the CDK CLI comes from package.json (a
# supported Node 22, pinned), never from the machine's own node.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
NODE_BIN := $(CURDIR)/node_modules/.bin

export PATH := $(NODE_BIN):$(BIN):$(PATH)
export JSII_NODE := $(NODE_BIN)/node
export CDK_DISABLE_CLI_TELEMETRY := 1
# the CLI asks the npm registry for newer versions when run on a terminal: not here
export CDK_DISABLE_VERSION_CHECK := 1

.PHONY: help wheel install demo synth test test-aws test-py314 test-floor typecheck snapshot-update bench eval realapps proxy clean

help:
	@echo "make demo             set up, synthesize the example app and summarise what was created"
	@echo "make test             set up and run the whole test suite (pytest, then mypy --strict)"
	@echo "make test-aws         deploy the example to a real account and test the alarm chain (opt-in)"
	@echo "make snapshot-update  rewrite the template snapshots after an intended change"
	@echo "make test-py314       run the guard's tests on CPython 3.14 (Pyodide, under Node)"
	@echo "make test-floor       run the construct tests at the lowest aws-cdk-lib pyproject.toml allows"
	@echo "make bench            run the benchmarks (not part of make test)"
	@echo "make eval CASES=...   score the guard on a labelled cases file"
	@echo "make realapps APPS=... add the Aspect to each CDK app of a folder, synthesize, compare (not in make test)"
	@echo "make proxy            build the Runtime API proxy extension (Go; static linux amd64 and arm64 binaries)"
	@echo "make wheel            build the wheel into dist/ (with the proxy binaries)"

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The proxy extension's binaries, which the constructs stage for non-Python functions (docs/proxy.md)
PROXY_BIN := protect_lambda_construct/proxy_bin
PROXY_SOURCES := $(shell find proxy lambda_layer/protect_lambda -type f \( -name '*.go' -o -name '*.py' -o -name '*.json' -o -name 'go.*' -o -name wrapper \) -not -name '*_gen.go' -not -path '*/engine/rules/*' 2>/dev/null)
$(PROXY_BIN)/.built: $(PROXY_SOURCES) $(VENV)/.installed
	$(BIN)/python proxy/build.py --out $(PROXY_BIN)
	@touch $@

install: $(VENV)/.installed node_modules/.installed $(PROXY_BIN)/.built

# AWS's Node.js runtime interface client, for the proxy's tests (tests/proxy) and
# make demo's Node.js function. It
# compiles curl, aws-lambda-cpp and its addon (cmake, make, a C++ compiler) against the headers of
# the project's Node 22, which its npm package carries (node-gyp would download them otherwise).
NODE_RIC := .node-ric
NODE_RIC_VERSION := 4.0.2
$(NODE_RIC)/.installed: Makefile node_modules/.installed
	rm -rf $(NODE_RIC)
	npm_config_nodedir="$$(dirname "$$(dirname "$$(dirname "$$(find $(CURDIR)/node_modules -path '*/node-linux-*/include/node/common.gypi' | head -1)")")")" \
		npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error --prefix $(NODE_RIC) \
		aws-lambda-ric@$(NODE_RIC_VERSION)
	@touch $@

synth: install
	npx cdk synth --quiet

demo: synth $(NODE_RIC)/.installed
	$(BIN)/python -m protect_lambda_tools.report cdk.out
	$(BIN)/python -m example.demo cdk.out

test: install $(NODE_RIC)/.installed
	$(BIN)/python -m pytest
	$(BIN)/python -m mypy
	$(MAKE) --no-print-directory test-py314

test-aws: install
	$(BIN)/python -m pytest -m aws tests/aws -rs

# The guard's tests on CPython 3.14 (no python3.14 here): Pyodide, CPython compiled to WebAssembly,
# run by the project's Node. Pure-Python test tools, pinned, unpacked from their wheels.
PY314 := .py314
PYODIDE_VERSION := 314.0.7
PY314_WHEELS := pytest==9.2.0 pluggy==1.7.0 iniconfig==2.3.1 packaging==26.4 pygments==2.21.0 \
	hypothesis==6.155.7 sortedcontainers==2.4.0

$(PY314)/.installed: Makefile
	rm -rf $(PY314)
	npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error --prefix $(PY314) \
		pyodide@$(PYODIDE_VERSION)
	$(BIN)/python -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.14 \
		--platform any --dest $(PY314)/wheels $(PY314_WHEELS)
	for wheel in $(PY314)/wheels/*.whl; do $(BIN)/python -m zipfile -e $$wheel $(PY314)/site; done
	@touch $@

test-py314: install $(PY314)/.installed
	$(NODE_BIN)/node tests/py314/run_pyodide.mjs $(PY314)/node_modules/pyodide $(PY314)/site \
		-q tests/guard tests/detection

snapshot-update: install
	$(BIN)/python -m pytest tests/construct --snapshot-update

typecheck: install
	$(BIN)/python -m mypy

bench: install
	$(BIN)/python -m pytest -m benchmark -p no:cacheprovider -s

eval: install
	$(BIN)/protect-lambda eval $(CASES)

# The construct suite at the lowest versions pyproject.toml declares (not part of make test: it
# installs a second aws-cdk-lib). Template snapshots are recorded at the pinned version.
FLOOR_VENV := .venv-floor
FLOOR_PINS := aws-cdk-lib==2.269.0 constructs==10.5.1 cdk-nag==3.0.0
test-floor: install
	test -d $(FLOOR_VENV) || $(PYTHON) -m venv $(FLOOR_VENV)
	grep -vE '^(aws-cdk|cdk-nag|constructs|jsii|publication|typeguard|cattrs)' constraints.txt > $(FLOOR_VENV)/constraints.txt
	$(FLOOR_VENV)/bin/python -m pip install --quiet -c $(FLOOR_VENV)/constraints.txt -e '.[dev]' $(FLOOR_PINS)
	$(FLOOR_VENV)/bin/python -m pytest tests/construct -p no:cacheprovider -k "not app_snapshot"

# The Aspect on real CDK apps (not part of make test): APPS is a folder of apps, each with app.py
realapps: install
	@test -n "$(APPS)" || { echo "usage: make realapps APPS=path/to/apps"; exit 2; }
	$(BIN)/python benchmarks/realapps.py $(APPS) --work $(CURDIR)/.realapps

# The proxy extension for non-Python runtimes (docs/proxy.md): Go, pinned in proxy/build.py
proxy: $(VENV)/.installed
	$(BIN)/python proxy/build.py --out $(PROXY_BIN)
	@touch $(PROXY_BIN)/.built

# The wheel, with the prebuilt proxy binaries (a user's cdk synth only stages them)
wheel: install
	$(BIN)/python -m pip wheel --quiet --no-deps --no-build-isolation --wheel-dir dist .

clean:
	rm -rf build/proxy $(VENV) node_modules cdk.out .pytest_cache .mypy_cache $(PY314) .realapps $(FLOOR_VENV)
