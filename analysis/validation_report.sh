#!/usr/bin/env bash
# Regenerate the measured sections of docs/validation.md (and its figure) from this build:
#   analysis/validation_report.sh [BUILD_DIR]      (default: build)
# Each section lies between "<!-- generated:NAME -->" and "<!-- end:NAME -->" in the document;
# the prose around them is kept. Sections: mmc (M/M/c against Erlang C), calibration (the fit to
# AIBrix's A100 benchmark), vectors (the upstream test vectors), aibrix (AIBrix's autoscaler
# experiment: a sweep of the metric targets 50/70/80 at half and full rate, 5 seeds) and the
# figure docs/figures/aibrix-v100-70.png (podscale plot of one run). Takes a few minutes.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
podscale=$build/podscale
doc=$src/docs/validation.md
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ -x "$podscale" ] || { echo "validation_report: $podscale not found; build first" >&2; exit 2; }

# Replace the body of section $1 of the document with the contents of file $2.
put() {
  local name=$1 body=$2
  grep -q "<!-- generated:$name -->" "$doc" || { echo "validation_report: $doc has no section $name" >&2; exit 1; }
  awk -v name="$name" -v body="$body" '
    $0 == "<!-- generated:" name " -->" { print; while ((getline line < body) > 0) print line; skip = 1; next }
    $0 == "<!-- end:" name " -->" { skip = 0 }
    !skip { print }' "$doc" >"$work/doc" && cp "$work/doc" "$doc"
}

stamp="$(date -u +%Y-%m-%d), podscale $("$podscale" version | head -1 | cut -d' ' -f2)"

echo "validation_report: M/M/c" >&2
"$build/tests/test_slotpod" | awk -v stamp="$stamp" '
  BEGIN { print "Measured " stamp " (`" "./build/tests/test_slotpod" "`, seed 2026):"; print "";
          print "| system | ρ | customers | simulated Wq (s) | Erlang C Wq (s) | error |"; print "|---|---|---|---|---|---|" }
  /^M\/M\/[0-9]+ rho/ {
    sys = $1; rho = $3; sim = $6; erl = $10; err = $13; n = $14; gsub(/[(]/, "", n)
    sub(/:$/, "", rho); sub(/^-/, "−", err)
    printf "| %s | %s | %s | %s | %s | %s |\n", sys, rho, n, sim, erl, err }' >"$work/mmc"
put mmc "$work/mmc"

echo "validation_report: calibration" >&2
bench=$src/tests/data/aibrix-profiles/simulator-llama2-7b-a100.jsonl
{
  echo "Measured $stamp:"
  echo
  echo "| engine | eff_compute | eff_memory | overhead_s | overhead_seq_s | TPUT median error (start → fitted) | E2E mean median error (start → fitted) |"
  echo "|---|---|---|---|---|---|---|"
  for engine in "prefill first (vLLM 0.6 default)|" "chunked prefill (\`--enable-chunked-prefill\`)|--enable-chunked-prefill"; do
    label=${engine%%|*} flag=${engine#*|}
    # shellcheck disable=SC2086
    "$podscale" calibrate --gpu A100-80GB --model llama-2-7b $flag "$bench" | awk -v label="$label" '
      $1 == "eff_compute" { ec = $3 } $1 == "eff_memory" { em = $3 } $1 == "overhead_s" { o = $3 }
      $1 == "overhead_seq_s" { os = $3 } $1 == "TPUT" { t0 = $4; t1 = $5 } $1 == "E2E" { e0 = $5; e1 = $6 }
      END { printf "| %s | %s | %s | %s | %s | %s → **%s** | %s → **%s** |\n", label, ec, em, o, os, t0, t1, e0, e1 }'
  done
} >"$work/calibration"
put calibration "$work/calibration"

echo "validation_report: test vectors" >&2
{
  echo "Measured $stamp (\`ctest -R '<test>' -V\`, each a table-driven cmocka test):"
  echo
  echo "| test | what it checks | cases | result |"
  echo "|---|---|---|---|"
  for t in "test_opt_profile|aibrix_gen_profile's rules, §6.2 vectors, the shipped A100 profile byte for byte" \
           "test_opt_ilp|the Mélange ILP, §6.3 V-S1/V-S2 and §6.5 A–D, the node limit" \
           "test_opt_monitor|gateway keys (§6.6), centre → bucket (§6.4), DBSCAN, the §6.7 rounds" \
           "test_kpa|AIBrix legacy KPA: TestKpaScale, TestKpaScale2, TestKpaUpdateContext" \
           "test_apa|AIBrix legacy APA: TestApaScale2, TestApaUpdateContext" \
           "test_pa5|AIBrix v0.5+: time windows, KPA/APA tables, TestComputeDesiredReplicas" \
           "test_hpa|Kubernetes HPA replica calculator and behavior" \
           "test_knative|Knative KPA windows, panic mode, rate limits"; do
    name=${t%%|*} what=${t#*|}
    out=$("$build/tests/$name" 2>&1 || true)
    cases=$(printf '%s\n' "$out" | sed -n 's/^\[==========\] \([0-9]*\) test(s) run.*/\1/p')
    if printf '%s\n' "$out" | grep -q '^\[  PASSED  \] '"$cases"' test(s)'; then res="all pass"; else res="**FAILED**"; fi
    echo "| \`$name\` | $what | $cases | $res |"
  done
} >"$work/vectors"
put vectors "$work/vectors"

echo "validation_report: AIBrix's V100 runs replayed (set0)" >&2
"$podscale" run "$src/scenarios/aibrix-v100-set0.json" -q -o "$work/set0"
"$podscale" compare "$work/set0" --measured "$src/scenarios/data/aibrix-v100-runs/set0" >"$work/set0.txt"
awk -v stamp="$stamp" '
  function cell(m, t,   e, ok) {
    e = err[pol, m]; v = e; sub(/%/, "", v); ok = (v < 0 ? -v : v) <= t
    return sprintf("%s → %s (%s%s)", meas[pol, m], sim[pol, m], e, ok ? ", met" : ", **missed**")
  }
  /^policies by/ { order = 1 }
  order && /measured:|simulated:|orders/ { lines[++nl] = $0; next }
  $1 ~ /^(hpa|kpa|apa|optimizer-kpa)$/ { pol = $1; pols[++np] = pol; $1 = "" ; $0 = $0 }
  pol != "" && NF == 5 { meas[pol, $1] = $3; sim[pol, $1] = $4; err[pol, $1] = $5 }
  pol != "" && NF == 4 { meas[pol, $1] = $3; sim[pol, $1] = ""; err[pol, $1] = $4 }
  END {
    print "Measured " stamp ": `podscale run scenarios/aibrix-v100-set0.json -o out/set0` and"
    print "`podscale compare out/set0 --measured scenarios/data/aibrix-v100-runs/set0`; each cell is"
    print "measured → simulated (sim/meas − 1) against the acceptance target in the header:"
    print ""
    print "| policy | E2E mean (25%) | E2E P99 (10%) | pod-hours (20%) | failed requests (35%) |"
    print "|---|---|---|---|---|"
    for (i = 1; i <= np; i++) {
      pol = pols[i]
      printf "| %s | %s | %s | %s | %s |\n", pol, cell("e2e_mean", 25), cell("e2e_p99", 10),
        cell("pod_hours", 20), cell("failed", 35)
    }
    print ""
    print "```"
    for (i = 1; i <= nl; i++) print lines[i]
    print "```"
  }' "$work/set0.txt" >"$work/set0"
put set0 "$work/set0"
if command -v gnuplot >/dev/null 2>&1; then
  "$podscale" plot "$work/set0" --measured "$src/scenarios/data/aibrix-v100-runs/set0" \
    -o "$work/aibrix-v100-set0.png" --title "AIBrix's V100 runs (set0): simulated, and measured (wide, pale)"
  cp "$work/aibrix-v100-set0.png" "$src/docs/figures/aibrix-v100-set0.png"
fi

echo "validation_report: AIBrix's autoscaler experiment (sweep)" >&2
targets='policies[0].spec.metricsSources[0].targetValue,policies[1].spec.metricsSources[0].targetValue,policies[2].spec.metricsSources[0].targetValue=["50","0.5","0.5"],["70","0.7","0.7"],["80","0.8","0.8"]'
"$podscale" sweep "$src/scenarios/aibrix-v100.json" --set "$targets" --set 'workload.rate_scale=0.5,1' \
  --seeds 5 -q -o "$work/sweep"
awk -F, -v stamp="$stamp" '
  NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
  {
    # the linked setting is one quoted field holding commas: rebuild the row from its end
    n = NF; policy = $(n - 17); rate = $(n - 18)
    target = ($0 ~ /"50"/) ? 50 : ($0 ~ /"70"/) ? 70 : 80
    key = rate "|" target
    if (!(key in seen)) { seen[key] = 1; order[++nk] = key }
    row[key] = row[key] sprintf("| %s | %.3f ± %.3f | %.2f ± %.2f | %.1f ± %.1f | %.1f | %.1f | %.2f |\n", policy,
      $(n - 15), $(n - 14), $(n - 11), $(n - 10), $(n - 9), $(n - 8), $(n - 5), $(n - 1), $(n - 3))
  }
  END {
    print "Measured " stamp ": `podscale sweep scenarios/aibrix-v100.json` over the targets of the three"
    print "metric autoscalers (50, 70, 80 % KV-cache usage, linked) and the workload at half rate (the scenario) and at"
    print "the full rate of the trace, 5 seeds each (mean ± 95% confidence half-width over the seeds):"
    for (k = 1; k <= nk; k++) {
      split(order[k], p, "|")
      print ""
      printf "**%s rate, metric target %s %%**\n\n", p[1] == "0.5" ? "Half" : "Full", p[2]
      print "| policy | cost ($) | E2E mean (s) | E2E P99 (s) | failed | peak pods | SLO attainment |"
      print "|---|---|---|---|---|---|---|"
      printf "%s", row[order[k]]
    }
  }' "$work/sweep/sweep.csv" >"$work/aibrix"
put aibrix "$work/aibrix"

echo "validation_report: figure" >&2
mkdir -p "$src/docs/figures"
if command -v gnuplot >/dev/null 2>&1; then
  # point 3 = target 70 (second value) x full rate (second value); its first seed is run 15
  "$podscale" plot "$work/sweep/runs/r15" -o "$work/aibrix-v100-70.png" \
    --title "scenarios/aibrix-v100.json at full rate, metric targets 70 %, seed 42"
  cp "$work/aibrix-v100-70.png" "$src/docs/figures/aibrix-v100-70.png"
else
  echo "validation_report: gnuplot is not installed; the figure was not redrawn" >&2
fi
echo "validation_report: $doc updated" >&2
