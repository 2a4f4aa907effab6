# datateam-kg: set up, run, test.
#   make run    set up a virtual environment, install, and run the main job (overview + explorer page)
#   make test   set up (including Chromium for the browser tests and Virtuoso for the remote-store tests) and run every test
#   make test-fast  the tests not marked slow, browser or full_data (for development; no Chromium needed)
#   make bench  run the benchmarks and rewrite BENCHMARKS.md
#   make kb     recompile ontology/kb/*.trig after editing ontology/sources/*.yaml
#   make editor rebuild the query page's editor bundle (queries/server/page/editor.js) with npm from
#               page-editor/package-lock.json; the bundle is committed, so nothing else needs npm
#   make screenshots  write docs/img/explorer-*.png from the real explorer page in Chromium
#   make clean  remove the environment, build output, and the stores and pages the README's examples write

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
OUT    := out

# What the README's examples leave in the working folder (stores are removed only when they are ours).
EXAMPLE_FILES := explorer.html de.html de-vs-mle.html mine.html roles.csv kb.trig result.json overlap.png team.html everything.html

.PHONY: setup browser virtuoso run test test-fast bench kb editor docs screenshots clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "datateam-kg needs Python 3.11 or newer (found %s)" % sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

setup: $(STAMP)

# Debian's Chromium for the browser tests (never a browser downloaded by a test tool).
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	elif command -v sudo >/dev/null 2>&1; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "The browser tests need Debian's chromium: run 'apt-get install chromium' as root" >&2; exit 1; fi

# Debian's Virtuoso for the remote-store tests (tests/test_remote_virtuoso.py starts its own
# server on loopback with its own database; the package's dba password is only preseeded so the
# install asks nothing).
VIRTUOSO_PASSWORD := $(shell head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
virtuoso:
	@if command -v virtuoso-t >/dev/null 2>&1 && command -v isql-vt >/dev/null 2>&1; then :; else \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null 2>&1; then SUDO=sudo; \
	  else echo "The Virtuoso tests need Debian's virtuoso-opensource: run 'apt-get install virtuoso-opensource' as root" >&2; exit 1; fi; \
	  printf '%s\n' "virtuoso-opensource-7 virtuoso-opensource-7/dba-password password $(VIRTUOSO_PASSWORD)" \
	    "virtuoso-opensource-7 virtuoso-opensource-7/dba-password-again password $(VIRTUOSO_PASSWORD)" | $$SUDO debconf-set-selections; \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq virtuoso-opensource >/dev/null; \
	fi

run: setup
	@mkdir -p $(OUT)
	$(BIN)/datateam overview --html $(OUT)/explorer.html

# One test process per core (pytest-xdist); a file's tests stay together, and the files are handed
# out in the order tests/conftest.py gives them (longest first), not re-sorted by their number of tests.
PYTEST := $(BIN)/python -m pytest -q -n auto --dist loadfile --no-loadscope-reorder

test: setup browser virtuoso
	$(PYTEST)

test-fast: setup
	$(PYTEST) -m "not slow and not browser and not full_data"

bench: setup browser
	$(BIN)/python bench/run.py

# The ontology's documentation page, rendered by pyLODE (ontology/docs.py).
docs: setup
	$(BIN)/python -m pip install --quiet -e '.[docs]'
	$(BIN)/python -m datateam.ontology.docs $(OUT)/ontology.html

kb: setup
	$(BIN)/python -m datateam.ontology.compile

editor:
	cd page-editor && npm ci --no-audit --no-fund && npm run build

screenshots: setup browser
	$(BIN)/python bench/screenshots.py

clean:
	rm -rf $(VENV) $(OUT) build dist *.egg-info .pytest_cache tests/artifacts page-editor/node_modules
	rm -f $(EXAMPLE_FILES)
	@if [ -f kg/datateam-store.json ]; then rm -rf kg; fi
	@if [ -f kg-server/CURRENT ]; then rm -rf kg-server; fi
	find . -path ./.git -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
