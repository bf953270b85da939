# Compare what a doc example printed with what the doc shows, for tests/docs/run_docs.sh.
#
#   awk -v doc=DOC.md -v block=LINE -f compare.awk VARY EXP GOT
#
# VARY: one ERE per line, text masked in both before comparing (wall-clock times). EXP: one
# "LINE<TAB>TEXT" per expected line (from extract.awk). GOT: what the example printed, stdout
# and stderr together, with a line "@@doc-test-command N" before the output of the command on
# doc line N. Lines are equal when equal after masking and dropping trailing blanks; an
# expected line "..." matches any number of lines. Prints the first difference, naming the doc
# line, and exits 1; exits 0 when all is the same.
function norm(s,   i) {
  for (i = 1; i <= nvary; i++) gsub(vary[i], "<varies>", s)
  sub(/[ \t]+$/, "", s)
  return s
}
function show(s) {
  if (s ~ /^@@doc-test-command /) return "(the command of line " substr(s, 20) ")"
  return s
}
FILENAME == ARGV[1] { if ($0 != "") vary[++nvary] = $0; next }
FILENAME == ARGV[2] {
  t = index($0, "\t")
  ne++
  eline[ne] = substr($0, 1, t - 1)
  etext[ne] = substr($0, t + 1)
  next
}
{ got[++ng] = $0 }
function fail(line, msg) {
  printf "%s:%s: %s\n", doc, line, msg
  failed = 1
  exit 1
}
END {
  if (failed) exit 1
  i = 1; j = 1
  while (i <= ne) {
    if (etext[i] == "...") {
      if (i == ne) { j = ng + 1; i++; break }
      want = norm(etext[i + 1])
      while (j <= ng && norm(got[j]) != want) j++
      if (j > ng)
        fail(eline[i + 1], "expected (after ...): " show(etext[i + 1]) "\n  got: no such line")
      i++
      continue
    }
    if (j > ng) fail(eline[i], "expected: " show(etext[i]) "\n  got: end of output")
    if (norm(etext[i]) != norm(got[j]))
      fail(eline[i], "expected: " show(etext[i]) "\n       got: " show(got[j]))
    i++; j++
  }
  if (j <= ng) {
    where = (ne > 0) ? eline[ne] : block
    fail(where, "unexpected output after the last line shown: " show(got[j]))
  }
}
