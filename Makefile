# The two commands of Ruche: `make run` and `make test`.  Both install what
# is missing first (scripts/setup.sh), then build with CMake.

JOBS ?= $(shell nproc 2>/dev/null || echo 2)
DEBUG_DIR := build/debug
RELEASE_DIR := build/release
RUN_ARGS ?=

.PHONY: run test build debug release deps-run deps-test deps-bench clean \
	bench bench-quick

run: deps-run release
	./$(RELEASE_DIR)/ruche serve $(RUN_ARGS)

# The Release build too: a warning that only -O2 sees must fail here,
# not in `make run`.
test: deps-test debug release
	cd $(DEBUG_DIR) && ctest --output-on-failure

build: debug

debug:
	@cmake -S . -B $(DEBUG_DIR) -DCMAKE_BUILD_TYPE=Debug >/dev/null
	@cmake --build $(DEBUG_DIR) -j $(JOBS)

release:
	@cmake -S . -B $(RELEASE_DIR) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(RELEASE_DIR) -j $(JOBS)

# The benchmark (bench/README.md, docs/performance.md): Ruche against
# InspIRCd and a Node.js peer on this machine, report and chart in
# build/bench/.  BENCH_ARGS passes options to bench/run.mjs, e.g.
# BENCH_ARGS='--runs 5'.
BENCH_ARGS ?=

bench-quick: deps-bench release
	node bench/run.mjs quick $(BENCH_ARGS)

bench: deps-bench release
	node bench/run.mjs full $(BENCH_ARGS)

deps-run:
	@scripts/setup.sh run

deps-test:
	@scripts/setup.sh test

deps-bench:
	@scripts/setup.sh bench

clean:
	rm -rf build
