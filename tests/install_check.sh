#!/usr/bin/env bash
# The optimizer library as another program uses it: install the build into a temporary prefix,
# move the installed tree elsewhere (the pkg-config file must find it from where it lies), then
# compile and run a program that includes only <optimizer/optimizer.h> and links with what
# `pkg-config podscale-optimizer` says, against the static and the shared library.
#   install_check.sh BUILD_DIR [EXTRA_CFLAGS]   (the sanitizer flags of a sanitized build)
set -euo pipefail
build=$1
extra=${2:-}
tmp=$(mktemp -d /tmp/podscale-install-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/installed" >/dev/null
mv "$tmp/installed" "$tmp/moved"
pc=$(dirname "$(find "$tmp/moved" -name podscale-optimizer.pc)")
export PKG_CONFIG_PATH=$pc
pkgconf() { pkg-config "$@" podscale-optimizer; }
case $(pkgconf --cflags) in *"$tmp/moved/"*) ;; *)
  echo "install_check.sh: the pkg-config file does not follow its tree: $(pkgconf --cflags)" >&2
  exit 1 ;;
esac
cat > "$tmp/use.c" <<'C'
#include <optimizer/optimizer.h>
#include <stdio.h>
#include <string.h>
int main(void) {
  char key[128];
  if (!opt_store_key("llama-3-8b", "a100", key, sizeof key)) return 1;
  if (strcmp(key, "aibrix:profile_llama-3-8b_a100") != 0) return 1;
  puts(key);
  return 0;
}
C
cc -std=c11 -Wall -Werror $extra $(pkgconf --cflags) "$tmp/use.c" -o "$tmp/use-shared" $(pkgconf --libs)
LD_LIBRARY_PATH=$(pkgconf --variable=libdir) "$tmp/use-shared"
cc -std=c11 -Wall -Werror $extra $(pkgconf --cflags) "$tmp/use.c" -o "$tmp/use-static" \
  "$(pkgconf --variable=libdir)/libpodscale_optimizer.a" $(pkgconf --libs --static | sed 's/-lpodscale_optimizer//')
"$tmp/use-static"
