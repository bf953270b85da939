#!/usr/bin/env bash
# Soak of `podscale serve` against a private redis-server on loopback, for MINUTES (default 10):
# a gateway writing a trace record into Redis every second at a steady 42 req/s, the loop
# running every second (--interval 1, an ILP each round), GET /metrics/{ns}/{deployment} polled
# about 200 times a second (every answer kept with its time) plus a 5-s bench_http burst each
# minute, /readyz every 0.25 s; each minute Redis is killed (SIGKILL) and restarted empty on the
# same port SOAK_REDIS_DOWN_S (default 5) s later, with the profiles written again; each minute a
# profile update (alternately a newer "created", and an older one with GET /update_profile) that
# moves the decision to the other deployment; SIGHUP each minute if the service handles it.
# Usage: tests/bench/soak_serve.sh BUILD_DIR [MINUTES]
# Prints the figures (RSS, rounds, decisions, requests, wrong values, readiness, regress) and
# exits 1 when a check fails (tests/bench/soak_serve.py says which values may be served).
# SOAK_KEEP=1 keeps the working directory (always kept unless the run passed). Not run by ctest;
# docs/validation.md reports a run.
set -euo pipefail
build=$(cd "${1:?usage: soak_serve.sh BUILD_DIR [MINUTES]}" && pwd)
minutes=${2:-10}
down_s=${SOAK_REDIS_DOWN_S:-5}
here=$(cd "$(dirname "$0")" && pwd)
py="python3 $here/soak_serve.py"
command -v redis-server >/dev/null || { echo "soak_serve: redis-server not found" >&2; exit 2; }
work=$(mktemp -d)
redis= server= drive= bench= status=1
cleanup() {
  for p in $bench $drive; do kill "$p" 2>/dev/null || true; done
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
    kill -TERM "$server"
    for _ in $(seq 100); do kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server" 2>/dev/null || true
  fi
  [ -n "$redis" ] && kill -TERM "$redis" 2>/dev/null || true
  wait 2>/dev/null || true
  if [ "$status" = 0 ] && [ -z "${SOAK_KEEP:-}" ]; then rm -rf "$work"; else echo "soak_serve: files in $work" >&2; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
event() { echo "$(now) $*" >>"$work/events.txt"; }
sleep_until() { local d; d=$(awk -v t="$1" -v n="$(now)" 'BEGIN { d = t - n; print (d > 0 ? d : 0) }'); sleep "$d"; }
rport=$(free_port)
sport=$(free_port)
mkdir -p "$work/redis"
redis_start() {
  redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no --dir "$work/redis" \
    >>"$work/redis.log" 2>&1 &
  redis=$!
  for _ in $(seq 100); do
    redis-cli -p "$rport" ping >/dev/null 2>&1 && return
    sleep 0.05
  done
  echo "soak_serve: redis-server did not start on port $rport" >&2
  exit 1
}
variant=0 created=1
redis_start
$py profiles "$rport" "$variant" "$created"
cat >"$work/config.json" <<JSON
{"models": [{"name": "m", "deployments": [
  {"name": "d-a", "gpu_type": "A", "replicas": 1, "min_replicas": 1},
  {"name": "d-b", "gpu_type": "B", "replicas": 1, "min_replicas": 1}]}]}
JSON
start=$(now)
"$build/podscale" serve --config "$work/config.json" --redis "redis://127.0.0.1:$rport" \
  --port "$sport" --bind 127.0.0.1 --interval 1 --decision-log "$work/decisions.jsonl" \
  --log-level debug 2>"$work/serve.log" &
server=$!
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$sport/healthz" >/dev/null && break
  sleep 0.05
done
$py drive "$work" "$rport" "$sport" "$server" &
drive=$!
# SIGHUP is sent only when the service takes it: caught or ignored, or blocked in its threads
# (a sigwait on it); by default it would end the process.
sighup_handled() {
  local t mask
  for mask in $(awk '/^Sig(Cgt|Ign):/ { print $2 }' "/proc/$server/status"); do
    (((0x$mask & 1) != 0)) && return 0
  done
  for t in /proc/"$server"/task/*; do
    [ "$t" = "/proc/$server/task/$server" ] && continue
    mask=$(awk '/^SigBlk:/ { print $2 }' "$t/status")
    (((0x$mask & 1) != 0)) || return 1
  done
  return 0
}
died=
alive() {
  kill -0 "$server" 2>/dev/null && return 0
  [ -n "$died" ] || died="gone at $(awk -v t="$(now)" -v s="$start" 'BEGIN { printf "%.1f", t - s }') s"
  return 1
}
kills=0
for ((m = 0; m < minutes; m++)); do
  t0=$(awk -v s="$start" -v m="$m" 'BEGIN { printf "%.3f", s + 60 * m }')
  at() { awk -v t="$t0" -v d="$1" 'BEGIN { printf "%.3f", t + d }'; }
  sleep_until "$(at 15)"; alive || break
  variant=$((1 - variant))
  if ((m % 2 == 0)); then # taken for being newer
    created=$(date +%s)
    $py profiles "$rport" "$variant" "$created" &&
      event "profiles: variant $variant, newer created $created" ||
      event "profiles: variant $variant: Redis refused"
  else # taken only because forced
    created=1
    $py profiles "$rport" "$variant" "$created" &&
      curl -sf "http://127.0.0.1:$sport/update_profile/m" >/dev/null &&
      event "profiles: variant $variant, older created $created, GET /update_profile/m" ||
      event "profiles: variant $variant: update failed"
  fi
  sleep_until "$(at 25)"; alive || break
  "$build/tests/bench/bench_http" "http://127.0.0.1:$sport/metrics/default/d-a" -c 16 -t 1 -d 5 -w 0 \
    >>"$work/bench.txt" 2>&1 &
  bench=$!
  wait "$bench" || true
  bench=
  sleep_until "$(at 35)"; alive || break
  if sighup_handled; then
    kill -HUP "$server" && event "SIGHUP"
  elif ((m == 0)); then
    event "SIGHUP not sent: the service neither catches, ignores nor blocks it"
  fi
  sleep_until "$(at 45)"; alive || break
  kill -KILL "$redis"
  wait "$redis" 2>/dev/null || true
  event "redis killed"
  kills=$((kills + 1))
  sleep_until "$(at $((45 + down_s)))"
  redis_start
  event "redis restarted"
  $py profiles "$rport" "$variant" "$created" || event "profiles: written again: failed"
done
[ -n "$died" ] || sleep_until "$(awk -v s="$start" -v m="$minutes" 'BEGIN { printf "%.3f", s + 60 * m }')"
end=$(now)
kill "$drive" && wait "$drive" || true
drive=
exit_status=- stop_s=- final=
if alive; then
  final=$($py final "$work" "$sport" "$server" || true)
  t=$(now)
  kill -TERM "$server"
  for _ in $(seq 300); do kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$server" 2>/dev/null; then
    exit_status="hung (no exit 30 s after SIGTERM)"
  else
    exit_status=0
    wait "$server" || exit_status=$?
  fi
  stop_s=$(awk -v t="$(now)" -v s="$t" 'BEGIN { printf "%.1f", t - s }')
  server=
else
  wait "$server" && exit_status=0 || exit_status=$?
  server=
fi
regress_status=0
regress=$("$build/podscale" regress "$work/decisions.jsonl" --profiles "$work/profiles" 2>&1 | tail -1) ||
  regress_status=$?
{
  echo "start=$start"
  echo "end=$end"
  echo "version=$("$build/podscale" version | head -1)"
  echo "redis_kills=$kills"
  echo "final_metrics=$final"
  echo "exit_status=$exit_status"
  echo "stop_s=$stop_s"
  echo "died=$died"
  echo "regress=$regress"
  echo "regress_status=$regress_status"
} >"$work/run.txt"
status=0
$py check "$work" || status=$?
exit "$status"
