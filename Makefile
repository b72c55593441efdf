# Thin wrapper over CMake/ctest/pytest. Every target installs what is missing first, so the
# two commands in README.md work on a fresh Debian 12 machine.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
# Debian's interpreter: the python3 first on PATH may be another one without Debian's packages.
PYTHON := /usr/bin/python3
CMAKE_FLAGS ?=
# Seconds each libFuzzer target runs for `make fuzz` (`make test` runs each for 10).
FUZZ_SECONDS ?= 60

.PHONY: all deps configure build test test-cpp test-python test-fuzz fuzz test-sanitize reproduce \
	calibrate bench format clean

all: build

deps:
	@scripts/install-deps

configure: deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release -DPYTHON_EXECUTABLE=$(PYTHON) \
	  $(CMAKE_FLAGS) > $(BUILD_DIR).configure.log 2>&1 || (cat $(BUILD_DIR).configure.log; exit 1)

build: configure
	@cmake --build $(BUILD_DIR) -j$(JOBS)

test-cpp: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j$(JOBS)

test-python: build
	TUNNELSIM_BUILD_DIR=$(abspath $(BUILD_DIR)) $(PYTHON) -m pytest -q tests/python

# Every fuzz target briefly, from the committed corpus and with a fixed seed, so regressions
# show in CI and its verdict is the one a local run of the same seed gives. Needs only
# deps: it builds its own clang tree (build-fuzz).
test-fuzz: deps
	FUZZ_SEED=1 scripts/fuzz 10

test: test-cpp test-python test-fuzz

fuzz: deps
	scripts/fuzz $(FUZZ_SECONDS)

# The whole C++ suite under AddressSanitizer + UndefinedBehaviorSanitizer (its own build-asan).
test-sanitize: deps
	scripts/test-sanitize

reproduce: build
	@scripts/reproduce $(BUILD_DIR)

# The TCP calibration study: ns-3 stock and Linux-like TCP against real Linux TCP (needs root).
calibrate: build
	@scripts/calibrate $(BUILD_DIR)

# Google Benchmark (crypto, tunnels, impairment), then every simulation/real-TUN ratio of
# issue #19 side by side against its goals; writes results/bench/bench.json.
bench: build
	@mkdir -p results/bench
	$(BUILD_DIR)/tests/bench/tunnelsim-bench --benchmark_out=results/bench/crypto.json \
	  --benchmark_out_format=json
	@scripts/bench --build $(BUILD_DIR) --crypto-json results/bench/crypto.json

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf $(BUILD_DIR) $(BUILD_DIR).configure.log build-fuzz build-fuzz-cov build-asan
