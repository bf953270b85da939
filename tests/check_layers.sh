#!/usr/bin/env bash
# The layers (docs/architecture.md): every #include "DIR/..." of the project's own code must
# point to the same folder or to one below it. Prints each include that points the wrong way
# (FILE:LINE: ... includes ..., which LAYER may not use) and exits 1 if there is any.
#
#   tests/check_layers.sh [SOURCE_DIR]
set -euo pipefail
cd "${1:-$(dirname "$0")/..}"

# Each folder and the folders it may include from (its own is always allowed).
allowed() {
  case $1 in
  base) echo "" ;;
  models/workload) echo "base" ;;
  models/pods) echo "base models/workload" ;;
  models/autoscalers) echo "base" ;;
  analysis) echo "base" ;;
  optimizer) echo "base" ;;
  optimizer/server) echo "base optimizer" ;;
  sim/engine) echo "base" ;;
  sim/bench) echo "base models/workload models/pods analysis optimizer sim/engine" ;;
  sim/scenario) echo "base models/workload models/pods models/autoscalers analysis optimizer sim/engine sim/bench" ;;
  sim/run) echo "base models/workload models/pods models/autoscalers analysis optimizer sim/engine sim/bench sim/scenario" ;;
  sim/http) echo "base models/workload models/pods analysis optimizer sim/engine sim/bench" ;;
  sim/cli) echo "base models/workload models/pods models/autoscalers analysis optimizer optimizer/server sim/engine sim/bench sim/scenario sim/run sim/http" ;;
  *) echo "?" ;;
  esac
}

bad=0
while IFS= read -r file; do
  dir=$(dirname "$file")
  ok=$(allowed "$dir")
  if [ "$ok" = "?" ]; then
    echo "$file: in a folder with no layer (add it to tests/check_layers.sh and docs/architecture.md)"
    bad=1
    continue
  fi
  while IFS=: read -r line inc; do
    target=$(dirname "$inc")
    [ "$target" = "$dir" ] && continue
    case " $ok " in *" $target "*) continue ;; esac
    echo "$file:$line: includes $inc, which $dir may not use"
    bad=1
  done < <(grep -n '^#include "[^"]*/' "$file" | sed 's/^\([0-9]*\):#include "\([^"]*\)".*/\1:\2/')
done < <(git ls-files 'base/*.[ch]' 'models/*.[ch]' 'analysis/*.[ch]' 'optimizer/*.[ch]' 'sim/*.[ch]' 2>/dev/null ||
         find base models analysis optimizer sim -name '*.[ch]')
if [ "$bad" = 0 ]; then echo "every include points down the layers"; fi
exit "$bad"
