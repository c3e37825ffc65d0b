# Two commands do everything (see README):
#   make app    install what is needed, then start the app on its defaults
#   make test   install what is needed, then run the whole test suite
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.regviz-installed

.PHONY: install app test bench

install: $(STAMP)

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m regviz.warmup
	touch $(STAMP)

app: install
	$(VENV)/bin/streamlit run app.py

test: install
	$(PY) -m pytest -q -n 2 --dist loadfile

bench: install
	for f in benchmarks/bench_*.py; do $(PY) $$f || exit 1; done
