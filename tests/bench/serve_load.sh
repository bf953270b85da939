#!/usr/bin/env bash
# Load on `podscale serve`: bench_http against GET /metrics/{ns}/{deployment} on loopback while
# the optimizer loop runs every second (standalone, a gateway trace POSTed every second, so each
# round solves the ILP). Usage: tests/bench/serve_load.sh BUILD_DIR [bench_http options]
# Prints bench_http's figures and the service's rounds; docs/performance.md reports them.
set -euo pipefail
build=${1:?usage: serve_load.sh BUILD_DIR [bench_http options]}
shift
src=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'kill "$poster" 2>/dev/null || true; kill -TERM "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$work/config.json" <<JSON
{"models": [{"name": "m", "deployments": [{"name": "d", "replicas": 1,
  "profile_file": "$src/tests/data/profiles/flat-2rps.json"}]}]}
JSON
"$build/podscale" serve --config "$work/config.json" --port "$port" --bind 127.0.0.1 \
  --interval 1 --log-level warning 2>"$work/serve.log" &
server=$!
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
  sleep 0.05
done
record='{"66:56": 30, "70:60": 12, "meta_v": 4, "meta_interval_sec": 1, "meta_precision": 10, "meta_total_reqs": 42}'
(while true; do
  curl -s -X POST "http://127.0.0.1:$port/trace/m" -d "$record" >/dev/null
  sleep 1
done) &
poster=$!
sleep 2
"$build/tests/bench/bench_http" "http://127.0.0.1:$port/metrics/default/d" "$@"
curl -s "http://127.0.0.1:$port/metrics" |
  grep -E '^podscale_optimizer_rounds_total.*optimize|^podscale_optimizer_solve_duration_seconds_count'
