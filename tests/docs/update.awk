# Write a session block's output as it was printed, for tests/docs/run_docs.sh with
# DOC_TEST_UPDATE=1 (a help when a change of output is intended: read the diff, and make the
# text around the block say the same).
#
#   awk -v start=LINE -v got=GOT -f update.awk DOC.md > NEW.md
function emit(n,   i) {
  for (i = 1; i <= cnt[n]; i++) print (seg[n, i] == "" ? "" : pad seg[n, i])
}
BEGIN {
  while ((getline l < got) > 0) {
    if (l ~ /^@@doc-test-command /) { cur = substr(l, 20); cnt[cur] = 0; continue }
    if (cur != "") seg[cur, ++cnt[cur]] = l
  }
}
NR == start { inb = 1; pad = $0; sub(/`.*/, "", pad); print; next }
inb && /^ *```/ { if (pending != "") emit(pending); inb = 0; print; next }
inb {
  body = substr($0, length(pad) + 1)
  if (cont) { print; cont = (body ~ /\\$/); if (!cont) { emit(pending); pending = "" }; next }
  if (body ~ /^\$ /) {
    print
    pending = NR
    cont = (body ~ /\\$/)
    if (!cont) { emit(pending); pending = "" }
  }
  next
}
{ print }
