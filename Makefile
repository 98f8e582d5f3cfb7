# One entry point for newcomers and CI. Every target installs what it needs first.
PYTHON ?= python3
PIP := $(PYTHON) -m pip --disable-pip-version-check
export CARGO_TARGET_DIR ?= $(CURDIR)/target
# Extra pytest arguments, e.g. `make test PYTEST_ARGS="-k interop -x"`.
PYTEST_ARGS ?=

.PHONY: deps build example test test-rust test-python check ci bench

# Python dependencies plus an editable install, which builds the extension (release, once).
deps:
	$(PIP) install --quiet "maturin>=1.7,<2"
	$(PIP) install --quiet --no-build-isolation -e ".[test,dev]"

build: deps

example: deps
	$(PYTHON) examples/quickstart.py

test-rust:
	cargo test -p zarrbridge-core --release

# The data tests run a second time with zarrs running every codec (ZARRBRIDGE_FAST_CODECS=0),
# so both codec paths stay held to zarr-python, tensorstore and each other (exit 5: PYTEST_ARGS
# selected none of them).
test-python: deps
	$(PYTHON) -m pytest tests $(PYTEST_ARGS)
	ZARRBRIDGE_FAST_CODECS=0 $(PYTHON) -m pytest $(PYTEST_ARGS) tests/test_interop_zarr_python.py \
		tests/test_api_chunks_regions.py tests/test_region_properties.py || [ $$? -eq 5 ]

test: test-rust test-python

check: deps
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --release -- -D warnings
	$(PYTHON) -m ruff check python tests examples scripts
	$(PYTHON) -m ruff format --check python tests examples scripts
	$(PYTHON) -m mypy
	$(PYTHON) -m mypy.stubtest zarrbridge._native

ci: check test

# Benchmarks against zarr-python, zarrs-python and tensorstore (see benches/README.md), e.g.
# `make bench BENCH_ARGS="--quick"` or `make bench BENCH_ARGS="--cases a,c --json out.json"`.
bench: deps
	$(PIP) install --quiet -r benches/requirements.txt
	$(PYTHON) benches/run.py $(BENCH_ARGS)
