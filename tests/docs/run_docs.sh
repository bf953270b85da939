#!/usr/bin/env bash
# Run the shell examples of Markdown files as a reader would, and check what they print.
#
#   tests/docs/run_docs.sh PODSCALE SOURCE_DIR DOC.md...
#
# Each DOC is split into its runnable blocks by extract.awk (the convention is in
# docs/architecture.md#examples-that-run). The blocks of one DOC run in order, in one scratch
# directory that stands for the repository's root: every top-level entry of SOURCE_DIR linked
# into it (so scenarios/, tests/data/, docs/ read as in the tree), `build/podscale` PODSCALE, `podscale` on PATH, and `out/` and anything else written landing in the
# scratch directory. What the examples write to /tmp goes to a private directory instead, and
# the network ports they name (Redis 6379 and 6390; HTTP 8000, 8010, 8080, 8081, 18977) are
# replaced by free loopback ports, so that tests run in parallel; both are mapped back in what
# the examples print. When an example uses Redis on 6379, a redis-server is started for the DOC
# on its port and stopped at the end.
#
# A script block (```sh) must exit 0 (it runs under `set -e`); when an output block follows,
# what it prints (stdout and stderr together) must be that. A session block ("$ " commands
# followed by their output) must print what it shows. Each block has DOC_TEST_TIMEOUT seconds
# (default 120); whatever it left running (a server started with &) is killed when it ends,
# except for a `background` block, which runs until the DOC's last block is done.
#
# Exit 0 when every block passed, 1 otherwise (each failure names the doc file and line).
# DOC_TEST_KEEP=1 keeps the scratch directory. DOC_TEST_UPDATE=1 writes what a failing session
# printed into the doc in place of what it showed (update.awk): review the diff and the text.
set -u
[ $# -ge 3 ] || { echo "usage: $0 PODSCALE SOURCE_DIR DOC.md..." >&2; exit 2; }
bin=$(realpath "$1")
src=$(realpath "$2")
shift 2
here=$(dirname "$(realpath "$0")")
limit=${DOC_TEST_TIMEOUT:-120}
ports="6379 6390 8000 8010 8080 8081 18977"

scratch=$(mktemp -d "${TMPDIR:-/tmp}/podscale-docs.XXXXXX")
bgpids=()
cleanup() {
  local p
  for p in "${bgpids[@]}"; do kill -- "-$p" 2>/dev/null; done
  [ -n "${redis_pid:-}" ] && kill "$redis_pid" 2>/dev/null
  wait 2>/dev/null
  if [ "${DOC_TEST_KEEP:-0}" = 1 ]; then echo "scratch kept: $scratch"; else rm -rf "$scratch"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Free ports from a range that depends on this process, so that parallel runs do not meet.
declare -A port_of
candidate=$((20000 + ($$ % 1500) * 20))
for p in $ports; do
  while port_in_use "$candidate"; do candidate=$((candidate + 1)); done
  port_of[$p]=$candidate
  candidate=$((candidate + 1))
done

to_run() {
  local s p
  s=$(sed "s|/tmp/|$scratch/tmp/|g; s|/tmp\$|$scratch/tmp|g")
  for p in $ports; do
    s=$(printf '%s\n' "$s" | sed -E "s/(^|[^0-9])$p([^0-9]|\$)/\\1${port_of[$p]}\\2/g; s/(^|[^0-9])$p([^0-9]|\$)/\\1${port_of[$p]}\\2/g")
  done
  printf '%s\n' "$s"
}
from_run() {
  local args=(-e "s|$scratch/tmp/|/tmp/|g" -e "s|$scratch/tmp|/tmp|g" -e "s|$scratch/work/||g")
  local p
  for p in $ports; do args+=(-E -e "s/(:|port |-p |port=)${port_of[$p]}([^0-9]|\$)/\\1$p\\2/g"); done
  sed "${args[@]}"
}

mkdir -p "$scratch/tmp" "$scratch/bin" "$scratch/work"
ln -s "$bin" "$scratch/bin/podscale"
for e in "$src"/* "$src"/.[!.]*; do
  [ -e "$e" ] || continue
  case $(basename "$e") in build | build-* | out | .git) continue ;; esac
  ln -s "$e" "$scratch/work/$(basename "$e")"
done
# `build` holds the program and the build's tests/ (the benchmarks), not the build tree itself:
# an example cannot reconfigure or overwrite the build under test.
mkdir "$scratch/work/build"
ln -s "$bin" "$scratch/work/build/podscale"
[ -d "$(dirname "$bin")/tests" ] && ln -s "$(dirname "$bin")/tests" "$scratch/work/build/tests"
export PATH="$scratch/bin:$PATH"

status=0
total_start=$(date +%s.%N)
for doc in "$@"; do
  rel=${doc#"$src"/}
  blocks=$scratch/blocks/$(echo "$rel" | tr / _)
  mkdir -p "$blocks"
  if ! awk -v dir="$blocks" -f "$here/extract.awk" "$src/$rel"; then status=1; continue; fi

  # A Redis of our own for the examples that use the usual one.
  if cat "$blocks"/*.sh 2>/dev/null | grep -qE '(^|[^0-9])6379([^0-9]|$)'; then
    redis-server --port "${port_of[6379]}" --bind 127.0.0.1 --save '' --appendonly no \
      --daemonize no >"$scratch/redis.log" 2>&1 &
    redis_pid=$!
    for _ in $(seq 100); do redis-cli -p "${port_of[6379]}" ping >/dev/null 2>&1 && break; sleep 0.1; done
  fi

  ran=0 skipped=0 failed=0
  for info in "$blocks"/*.info; do
    [ -e "$info" ] || continue
    k=${info%.info}
    read -r line kind <"$info"
    where="$rel:$line"
    if [ "$kind" = skip ]; then
      echo "skip  $where: $(cat "$k.skip")"
      skipped=$((skipped + 1))
      continue
    fi
    {
      [ "$kind" = script ] && echo "set -e"
      to_run <"$k.sh" | sed 's/^@@doc-test-command \(.*\)$/__rc=$?; echo "@@doc-test-command \1"; (exit $__rc)/'
    } >"$k.run"
    start=$(date +%s.%N)
    (cd "$scratch/work" && exec timeout -k 5 "$limit" bash "$k.run" </dev/null >"$k.out" 2>&1) &
    pid=$!
    if [ -e "$k.bg" ]; then
      bgpids+=("$pid")
      ready=$(to_run <"$k.bg")
      if [ -n "$ready" ]; then
        ok=0
        for _ in $(seq $((limit * 5))); do
          if (cd "$scratch/work" && bash -c "$ready") >/dev/null 2>&1; then ok=1; break; fi
          kill -0 "$pid" 2>/dev/null || break
          sleep 0.2
        done
        if [ $ok = 0 ]; then
          echo "FAIL  $where: the background block never became ready ($(cat "$k.bg")); it printed:"
          from_run <"$k.out" | sed 's/^/    /'
          failed=$((failed + 1))
          continue
        fi
      fi
      echo "bg    $where (runs until the end of $rel)"
      ran=$((ran + 1))
      continue
    fi
    wait "$pid"
    rc=$?
    # The block's own process group: servers it left running in the background.
    kill -- "-$pid" 2>/dev/null
    secs=$(echo "$(date +%s.%N) $start" | awk '{ printf "%.1f", $1 - $2 }')
    ran=$((ran + 1))
    from_run <"$k.out" >"$k.got"
    bad=""
    if [ $rc = 124 ] || [ $rc = 137 ]; then
      bad="timed out after $limit s"
    elif [ "$kind" = script ] && [ $rc != 0 ]; then
      bad="exit status $rc"
    fi
    if [ -z "$bad" ] && { [ "$kind" = session ] || [ -s "$k.exp" ]; }; then
      if ! diffs=$(awk -v doc="$rel" -v block="$line" -f "$here/compare.awk" "$k.vary" "$k.exp" "$k.got"); then
        bad="output differs: $diffs"
      fi
    fi
    if [ -n "$bad" ]; then
      echo "FAIL  $where (${secs} s): $bad"
      echo "    it printed:"
      sed 's/^@@doc-test-command \(.*\)$/$ (the command of line \1)/; s/^/    | /' "$k.got"
      failed=$((failed + 1))
      if [ "${DOC_TEST_UPDATE:-0}" = 1 ] && [ "$kind" = session ] && [ "$bad" != "${bad#output differs}" ]; then
        echo "$line $k.got" >>"$blocks/updates"
      fi
    else
      echo "ok    $where (${secs} s)"
    fi
  done

  # Servers of background blocks, and Redis servers the examples daemonized.
  for p in "${bgpids[@]}"; do kill -- "-$p" 2>/dev/null; done
  bgpids=()
  for p in $ports; do
    [ "$p" = 6379 ] && [ -n "${redis_pid:-}" ] && continue
    port_in_use "${port_of[$p]}" && timeout 2 redis-cli -p "${port_of[$p]}" shutdown nosave >/dev/null 2>&1
  done
  if [ -n "${redis_pid:-}" ]; then kill "$redis_pid" 2>/dev/null; wait "$redis_pid" 2>/dev/null; redis_pid=""; fi

  # DOC_TEST_UPDATE=1: failing sessions get the output they printed, last block first.
  if [ -s "$blocks/updates" ]; then
    sort -rn "$blocks/updates" | while read -r l g; do
      awk -v start="$l" -v got="$g" -f "$here/update.awk" "$src/$rel" >"$blocks/new.md" &&
        cat "$blocks/new.md" >"$src/$rel"
      echo "updated $rel:$l"
    done
  fi
  echo "$rel: $ran run, $skipped skipped, $failed failed"
  [ $failed = 0 ] || status=1
done
echo "$(echo "$(date +%s.%N) $total_start" | awk '{ printf "%.1f", $1 - $2 }') s in all"
exit $status
