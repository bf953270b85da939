#!/usr/bin/env bash
# Run every libFuzzer target of BUILD_DIR for SECONDS each, one after the other, each on a
# scratch copy of its seed corpus (tests/fuzz/NAME-corpus for fuzz_NAME), so the repository's
# corpus stays as it is. An input slower than FUZZ_TIMEOUT seconds (default 10) is a failure,
# as are a crash, a sanitizer report, a leak and more than 2048 MB of memory. Prints one line of
# figures per target; exits 1 if any target failed, with its log and reproducer kept in the
# work directory it names.
#
#   tests/fuzz/run_all.sh BUILD_DIR SECONDS [TARGET ...]
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 BUILD_DIR SECONDS [TARGET ...]" >&2; exit 2; }
build=$(cd "$1" && pwd) seconds=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
timeout=${FUZZ_TIMEOUT:-10}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for c in "$here"/*-corpus; do targets+=("fuzz_$(basename "$c" -corpus)"); done
fi
work=$(mktemp -d /tmp/podscale-fuzz-run.XXXXXX)
failed=()
printf '%-22s %10s %8s %6s %7s %12s %s\n' target runs exec/s cov ft corpus result
for t in "${targets[@]}"; do
  name=${t#fuzz_}
  bin="$build/tests/fuzz/$t"
  [ -x "$bin" ] || { echo "$t: no $bin (build with -DPODSCALE_FUZZ=ON)" >&2; exit 2; }
  mkdir -p "$work/$name"
  cp "$here/$name-corpus"/* "$work/$name/"
  log="$work/$name.log"
  result=ok
  if ! (cd "$work" && "$bin" -max_total_time="$seconds" -timeout="$timeout" -rss_limit_mb=2048 \
          -print_final_stats=1 -artifact_prefix="$work/$name-" "$work/$name" >"$log" 2>&1); then
    result="FAILED (log $log)"
    failed+=("$t")
  fi
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  cov=$(printf '%s\n' "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
  ft=$(printf '%s\n' "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
  corp=$(printf '%s\n' "$last" | sed -n 's/.* corp: \([^ ]*\).*/\1/p')
  printf '%-22s %10s %8s %6s %7s %12s %s\n' "$t" "${runs:--}" "${rate:--}" "${cov:--}" \
    "${ft:--}" "${corp:--}" "$result"
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "failed: ${failed[*]}; logs and reproducers in $work" >&2
  for t in "${failed[@]}"; do
    echo "== ${t}" >&2
    grep -E 'ERROR|SUMMARY|Test unit written|timeout|leak|out-of-memory' "$work/${t#fuzz_}.log" \
      | head -20 >&2 || true
  done
  exit 1
fi
rm -rf "$work"
