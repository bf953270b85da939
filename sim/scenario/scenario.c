#include "sim/scenario/scenario.h"

#include <libgen.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/csvr.h"
#include "analysis/outfile.h"
#include "base/hash.h"
#include "base/jsonv.h"
#include "base/xalloc.h"
#include "models/autoscalers/gosem.h"
#include "models/autoscalers/kpa.h"
#include "sim/bench/benchmark.h"
#include "sim/scenario/awl.h"
#include "sim/scenario/run_size.h"

#define MAX_SECONDS 1e9 /* about 31 years: any longer is a typo */
#define MAX_RATE 1e7    /* requests per second */
#define MAX_TOKENS 10e6
#define MAX_COUNT_SECOND 10000000 /* a counts file: 116 days, 40 MB of counts (400 MB as rates) */
#define MAX_ENTRIES 1024          /* gpus, llms, deployments, policies: each */
#define MAX_OPT_DEPLOYMENTS 64    /* with an optimizer: a profile each, as `podscale solve` */
#define MAX_SAMPLE_FILES 64       /* files of one empirical distribution */
#define MAX_SLOTS 4096            /* a slots pod's servers (each event scans them) */
#define MIN_HPA_PERIOD_S 1.0      /* an HPA keeps window / period recommendations and scans them */

/* ---- files a scenario reads ---- */

static char *resolve(const scenario *sc, const char *file) {
  if (file[0] == '/') return xstrdup(file);
  char *copy = xstrdup(sc->path);
  const char *dir = dirname(copy);
  size_t n = strlen(dir) + strlen(file) + 2;
  char *p = xmalloc(n);
  snprintf(p, n, "%s/%s", dir, file);
  free(copy);
  return p;
}

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

/* ---- sections ---- */

/* ---- tabulated distributions ---- */

static const dist_table *keep_table(scenario *sc, dist_table *t) {
  sc->tables = xrealloc(sc->tables, (sc->ntables + 1) * sizeof *sc->tables);
  return sc->tables[sc->ntables++] = t;
}

/* Element i of an array member: an array of `width` numbers (a point, a bin) into out. */
static bool number_tuple(jv *v, const cJSON *e, int i, size_t width, const char *shape,
                         double *out) {
  size_t k = 0;
  for (const cJSON *c = cJSON_IsArray(e) ? e->child : NULL; c && k <= width; c = c->next, k++)
    if (!cJSON_IsNumber(c) || k == width)
      break;
    else
      out[k] = c->valuedouble;
  if (cJSON_IsArray(e) && k == width && cJSON_GetArraySize(e) == (int)width) return true;
  char found[96];
  jv_describe(e, found, sizeof found);
  size_t mark = jv_enter_index(v, i);
  bool ok = jv_fail(v, "expected %s (an array of %zu numbers), found %s", shape, width, found);
  jv_leave(v, mark);
  return ok;
}

/* {"points": [[p, x], ...]}: the knots of the quantile function, from p = 0 to p = 1. */
static dist_table *load_points(jv *v, const cJSON *node, double hi) {
  const cJSON *arr;
  if (!jv_array(v, node, "points", true, 2, &arr)) return NULL;
  size_t n = (size_t)cJSON_GetArraySize(arr), mark = jv_enter(v, "points");
  double *p = xmalloc(2 * n * sizeof *p), *x = p + n;
  bool ok = true;
  int i = 0;
  for (const cJSON *e = arr->child; e && ok; e = e->next, i++) {
    double pt[2];
    bool last = !e->next;
    double p_min = i == 0 ? 0 : last ? 1 : p[i - 1], p_max = i == 0 ? 0 : 1;
    double x_min = i == 0 ? 0 : x[i - 1];
    const char *why = i == 0 ? "the first point is at 0"
                      : last ? "the last point is at 1"
                             : "p never decreases";
    if (!(ok = number_tuple(v, e, i, 2, "[p, x]", pt))) break;
    size_t m = jv_enter_index(v, i);
    if (!(pt[0] >= p_min && pt[0] <= p_max))
      ok = jv_fail(v, "expected p from %g to %g (%s), found %g", p_min, p_max, why, pt[0]);
    else if (!(pt[1] >= x_min && pt[1] <= hi))
      ok = jv_fail(v, "expected x from %g to %g (x never decreases), found %g", x_min, hi, pt[1]);
    jv_leave(v, m);
    p[i] = pt[0];
    x[i] = pt[1];
  }
  jv_leave(v, mark);
  dist_table *t = ok ? dist_table_points(p, x, n) : NULL;
  free(p);
  return t;
}

/* {"bins": [[lo, hi, weight], ...]}: in increasing order, an atom where lo = hi. */
static dist_table *load_bins(jv *v, const cJSON *node, double hi) {
  const cJSON *arr;
  if (!jv_array(v, node, "bins", true, 1, &arr)) return NULL;
  size_t n = (size_t)cJSON_GetArraySize(arr), mark = jv_enter(v, "bins");
  double *lo = xmalloc(3 * n * sizeof *lo), *up = lo + n, *w = up + n, total = 0;
  bool ok = true;
  int i = 0;
  for (const cJSON *e = arr->child; e && ok; e = e->next, i++) {
    double b[3], lo_min = i == 0 ? 0 : up[i - 1];
    if (!(ok = number_tuple(v, e, i, 3, "[lo, hi, weight]", b))) break;
    size_t m = jv_enter_index(v, i);
    if (!(b[0] >= lo_min && b[0] <= hi))
      ok = jv_fail(v, "expected lo from %g to %g (bins in increasing order), found %g", lo_min, hi,
                   b[0]);
    else if (!(b[1] >= b[0] && b[1] <= hi))
      ok = jv_fail(v, "expected hi from %g to %g, found %g", b[0], hi, b[1]);
    else if (!(b[2] >= 0 && b[2] <= 1e15))
      ok = jv_fail(v, "expected a weight from 0 to 1e15, found %g", b[2]);
    jv_leave(v, m);
    lo[i] = b[0], up[i] = b[1], w[i] = b[2];
    total += b[2];
  }
  if (ok && !(total > 0)) ok = jv_fail(v, "expected some bin with a positive weight, found none");
  jv_leave(v, mark);
  dist_table *t = ok ? dist_table_bins(lo, up, w, n) : NULL;
  free(lo);
  return t;
}

#define MAX_SAMPLES 10000000 /* 80 MB of doubles */

/* Samples read from files (or inline values) for an empirical distribution. */
typedef struct samples_ctx {
  const char *path;   /* the file being read */
  const char *column; /* the CSV column of the samples; NULL for one value per line */
  int col;            /* its index, -1 before the header */
  const char *key;    /* the CSV column naming what a sample measures (a request); or NULL */
  int kcol;           /* its index, -1 before the header */
  char **keys;        /* per sample, its key (with `key`) */
  size_t ncols;       /* fields of the header */
  double hi;          /* largest value allowed */
  double *xs;         /* samples of every file so far */
  size_t n, cap;
} samples_ctx;

static bool add_sample(samples_ctx *c, double x, const char *key) {
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
static void samples_by_key(samples_ctx *c) {
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
  samples_ctx *c = vctx;
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
  if (!add_sample(c, x, c->key ? f[c->kcol] : NULL))
    return ps_fail(err, "%s:%ld: expected at most %d samples, found more", c->path, line,
                   MAX_SAMPLES);
  return true;
}

/* One file of samples, resolved against the scenario's folder, into c. */
static bool read_samples(jv *v, scenario *sc, const cJSON *name, int index, samples_ctx *c) {
  if (!cJSON_IsString(name) || !name->valuestring[0]) {
    char found[96];
    jv_describe(name, found, sizeof found);
    size_t mark = index < 0 ? jv_enter(v, "file") : jv_enter_index(v, index);
    jv_fail(v, "expected a file name, found %s", found);
    jv_leave(v, mark);
    return false;
  }
  char *path = resolve(sc, name->valuestring);
  size_t before = c->n;
  c->path = path;
  c->col = c->kcol = -1;
  bool ok = csvr_read(path, sample_row, c, v->err);
  if (ok && c->n == before) ok = ps_fail(v->err, "%s: expected samples, found none", path);
  free(path);
  return ok;
}

/* {"file": F or [F, ...], "column": C} or {"values": [x, ...]}: the empirical distribution. */
static dist_table *load_samples(jv *v, scenario *sc, const cJSON *node, double hi) {
  const cJSON *file = cJSON_GetObjectItemCaseSensitive(node, "file");
  const cJSON *values = cJSON_GetObjectItemCaseSensitive(node, "values");
  samples_ctx c = {.hi = hi};
  bool ok = true;
  if (!file == !values)
    return jv_fail(v, "expected either \"file\" or \"values\", found %s",
                   file ? "both" : "neither"),
           NULL;
  if (values) {
    ok = jv_array(v, node, "values", true, 1, &values);
    size_t mark = jv_enter(v, "values");
    int i = 0;
    for (const cJSON *e = ok ? values->child : NULL; e && ok; e = e->next, i++) {
      size_t m = jv_enter_index(v, i);
      if (!cJSON_IsNumber(e) || !(e->valuedouble >= 0 && e->valuedouble <= hi) ||
          !add_sample(&c, e->valuedouble, NULL)) {
        char found[96];
        jv_describe(e, found, sizeof found);
        ok = jv_fail(v, "expected a sample from 0 to %.0f, found %s", hi, found);
      }
      jv_leave(v, m);
    }
    jv_leave(v, mark);
    for (const char *const *k = (const char *const[]){"column", "key", NULL}; *k && ok; k++)
      if (cJSON_GetObjectItemCaseSensitive(node, *k))
        ok = jv_fail_at(v, *k, "expected \"%s\" only with \"file\"", *k);
  } else {
    ok = jv_string(v, node, "column", false, &c.column) && jv_string(v, node, "key", false, &c.key);
    if (ok && c.key && !c.column)
      ok = jv_fail_at(v, "key", "expected \"key\" only with \"column\"");
    size_t mark = jv_enter(v, "file");
    int i = 0;
    if (ok && cJSON_IsArray(file) && !file->child) ok = jv_fail(v, "expected file names, found []");
    if (ok && cJSON_GetArraySize(file) > MAX_SAMPLE_FILES)
      ok = jv_fail(v, "expected at most %d files, found %d", MAX_SAMPLE_FILES,
                   cJSON_GetArraySize(file));
    for (const cJSON *e = cJSON_IsArray(file) ? file->child : NULL; e && ok; e = e->next, i++)
      ok = read_samples(v, sc, e, i, &c);
    jv_leave(v, mark);
    if (ok && !cJSON_IsArray(file)) ok = read_samples(v, sc, file, -1, &c);
  }
  if (ok && c.key) samples_by_key(&c);
  dist_table *t = ok ? dist_table_samples(c.xs, c.n) : NULL;
  for (size_t i = 0; c.keys && i < c.n; i++)
    free(c.keys[i]);
  free(c.keys);
  free(c.xs);
  return t;
}

/* The three tabulated kinds of the scenario ("empirical", "histogram", "quantiles"). */
static bool load_table(jv *v, scenario *sc, const cJSON *node, int kind, double hi, dist *out) {
  dist_table *t = kind == 6   ? load_samples(v, sc, node, hi)
                  : kind == 7 ? load_bins(v, node, hi)
                              : load_points(v, node, hi);
  if (t) *out = dist_tabulated(keep_table(sc, t));
  return t != NULL;
}

/* obj's "name" can name a file (it names `what`): analysis/outfile.h's rule, checked at load. */
static bool file_name_ok(jv *v, const cJSON *obj, const char *name, const char *what) {
  const char *why;
  if (outfile_name_ok(name, &why)) return true;
  char found[200];
  jv_describe(cJSON_GetObjectItemCaseSensitive(obj, "name"), found, sizeof found);
  return jv_fail_at(v, "name", "expected %s: it names %s, found %s", why, what, found);
}

static bool load_dist(jv *v, scenario *sc, const cJSON *obj, const char *key, bool required,
                      bool allow_trace, const char *unit, dist *out) {
  const cJSON *node;
  if (required ? !jv_require(v, obj, key, &node)
               : !(node = cJSON_GetObjectItemCaseSensitive(obj, key)))
    return !required;
  size_t mark = jv_enter(v, key);
  static const char *const keys[] = {"dist",   "value", "min",    "max",  "mean",   "p99", "file",
                                     "column", "key",   "values", "bins", "points", NULL};
  static const char *const kinds[] = {
      "constant", "deterministic", "uniform",   "exponential", "lognormal",
      "trace",    "empirical",     "histogram", "quantiles",   NULL};
  int kind = 0;
  bool ok = jv_object(v, node, keys) && jv_choice(v, node, "dist", true, kinds, &kind);
  double a = NAN, b = NAN, hi = strcmp(unit, "tokens") ? MAX_SECONDS : MAX_TOKENS;
  if (ok) switch (kind) {
    case 0:
    case 1:
      ok = jv_number(v, node, "value", true, 0, hi, &a);
      *out = (dist){.kind = DIST_CONSTANT, .a = a};
      break;
    case 2:
      ok = jv_number(v, node, "min", true, 0, hi, &a) && jv_number(v, node, "max", true, a, hi, &b);
      *out = (dist){.kind = DIST_UNIFORM, .a = a, .b = b};
      break;
    case 3:
      ok = jv_number(v, node, "mean", true, 1e-9, hi, &a);
      *out = (dist){.kind = DIST_EXPONENTIAL, .a = a};
      break;
    case 4:
      ok = jv_number(v, node, "mean", true, 1e-9, hi, &a) &&
           jv_number(v, node, "p99", true, a, hi, &b);
      if (ok && !dist_lognormal_mean_p99(a, b, out)) {
        ok = jv_fail_at(v, "p99",
                        "expected a p99 above the mean and below 14.97 times it (a lognormal must "
                        "fit), found %g with mean %g",
                        b, a);
      }
      break;
    case 5:
      if (!allow_trace) {
        ok = jv_fail_at(v, "dist",
                        "expected a distribution other than \"trace\" (only a trace workload "
                        "records %s), found \"trace\"",
                        unit);
      }
      *out = (dist){.kind = DIST_TRACE};
      break;
    default: ok = load_table(v, sc, node, kind, hi, out); break;
    }
  /* Each kind takes only its own parameters: a stray one is a mistake, not a no-op. */
  static const char *const params[9][4] = {{"value"},
                                           {"value"},
                                           {"min", "max"},
                                           {"mean"},
                                           {"mean", "p99"},
                                           {NULL},
                                           {"file", "column", "key", "values"},
                                           {"bins"},
                                           {"points"}};
  for (const cJSON *m = ok ? node->child : NULL; m && ok; m = m->next) {
    bool known = !strcmp(m->string, "dist");
    for (int k = 0; k < 4 && params[kind][k] && !known; k++)
      known = !strcmp(params[kind][k], m->string);
    if (!known)
      ok = jv_fail_at(v, m->string, "expected no \"%s\" with \"dist\": \"%s\"", m->string,
                      kinds[kind]);
  }
  jv_leave(v, mark);
  return ok;
}

static bool load_segments(jv *v, scenario *sc, const cJSON *arr, int shape) {
  size_t n = (size_t)cJSON_GetArraySize(arr);
  sc->segments = xcalloc(n, sizeof *sc->segments);
  static const char *const keys[] = {"duration_s", "rate", "end_rate", NULL};
  int i = 0;
  for (const cJSON *s = arr->child; s; s = s->next, i++) {
    size_t mark = jv_enter_index(v, i);
    wl_segment *g = &sc->segments[i];
    g->end_rps = NAN;
    if (!jv_object(v, s, keys) ||
        !jv_number(v, s, "duration_s", true, 1e-6, MAX_SECONDS, &g->duration_s) ||
        !jv_number(v, s, "rate", true, 0, MAX_RATE, &g->rate_rps) ||
        !jv_number(v, s, "end_rate", false, 0, MAX_RATE, &g->end_rps))
      return false;
    jv_leave(v, mark);
  }
  /* "linear" ramps each segment to the next one's rate unless end_rate says otherwise. */
  for (size_t k = 0; k < n; k++) {
    wl_segment *g = &sc->segments[k];
    if (isnan(g->end_rps))
      g->end_rps = shape == 1 && k + 1 < n ? sc->segments[k + 1].rate_rps : g->rate_rps;
  }
  sc->workload.segments = sc->segments;
  sc->workload.nsegments = n;
  return true;
}

static bool load_process(jv *v, const cJSON *a, wl_spec *w) {
  static const char *const procs[] = {"poisson", "gamma", NULL};
  int proc = 0;
  w->cv = 1;
  if (!jv_choice(v, a, "process", false, procs, &proc) ||
      !jv_number(v, a, "cv", false, 0.01, 100, &w->cv))
    return false;
  w->process = proc ? WL_GAMMA : WL_POISSON;
  if (!proc && cJSON_GetObjectItemCaseSensitive(a, "cv"))
    return jv_fail_at(
        v, "cv", "expected \"cv\" only with \"process\": \"gamma\" (Poisson arrivals have cv 1)");
  return true;
}

static bool load_arrivals(jv *v, scenario *sc, const cJSON *a, awl_needs needs) {
  static const char *const keys[] = {"type", "process", "cv",     "shape", "segments",
                                     "file", "mode",    "format", NULL};
  static const char *const types[] = {"segments", "counts", "trace", NULL};
  wl_spec *w = &sc->workload;
  int type = 0;
  if (!jv_object(v, a, keys) || !jv_choice(v, a, "type", true, types, &type)) return false;
  static const char *const per_type[3][5] = {
      {"process", "cv", "shape", "segments", NULL},
      {"file", "mode", "process", "cv", NULL},
      {"file", "format", NULL, NULL, NULL},
  };
  for (const cJSON *m = a->child; m; m = m->next) {
    bool ok = !strcmp(m->string, "type");
    for (int k = 0; per_type[type][k] && !ok; k++)
      ok = !strcmp(per_type[type][k], m->string);
    if (!ok)
      return jv_fail_at(v, m->string, "expected no \"%s\" with \"type\": \"%s\"", m->string,
                        types[type]);
  }
  if (type == 0) {
    static const char *const shapes[] = {"step", "linear", NULL};
    int shape = 0;
    const cJSON *segs;
    w->source = WL_SEGMENTS;
    if (!load_process(v, a, w) || !jv_choice(v, a, "shape", false, shapes, &shape) ||
        !jv_array(v, a, "segments", true, 1, &segs))
      return false;
    size_t mark = jv_enter(v, "segments");
    bool ok = load_segments(v, sc, segs, shape);
    jv_leave(v, mark);
    return ok;
  }
  const char *file;
  if (!jv_string(v, a, "file", true, &file)) return false;
  char *path = resolve(sc, file);
  bool ok;
  if (type == 1) {
    static const char *const modes[] = {"exact", "rate", NULL};
    int mode = 0;
    counts_ctx c = {.path = path, .last_second = -1};
    ok = jv_choice(v, a, "mode", false, modes, &mode) && load_process(v, a, w) &&
         csvr_read(path, count_row, &c, v->err);
    if (ok && c.n == 0) ok = ps_fail(v->err, "%s: expected per-second counts, found none", path);
    sc->counts = c.counts;
    if (ok && mode == 1) { /* counts as a step rate function */
      sc->segments = xcalloc(c.n, sizeof *sc->segments);
      for (size_t i = 0; i < c.n; i++)
        sc->segments[i] = (wl_segment){1.0, c.counts[i], c.counts[i]};
      w->source = WL_SEGMENTS;
      w->segments = sc->segments;
      w->nsegments = c.n;
    } else if (ok) {
      if (cJSON_GetObjectItemCaseSensitive(a, "process")) {
        ok = jv_fail_at(
            v, "process",
            "expected \"process\" only with \"mode\": \"rate\" (exact counts have no process)");
      }
      w->source = WL_COUNTS;
      w->counts = c.counts;
      w->ncounts = c.n;
    }
  } else {
    static const char *const formats[] = {"azure", "aibrix-jsonl", NULL};
    int format = 0;
    trace_ctx c = {.path = path};
    ok = jv_choice(v, a, "format", false, formats, &format);
    if (ok && format == 1) { /* times count from the client's start, not the first line */
      ok = awl_read(path, needs, &c.recs, &c.n, v->err);
    } else if (ok) {
      ok = csvr_read(path, trace_row, &c, v->err);
      if (ok && c.n == 0) ok = ps_fail(v->err, "%s: expected trace records, found none", path);
      for (size_t i = c.n; ok && i-- > 0;)
        c.recs[i].t_us -= c.recs[0].t_us;
    }
    sc->trace = c.recs;
    w->source = WL_TRACE;
    w->trace = c.recs;
    w->ntrace = c.n;
  }
  free(path);
  return ok;
}

/* Whether the workload's member `key` takes token lengths from the trace: absent, or "trace". */
static bool lengths_from_trace(const cJSON *wl, const char *key) {
  const cJSON *d = cJSON_GetObjectItemCaseSensitive(wl, key);
  const cJSON *kind = cJSON_IsObject(d) ? cJSON_GetObjectItemCaseSensitive(d, "dist") : NULL;
  return !d || (cJSON_IsString(kind) && !strcmp(kind->valuestring, "trace"));
}

static bool load_workload(jv *v, scenario *sc, const cJSON *node) {
  static const char *const keys[] = {
      "arrivals", "input_tokens", "output_tokens", "max_output_tokens", "rate_scale", "time_scale",
      NULL};
  wl_spec *w = &sc->workload;
  w->rate_scale = w->time_scale = 1;
  const cJSON *a;
  if (!jv_object(v, node, keys) || !jv_require(v, node, "arrivals", &a)) return false;
  size_t mark = jv_enter(v, "arrivals");
  awl_needs needs = {lengths_from_trace(node, "input_tokens"),
                     lengths_from_trace(node, "output_tokens")};
  bool ok = load_arrivals(v, sc, a, needs);
  jv_leave(v, mark);
  if (!ok) return false;
  bool trace = w->source == WL_TRACE;
  int64_t cap = 0;
  w->input_tokens = w->output_tokens = (dist){.kind = DIST_TRACE};
  if (!load_dist(v, sc, node, "input_tokens", !trace, trace, "tokens", &w->input_tokens) ||
      !load_dist(v, sc, node, "output_tokens", !trace, trace, "tokens", &w->output_tokens) ||
      !jv_int(v, node, "max_output_tokens", false, 0, (int64_t)MAX_TOKENS, &cap) ||
      !jv_number(v, node, "rate_scale", false, 1e-6, 1e6, &w->rate_scale) ||
      !jv_number(v, node, "time_scale", false, 1e-6, 1e6, &w->time_scale))
    return false;
  w->max_output_tokens = (int32_t)cap;
  double peak = 0; /* arrivals in the busiest second, after scaling */
  for (size_t i = 0; i < w->ncounts; i++)
    peak = fmax(peak, w->counts[i] * w->rate_scale / w->time_scale);
  for (size_t i = 0; i < w->nsegments; i++)
    peak = fmax(peak, fmax(w->segments[i].rate_rps, w->segments[i].end_rps) * w->rate_scale /
                          w->time_scale);
  if (peak > MAX_RATE)
    return jv_fail(v,
                   "expected a peak arrival rate (rate x rate_scale / time_scale) of at most %.0f "
                   "requests per second, found %.6g",
                   MAX_RATE, peak);
  return true;
}

#define GIB_BYTES (1024.0 * 1024.0 * 1024.0)

static bool load_gpus(jv *v, scenario *sc, const cJSON *arr) {
  static const char *const keys[] = {"name",           "price_per_hour", "count", "tflops",
                                     "bandwidth_gbps", "memory_gib",     NULL};
  sc->ngpus = (uint32_t)cJSON_GetArraySize(arr);
  sc->gpus = xcalloc(sc->ngpus, sizeof *sc->gpus);
  int i = 0;
  for (const cJSON *g = arr->child; g; g = g->next, i++) {
    size_t mark = jv_enter_index(v, i);
    const char *name;
    int64_t count = 1000000;
    sc_gpu *gpu = &sc->gpus[i];
    if (!jv_object(v, g, keys) || !jv_string(v, g, "name", true, &name)) return false;
    const gpu_spec *cat = catalog_gpu(name);
    double tflops = cat ? cat->flops / 1e12 : NAN, gbps = cat ? cat->bandwidth / 1e9 : NAN,
           gib = cat ? cat->memory / GIB_BYTES : NAN;
    gpu->price_per_hour = cat ? cat->price_per_hour : NAN;
    /* A catalog GPU may leave its price out; any other needs one. */
    if (!jv_number(v, g, "price_per_hour", !cat, 0, 1e6, &gpu->price_per_hour) ||
        !jv_int(v, g, "count", false, 1, 1000000, &count) ||
        !jv_number(v, g, "tflops", false, 1e-3, 1e6, &tflops) ||
        !jv_number(v, g, "bandwidth_gbps", false, 1e-3, 1e7, &gbps) ||
        !jv_number(v, g, "memory_gib", false, 1e-3, 1e6, &gib))
      return false;
    for (int k = 0; k < i; k++)
      if (!strcmp(sc->gpus[k].name, name))
        return jv_fail_at(v, "name",
                          "expected a name not used by another GPU type, found \"%s\" again", name);
    gpu->name = xstrdup(name);
    gpu->count = (int32_t)count;
    gpu->spec =
        (gpu_spec){gpu->name, tflops * 1e12, gbps * 1e9, gib * GIB_BYTES, gpu->price_per_hour};
    gpu->has_spec = !isnan(tflops) && !isnan(gbps) && !isnan(gib);
    jv_leave(v, mark);
  }
  return true;
}

/* The catalog's LLMs, then the scenario's "llms" entries: a known name overrides fields of the
 * catalog entry, a new name must give every field. */
static bool load_llms(jv *v, scenario *sc, const cJSON *arr) {
  static const char *const keys[] = {"name",     "layers",   "hidden",           "heads",
                                     "kv_heads", "params_b", "bytes_per_weight", "max_model_len",
                                     "kv_bytes", NULL};
  int i = 0;
  for (const cJSON *e = arr->child; e; e = e->next, i++) {
    size_t mark = jv_enter_index(v, i);
    const char *name;
    if (!jv_object(v, e, keys) || !jv_string(v, e, "name", true, &name)) return false;
    uint32_t k = 0;
    while (k < sc->nllms && strcmp(sc->llms[k].name, name))
      k++;
    bool known = k < sc->nllms;
    if (!known) {
      sc->llms = xrealloc(sc->llms, (sc->nllms + 1) * sizeof *sc->llms);
      sc->llms[sc->nllms++] = (sc_llm){xstrdup(name), {0}};
    }
    llm_spec *m = &sc->llms[k].spec;
    int64_t layers = m->layers, hidden = m->hidden, heads = m->heads, kv = m->kv_heads,
            len = m->max_model_len;
    double params_b = m->params / 1e9;
    if (!jv_int(v, e, "layers", !known, 1, 1000, &layers) ||
        !jv_int(v, e, "hidden", !known, 1, 1000000, &hidden) ||
        !jv_int(v, e, "heads", !known, 1, 10000, &heads) ||
        !jv_int(v, e, "kv_heads", !known, 1, heads, &kv) ||
        !jv_number(v, e, "params_b", !known, 1e-6, 1e6, &params_b) ||
        !jv_number(v, e, "bytes_per_weight", !known, 0.125, 8, &m->bytes_per_weight) ||
        !jv_int(v, e, "max_model_len", !known, 1, 10000000, &len))
      return false;
    double kv_bytes = known ? m->kv_bytes : 2;
    if (!jv_number(v, e, "kv_bytes", false, 0.5, 8, &kv_bytes)) return false;
    if (hidden % heads != 0)
      return jv_fail_at(v, "hidden", "expected a multiple of heads (%lld), found %lld",
                        (long long)heads, (long long)hidden);
    if (kv > heads || heads % kv != 0) /* grouped-query attention shares KV heads evenly */
      return jv_fail(v, "expected kv_heads (%lld) to divide heads (%lld)", (long long)kv,
                     (long long)heads);
    *m = (llm_spec){sc->llms[k].name,    (int32_t)layers, (int32_t)hidden,
                    (int32_t)heads,      (int32_t)kv,     params_b * 1e9,
                    m->bytes_per_weight, (int32_t)len,    kv_bytes};
    jv_leave(v, mark);
  }
  return true;
}

static void catalog_llms(scenario *sc) {
  const llm_spec *m;
  for (int i = 0; (m = catalog_llm_at(i)); i++) {
    sc->llms = xrealloc(sc->llms, (sc->nllms + 1) * sizeof *sc->llms);
    sc->llms[sc->nllms] = (sc_llm){xstrdup(m->name), *m};
    sc->llms[sc->nllms].spec.name = sc->llms[sc->nllms].name;
    sc->nllms++;
  }
}

static bool load_perf(jv *v, const cJSON *m, perf_params *pp) {
  static const char *const keys[] = {"eff_compute", "eff_memory", "overhead_s", "overhead_seq_s",
                                     NULL};
  const cJSON *node = cJSON_GetObjectItemCaseSensitive(m, "perf");
  if (!node) return true; /* the factors given in *pp stay for the keys not set */
  size_t mark = jv_enter(v, "perf");
  bool ok = jv_object(v, node, keys) &&
            jv_number(v, node, "eff_compute", false, 1e-4, 1, &pp->eff_compute) &&
            jv_number(v, node, "eff_memory", false, 1e-4, 1, &pp->eff_memory) &&
            jv_number(v, node, "overhead_s", false, 0, 10, &pp->overhead_s) &&
            jv_number(v, node, "overhead_seq_s", false, 0, 1, &pp->overhead_seq_s);
  jv_leave(v, mark);
  return ok;
}

/* A vLLM server on the deployment's GPU, configured as vLLM's engine arguments are. */
static bool load_llm_model(jv *v, scenario *sc, sc_deployment *d, const cJSON *m) {
  const char *name;
  if (!jv_string(v, m, "llm", true, &name)) return false;
  uint32_t k = 0;
  while (k < sc->nllms && strcmp(sc->llms[k].name, name))
    k++;
  if (k == sc->nllms)
    return jv_fail_at(v, "llm", "expected an LLM of the catalog or of \"llms\", found \"%s\"",
                      name);
  const llm_spec *spec = &sc->llms[k].spec;
  const sc_gpu *gpu = &sc->gpus[d->gpu];
  if (!gpu->has_spec)
    return jv_fail(v,
                   "expected GPU type \"%s\" to have tflops, bandwidth_gbps and memory_gib "
                   "(it is not in the catalog), found some missing",
                   gpu->name);
  llm_engine_args a = llm_engine_args_for(&gpu->spec, spec); /* calibrated for known pairs */
  double reserve_gib = a.activation_reserve_bytes / GIB_BYTES;
  int64_t seqs = a.max_num_seqs, block = a.block_size, len = 0, batched = 0, blocks = 0;
  bool stepped = false;
  if (!jv_int(v, m, "max_num_seqs", false, 1, 4096, &seqs) ||
      !jv_int(v, m, "block_size", false, 1, 256, &block) ||
      !jv_int(v, m, "max_model_len", false, 1, spec->max_model_len, &len) ||
      !jv_int(v, m, "max_num_batched_tokens", false, 1, 100000000, &batched) ||
      !jv_number(v, m, "gpu_memory_utilization", false, 0.01, 1, &a.gpu_memory_utilization) ||
      !jv_number(v, m, "activation_reserve_gib", false, 0, 1e4, &reserve_gib) ||
      !jv_int(v, m, "num_gpu_blocks_override", false, 1, 100000000, &blocks) ||
      !jv_bool(v, m, "enable_chunked_prefill", &a.enable_chunked_prefill) ||
      !jv_bool(v, m, "stepped", &stepped) || !load_perf(v, m, &a.perf))
    return false;
  a.max_num_seqs = (int32_t)seqs;
  a.block_size = (int32_t)block;
  a.max_model_len = (int32_t)len;
  a.max_num_batched_tokens = (int32_t)batched;
  static const char *const sizing[] = {"block_size", "gpu_memory_utilization",
                                       "activation_reserve_gib", NULL};
  for (const char *const *key = sizing; *key; key++) /* the KV cache sized from memory */
    if (cJSON_GetObjectItemCaseSensitive(m, *key)) a.num_gpu_blocks = 0;
  if (blocks) a.num_gpu_blocks = (int32_t)blocks;
  a.activation_reserve_bytes = reserve_gib * GIB_BYTES;
  char why[512];
  if (!llmpod_configure(&gpu->spec, spec, &a, &d->llm, why, sizeof why))
    return jv_fail(v, "expected a configuration vLLM can start with, found that %s", why);
  d->model = SC_MODEL_LLM;
  d->llm_args = a;
  d->llm_index = k;
  d->llm.stepped = stepped;
  return true;
}

static bool load_model(jv *v, scenario *sc, sc_deployment *d, const cJSON *m) {
  static const char *const types[] = {"slots", "llm", NULL};
  static const char *const slot_keys[] = {"type", "slots", "service_s", NULL};
  static const char *const llm_keys[] = {"type",
                                         "llm",
                                         "max_num_seqs",
                                         "block_size",
                                         "max_model_len",
                                         "max_num_batched_tokens",
                                         "gpu_memory_utilization",
                                         "activation_reserve_gib",
                                         "num_gpu_blocks_override",
                                         "enable_chunked_prefill",
                                         "perf",
                                         "stepped",
                                         NULL};
  int type = 0;
  if (!cJSON_IsObject(m)) return jv_object(v, m, slot_keys);
  if (!jv_choice(v, m, "type", true, types, &type)) return false;
  if (type == 1) return jv_object(v, m, llm_keys) && load_llm_model(v, sc, d, m);
  int64_t slots = 1;
  if (!jv_object(v, m, slot_keys) || !jv_int(v, m, "slots", false, 1, MAX_SLOTS, &slots) ||
      !load_dist(v, sc, m, "service_s", true, false, "seconds", &d->slots.service_s))
    return false;
  d->model = SC_MODEL_SLOTS;
  d->slots.slots = (int32_t)slots;
  return true;
}

static int find_name(const char *name, const void *base, size_t size, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!strcmp(*(char *const *)((const char *)base + i * size), name)) return (int)i;
  return -1;
}

/* "startup_s": a fixed time to Ready; or "startup": the lifecycle's parts; else the defaults. */
static bool load_startup(jv *v, scenario *sc, const cJSON *dn, lifecycle_config *out) {
  static const char *const keys[] = {"init_s", "load_s", "readiness_initial_delay_s",
                                     "readiness_period_s", NULL};
  const cJSON *node = cJSON_GetObjectItemCaseSensitive(dn, "startup");
  int64_t fixed = -1;
  *out = lifecycle_default();
  if (!jv_seconds(v, dn, "startup_s", false, 0, 86400, &fixed)) return false;
  if (fixed >= 0 && node)
    return jv_fail_at(v, "startup", "expected either \"startup_s\" or \"startup\", found both");
  if (fixed >= 0) *out = lifecycle_constant(fixed);
  if (!node) return true;
  size_t mark = jv_enter(v, "startup");
  bool ok =
      jv_object(v, node, keys) &&
      load_dist(v, sc, node, "init_s", false, false, "seconds", &out->init_s) &&
      load_dist(v, sc, node, "load_s", false, false, "seconds", &out->load_s) &&
      jv_seconds(v, node, "readiness_initial_delay_s", false, 0, 86400, &out->probe_delay_us) &&
      jv_seconds(v, node, "readiness_period_s", false, 0.001, 86400, &out->probe_period_us);
  jv_leave(v, mark);
  return ok;
}

static bool load_deployments(jv *v, scenario *sc, const cJSON *arr) {
  static const char *const keys[] = {"name",           "gpu",     "model",
                                     "startup_s",      "startup", "termination_grace_s",
                                     "prestop_poll_s", NULL};
  sc->ndeployments = (uint32_t)cJSON_GetArraySize(arr);
  sc->deployments = xcalloc(sc->ndeployments, sizeof *sc->deployments);
  int i = 0;
  for (const cJSON *dn = arr->child; dn; dn = dn->next, i++) {
    size_t mark = jv_enter_index(v, i);
    sc_deployment *d = &sc->deployments[i];
    const char *name, *gpu;
    const cJSON *model;
    d->grace_us = 60 * INT64_C(1000000);
    if (!jv_object(v, dn, keys) || !jv_string(v, dn, "name", true, &name) ||
        !jv_string(v, dn, "gpu", true, &gpu) || !jv_require(v, dn, "model", &model) ||
        !jv_seconds(v, dn, "termination_grace_s", false, 0, 86400, &d->grace_us) ||
        !jv_seconds(v, dn, "prestop_poll_s", false, 0, 86400, &d->prestop_poll_us) ||
        !load_startup(v, sc, dn, &d->startup))
      return false;
    if (!file_name_ok(v, dn, name, "the deployment's profile file in the output")) return false;
    if (find_name(name, sc->deployments, sizeof *d, (size_t)i) >= 0)
      return jv_fail_at(v, "name",
                        "expected a name not used by another deployment, found \"%s\" again", name);
    d->name = xstrdup(name);
    int g = find_name(gpu, sc->gpus, sizeof *sc->gpus, sc->ngpus);
    if (g < 0)
      return jv_fail_at(v, "gpu", "expected the name of a GPU type in \"gpus\", found \"%s\"", gpu);
    d->gpu = (uint32_t)g;
    size_t m2 = jv_enter(v, "model");
    bool ok = load_model(v, sc, d, model);
    jv_leave(v, m2);
    if (!ok) return false;
    jv_leave(v, mark);
  }
  return true;
}

static bool load_replicas(jv *v, scenario *sc, sc_policy *p, const cJSON *pol) {
  const cJSON *node;
  if (!jv_require(v, pol, "replicas", &node)) return false;
  p->replicas = xcalloc(sc->ndeployments, sizeof(int32_t));
  int64_t r = 0;
  if (cJSON_IsNumber(node)) {
    if (!jv_int(v, pol, "replicas", true, 0, 100000, &r)) return false;
    for (uint32_t d = 0; d < sc->ndeployments; d++)
      p->replicas[d] = (int32_t)r;
    return true;
  }
  size_t mark = jv_enter(v, "replicas");
  bool ok = true;
  if (!cJSON_IsObject(node)) {
    char found[96];
    jv_describe(node, found, sizeof found);
    ok =
        jv_fail(v, "expected an integer, or an object of replicas per deployment, found %s", found);
  }
  for (const cJSON *m = ok ? node->child : NULL; m && ok; m = m->next) {
    if (find_name(m->string, sc->deployments, sizeof *sc->deployments, sc->ndeployments) < 0) {
      ok = jv_fail_at(v, m->string, "expected the name of a deployment, found an unknown one");
    }
  }
  for (uint32_t d = 0; d < sc->ndeployments && ok; d++) {
    ok = jv_int(v, node, sc->deployments[d].name, true, 0, 100000, &r);
    p->replicas[d] = (int32_t)r;
  }
  jv_leave(v, mark);
  return ok;
}

/* port: a string, as AIBrix's PodAutoscaler has it (`port: '8000'`, Go's strconv), or a plain
 * integer. */
static bool load_port(jv *v, const cJSON *src) {
  const cJSON *node = cJSON_GetObjectItemCaseSensitive(src, "port");
  int64_t port = 8000;
  if (!cJSON_IsString(node)) return jv_int(v, src, "port", false, 1, 65535, &port);
  int32_t n;
  if (!go_parse_int32(node->valuestring, &n) || n < 1 || n > 65535)
    return jv_fail_at(v, "port", "expected a port from 1 to 65535, found \"%s\"",
                      node->valuestring);
  return true;
}

/* targetValue: a string, as the PodAutoscaler has it (Go's ParseFloat), or a plain number. */
static bool load_target_value(jv *v, const cJSON *src, double *out) {
  const cJSON *node;
  if (!jv_require(v, src, "targetValue", &node)) return false;
  if (cJSON_IsNumber(node)) {
    *out = node->valuedouble;
    return true;
  }
  if (cJSON_IsString(node) && go_parse_float(node->valuestring, out)) return true;
  char found[96];
  jv_describe(node, found, sizeof found);
  return jv_fail_at(v, "targetValue", "expected a number or a string holding one, found %s", found);
}

/* spec.metricsSources: exactly one (the legacy controller requires exactly one): a pod gauge
 * (`pod`), or the GPU optimizer's vllm:deployment_replicas (`domain`). */
static bool load_metric_source(jv *v, policy_config *cfg, const cJSON *arr) {
  static const char *const keys[] = {"metricSourceType", "protocolType", "endpoint", "port", "path",
                                     "targetMetric",     "targetValue",  NULL};
  static const char *const source_types[] = {"pod", "domain", NULL};
  static const char *const protocols[] = {"http", "https", NULL};
  /* Registry keys, and the raw vLLM names that the legacy substring match also finds. */
  static const char *const metrics[] = {
      "gpu_cache_usage_perc",      "kv_cache_usage_perc",       "num_requests_running",
      "num_requests_waiting",      "vllm:gpu_cache_usage_perc", "vllm:kv_cache_usage_perc",
      "vllm:num_requests_running", "vllm:num_requests_waiting", NULL};
  if (cJSON_GetArraySize(arr) != 1)
    return jv_fail(v, "expected exactly one metric source, found %d", cJSON_GetArraySize(arr));
  size_t mark = jv_enter_index(v, 0);
  const cJSON *src = arr->child;
  int type = 0, proto = 0, metric = 0;
  const char *path = NULL, *endpoint = NULL, *name = NULL;
  bool ok = jv_object(v, src, keys) &&
            jv_choice(v, src, "metricSourceType", false, source_types, &type) &&
            jv_choice(v, src, "protocolType", false, protocols, &proto) &&
            jv_string(v, src, "endpoint", false, &endpoint) && load_port(v, src) &&
            jv_string(v, src, "path", false, &path) &&
            load_target_value(v, src, &cfg->target_value);
  if (ok && type == 1) { /* domain: the GPU optimizer's endpoint */
    ok = jv_string(v, src, "targetMetric", true, &name);
    if (ok && strcmp(name, "vllm:deployment_replicas") != 0)
      ok = jv_fail_at(v, "targetMetric",
                      "a domain source reads the GPU optimizer's \"vllm:deployment_replicas\", "
                      "found \"%s\"",
                      name);
    cfg->metric = METRIC_OPTIMIZER;
  } else if (ok) {
    ok = jv_choice(v, src, "targetMetric", true, metrics, &metric);
    cfg->metric = (policy_metric)(metric % METRIC_COUNT);
  }
  if (ok && type == 0 && metric >= METRIC_COUNT && cfg->variant == POLICY_AIBRIX_V05 &&
      cfg->kind != POLICY_HPA)
    ok = jv_fail_at(v, "targetMetric",
                    "AIBrix v0.5+ looks the metric up in its registry, whose keys have no vllm: "
                    "prefix (it would read 0); use \"%s\"",
                    policy_metric_name(cfg->metric));
  jv_leave(v, mark);
  return ok;
}

/* One direction of an HPA's spec.behavior, over the Kubernetes defaults already in *r. */
static bool load_hpa_rules(jv *v, const cJSON *node, hpa_rules *r, double *tolerance) {
  static const char *const keys[] = {"stabilizationWindowSeconds", "selectPolicy", "policies",
                                     "tolerance", NULL};
  static const char *const selects[] = {"Max", "Min", "Disabled", NULL};
  static const char *const pol_keys[] = {"type", "value", "periodSeconds", NULL};
  static const char *const pol_types[] = {"Pods", "Percent", NULL};
  int64_t stab = r->stabilization_s;
  int select = (int)r->select;
  const cJSON *pols;
  if (!jv_object(v, node, keys) ||
      !jv_int(v, node, "stabilizationWindowSeconds", false, 0, 3600, &stab) ||
      !jv_choice(v, node, "selectPolicy", false, selects, &select) ||
      !jv_number(v, node, "tolerance", false, 0, 1e6, tolerance) ||
      !jv_array(v, node, "policies", false, 1, &pols))
    return false;
  r->stabilization_s = (int32_t)stab;
  r->select = (hpa_select)select;
  if (!pols) return true;
  if (cJSON_GetArraySize(pols) > HPA_MAX_POLICIES)
    return jv_fail_at(v, "policies", "expected at most %d policies, found %d", HPA_MAX_POLICIES,
                      cJSON_GetArraySize(pols));
  size_t mark = jv_enter(v, "policies");
  r->n_policies = 0;
  int i = 0;
  for (const cJSON *pn = pols->child; pn; pn = pn->next, i++) {
    size_t m2 = jv_enter_index(v, i);
    int type = 0;
    int64_t value = 0, period = 0;
    if (!jv_object(v, pn, pol_keys) || !jv_choice(v, pn, "type", true, pol_types, &type) ||
        !jv_int(v, pn, "value", true, 1, INT32_MAX, &value) ||
        !jv_int(v, pn, "periodSeconds", true, 1, 1800, &period))
      return false;
    r->policies[r->n_policies++] =
        (hpa_policy){type ? HPA_POLICY_PERCENT : HPA_POLICY_PODS, (int32_t)value, (int32_t)period};
    jv_leave(v, m2);
  }
  jv_leave(v, mark);
  return true;
}

/* spec.behavior of a hand-written HPA (variant kubernetes). */
static bool load_hpa_behavior(jv *v, policy_config *cfg, const cJSON *node) {
  static const char *const keys[] = {"scaleUp", "scaleDown", NULL};
  if (cfg->kind != POLICY_HPA || cfg->variant != POLICY_KUBERNETES)
    return jv_fail(v, "is read only by hpa policies of variant \"kubernetes\" (AIBrix writes its "
                      "own behavior)");
  if (!jv_object(v, node, keys)) return false;
  hpa_params *h = &cfg->hpa;
  h->has_behavior = true;
  h->behavior = hpa_behavior_default();
  for (int d = 0; d < 2; d++) {
    const char *key = d ? "scaleDown" : "scaleUp";
    const cJSON *rules = cJSON_GetObjectItemCaseSensitive(node, key);
    if (!rules) continue;
    size_t mark = jv_enter(v, key);
    bool ok = load_hpa_rules(v, rules, d ? &h->behavior.down : &h->behavior.up,
                             d ? &h->tolerance_down : &h->tolerance_up);
    jv_leave(v, mark);
    if (!ok) return false;
  }
  return true;
}

/* spec: the PodAutoscaler spec fields, by their upstream names. */
static bool load_pa_spec(jv *v, policy_config *cfg, const cJSON *spec) {
  static const char *const keys[] = {
      "scalingStrategy",      "minReplicas",        "maxReplicas", "metricsSources",
      "observeWindowSeconds", "panicWindowSeconds", "behavior",    NULL};
  static const char *const strategies[] = {"", "HPA", "KPA", "APA", NULL};
  int strategy = (int)cfg->kind;
  int64_t lo = cfg->min_replicas, hi = 0;
  const cJSON *sources;
  if (!jv_object(v, spec, keys) ||
      !jv_choice(v, spec, "scalingStrategy", false, strategies, &strategy) ||
      !jv_int(v, spec, "minReplicas", false, 0, 100000, &lo) ||
      !jv_int(v, spec, "maxReplicas", true, 1, 100000, &hi) ||
      !jv_array(v, spec, "metricsSources", true, 1, &sources))
    return false;
  if (strategy != (int)cfg->kind)
    return jv_fail_at(v, "scalingStrategy", "expected %s, the policy's type, found %s",
                      strategies[cfg->kind], strategies[strategy]);
  cfg->min_replicas = (int32_t)lo;
  cfg->max_replicas = (int32_t)hi;
  size_t mark = jv_enter(v, "metricsSources");
  bool ok = load_metric_source(v, cfg, sources);
  jv_leave(v, mark);
  if (!ok) return false;
  for (int w = 0; w < 2; w++) {
    const char *key = w ? "panicWindowSeconds" : "observeWindowSeconds";
    if (!cJSON_GetObjectItemCaseSensitive(spec, key)) continue;
    if (cfg->variant != POLICY_AIBRIX_V05 || cfg->kind == POLICY_HPA)
      return jv_fail_at(v, key,
                        "is read only by the AIBrix v0.5+ KPA and APA (variant "
                        "\"aibrix-v0.5\")");
    int64_t sec = 0;
    if (!jv_int(v, spec, key, true, 1, 3600, &sec)) return false;
    *(w ? &cfg->pa5.panic_window_us : &cfg->pa5.stable_window_us) = sec * INT64_C(1000000);
  }
  const cJSON *behavior = cJSON_GetObjectItemCaseSensitive(spec, "behavior");
  if (!behavior) return true;
  mark = jv_enter(v, "behavior");
  ok = load_hpa_behavior(v, cfg, behavior);
  jv_leave(v, mark);
  return ok;
}

static bool load_annotations(jv *v, policy_config *cfg, const cJSON *ann) {
  if (!jv_object(v, ann, NULL)) return false;
  for (const cJSON *a = ann->child; a; a = a->next) {
    if (!cJSON_IsString(a)) {
      char found[96];
      jv_describe(a, found, sizeof found);
      return jv_fail_at(v, a->string, "expected a string (annotation values are strings), found %s",
                        found);
    }
    ps_err e = {0};
    if (!policy_annotation_set(cfg, a->string, a->valuestring, &e))
      return jv_fail_at(v, a->string, "%s", e.msg);
  }
  return true;
}

/* An autoscaler policy: type, variant, spec, annotations. */
static bool load_autoscaler(jv *v, sc_policy *p, const cJSON *pn, policy_kind kind) {
  static const char *const variants[] = {"aibrix-legacy", "aibrix-v0.5", "knative", "kubernetes",
                                         NULL};
  int variant = POLICY_AIBRIX_LEGACY;
  if (!jv_choice(v, pn, "variant", false, variants, &variant)) return false;
  policy_config *cfg = &p->cfg;
  policy_config_defaults(cfg, kind, (policy_variant)variant);
  const cJSON *spec, *ann = cJSON_GetObjectItemCaseSensitive(pn, "annotations");
  int64_t initial = -1;
  if (!jv_seconds(v, pn, "period_s", false, 1e-3, 86400, &cfg->period_us) ||
      !jv_int(v, pn, "initial_replicas", false, 0, 100000, &initial) ||
      !jv_require(v, pn, "spec", &spec))
    return false;
  if (kind == POLICY_HPA && cfg->period_us < (int64_t)(MIN_HPA_PERIOD_S * 1e6))
    return jv_fail_at(v, "period_s",
                      "expected an HPA sync period of at least %g s (its recommendation history "
                      "holds a window's worth of periods), found %g",
                      MIN_HPA_PERIOD_S, (double)cfg->period_us * 1e-6);
  if (cfg->variant == POLICY_KNATIVE && cJSON_GetObjectItemCaseSensitive(pn, "period_s"))
    return jv_fail_at(v, "period_s",
                      "the Knative KPA scrapes every 1 s and decides every 2 s; "
                      "its period cannot be set");
  cfg->initial_replicas = (int32_t)initial;
  size_t mark = jv_enter(v, "spec");
  bool ok = load_pa_spec(v, cfg, spec);
  jv_leave(v, mark);
  if (ok && ann) {
    mark = jv_enter(v, "annotations");
    ok = load_annotations(v, cfg, ann);
    jv_leave(v, mark);
  }
  if (!ok) return false;
  if (kind == POLICY_HPA) cfg->hpa.sync_period_us = cfg->period_us;
  ps_err e = {0};
  if (!policy_config_finish(cfg, &e)) return jv_fail(v, "%s", e.msg);
  return true;
}

static bool load_policies(jv *v, scenario *sc, const cJSON *arr) {
  static const char *const keys[] = {"name",     "type",        "variant",
                                     "replicas", "period_s",    "initial_replicas",
                                     "spec",     "annotations", NULL};
  static const char *const types[] = {"fixed", "hpa", "kpa", "apa", NULL};
  sc->npolicies = (uint32_t)cJSON_GetArraySize(arr);
  sc->policies = xcalloc(sc->npolicies, sizeof *sc->policies);
  int i = 0;
  for (const cJSON *pn = arr->child; pn; pn = pn->next, i++) {
    size_t mark = jv_enter_index(v, i);
    sc_policy *p = &sc->policies[i];
    const char *name;
    int type = 0;
    if (!jv_object(v, pn, keys) || !jv_string(v, pn, "name", true, &name) ||
        !jv_choice(v, pn, "type", true, types, &type))
      return false;
    if (!file_name_ok(v, pn, name, "a policy in the outputs")) return false;
    if (find_name(name, sc->policies, sizeof *p, (size_t)i) >= 0)
      return jv_fail_at(v, "name", "expected a name not used by another policy, found \"%s\"",
                        name);
    p->name = xstrdup(name);
    if (type == POLICY_FIXED) {
      static const char *const fixed_only[] = {"variant", "spec", "annotations", NULL};
      for (const char *const *k = fixed_only; *k; k++)
        if (cJSON_GetObjectItemCaseSensitive(pn, *k))
          return jv_fail_at(v, *k, "is for autoscaler policies (type hpa, kpa or apa), not fixed");
      policy_config_defaults(&p->cfg, POLICY_FIXED, POLICY_AIBRIX_LEGACY);
      int64_t initial = -1;
      if (!jv_seconds(v, pn, "period_s", false, 1e-3, 86400, &p->cfg.period_us) ||
          !jv_int(v, pn, "initial_replicas", false, 0, 100000, &initial) ||
          !load_replicas(v, sc, p, pn))
        return false;
      p->cfg.initial_replicas = (int32_t)initial;
      p->cfg.replicas = p->replicas;
    } else {
      if (cJSON_GetObjectItemCaseSensitive(pn, "replicas"))
        return jv_fail_at(v, "replicas",
                          "is for fixed policies; an autoscaler starts from "
                          "initial_replicas within spec.minReplicas..maxReplicas");
      if (!load_autoscaler(v, p, pn, (policy_kind)type)) return false;
    }
    jv_leave(v, mark);
  }
  return true;
}

static bool load_output(jv *v, scenario *sc, const cJSON *node) {
  static const char *const keys[] = {"dir", "interval_s", "requests", "max_bytes", "slo", NULL};
  static const char *const slo_keys[] = {"e2e_s", "ttft_s", NULL};
  const char *dir = NULL;
  const cJSON *slo = cJSON_GetObjectItemCaseSensitive(node, "slo");
  if (!jv_object(v, node, keys) || !jv_string(v, node, "dir", false, &dir) ||
      !jv_seconds(v, node, "interval_s", false, 1e-3, 86400, &sc->output.interval_us) ||
      !jv_bool(v, node, "requests", &sc->output.requests) ||
      !jv_number(v, node, "max_bytes", false, 1e3, 1e15, &sc->output.max_bytes))
    return false;
  if (dir) sc->output.dir = xstrdup(dir);
  if (!slo) return true;
  size_t mark = jv_enter(v, "slo");
  bool ok = jv_object(v, slo, slo_keys) &&
            jv_number(v, slo, "e2e_s", false, 1e-6, MAX_SECONDS, &sc->output.slo_e2e_s) &&
            jv_number(v, slo, "ttft_s", false, 1e-6, MAX_SECONDS, &sc->output.slo_ttft_s);
  jv_leave(v, mark);
  return ok;
}

/* Run `fn` on member `key` of obj with the path entered; absent optional members are skipped. */
typedef bool (*section_fn)(jv *, scenario *, const cJSON *);
static bool section(jv *v, scenario *sc, const cJSON *obj, const char *key, bool required,
                    bool is_array, section_fn fn) {
  const cJSON *node = NULL;
  if (is_array   ? !jv_array(v, obj, key, required, 1, &node)
      : required ? !jv_require(v, obj, key, &node)
                 : false)
    return false;
  if (!is_array) node = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!node) return true;
  if (is_array && cJSON_GetArraySize(node) > MAX_ENTRIES)
    return jv_fail_at(v, key, "expected at most %d entries, found %d", MAX_ENTRIES,
                      cJSON_GetArraySize(node));
  size_t mark = jv_enter(v, key);
  bool ok = fn(v, sc, node);
  jv_leave(v, mark);
  return ok;
}

static bool load_router(jv *v, scenario *sc, const cJSON *node) {
  static const char *const keys[] = {"policy", "route_terminating", NULL};
  static const char *const kinds[] = {"random", "round-robin", "least-request", NULL};
  int k = (int)sc->router;
  if (!jv_object(v, node, keys) || !jv_choice(v, node, "policy", false, kinds, &k) ||
      !jv_bool(v, node, "route_terminating", &sc->route_terminating))
    return false;
  sc->router = (router_kind)k;
  return true;
}

static bool load_client(jv *v, scenario *sc, const cJSON *node) {
  static const char *const keys[] = {"timeout_s", "error_rate", "timeout_cancels", NULL};
  return jv_object(v, node, keys) &&
         jv_seconds(v, node, "timeout_s", false, 0, MAX_SECONDS, &sc->timeout_us) &&
         jv_number(v, node, "error_rate", false, 0, 1, &sc->error_rate) &&
         jv_bool(v, node, "timeout_cancels", &sc->timeout_cancels);
}

/* "optimizer": the SLOs generated profiles must meet, and profile files per deployment. */
static bool load_optimizer(jv *v, scenario *sc, const cJSON *node) {
  static const char *const keys[] = {"slo",        "profiles",          "interval_s",
                                     "gpu_limits", "charge_unservable", NULL};
  static const char *const slo_keys[] = {"tput",   "tt",     "e2e_s",      "ttft_s",
                                         "tpat_s", "tpot_s", "percentile", NULL};
  sc_optimizer *o = &sc->optimizer;
  o->enabled = true;
  if (sc->ndeployments > MAX_OPT_DEPLOYMENTS)
    return jv_fail(v,
                   "expected at most %d deployments with an optimizer (a profile each), found %u",
                   MAX_OPT_DEPLOYMENTS, sc->ndeployments);
  o->slos = opt_slos_default();
  o->interval_us = 10 * INT64_C(1000000);
  o->profile_files = xcalloc(sc->ndeployments, sizeof *o->profile_files);
  if (!jv_object(v, node, keys) ||
      !jv_seconds(v, node, "interval_s", false, 1, 3600, &o->interval_us) ||
      !jv_bool(v, node, "gpu_limits", &o->gpu_limits) ||
      !jv_bool(v, node, "charge_unservable", &o->charge_unservable))
    return false;
  const cJSON *slo = cJSON_GetObjectItemCaseSensitive(node, "slo");
  if (slo) {
    size_t mark = jv_enter(v, "slo");
    int64_t pct = 0;
    bool ok = jv_object(v, slo, slo_keys);
    for (int m = 0; ok && m < OPT_METRIC_COUNT; m++)
      ok = jv_number(v, slo, slo_keys[m], false, 0, 1e12, &o->slos.limit[m]);
    ok = ok && jv_int(v, slo, "percentile", false, 0, 99, &pct);
    if (ok && pct != 0 && pct != 50 && pct != 90 && pct != 99)
      ok = jv_fail_at(v, "percentile", "expected 0, 50, 90 or 99, found %lld", (long long)pct);
    o->slos.percentile = (int32_t)pct;
    jv_leave(v, mark);
    if (!ok) return false;
  }
  const cJSON *files = cJSON_GetObjectItemCaseSensitive(node, "profiles");
  if (!files) return true;
  size_t mark = jv_enter(v, "profiles");
  bool ok = jv_object(v, files, NULL);
  for (const cJSON *f = ok ? files->child : NULL; f && ok; f = f->next) {
    int d = find_name(f->string, sc->deployments, sizeof *sc->deployments, sc->ndeployments);
    const char *path;
    if (d < 0)
      ok = jv_fail_at(v, f->string, "expected the name of a deployment, found an unknown one");
    else if ((ok = jv_string(v, files, f->string, true, &path)))
      o->profile_files[d] = resolve(sc, path);
  }
  jv_leave(v, mark);
  return ok;
}

/* aibrix_benchmark's default grid against deployment d's simulated pod, then gen_profile. */
static bool generate_profile(const scenario *sc, uint32_t d, opt_profile *out, ps_err *err) {
  const sc_deployment *dep = &sc->deployments[d];
  char *text = NULL;
  size_t len = 0;
  FILE *fp = open_memstream(&text, &len);
  if (!fp) abort();
  bench_grid g = bench_grid_default;
  g.model = sc->llms[dep->llm_index].name;
  for (int32_t i = 0; i < bench_grid_runs(&g); i++) {
    int32_t in, outl;
    double rate;
    bench_grid_at(&g, i, &in, &outl, &rate);
    bench_point pt;
    if (bench_run_point(&dep->llm, in, outl, rate, g.total, g.seed, &pt))
      bench_write_point(fp, &g, &pt);
  }
  fclose(fp);
  char source[300];
  snprintf(source, sizeof source, "simulated benchmark of %s", dep->name);
  opt_err e;
  opt_bench bench;
  bool ok = opt_bench_parse(text, source, &bench, &e);
  free(text);
  if (ok) {
    opt_gen_options o = opt_gen_options_default(dep->name, 0);
    o.cost = sc->gpus[dep->gpu].price_per_hour;
    o.slos = sc->optimizer.slos;
    ok = opt_profile_generate(&bench, &o, out, &e);
    opt_bench_free(&bench);
  }
  if (!ok) return ps_fail(err, "%s: optimizer: %s", sc->path, e.msg);
  return true;
}

/* Every deployment's profile, read or generated; all on one grid. */
static bool optimizer_profiles(scenario *sc, ps_err *err) {
  sc_optimizer *o = &sc->optimizer;
  o->profiles = xcalloc(sc->ndeployments, sizeof *o->profiles);
  for (uint32_t d = 0; d < sc->ndeployments; d++) {
    const sc_deployment *dep = &sc->deployments[d];
    opt_err e;
    if (o->profile_files[d]) {
      if (!opt_profile_read(o->profile_files[d], &o->profiles[d], &e))
        return ps_fail(err, "%s: optimizer.profiles.%s: %s", sc->path, dep->name, e.msg);
    } else if (dep->model != SC_MODEL_LLM) {
      return ps_fail(err,
                     "%s: optimizer.profiles: deployment %s has a slots model, which has no "
                     "benchmark: give it a profile file",
                     sc->path, dep->name);
    } else if (!generate_profile(sc, d, &o->profiles[d], err)) {
      return false;
    }
    if (d > 0 && !opt_profile_same_grid(&o->profiles[0], &o->profiles[d], &e))
      return ps_fail(err, "%s: optimizer: the profiles of one model must share one grid: %s",
                     sc->path, e.msg);
  }
  return true;
}

static void digest(const char *text, char out[17]) {
  snprintf(out, 17, "%016llx", (unsigned long long)ps_fnv1a64(text));
}

static char *default_name(const char *path) {
  char *copy = xstrdup(path);
  char *base = xstrdup(basename(copy));
  free(copy);
  char *dot = strrchr(base, '.');
  if (dot && dot != base) *dot = '\0';
  return base;
}

/* The run this scenario makes fits run_size.h's limits: refused here, before anything runs,
 * rather than out of memory or disk halfway through. */
static bool size_ok(jv *v, const scenario *sc) {
  run_size z = run_size_estimate(sc);
  double span_s = (double)sc->duration_us * 1e-6;
  if (z.pods > RUN_MAX_PODS)
    return jv_fail(v,
                   "expected at most %d pods in a policy's cluster (replicas, maxReplicas and "
                   "initial_replicas over its deployments), found up to %.0f",
                   RUN_MAX_PODS, z.pods);
  if (z.requests > RUN_MAX_REQUESTS)
    return jv_fail(v,
                   "expected a workload of at most %.0f requests per policy (each one in flight "
                   "is held in memory), found an estimated %.3g over %.6g s",
                   RUN_MAX_REQUESTS, z.requests, span_s);
  if (z.bytes > sc->output.max_bytes)
    return jv_fail(v,
                   "expected outputs of at most %.3g bytes (output.max_bytes), found an estimated "
                   "%.3g: %s %.3g, %s %.3g, %s %.3g, %s %.3g",
                   sc->output.max_bytes, z.bytes, RUN_SIZE_FILES[0], z.file_bytes[0],
                   RUN_SIZE_FILES[1], z.file_bytes[1], RUN_SIZE_FILES[2], z.file_bytes[2],
                   RUN_SIZE_FILES[3], z.file_bytes[3]);
  return true;
}

static bool load_top(jv *v, scenario *sc, const cJSON *root) {
  static const char *const keys[] = {
      "name", "description", "seed",   "duration_s", "drain_s",  "warmup_s", "workload",  "gpus",
      "llms", "deployments", "router", "client",     "policies", "output",   "optimizer", NULL};
  const char *name = NULL, *desc = NULL;
  int64_t seed = 1;
  sc->drain_us = 600 * INT64_C(1000000);
  sc->duration_us = -1;
  sc->router = ROUTER_RANDOM;
  sc->timeout_cancels = true;
  sc->output.interval_us = 10 * INT64_C(1000000);
  sc->output.requests = true;
  sc->output.max_bytes = RUN_MAX_BYTES_DEFAULT;
  if (!jv_object(v, root, keys) || !jv_string(v, root, "name", false, &name) ||
      !jv_string(v, root, "description", false, &desc) ||
      !jv_int(v, root, "seed", false, 0, INT64_C(9007199254740991), &seed) ||
      !jv_seconds(v, root, "duration_s", false, 1e-3, MAX_SECONDS, &sc->duration_us) ||
      !jv_seconds(v, root, "drain_s", false, 0, MAX_SECONDS, &sc->drain_us) ||
      !jv_seconds(v, root, "warmup_s", false, 0, 86400, &sc->warmup_us) ||
      !section(v, sc, root, "workload", true, false, load_workload) ||
      !section(v, sc, root, "gpus", true, true, load_gpus) ||
      !section(v, sc, root, "llms", false, true, load_llms) ||
      !section(v, sc, root, "deployments", true, true, load_deployments) ||
      !section(v, sc, root, "router", false, false, load_router) ||
      !section(v, sc, root, "client", false, false, load_client) ||
      !section(v, sc, root, "policies", true, true, load_policies) ||
      !section(v, sc, root, "output", false, false, load_output) ||
      !section(v, sc, root, "optimizer", false, false, load_optimizer))
    return false;
  if (name && !file_name_ok(v, root, name, "the output directory")) return false;
  sc->name = name ? xstrdup(name) : default_name(sc->path);
  sc->seed = (uint64_t)seed;
  if (sc->duration_us < 0) sc->duration_us = wl_spec_span_us(&sc->workload);
  if (sc->duration_us <= 0)
    return jv_fail(
        v, "expected a workload that lasts some time (or \"duration_s\"), found one of length 0");
  sc->workload.duration_us = sc->duration_us;
  return size_ok(v, sc);
}

bool scenario_load(const char *path, scenario *sc, ps_err *err) {
  char *text = NULL;
  cJSON *root = jv_parse_file(path, &text, err);
  if (!root) {
    *sc = (scenario){0};
    return false;
  }
  bool ok = scenario_load_tree(path, root, text, sc, err);
  free(text);
  cJSON_Delete(root);
  return ok;
}

bool scenario_load_tree(const char *path, const cJSON *root, const char *text, scenario *sc,
                        ps_err *err) {
  *sc = (scenario){0};
  sc->path = xstrdup(path);
  digest(text, sc->digest);
  jv v = {.file = path, .err = err};
  catalog_llms(sc);
  bool ok = load_top(&v, sc, root);
  for (uint32_t i = 0; ok && i < sc->npolicies; i++)
    if (sc->policies[i].cfg.metric == METRIC_OPTIMIZER && !sc->optimizer.enabled)
      ok = ps_fail(err,
                   "%s: policies[%u] reads the GPU optimizer (vllm:deployment_replicas): add an "
                   "\"optimizer\" section (its SLOs, or profile files)",
                   path, i);
  if (ok && sc->optimizer.enabled) ok = optimizer_profiles(sc, err);
  if (!ok) scenario_free(sc);
  return ok;
}

void scenario_free(scenario *sc) {
  free(sc->path);
  free(sc->name);
  free(sc->segments);
  free(sc->counts);
  free(sc->trace);
  for (uint32_t i = 0; i < sc->ntables; i++)
    dist_table_free(sc->tables[i]);
  free(sc->tables);
  for (uint32_t i = 0; i < sc->ngpus; i++)
    free(sc->gpus[i].name);
  free(sc->gpus);
  for (uint32_t i = 0; i < sc->nllms; i++)
    free(sc->llms[i].name);
  free(sc->llms);
  for (uint32_t i = 0; i < sc->ndeployments; i++)
    free(sc->deployments[i].name);
  free(sc->deployments);
  for (uint32_t i = 0; i < sc->npolicies; i++) {
    free(sc->policies[i].name);
    free(sc->policies[i].replicas);
  }
  free(sc->policies);
  free(sc->output.dir);
  for (uint32_t d = 0; sc->optimizer.profile_files && d < sc->ndeployments; d++)
    free(sc->optimizer.profile_files[d]);
  free(sc->optimizer.profile_files);
  for (uint32_t d = 0; sc->optimizer.profiles && d < sc->ndeployments; d++)
    opt_profile_free(&sc->optimizer.profiles[d]);
  free(sc->optimizer.profiles);
  *sc = (scenario){0};
}

int scenario_policy_index(const scenario *sc, const char *name) {
  return find_name(name, sc->policies, sizeof *sc->policies, sc->npolicies);
}
