#!/usr/bin/env bash
# Every C file of the project as clang-format (the project's .clang-format) writes it; prints
# the files that differ, with the diff, and exits 1 if there is any. Fix with
#   git ls-files '*.c' '*.h' | xargs clang-format -i
#
#   tests/check_format.sh [SOURCE_DIR] [CLANG_FORMAT]
set -euo pipefail
cd "${1:-$(dirname "$0")/..}"
cf=${2:-clang-format}
command -v "$cf" >/dev/null || { echo "check_format.sh: $cf not found (apt-get install clang-format)" >&2; exit 2; }
bad=0
while IFS= read -r f; do
  if ! "$cf" --style=file "$f" | diff -u --label "$f" --label "$f (clang-format)" "$f" -; then
    bad=1
  fi
done < <(git ls-files '*.c' '*.h' 2>/dev/null || find base models analysis optimizer sim tests -name '*.[ch]')
[ "$bad" = 0 ] && echo "every C file is as clang-format writes it ($("$cf" --version | head -n 1))"
exit "$bad"
