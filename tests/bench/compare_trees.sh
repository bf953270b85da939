#!/usr/bin/env bash
# Two trees' benchmarks side by side, interleaved (old, new, old, new, ...) so that both see the
# same machine; prints each benchmark's median per tree and the change. Each tree must be built
# in its build/ (RelWithDebInfo). docs/performance.md shows a run.
#
#   tests/bench/compare_trees.sh OLD_TREE NEW_TREE [ROUNDS]   (default 5 rounds)
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: compare_trees.sh OLD_TREE NEW_TREE [ROUNDS]" >&2; exit 2; }
old=$(cd "$1" && pwd) new=$(cd "$2" && pwd) rounds=${3:-5}
for t in "$old" "$new"; do
  [ -x "$t/build/podscale" ] && [ -x "$t/build/tests/bench/bench_solve" ] ||
    { echo "compare_trees.sh: $t: not built (cmake -S $t -B $t/build && cmake --build $t/build)" >&2; exit 2; }
done
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
secs() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo "($e - $s) / 1000000000" | bc -l; }
for i in $(seq "$rounds"); do
  echo "round $i of $rounds" >&2
  for w in old new; do
    if [ $w = old ]; then cd "$old"; else cd "$new"; fi
    ./build/tests/bench/bench_evq 20000000 1 2>&1 | sed -n 's/^median: \([0-9.]*\) M events.*/\1/p' >>"$out/evq.$w"
    ./build/tests/bench/bench_pipeline 5000000 1 2>&1 | sed -n 's/^median: \([0-9.]*\) M requests.*/\1/p' >>"$out/pipeline.$w"
    ./build/tests/bench/bench_llm 40 1 2>&1 | sed -n 's/^median: \([0-9]*\) simulated.*/\1/p' >>"$out/llm.$w"
    secs ./build/podscale run scenarios/aibrix-v100.json -q -o "$out/run-$w" >>"$out/run_v100_s.$w"
    secs ./build/podscale run scenarios/azure-conv.json -q -o "$out/run2-$w" >>"$out/run_azure_s.$w"
    secs ./build/podscale benchmark --simulated --gpu V100-32GB --model deepseek-llm-7b-chat \
      -o "$out/bench-$w.jsonl" >>"$out/benchmark_s.$w"
    ./build/tests/bench/bench_solve -n 41 2>&1 | awk '$2 == "median" {print $1, $3}' >>"$out/solve.$w"
    rm -rf "$out/run-$w" "$out/run2-$w" "$out/bench-$w.jsonl"
  done
done
# The change is the median over rounds of new / old within a round: the machine's speed can drift
# between rounds (a virtual machine's neighbours), and a round's two runs see the same.
median() { sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
change() { paste "$1" "$2" | awk '$1 > 0 {print ($2 / $1 - 1) * 100}' | median; }
row() { printf '%-28s %14.6g %14.6g %+8.2f %%\n' "$1" "$(median <"$2")" "$(median <"$3")" "$(change "$2" "$3")"; }
printf '%-28s %14s %14s %9s\n' benchmark "old median" "new median" change
for k in evq pipeline llm run_v100_s run_azure_s benchmark_s; do
  row "$k" "$out/$k.old" "$out/$k.new"
done
for s in $(awk '{print $1}' "$out/solve.new" | sort -u); do
  awk -v s="$s" '$1 == s {print $2}' "$out/solve.old" >"$out/s.old"
  awk -v s="$s" '$1 == s {print $2}' "$out/solve.new" >"$out/s.new"
  [ -s "$out/s.old" ] && row "solve_ms $s" "$out/s.old" "$out/s.new"
done
