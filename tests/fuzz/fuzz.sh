#!/bin/sh
# Runs the libFuzzer targets (make fuzz) or replays their corpora (make
# fuzz-replay). Any crash, leak, timeout or sanitizer report fails.
# usage: fuzz.sh run SECONDS BUILD TARGET...
#        fuzz.sh replay BUILD TARGET...
set -eu
mode=$1; shift
if [ "$mode" = run ]; then seconds=$1; shift; fi
build=$1; shift
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-}:print_stacktrace=1:halt_on_error=1"
status=0
for target in "$@"; do
  bin=$build/fuzz/fuzz_$target
  log=$build/fuzz/fuzz_$target.log
  if [ "$mode" = replay ]; then
    # Every committed input, run once each, whole (no length limit): the
    # seeds, the regression inputs of crashes found so far, and for the
    # loader the golden model files.
    set --
    for f in tests/fuzz/corpus/$target/* tests/fuzz/regressions/$target/*; do
      [ -f "$f" ] && set -- "$@" "$f"
    done
    if [ "$target" = load ]; then
      for f in tests/golden/*.cna; do set -- "$@" "$f"; done
    fi
    # Twice: on the dispatched kernels and on the scalar reference path.
    # -timeout=10 as in the runs: a committed input that became slow fails.
    if "$bin" -timeout=10 "$@" > "$log" 2>&1 &&
        CNNARCH_ISA=scalar "$bin" -timeout=10 "$@" >> "$log" 2>&1; then
      echo "fuzz-replay: fuzz_$target ran $# committed inputs clean (dispatched and scalar kernels)"
    else
      echo "fuzz-replay: fuzz_$target FAILED (log: $log):"; tail -n 40 "$log"; status=1
    fi
    continue
  fi
  work=$build/corpus/$target
  mkdir -p "$work" "$build/artifacts"
  set -- "$work"
  for d in tests/fuzz/corpus/$target tests/fuzz/regressions/$target; do
    [ -d "$d" ] && set -- "$@" "$d"
  done
  # New inputs go to $work (not committed); the committed seeds and
  # regressions are read too. -max_len keeps inputs small enough to run
  # thousands per second; -timeout and -rss_limit_mb turn hangs and memory
  # blow-ups into failures.
  # The dispatch table is chosen once per process: the run uses the best
  # kernels, then the scalar path replays everything the run kept.
  if "$bin" -max_total_time="$seconds" -max_len=20000 -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$build/artifacts/${target}-" "$@" > "$log" 2>&1 &&
      CNNARCH_ISA=scalar "$bin" -runs=0 -max_len=20000 -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$build/artifacts/${target}-scalar-" "$@" >> "$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | head -n 1)
    size=$(ls "$work" | wc -l)
    echo "fuzz: fuzz_$target: $runs executions in $seconds s, $size corpus inputs in $work (replayed on the scalar path too), no crash"
  else
    echo "fuzz: fuzz_$target FAILED (log: $log):"
    grep -E "ERROR|SUMMARY|runtime error|fuzz:|Test unit written" "$log" | head -n 20
    echo "  minimize with: $bin -minimize_crash=1 -runs=10000 ARTIFACT, then commit the"
    echo "  minimized input under tests/fuzz/regressions/$target/ with the fix"
    status=1
  fi
done
exit $status
