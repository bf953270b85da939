#!/usr/bin/env bash
# Every scenario shipped in scenarios/ must run, and give the outputs it gave before.
#
#   tests/run_scenarios.sh PODSCALE SOURCE_DIR [--write]
#
# Each scenario is run with --quiet into a temporary directory and must exit 0 and write its
# five output files. The scale scenarios (a day of millions of requests; docs/performance.md
# measures them whole) run on a fiftieth of their time line at a fiftieth of their rate, through
# podscale sweep's --set, so that the suite stays quick.
#
# Then every file written is digested (SHA-256, with the lines that carry a wall-clock time,
# "wall_time_s", left out: the only thing in the outputs that is not a function of the scenario
# and seed) and the list is compared with tests/data/scenario-outputs.sha256. A difference means
# the simulator's behaviour changed: if that was meant, run with --write and say why in the
# commit; a refactoring must leave the list as it is. The digests hold for x86-64 with Debian's
# libm (the machine CI runs on).
set -euo pipefail
bin=$1
src=$2
write=${3:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
cd "$src"
for s in scenarios/*.json; do
  name=$(basename "$s" .json)
  out=$tmp/out/$name
  case $name in
  diurnal-24h)
    "$bin" sweep "$s" --set workload.time_scale=0.02 --set workload.rate_scale=0.02 --jobs 1 -q \
      -o "$out"
    run=$out/runs/r0 ;;
  *) "$bin" run "$s" -o "$out" --quiet
    run=$out ;;
  esac
  for f in requests.csv timeseries.csv decisions.csv summary.csv run.json; do
    [ -s "$run/$f" ] || { echo "$s: no $f written" >&2; exit 1; }
  done
  echo "ok: $s"
  n=$((n + 1))
done
[ "$n" -gt 0 ] || { echo "no scenarios found" >&2; exit 1; }

digests=$tmp/digests
(cd "$tmp/out" && find . -type f | LC_ALL=C sort | while read -r f; do
  printf '%s  %s\n' "$(grep -v '"wall_time_s"' "$f" | sha256sum | cut -d' ' -f1)" "${f#./}"
done) > "$digests"
golden=tests/data/scenario-outputs.sha256
if [ "$write" = --write ]; then
  cp "$digests" "$golden"
  echo "wrote $golden ($(wc -l < "$golden") files)"
elif ! diff -u "$golden" "$digests"; then
  echo "outputs differ from $golden (see above): the simulator's behaviour changed" >&2
  exit 1
else
  echo "outputs identical to $golden ($(wc -l < "$golden") files)"
fi
