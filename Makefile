# citebot: `make run` installs, indexes seeds/ and serves on http://127.0.0.1:8000; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install index clean chromium

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch first, pinned: the pin resolves to the local CPU wheel, anything else pulls CUDA builds.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

index: install
	HF_HUB_OFFLINE=1 $(BIN)/citebot ingest seeds/

run: install
	HF_HUB_OFFLINE=1 $(BIN)/citebot ingest seeds/
	HF_HUB_OFFLINE=1 $(BIN)/citebot serve

# Browser tests drive Debian's Chromium (never a downloaded browser); install it when missing and we can.
chromium:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } || { echo "install Debian's chromium package for the browser tests"; exit 1; }

test: install chromium
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) index/gen-* index/CURRENT index/.lock
