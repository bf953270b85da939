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
  for t in "test_opt_profile|aibrix_gen_profile's rules and vectors, the shipped A100 profile byte for byte" \
           "test_opt_ilp|the Mélange ILP, AIBrix's solver and optimizer vectors, the budgets" \
           "test_opt_monitor|gateway keys, centre → bucket, DBSCAN, AIBrix's monitor rounds" \
           "test_opt_oracle|the ILP against an exhaustive solver in exact fractions, 4,540 instances" \
           "test_kpa|AIBrix legacy KPA: TestKpaScale, TestKpaScale2, TestKpaUpdateContext" \
           "test_apa|AIBrix legacy APA: TestApaScale2, TestApaUpdateContext" \
           "test_aibrix5|AIBrix v0.5+: time windows, KPA/APA tables, TestComputeDesiredReplicas" \
           "test_hpa|Kubernetes HPA replica calculator and behavior" \
           "test_gosem|Go's ParseFloat, ParseInt, ParseBool, ParseDuration: upstream's own tables" \
           "test_base|Python's float repr against CPython (7,611 doubles), FNV-1a vectors, Prometheus numbers" \
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
"$podscale" run "$src/scenarios/aibrix-v100-set0.json" -q -o "$work/set0-run"
"$podscale" compare "$work/set0-run" --measured "$src/scenarios/data/aibrix-v100-runs/set0" >"$work/set0.txt"
"$podscale" sweep "$src/scenarios/aibrix-v100-set0.json" --seeds 10 -q -o "$work/set0-seeds"
awk -v stamp="$stamp" '
  function rel(s, m) { return m ? s / m - 1 : 0 }
  function cell(p, k, t,   m, s, c, e) {
    m = meas[p, k]; s = mean[p, k]; c = ci[p, k]; e = rel(s, m)
    return sprintf("%s → %s ± %s (%+.0f%%, %s)", fmt(m), fmt(s), fmt(c), 100 * e,
                   (e < 0 ? -e : e) <= t ? "met" : "**missed**")
  }
  function fmt(x) { return x >= 100 ? sprintf("%.0f", x) : x >= 10 ? sprintf("%.1f", x) : sprintf("%.2f", x) }
  function order(k, side,   i, j, t, n, list, s) {
    n = 0
    for (i = 1; i <= np; i++) list[++n] = pols[i]
    for (i = 2; i <= n; i++)
      for (j = i; j > 1 && (side == "m" ? meas[list[j], k] < meas[list[j - 1], k] : mean[list[j], k] < mean[list[j - 1], k]); j--) {
        t = list[j]; list[j] = list[j - 1]; list[j - 1] = t
      }
    s = ""
    for (i = 1; i <= n; i++) s = s (i > 1 ? " < " : "") list[i]
    return s
  }
  FNR == 1 { file++; if (file == 2) { FS = ","; $0 = $0 } }
  file == 1 && $1 ~ /^(hpa|kpa|apa|optimizer-kpa)$/ { pol = $1; $1 = ""; $0 = $0 }
  file == 1 && pol != "" && NF == 5 && $1 ~ /^(failed|e2e_mean|e2e_p99|pod_hours)$/ { meas[pol, $1] = $3 }
  file == 2 && FNR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
  file == 2 {
    p = $col["policy"]; pols[++np] = p
    mean[p, "e2e_mean"] = $col["e2e_mean_s_mean"]; ci[p, "e2e_mean"] = $col["e2e_mean_s_ci95"]
    mean[p, "e2e_p99"] = $col["e2e_p99_s_mean"]; ci[p, "e2e_p99"] = $col["e2e_p99_s_ci95"]
    mean[p, "pod_hours"] = $col["gpu_hours_mean"]; ci[p, "pod_hours"] = $col["gpu_hours_ci95"]
    mean[p, "failed"] = $col["failed_mean"]; ci[p, "failed"] = $col["failed_ci95"]
  }
  END {
    print "Measured " stamp ": `podscale sweep scenarios/aibrix-v100-set0.json --seeds 10` against"
    print "`scenarios/data/aibrix-v100-runs/set0` (read with `podscale compare RUN --measured`). Each cell:"
    print "measured → simulated mean over the 10 seeds ± its 95% confidence half-width (sim/meas − 1,"
    print "against the acceptance target in the header). Failed requests are timeouts and failures:"
    print ""
    print "| policy | E2E mean, s (25%) | E2E P99, s (10%) | pod-hours (20%) | failed requests (35%) |"
    print "|---|---|---|---|---|"
    for (i = 1; i <= np; i++) {
      p = pols[i]
      printf "| %s | %s | %s | %s | %s |\n", p, cell(p, "e2e_mean", 0.25), cell(p, "e2e_p99", 0.10),
        cell(p, "pod_hours", 0.20), cell(p, "failed", 0.35)
    }
    print ""
    print "Policies by E2E mean, lowest first: measured " order("e2e_mean", "m") "; simulated " order("e2e_mean", "s") "."
    print "By pod-hours: measured " order("pod_hours", "m") "; simulated " order("pod_hours", "s") "."
  }' "$work/set0.txt" "$work/set0-seeds/sweep.csv" >"$work/set0"
put set0 "$work/set0"
if command -v gnuplot >/dev/null 2>&1; then
  "$podscale" plot "$work/set0-run" --measured "$src/scenarios/data/aibrix-v100-runs/set0" \
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
    print "metric autoscalers (50, 70, 80 % KV-cache usage, linked) and the workload at half rate and at the full"
    print "rate of the trace (the scenario), 5 seeds each (mean ± 95% confidence half-width over the seeds):"
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
    --title "scenarios/aibrix-v100.json, metric targets 70 %"
  cp "$work/aibrix-v100-70.png" "$src/docs/figures/aibrix-v100-70.png"
else
  echo "validation_report: gnuplot is not installed; the figure was not redrawn" >&2
fi
echo "validation_report: $doc updated" >&2
