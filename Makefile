# Two set-up commands: `make demo` and `make test`. Everything else is optional.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8000
TIME_LIMIT ?= 10

.PHONY: install demo test lint format bench bench-sorting bench-vrptw bench-network bench-api serve clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/optimizer demo

test: install
	BENCH_MODE=fast $(BIN)/python -m pytest -q
	$(BIN)/ruff check optimizer api benchmarks tests

lint: install
	$(BIN)/ruff check optimizer api benchmarks tests
	$(BIN)/ruff format --check optimizer api benchmarks tests

format: install
	$(BIN)/ruff format optimizer api benchmarks tests
	$(BIN)/ruff check --fix optimizer api benchmarks tests

# Full benchmark runs; they write benchmarks/RESULTS.md.
bench: bench-sorting bench-vrptw bench-network bench-api

bench-sorting: install
	BENCH_MODE=full $(BIN)/python -m pytest -q benchmarks/bench_sorting.py

bench-vrptw: install
	$(BIN)/python -m benchmarks.vrptw --time-limit $(TIME_LIMIT)

bench-network: install
	BENCH_MODE=full $(BIN)/python -m pytest -q benchmarks/bench_network.py

bench-api: install
	BENCH_MODE=full $(BIN)/python -m pytest -q benchmarks/bench_api.py benchmarks/bench_api_routing.py

serve: install
	$(BIN)/optimizer serve --host $(HOST) --port $(PORT)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .benchmarks *.egg-info
