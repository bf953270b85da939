#!/usr/bin/env bash
# AIBrix's own PodAutoscaler manifests, read unchanged from YAML, give the run their inline
# copies give: scenarios/aibrix-v100-set0-manifests.json names the four files of
# scenarios/data/aibrix-v100-runs/podautoscalers/ where aibrix-v100-set0.json writes the same
# four PodAutoscalers in JSON. Every output file must be the same byte for byte, but run.json's
# lines that name the scenario or carry the wall-clock time. Then a broken manifest: exit status
# 2, a message with the file, line and path, and no output directory.
#
#   tests/manifests_run.sh PODSCALE SOURCE_DIR
set -euo pipefail
bin=$1
cd "$2"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" run scenarios/aibrix-v100-set0.json -o "$tmp/inline" --quiet
"$bin" run scenarios/aibrix-v100-set0-manifests.json -o "$tmp/manifests" --quiet
diff -r -x run.json "$tmp/inline" "$tmp/manifests"
strip() { grep -v -E '"(scenario|scenario_name|scenario_digest|wall_time_s)":' "$1"; }
diff <(strip "$tmp/inline/run.json") <(strip "$tmp/manifests/run.json")
echo "identical: $(cd "$tmp/inline" && find . -type f | wc -l) files"

data=$PWD/scenarios/data
sed "s|\"data/|\"$data/|g; s|$data/aibrix-v100-runs/podautoscalers/kpa.yaml|kpa.yaml|" \
  scenarios/aibrix-v100-set0-manifests.json > "$tmp/s.json"
sed "s|targetValue: '0.5'|targetValue: half|" "$data/aibrix-v100-runs/podautoscalers/kpa.yaml" \
  > "$tmp/kpa.yaml"
status=0
"$bin" run "$tmp/s.json" -o "$tmp/out" --quiet 2> "$tmp/err" || status=$?
want="podscale: $tmp/kpa.yaml:21: spec.metricsSources[0].targetValue: expected a number or a string holding one, found the string \"half\""
[ "$status" = 2 ] || { echo "a broken manifest: exit status $status, not 2" >&2; exit 1; }
[ "$(cat "$tmp/err")" = "$want" ] || { echo "a broken manifest said: $(cat "$tmp/err")" >&2; exit 1; }
[ ! -e "$tmp/out" ] || { echo "a broken manifest left $tmp/out" >&2; exit 1; }
echo "a broken manifest: exit status 2, nothing written"
