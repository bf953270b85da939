#include "analysis/csvr.h"

#include <csv.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/textin.h"
#include "base/xalloc.h"

typedef struct reader {
  char **fields;
  size_t n, cap;
  long line;
  bool failed;
  size_t rows; /* rows ended so far */
  csvr_row_fn fn;
  void *ctx;
  ps_err *err;
} reader;

static void on_field(void *s, size_t len, void *data) {
  reader *r = data;
  if (r->n == r->cap) {
    r->cap = r->cap ? 2 * r->cap : 8;
    r->fields = xrealloc(r->fields, r->cap * sizeof *r->fields);
  }
  char *f = xmalloc(len + 1);
  memcpy(f, s, len);
  f[len] = '\0';
  r->fields[r->n++] = f;
}

static void on_row(int c, void *data) {
  (void)c;
  reader *r = data;
  r->rows++;
  if (!r->failed && !r->fn(r->ctx, r->line, r->fields, r->n, r->err)) r->failed = true;
  for (size_t i = 0; i < r->n; i++)
    free(r->fields[i]);
  r->n = 0;
}

bool csvr_read(const char *path, csvr_row_fn fn, void *ctx, ps_err *err) {
  textin in;
  if (!textin_open(&in, path, 0, err)) return false;
  struct csv_parser p;
  csv_init(&p, 0);
  reader r = {.fn = fn, .ctx = ctx, .err = err};
  size_t row_bytes = 0; /* since the row began: a quoted field may span lines, not the file */
  bool ok = true;
  int got = 0;
  while (!r.failed && (got = textin_next(&in, err)) > 0) {
    r.line = in.line;
    size_t rows = r.rows;
    if ((row_bytes += in.len) > TEXTIN_LINE_MAX) {
      ok = ps_fail(err,
                   "%s:%ld: expected a row of at most %d bytes, found a longer one (an "
                   "unclosed quote?)",
                   path, r.line, TEXTIN_LINE_MAX);
      break;
    }
    if (csv_parse(&p, in.buf, in.len, on_field, on_row, &r) != in.len) {
      ok = ps_fail(err, "%s:%ld: malformed CSV: %s", path, r.line, csv_strerror(csv_error(&p)));
      break;
    }
    if (r.rows != rows) row_bytes = 0;
  }
  if (got < 0) ok = false;
  if (ok && !r.failed && csv_fini(&p, on_field, on_row, &r) != 0)
    ok = ps_fail(err, "%s:%ld: malformed CSV: %s", path, r.line, csv_strerror(csv_error(&p)));
  csv_free(&p);
  for (size_t i = 0; i < r.n; i++)
    free(r.fields[i]);
  free(r.fields);
  textin_close(&in);
  return ok && !r.failed;
}

bool csvr_long(const char *s, long *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (end == s || *end || errno) return false;
  *out = v;
  return true;
}

bool csvr_double(const char *s, double *out) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (end == s || *end || errno || !isfinite(v)) return false;
  *out = v;
  return true;
}
