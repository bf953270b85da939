#!/bin/sh
# The optimizer's decisions side by side with AIBrix's solver (PuLP + CBC) in one run:
# bench_solve's sets (tests/bench/bench_solve.c) and the three solver cases of
# tests/data/solver-cases, each decision solved by podscale (times from its solve_ms) and then
# by AIBrix's ILP in PuLP + CBC (tests/bench/solve_vs_cbc.py); medians, worst cases, the ratio
# of the medians, and any decision whose cost differs. Needs python3-pulp and coinor-cbc
# (Debian). docs/performance.md shows a run.
#
#   tests/bench/solve_vs_cbc.sh [BUILD_DIR] [DECISIONS] [CBC_LIMIT]
#
# DECISIONS per set as bench_solve -n (default 101); CBC_LIMIT caps the decisions CBC solves
# per set (default 41: CBC takes up to seconds each on the dense sets).
set -eu
build=${1:-build}
n=${2:-101}
limit=${3:-41}
root=$(cd "$(dirname "$0")/../.." && pwd)
for f in "$build/tests/bench/bench_solve" "$build/podscale"; do
  [ -x "$f" ] || { echo "solve_vs_cbc.sh: $f: not built" >&2; exit 2; }
done
/usr/bin/python3 -c 'import pulp' 2>/dev/null || {
  echo "solve_vs_cbc.sh: needs python3-pulp and coinor-cbc (apt-get install python3-pulp coinor-cbc)" >&2
  exit 2
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "podscale (bench_solve -n $n):"
"$build/tests/bench/bench_solve" -n "$n" --dump "$tmp/dump.jsonl"
set --
for dir in "$root"/tests/data/solver-cases/*/; do
  name=$(basename "$dir")
  for k in $(seq 21); do
    args=""
    for p in "$dir"p*.json; do args="$args --profile $p"; done
    # shellcheck disable=SC2086
    "$build/podscale" solve $args --rates "$dir/rates.csv" 2>/dev/null | head -n 1 >> "$tmp/$name.jsonl"
  done
  set -- "$@" --case "$name" "$dir" "$tmp/$name.jsonl"
done
echo
echo "side by side (CBC on at most $limit decisions per set):"
/usr/bin/python3 "$root/tests/bench/solve_vs_cbc.py" "$tmp/dump.jsonl" --limit "$limit" "$@"
