#!/usr/bin/env bash
# Runs every fuzz target for a set time, one after the other (`make fuzz`).
#
#   tests/fuzz/run.sh BUILD_DIR SECONDS [TARGET...]
#
# Each target starts from what earlier runs found (BUILD_DIR/fuzz-corpus/),
# its seed corpus and its regressions, with its dictionary, and stops at
# the first crash, leak or timeout, leaving the input in
# BUILD_DIR/fuzz-artifacts-TARGET-*.  The log of each run is kept in
# BUILD_DIR/fuzz-TARGET.log, and one line of figures per target is printed:
# executions, executions per second, coverage (libFuzzer's cov:, edges
# reached), features (ft:) and corpus size.  Exits non-zero if one failed.
set -uo pipefail

build=${1:?usage: run.sh BUILD_DIR SECONDS [TARGET...]}
seconds=${2:?usage: run.sh BUILD_DIR SECONDS [TARGET...]}
shift 2
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$build" && pwd)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(dispatch conn meetup_script http)

status=0
for t in "${targets[@]}"; do
  corpus=$build/fuzz-corpus/$t
  log=$build/fuzz-$t.log
  mkdir -p "$corpus"
  dirs=("$corpus" "$here/corpus/$t")
  [ -d "$here/regressions/$t" ] && dirs+=("$here/regressions/$t")
  echo "fuzz: $t for ${seconds}s (log: $log)"
  "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 \
    -dict="$here/dict/$t.dict" \
    -artifact_prefix="$build/fuzz-artifacts-$t-" \
    "${dirs[@]}" >"$log" 2>&1
  rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  last=$(grep -E '^#[0-9]+' "$log" | grep ' cov: ' | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  files=$(find "$corpus" -type f | wc -l)
  printf '  %-14s runs %s  exec/s %s  cov %s  ft %s  corpus %s files\n' \
    "$t" "${runs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$files"
  if [ $rc -ne 0 ]; then
    echo "fuzz: $t FAILED (exit $rc); see $log" >&2
    grep -E '^(==[0-9]+==ERROR|SUMMARY|artifact_prefix|.*Test unit written)' \
      "$log" | head -5 >&2
    status=1
  fi
done
exit $status
