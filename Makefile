# One entry point for newcomers and CI. Every target installs what it needs first, into the
# project environment .venv, with the versions pinned in uv.lock (nothing from the system
# interpreter's site-packages is used; a fresh machine needs only python3, cargo and make).
PYTHON ?= python3
VENV := $(CURDIR)/.venv
UV_VERSION := 0.13.9
UV := $(VENV)/bin/uv
PY := $(VENV)/bin/python
export CARGO_TARGET_DIR ?= $(CURDIR)/target
export VIRTUAL_ENV := $(VENV)
export PATH := $(VENV)/bin:$(PATH)
export UV_PYTHON_DOWNLOADS := never
# Extra pytest arguments, e.g. `make test PYTEST_ARGS="-k interop -x"`.
PYTEST_ARGS ?=
# The lock groups each target installs (pyproject.toml [dependency-groups]).
GROUPS_RUN := --group build
GROUPS_TEST := --group build --group test --group dev --group docs
GROUPS_BENCH := --group build --group bench
GROUPS_DOCS := --group build --group docs

.PHONY: example test test-rust test-python check ci bench lock build deps-run deps-test \
	deps-bench deps-docs docs docs-build

# uv itself, bootstrapped with the machine's bare Python into the project environment; the
# same version is in the lock's build group, so `uv sync` keeps it.
$(UV):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --no-cache-dir "uv==$(UV_VERSION)"

# `uv sync --locked` fails if uv.lock is out of date with pyproject.toml instead of re-resolving.
deps-run: $(UV)
	$(UV) sync --locked $(GROUPS_RUN)
deps-test: $(UV)
	$(UV) sync --locked $(GROUPS_TEST)
deps-bench: $(UV)
	$(UV) sync --locked $(GROUPS_BENCH)
deps-docs: $(UV)
	$(UV) sync --locked $(GROUPS_DOCS)

# The extension, built once (release) and installed editable into .venv.
build:
	$(VENV)/bin/maturin develop --release --uv --quiet

# The quickstart writes into a fresh directory; the console script then shows what it wrote.
example: deps-run
	$(MAKE) build
	dir=$$(mktemp -d) && $(PY) examples/quickstart.py "$$dir" \
		&& $(VENV)/bin/zarrbridge tree "$$dir" && $(VENV)/bin/zarrbridge info "$$dir#temperature" \
		&& rm -rf "$$dir"

test-rust:
	cargo test -p zarrbridge-core --release

# The data tests run a second time with zarrs running every codec (ZARRBRIDGE_FAST_CODECS=0),
# so both codec paths stay held to zarr-python, tensorstore and each other (exit 5: PYTEST_ARGS
# selected none of them).
test-python:
	$(PY) -m pytest tests $(PYTEST_ARGS)
	ZARRBRIDGE_FAST_CODECS=0 $(PY) -m pytest $(PYTEST_ARGS) tests/test_interop_zarr_python.py \
		tests/test_chunks_regions.py tests/test_regions_properties.py tests/test_shard_reads.py \
		tests/test_dtypes_interop.py tests/test_dtypes_ml.py tests/test_concurrent_writes.py \
		tests/test_memory_limit.py tests/test_indexing.py tests/test_indexing_properties.py \
		tests/test_encoded.py tests/test_resize.py tests/test_vlen_array_api.py || [ $$? -eq 5 ]

test: deps-test
	$(MAKE) build
	$(MAKE) test-rust test-python

check: deps-test
	$(MAKE) build
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --release -- -D warnings
	$(PY) -m ruff check python tests examples scripts
	$(PY) -m ruff format --check python tests examples scripts
	$(PY) -m mypy
	$(PY) -m mypy.stubtest zarrbridge._native
	$(MAKE) docs-build

# The documentation site (mkdocs.yml) into site/: --strict fails on any warning, a broken link
# or anchor included; then every link of the built pages is checked. The test environment has
# the docs group, and the integrations the reference pages import (zarr for zarrbridge.zarr).
docs: deps-test
	$(MAKE) build
	$(MAKE) docs-build

docs-build:
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict --quiet --site-dir $(CURDIR)/site
	$(PY) scripts/check_docs_links.py $(CURDIR)/site

ci: check test

# Benchmarks against zarr-python, zarrs-python, tensorstore and zarrista (benches/README.md),
# e.g. `make bench BENCH_ARGS="--quick"` or `make bench BENCH_ARGS="--cases a,c --json out.json"`.
bench: deps-bench
	$(MAKE) build
	$(PY) benches/run.py $(BENCH_ARGS)

# Re-resolve uv.lock after editing a range in pyproject.toml (`make lock UPGRADE=1` upgrades all).
lock: $(UV)
	$(UV) lock $(if $(UPGRADE),--upgrade,)
