# The two commands of Ruche: `make run` and `make test`.  Both install what
# is missing first (scripts/setup.sh), then build with CMake.

JOBS ?= $(shell nproc 2>/dev/null || echo 2)
DEBUG_DIR := build/debug
RELEASE_DIR := build/release
RUN_ARGS ?=

.PHONY: run test build debug release deps-run deps-test deps-bench clean \
	bench bench-quick bench-cluster soak fuzz fuzz-build

run: deps-run release
	./$(RELEASE_DIR)/ruche serve $(RUN_ARGS)

# The Release build too: a warning that only -O2 sees must fail here,
# not in `make run`.
test: deps-test debug release fuzz-build
	cd $(DEBUG_DIR) && ctest --output-on-failure
	cd $(FUZZ_DIR) && ctest -L fuzz --output-on-failure

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

# The cluster workload (bench/cluster.mjs): 1, 2 and 3 nodes sharing a
# scratch PostgreSQL and a Redis bus, against one node alone.
bench-cluster: deps-bench release
	node bench/run.mjs quick --only cluster $(BENCH_ARGS)

# The soak run (docs/reliability.md): the Release server under a steady
# load (100 hives x 13 connections, 1 msg/s per member) for SOAK_MINUTES,
# RSS and GET /metrics sampled every 30 s; report in build/soak/.
# SOAK_ARGS passes options to scripts/soak.mjs, e.g. SOAK_ARGS='--rate 2'.
SOAK_MINUTES ?= 60
SOAK_ARGS ?=

soak: deps-bench release
	RUCHE_BUILD_DIR=$(RELEASE_DIR) node scripts/soak.mjs \
		--minutes $(SOAK_MINUTES) $(SOAK_ARGS)

# Fuzzing (tests/fuzz/README.md): libFuzzer targets built with clang in
# their own folder.  `make test` runs each for a short while from a fixed
# seed and replays every input that once crashed; `make fuzz` runs each for
# FUZZ_SECONDS, growing the corpus in build/fuzz/fuzz-corpus/.
FUZZ_DIR := build/fuzz
FUZZ_SECONDS ?= 300

fuzz-build:
	@CC=clang cmake -S . -B $(FUZZ_DIR) -DCMAKE_BUILD_TYPE=Debug \
		-DRUCHE_FUZZ=ON -DRUCHE_BENCH=OFF >/dev/null
	@cmake --build $(FUZZ_DIR) --target fuzz_targets -j $(JOBS)

fuzz: deps-test fuzz-build
	tests/fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SECONDS)

deps-run:
	@scripts/setup.sh run

deps-test:
	@scripts/setup.sh test

deps-bench:
	@scripts/setup.sh bench

clean:
	rm -rf build
