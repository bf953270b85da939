/* inputs: the data files a scenario names (docs/scenarios.md, File paths): per-second counts,
 * Azure traces and empirical samples, each checked line by line into plain arrays. */
#include "sim/scenario/load.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/csvr.h"
#include "base/xalloc.h"

#define MAX_COUNT_SECOND 10000000 /* a counts file: 116 days, 40 MB of counts (400 MB as rates) */
#define MAX_SAMPLES 10000000      /* 80 MB of doubles */

char *scl_resolve(const scenario *sc, const char *file) {
  if (file[0] == '/') return xstrdup(file);
  char *copy = xstrdup(sc->path);
  const char *dir = dirname(copy);
  size_t n = strlen(dir) + strlen(file) + 2;
  char *p = xmalloc(n);
  snprintf(p, n, "%s/%s", dir, file);
  free(copy);
  return p;
}

/* ---- per-second counts ---- */

typedef struct counts_ctx {
  const char *path;
  int32_t *counts;
  size_t n, cap;
  long last_second;
} counts_ctx;

static bool count_row(void *vctx, long line, char **f, size_t nf, ps_err *err) {
  counts_ctx *c = vctx;
  long sec, cnt;
  if (nf != 2)
    return ps_fail(err, "%s:%ld: expected 2 fields (second,count), found %zu", c->path, line, nf);
  if (!csvr_long(f[0], &sec)) {
    if (line == 1) return true; /* a header */
    return ps_fail(err, "%s:%ld: expected a whole second, found \"%s\"", c->path, line, f[0]);
  }
  if (sec < 0 || sec > MAX_COUNT_SECOND)
    return ps_fail(err, "%s:%ld: expected a second from 0 to %d, found %ld", c->path, line,
                   MAX_COUNT_SECOND, sec);
  if (sec <= c->last_second)
    return ps_fail(err, "%s:%ld: expected seconds in increasing order, found %ld after %ld",
                   c->path, line, sec, c->last_second);
  if (!csvr_long(f[1], &cnt) || cnt < 0 || cnt > 100000000)
    return ps_fail(err, "%s:%ld: expected a count from 0 to 100000000, found \"%s\"", c->path, line,
                   f[1]);
  if ((size_t)sec >= c->cap) {
    size_t cap = c->cap ? c->cap : 1024;
    while (cap <= (size_t)sec)
      cap *= 2;
    c->counts = xrealloc(c->counts, cap * sizeof(int32_t));
    memset(c->counts + c->cap, 0, (cap - c->cap) * sizeof(int32_t));
    c->cap = cap;
  }
  c->counts[sec] = (int32_t)cnt;
  c->n = (size_t)sec + 1;
  c->last_second = sec;
  return true;
}

bool scl_read_counts(const char *path, int32_t **counts, size_t *n, ps_err *err) {
  counts_ctx c = {.path = path, .last_second = -1};
  bool ok = csvr_read(path, count_row, &c, err);
  if (ok && c.n == 0) ok = ps_fail(err, "%s: expected per-second counts, found none", path);
  if (!ok) {
    free(c.counts);
    c.counts = NULL, c.n = 0;
  }
  *counts = c.counts;
  *n = c.n;
  return ok;
}

/* ---- Azure traces ---- */

/* "2023-11-16 18:17:03.9799600" -> microseconds since the epoch. */
static bool parse_timestamp(const char *s, int64_t *out) {
  int y, mo, d, h, mi, sec, used = 0;
  if (sscanf(s, "%4d-%2d-%2d %2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &used) != 6) return false;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 || h < 0 || mi < 0 ||
      sec < 0)
    return false;
  int64_t frac_us = 0;
  const char *p = s + used;
  if (*p == '.') {
    int64_t scale = 100000;
    for (p++; *p >= '0' && *p <= '9'; p++) {
      if (scale) frac_us += (*p - '0') * scale;
      scale /= 10;
    }
  }
  if (*p) return false;
  static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap)) return false;
  /* days from civil (proleptic Gregorian), H. Hinnant's algorithm */
  y -= mo <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  int64_t days = era * 146097 + doe - 719468;
  *out = ((days * 24 + h) * 60 + mi) * 60 * INT64_C(1000000) + sec * INT64_C(1000000) + frac_us;
  return true;
}

typedef struct trace_ctx {
  const char *path;
  wl_trace_rec *recs;
  size_t n, cap;
  int col_t, col_in, col_out;
  size_t ncols;
} trace_ctx;

static bool trace_row(void *vctx, long line, char **f, size_t nf, ps_err *err) {
  trace_ctx *c = vctx;
  if (line == 1 || c->ncols == 0) {
    c->col_t = c->col_in = c->col_out = -1;
    for (size_t i = 0; i < nf; i++) {
      if (!strcmp(f[i], "TIMESTAMP"))
        c->col_t = (int)i;
      else if (!strcmp(f[i], "ContextTokens"))
        c->col_in = (int)i;
      else if (!strcmp(f[i], "GeneratedTokens"))
        c->col_out = (int)i;
    }
    if (c->col_t < 0 || c->col_in < 0 || c->col_out < 0)
      return ps_fail(err,
                     "%s:%ld: expected a header with TIMESTAMP, ContextTokens and GeneratedTokens, "
                     "found \"%s%s\"",
                     c->path, line, nf ? f[0] : "", nf > 1 ? ",..." : "");
    c->ncols = nf;
    return true;
  }
  if (nf != c->ncols)
    return ps_fail(err, "%s:%ld: expected %zu fields, found %zu", c->path, line, c->ncols, nf);
  int64_t t;
  long in, outt;
  if (!parse_timestamp(f[c->col_t], &t))
    return ps_fail(err,
                   "%s:%ld: expected a TIMESTAMP like 2023-11-16 18:17:03.9799600, found \"%s\"",
                   c->path, line, f[c->col_t]);
  if (!csvr_long(f[c->col_in], &in) || in < 0 || in > MAX_TOKENS)
    return ps_fail(err, "%s:%ld: expected ContextTokens from 0 to %.0f, found \"%s\"", c->path,
                   line, MAX_TOKENS, f[c->col_in]);
  if (!csvr_long(f[c->col_out], &outt) || outt < 0 || outt > MAX_TOKENS)
    return ps_fail(err, "%s:%ld: expected GeneratedTokens from 0 to %.0f, found \"%s\"", c->path,
                   line, MAX_TOKENS, f[c->col_out]);
  if (c->n && t < c->recs[c->n - 1].t_us)
    return ps_fail(
        err, "%s:%ld: expected timestamps in increasing order, found %s before the previous line's",
        c->path, line, f[c->col_t]);
  if (c->n == c->cap) {
    c->cap = c->cap ? 2 * c->cap : 4096;
    c->recs = xrealloc(c->recs, c->cap * sizeof *c->recs);
  }
  c->recs[c->n++] = (wl_trace_rec){t, (int32_t)in, (int32_t)outt};
  return true;
}

bool scl_read_azure(const char *path, wl_trace_rec **recs, size_t *n, ps_err *err) {
  trace_ctx c = {.path = path};
  bool ok = csvr_read(path, trace_row, &c, err);
  if (ok && c.n == 0) ok = ps_fail(err, "%s: expected trace records, found none", path);
  for (size_t i = c.n; ok && i-- > 0;)
    c.recs[i].t_us -= c.recs[0].t_us;
  if (!ok) {
    free(c.recs);
    c.recs = NULL, c.n = 0;
  }
  *recs = c.recs;
  *n = c.n;
  return ok;
}

/* ---- empirical samples ---- */

bool scl_add_sample(scl_samples *c, double x, const char *key) {
  if (c->n >= MAX_SAMPLES) return false;
  if (c->n == c->cap) {
    c->cap = c->cap ? 2 * c->cap : 4096;
    c->xs = xrealloc(c->xs, c->cap * sizeof *c->xs);
    if (c->key) c->keys = xrealloc(c->keys, c->cap * sizeof *c->keys);
  }
  if (c->key) c->keys[c->n] = xstrdup(key);
  c->xs[c->n++] = x;
  return true;
}

typedef struct keyed {
  const char *key; /* what the sample measures */
  double x;        /* the sample */
} keyed;

static int by_key(const void *a, const void *b) {
  const keyed *p = a, *q = b;
  int k = strcmp(p->key, q->key);
  return k ? k : (p->x > q->x) - (p->x < q->x);
}

/* With `key`: one sample per key, the (lower) median of its samples, so that what was measured
 * several times (a request completed in several runs) counts once, like what was measured once. */
void scl_samples_by_key(scl_samples *c) {
  keyed *ks = xcalloc(c->n ? c->n : 1, sizeof *ks);
  for (size_t i = 0; i < c->n; i++)
    ks[i] = (keyed){c->keys[i], c->xs[i]};
  qsort(ks, c->n, sizeof *ks, by_key);
  size_t m = 0;
  for (size_t lo = 0, hi; lo < c->n; lo = hi) {
    for (hi = lo + 1; hi < c->n && !strcmp(ks[lo].key, ks[hi].key);)
      hi++;
    c->xs[m++] = ks[lo + (hi - lo - 1) / 2].x;
  }
  free(ks);
  for (size_t i = 0; i < c->n; i++)
    free(c->keys[i]);
  free(c->keys);
  c->keys = NULL;
  c->n = m;
}

static bool sample_row(void *vctx, long line, char **f, size_t nf, ps_err *err) {
  scl_samples *c = vctx;
  if (c->column && c->col < 0) {
    for (size_t i = 0; i < nf; i++) {
      if (!strcmp(f[i], c->column) && c->col < 0) c->col = (int)i;
      if (c->key && !strcmp(f[i], c->key) && c->kcol < 0) c->kcol = (int)i;
    }
    c->ncols = nf;
    const char *missing = c->col < 0 ? c->column : c->key && c->kcol < 0 ? c->key : NULL;
    if (!missing) return true;
    return ps_fail(err, "%s:%ld: expected a header with the column \"%s\", found \"%s%s\"", c->path,
                   line, missing, nf ? f[0] : "", nf > 1 ? ",..." : "");
  }
  size_t want = c->column ? c->ncols : 1;
  if (nf != want)
    return ps_fail(err, "%s:%ld: expected %zu field%s, found %zu", c->path, line, want,
                   want == 1 ? " (one sample per line)" : "s", nf);
  const char *s = f[c->column ? c->col : 0];
  double x;
  if (!csvr_double(s, &x) && !c->column && line == 1) return true; /* a header */
  if (!csvr_double(s, &x) || !(x >= 0 && x <= c->hi))
    return ps_fail(err, "%s:%ld: expected a sample from 0 to %.0f, found \"%s\"", c->path, line,
                   c->hi, s);
  if (!scl_add_sample(c, x, c->key ? f[c->kcol] : NULL))
    return ps_fail(err, "%s:%ld: expected at most %d samples, found more", c->path, line,
                   MAX_SAMPLES);
  return true;
}

/* One file of samples, resolved against the scenario's folder, into c. */
bool scl_read_samples(jv *v, const scenario *sc, const cJSON *name, int index, scl_samples *c) {
  if (!cJSON_IsString(name) || !name->valuestring[0]) {
    char found[96];
    jv_describe(name, found, sizeof found);
    size_t mark = index < 0 ? jv_enter(v, "file") : jv_enter_index(v, index);
    jv_fail(v, "expected a file name, found %s", found);
    jv_leave(v, mark);
    return false;
  }
  char *path = scl_resolve(sc, name->valuestring);
  size_t before = c->n;
  c->path = path;
  c->col = c->kcol = -1;
  bool ok = csvr_read(path, sample_row, c, v->err);
  if (ok && c->n == before) ok = ps_fail(v->err, "%s: expected samples, found none", path);
  free(path);
  return ok;
}
