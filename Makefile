# The two commands of Ruche: `make run` and `make test`.  Both install what
# is missing first (scripts/setup.sh), then build with CMake.

JOBS ?= $(shell nproc 2>/dev/null || echo 2)
DEBUG_DIR := build/debug
RELEASE_DIR := build/release
RUN_ARGS ?=

.PHONY: run test build debug release deps-run deps-test clean bench bench-quick

run: deps-run release
	./$(RELEASE_DIR)/ruche serve $(RUN_ARGS)

test: deps-test debug
	cd $(DEBUG_DIR) && ctest --output-on-failure

build: debug

debug:
	@cmake -S . -B $(DEBUG_DIR) -DCMAKE_BUILD_TYPE=Debug >/dev/null
	@cmake --build $(DEBUG_DIR) -j $(JOBS)

release:
	@cmake -S . -B $(RELEASE_DIR) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(RELEASE_DIR) -j $(JOBS)

# The benchmark (bench/README.md): Ruche against a Node.js peer on this
# machine, report in build/bench/.  BENCH_ARGS passes options to
# bench/run.mjs, e.g. BENCH_ARGS='--runs 5'.
BENCH_ARGS ?=

bench-quick: deps-test release
	node bench/run.mjs quick $(BENCH_ARGS)

bench: deps-test release
	node bench/run.mjs full $(BENCH_ARGS)

deps-run:
	@scripts/setup.sh run

deps-test:
	@scripts/setup.sh test

clean:
	rm -rf build
