# datateam-kg: set up, run, test.
#   make run    set up a virtual environment, install, and run the main job (overview + explorer page)
#   make test   set up (including Chromium for the browser tests) and run every test
#   make bench  run the benchmarks and rewrite BENCHMARKS.md
#   make kb     recompile ontology/kb/*.trig after editing ontology/sources/*.yaml

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
OUT    := out

.PHONY: setup browser run test bench kb docs clean

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

run: setup
	@mkdir -p $(OUT)
	$(BIN)/datateam overview --html $(OUT)/explorer.html

test: setup browser
	$(BIN)/python -m pytest -q

bench: setup browser
	$(BIN)/python bench/run.py

# The ontology's documentation page, rendered by pyLODE (ontology/docs.py).
docs: setup
	$(BIN)/pip install -q "pylode==3.3.4"
	$(BIN)/python -m datateam.ontology.docs $(OUT)/ontology.html

kb: setup
	$(BIN)/python -m datateam.ontology.compile

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache tests/artifacts *.egg-info
