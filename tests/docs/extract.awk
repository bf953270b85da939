# Split one Markdown file into its runnable examples, for tests/docs/run_docs.sh.
#
#   awk -v dir=OUT -f extract.awk DOC.md
#
# Writes, for the k-th runnable block (k = 1, 2, ...; three digits), into OUT:
#   k.info    "LINE KIND": the line of the opening fence and script, session or skip
#   k.sh      the commands: a script block as written; a session's `$ ` commands, each one
#             preceded by a line `@@doc-test-command N` that the runner turns into a marker
#   k.exp     expected output, one "LINE<TAB>TEXT" per line (a session's output lines, with
#             each command as "LINE<TAB>@@doc-test-command N"; a script's `output` block)
#   k.vary    one ERE per line: text that differs from run to run, masked before comparing
#   k.bg      the readiness command of a background block (may be empty)
#   k.skip    the reason a block is not run
# A block with the directive `save FILE` (a scenario, a config) becomes a script that writes
# its text to FILE.
#
# Runnable: a block fenced ```sh, ```bash, ```shell or ```console, and any block whose first
# line starts with "$ " (a session: commands after "$ ", continued by a trailing "\", each
# followed by the output it prints). Directives are HTML comments on the lines before the
# opening fence, blank lines allowed between: see docs/architecture.md#examples-that-run.
function flush_directives() { ndir = 0 }
function out(file, text,   f) {
  f = dir "/" id "." file
  print text >> f
  close(f)
}
function touch(file,   f) {
  f = dir "/" id "." file
  printf "" >> f
  close(f)
}
function strip_indent(s) {
  if (indent == 0) return s
  if (substr(s, 1, indent) ~ /^ *$/) return substr(s, indent + 1)
  sub(/^ +/, "", s)
  return s
}
BEGIN { ndir = 0; inblock = 0; k = 0; last_runnable = ""; ncmd = 0 }
{ sub(/\r$/, "") }
!inblock && /^ *<!-- doc-test:/ {
  d = $0
  sub(/^ *<!-- doc-test: */, "", d)
  sub(/ *--> *$/, "", d)
  dirs[++ndir] = d
  next
}
!inblock && /^ *```/ {
  inblock = 1
  start = NR
  indent = index($0, "`") - 1
  lang = $0
  sub(/^ *```/, "", lang)
  nlines = 0
  next
}
inblock && /^ *```/ {
  inblock = 0
  handle_block()
  flush_directives()
  next
}
inblock { lines[++nlines] = strip_indent($0); linenos[nlines] = NR; next }
!inblock && /[^ ]/ { flush_directives() }

function handle_block(   i, d, kind, skip, bg, bgcmd, is_output, first, save) {
  skip = ""; bg = 0; bgcmd = ""; is_output = 0; save = ""
  for (i = 1; i <= ndir; i++) {
    d = dirs[i]
    if (d ~ /^skip/) { skip = d; sub(/^skip */, "", skip); if (skip == "") skip = "(no reason given)" }
    else if (d ~ /^background/) { bg = 1; bgcmd = d; sub(/^background *(until *)?/, "", bgcmd) }
    else if (d ~ /^output/) is_output = 1
    else if (d ~ /^save /) { save = d; sub(/^save +/, "", save) }
    else if (d !~ /^vary /) {
      printf "%s:%d: unknown doc-test directive '%s'\n", FILENAME, start, d > "/dev/stderr"
      bad = 1
    }
  }
  if (is_output) {
    if (last_runnable == "") {
      printf "%s:%d: an output block follows no runnable block\n", FILENAME, start > "/dev/stderr"
      bad = 1
      return
    }
    save = id; id = last_runnable
    for (i = 1; i <= nlines; i++) out("exp", linenos[i] "\t" lines[i])
    write_vary()
    id = save
    return
  }
  if (save != "") {
    k++
    id = sprintf("%03d", k)
    last_runnable = ""
    out("info", start " script")
    touch("exp")
    touch("vary")
    out("sh", "cat > '" save "' <<'DOC_TEST_EOF'")
    for (i = 1; i <= nlines; i++) out("sh", lines[i])
    out("sh", "DOC_TEST_EOF")
    return
  }
  first = (nlines > 0) ? lines[1] : ""
  if (first ~ /^\$ /) kind = "session"
  else if (lang ~ /^(sh|bash|shell|console)$/) kind = "script"
  else { last_runnable = ""; return }
  k++
  id = sprintf("%03d", k)
  last_runnable = id
  if (skip != "") { out("info", start " skip"); out("skip", skip); last_runnable = ""; return }
  out("info", start " " kind)
  touch("exp")
  touch("vary")
  write_vary()
  if (bg) out("bg", bgcmd)
  if (kind == "script") {
    for (i = 1; i <= nlines; i++) out("sh", lines[i])
    return
  }
  cont = 0
  for (i = 1; i <= nlines; i++) {
    if (cont) { out("sh", lines[i]); cont = (lines[i] ~ /\\$/); continue }
    if (lines[i] ~ /^\$ /) {
      ncmd++
      out("sh", "@@doc-test-command " linenos[i])
      out("exp", linenos[i] "\t@@doc-test-command " linenos[i])
      out("sh", substr(lines[i], 3))
      cont = (lines[i] ~ /\\$/)
      continue
    }
    out("exp", linenos[i] "\t" lines[i])
  }
}
function write_vary(   i, v) {
  for (i = 1; i <= ndir; i++)
    if (dirs[i] ~ /^vary /) { v = dirs[i]; sub(/^vary +/, "", v); out("vary", v) }
}
END {
  if (inblock) { printf "%s:%d: unclosed code block\n", FILENAME, start > "/dev/stderr"; exit 2 }
  if (bad) exit 2
}
