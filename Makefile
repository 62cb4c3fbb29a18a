# Channel Performance — `make demo` runs the app on demo data, `make test` runs every test.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
CP := $(BIN)/channelperf
STAMP := $(VENV)/.installed-$(shell sha256sum pyproject.toml | cut -c1-12)
DEMO_ORDERS ?= 300000
HOST ?= 127.0.0.1
PORT ?= 8050

.PHONY: setup demo test bench lint

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is required"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(CP) db upgrade
	$(CP) demo-data --orders $(DEMO_ORDERS) --if-empty
	$(CP) users demo
	-$(CP) validate  # shows any failed check; the demo goes on
	$(CP) alerts defaults  # the default rules, judged on the loaded history
	$(CP) alerts evaluate
	$(CP) train
	@echo "Open http://$(HOST):$(PORT) and sign in with one of the logins above (MLflow UI, this machine only: http://127.0.0.1:5000)."
	$(CP) mlflow-ui --host 127.0.0.1 --port 5000 & trap "kill $$!" EXIT; $(CP) serve --host $(HOST) --port $(PORT)

# Both cores (one test file per worker at a time), then the tests that restart services, alone.
# One BLAS/OpenMP thread per worker: two workers already fill both cores, and BLAS threads woken
# beside a busy process make small matrix products several times slower.
test: setup
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(BIN)/pytest -n 2 --dist loadfile -m "not serial" $(PYTEST_ARGS)
	$(BIN)/pytest -m serial $(PYTEST_ARGS) || [ $$? -eq 5 ]  # 5: PYTEST_ARGS chose none of them

bench: setup
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	command -v wrk >/dev/null || apt-get install -y -qq wrk  # the API's concurrent-clients load
	$(BIN)/python -m bench.run

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
