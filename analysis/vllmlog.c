#include "analysis/vllmlog.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/textin.h"
#include "base/xalloc.h"

#define MARKER "Avg prompt throughput:"

/* The number after "KEY: " in text, followed by `unit`; false when the key is absent or the
 * value is not a finite number >= 0. */
static bool field(const char *text, const char *key, const char *unit, double *out) {
  const char *p = strstr(text, key);
  if (!p) return false;
  p += strlen(key);
  while (*p == ' ')
    p++;
  if (!strncmp(p, "active ", 7)) p += 7; /* V1 with prefix caching: "active X%" */
  char *end;
  errno = 0;
  double v = strtod(p, &end);
  if (end == p || errno || !isfinite(v) || v < 0 || strncmp(end, unit, strlen(unit))) return false;
  *out = v;
  return true;
}

static bool count(const char *text, const char *key, int32_t *out) {
  double v;
  if (!field(text, key, " reqs", &v) || v != floor(v) || v > INT32_MAX) return false;
  *out = (int32_t)v;
  return true;
}

int vlog_parse_line(const char *text, vlog_line *out, char *why, size_t why_len) {
  const char *s = strstr(text, MARKER);
  if (!s) return 0;
  vlog_line l = {0};
  double kv;
  const char *missing = NULL;
  if (!field(s, MARKER, " tokens/s", &l.prompt_tps))
    missing = "\"Avg prompt throughput: X tokens/s\"";
  else if (!field(s, "Avg generation throughput:", " tokens/s", &l.gen_tps))
    missing = "\"Avg generation throughput: X tokens/s\"";
  else if (!count(s, "Running:", &l.running))
    missing = "\"Running: N reqs\"";
  else if (!count(s, "Pending:", &l.pending) && !count(s, "Waiting:", &l.pending))
    missing = "\"Pending: N reqs\" or \"Waiting: N reqs\"";
  else if (!field(s, "GPU KV cache usage:", "%", &kv) || kv > 100)
    missing = "\"GPU KV cache usage: X%\" from 0 to 100";
  if (missing) {
    snprintf(why, why_len, "expected %s in a vLLM stats line, found none or an invalid value",
             missing);
    return -1;
  }
  if (!count(s, "Swapped:", &l.swapped)) l.swapped = 0;
  l.kv_usage = kv / 100;
  *out = l;
  return 1;
}

static void append(vlog_set *s, const vlog_line *l) {
  if ((size_t)s->n == s->cap) {
    s->cap = s->cap ? 2 * s->cap : 256;
    s->lines = xrealloc(s->lines, s->cap * sizeof *s->lines);
  }
  s->lines[s->n++] = *l;
}

/* Every stats line of an open log; other lines, however long, are skipped. */
static bool read_lines(vlog_set *s, textin *in, int32_t file, ps_err *err) {
  const char *path = in->path;
  char why[200];
  int32_t found = 0;
  int got;
  while ((got = textin_next(in, err)) > 0) {
    if (in->line > INT32_MAX) return ps_fail(err, "%s: expected fewer lines, found more", path);
    int32_t lineno = (int32_t)in->line;
    size_t len = in->len;
    while (len && (in->buf[len - 1] == '\n' || in->buf[len - 1] == '\r'))
      in->buf[--len] = '\0';
    vlog_line l;
    int kind = vlog_parse_line(in->buf, &l, why, sizeof why);
    if (kind != 0 && in->truncated)
      return ps_fail(err, "%s:%d: expected a stats line of at most %d bytes, found a longer one",
                     path, lineno, VLOG_MAX_LINE);
    if (kind < 0) return ps_fail(err, "%s:%d: %s", path, lineno, why);
    if (kind == 0) continue;
    if (s->n >= VLOG_MAX_LINES)
      return ps_fail(err, "%s:%d: expected at most %d stats lines in all, found more", path, lineno,
                     VLOG_MAX_LINES);
    l.file = file;
    l.lineno = lineno;
    append(s, &l);
    found++;
  }
  if (got < 0) return false;
  if (!found && in->line > 1) /* an empty log (a pod stopped before its first interval) is fine */
    return ps_fail(err, "%s: expected vLLM stats lines (\"" MARKER " ...\"), found none", path);
  return true;
}

bool vlog_read(vlog_set *s, const char *path, ps_err *err) {
  textin in;
  if (!textin_open(&in, path, VLOG_MAX_LINE, err)) return false;
  in.skip_long = true;
  s->files = xrealloc(s->files, ((size_t)s->nfiles + 1) * sizeof *s->files);
  s->files[s->nfiles] = xstrdup(path);
  bool ok = read_lines(s, &in, s->nfiles++, err);
  textin_close(&in);
  return ok;
}

void vlog_free(vlog_set *s) {
  for (int32_t i = 0; i < s->nfiles; i++)
    free(s->files[i]);
  free(s->files);
  free(s->lines);
  *s = (vlog_set){0};
}
