#!/usr/bin/env bash
# Every scenario shipped in scenarios/ must run: each one is run with --quiet into a temporary
# directory and must exit 0 and write its five output files.
set -euo pipefail
bin=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
for s in "$src"/scenarios/*.json; do
  name=$(basename "$s" .json)
  "$bin" run "$s" -o "$tmp/$name" --quiet
  for f in requests.csv timeseries.csv decisions.csv summary.csv run.json; do
    [ -s "$tmp/$name/$f" ] || { echo "$s: no $f written" >&2; exit 1; }
  done
  echo "ok: $s"
  n=$((n + 1))
done
[ "$n" -gt 0 ] || { echo "no scenarios found" >&2; exit 1; }
