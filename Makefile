# Two commands do everything (see README):
#   make app    install what the app needs, then start it on its defaults
#   make test   install that and the test tools, then lint and run the whole test suite
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
APP_STAMP := $(VENV)/.regviz-app
TEST_STAMP := $(VENV)/.regviz-test

.PHONY: install install-test app test bench

install: $(APP_STAMP)

$(APP_STAMP): requirements.txt pyproject.toml
	@echo "== [1/4] virtual environment in $(VENV)"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade --progress-bar off pip
	@echo "== [2/4] the app's requirements (torch is the largest; a few minutes the first time)"
	$(PY) -m pip install --progress-bar on -r requirements.txt
	@echo "== [3/4] regviz itself (editable) and its commands"
	$(PY) -m pip install --no-deps -e .
	@echo "== [4/4] compiling the motif tools once (about 90 s)"
	$(VENV)/bin/regviz-warmup
	touch $@

install-test: $(TEST_STAMP)

$(TEST_STAMP): $(APP_STAMP) requirements-test.txt
	@echo "== the test tools (pytest, xdist, playwright, ruff)"
	$(PY) -m pip install --progress-bar on -r requirements-test.txt
	touch $@

app: install
	$(VENV)/bin/streamlit run app.py

test: install-test
	$(VENV)/bin/ruff check regviz app.py app_pages tests benchmarks
	$(PY) -m pytest -q -n 2 --dist loadfile

bench: install
	for f in benchmarks/bench_*.py; do $(PY) $$f || exit 1; done
