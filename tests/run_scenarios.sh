#!/usr/bin/env bash
# Every scenario shipped in scenarios/ must run: each one is run with --quiet into a temporary
# directory and must exit 0 and write its five output files. The scale scenarios (a day of
# millions of requests; docs/performance.md measures them whole) run on a fiftieth of their
# time line at a fiftieth of their rate, through podscale sweep's --set, so that the suite stays
# quick.
set -euo pipefail
bin=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
for s in "$src"/scenarios/*.json; do
  name=$(basename "$s" .json)
  out=$tmp/$name
  case $name in
  diurnal-24h)
    "$bin" sweep "$s" --set workload.time_scale=0.02 --set workload.rate_scale=0.02 --jobs 1 -q \
      -o "$out"
    out=$out/runs/r0 ;;
  *) "$bin" run "$s" -o "$out" --quiet ;;
  esac
  for f in requests.csv timeseries.csv decisions.csv summary.csv run.json; do
    [ -s "$out/$f" ] || { echo "$s: no $f written" >&2; exit 1; }
  done
  echo "ok: $s"
  n=$((n + 1))
done
[ "$n" -gt 0 ] || { echo "no scenarios found" >&2; exit 1; }
