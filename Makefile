# The two commands a newcomer needs: `make demo` and `make test`. Everything else is a helper.
# Each target installs missing Debian packages first (scripts/install-deps.sh), so a fresh
# Debian 12 machine needs nothing but this checkout.

JOBS        ?= $(shell nproc)
RELEASE_DIR ?= build/release
ASAN_DIR    ?= build/asan
FUZZ_DIR    ?= build/fuzz
PYTHON      ?= /usr/bin/python3
STATE_DIR   ?= state/demo
CMAKE_COMMON = -G Ninja -DCMAKE_CXX_COMPILER_LAUNCHER=ccache

.PHONY: all deps bench-deps build build-asan build-fuzz demo test unit-test system-test fuzz-smoke clean format

all: build

deps:
	@./scripts/install-deps.sh

# The peers and load generators the benchmarks under bench/ compare us with.
bench-deps:
	@./scripts/install-deps.sh bench/deps.list

$(RELEASE_DIR)/build.ninja:
	cmake -S . -B $(RELEASE_DIR) $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=RelWithDebInfo

$(ASAN_DIR)/build.ninja:
	cmake -S . -B $(ASAN_DIR) $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=Debug -DUDN_SANITIZE=ON

$(FUZZ_DIR)/build.ninja:
	cmake -S . -B $(FUZZ_DIR) $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	    -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang -DUDN_FUZZ=ON

build: deps $(RELEASE_DIR)/build.ninja
	cmake --build $(RELEASE_DIR) -j $(JOBS)

build-asan: deps $(ASAN_DIR)/build.ninja
	cmake --build $(ASAN_DIR) -j $(JOBS)

build-fuzz: deps $(FUZZ_DIR)/build.ninja
	cmake --build $(FUZZ_DIR) -j $(JOBS) --target fuzz_all

# Starts the demo network (examples/demo.toml) in the foreground; Ctrl-C stops every process.
demo: build
	$(RELEASE_DIR)/udn up --state-dir $(STATE_DIR)

# Unit tests and system tests, all against the ASan+UBSan build; fuzz targets run briefly.
test: build-asan build-fuzz
	$(MAKE) --no-print-directory unit-test fuzz-smoke system-test

unit-test:
	ctest --test-dir $(ASAN_DIR) --output-on-failure -j $(JOBS)

fuzz-smoke:
	./fuzz/run-smoke.sh $(FUZZ_DIR)

system-test:
	UDN_BIN=$(CURDIR)/$(ASAN_DIR)/udn $(PYTHON) -m pytest -q -p no:cacheprovider tests/system

clean:
	rm -rf build

format:
	find src tests fuzz bench -name '*.cpp' -o -name '*.hpp' | xargs clang-format -i
