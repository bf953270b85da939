/* workload: the scenario's workload section (docs/scenarios.md, workload) into wl_spec, and the
 * distributions (docs/scenarios.md, Distributions) that it and the deployments draw from. */
#include "sim/scenario/load.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "sim/scenario/awl.h"

#define MAX_RATE 1e7        /* requests per second */
#define MAX_SAMPLE_FILES 64 /* files of one empirical distribution */

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

/* {"file": F or [F, ...], "column": C} or {"values": [x, ...]}: the empirical distribution. */
static dist_table *load_samples(jv *v, scenario *sc, const cJSON *node, double hi) {
  const cJSON *file = cJSON_GetObjectItemCaseSensitive(node, "file");
  const cJSON *values = cJSON_GetObjectItemCaseSensitive(node, "values");
  scl_samples c = {.hi = hi};
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
          !scl_add_sample(&c, e->valuedouble, NULL)) {
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
      ok = scl_read_samples(v, sc, e, i, &c);
    jv_leave(v, mark);
    if (ok && !cJSON_IsArray(file)) ok = scl_read_samples(v, sc, file, -1, &c);
  }
  if (ok && c.key) scl_samples_by_key(&c);
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

/* ---- distributions ---- */

bool scl_load_dist(jv *v, scenario *sc, const cJSON *obj, const char *key, bool required,
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

/* ---- the workload ---- */

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
  char *path = scl_resolve(sc, file);
  bool ok;
  if (type == 1) {
    static const char *const modes[] = {"exact", "rate", NULL};
    int mode = 0;
    int32_t *counts = NULL;
    size_t n = 0;
    ok = jv_choice(v, a, "mode", false, modes, &mode) && load_process(v, a, w) &&
         scl_read_counts(path, &counts, &n, v->err);
    sc->counts = counts;
    if (ok && mode == 1) { /* counts as a step rate function */
      sc->segments = xcalloc(n, sizeof *sc->segments);
      for (size_t i = 0; i < n; i++)
        sc->segments[i] = (wl_segment){1.0, counts[i], counts[i]};
      w->source = WL_SEGMENTS;
      w->segments = sc->segments;
      w->nsegments = n;
    } else if (ok) {
      if (cJSON_GetObjectItemCaseSensitive(a, "process")) {
        ok = jv_fail_at(
            v, "process",
            "expected \"process\" only with \"mode\": \"rate\" (exact counts have no process)");
      }
      w->source = WL_COUNTS;
      w->counts = counts;
      w->ncounts = n;
    }
  } else {
    static const char *const formats[] = {"azure", "aibrix-jsonl", NULL};
    int format = 0;
    wl_trace_rec *recs = NULL;
    size_t n = 0;
    ok = jv_choice(v, a, "format", false, formats, &format);
    if (ok && format == 1) { /* times count from the client's start, not the first line */
      ok = awl_read(path, needs, &recs, &n, v->err);
    } else if (ok) { /* times count from the first line */
      ok = scl_read_azure(path, &recs, &n, v->err);
    }
    sc->trace = recs;
    w->source = WL_TRACE;
    w->trace = recs;
    w->ntrace = n;
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

bool scl_load_workload(jv *v, scenario *sc, const cJSON *node) {
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
  if (!scl_load_dist(v, sc, node, "input_tokens", !trace, trace, "tokens", &w->input_tokens) ||
      !scl_load_dist(v, sc, node, "output_tokens", !trace, trace, "tokens", &w->output_tokens) ||
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
