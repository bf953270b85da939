#include "optimizer/monitor.h"

#include <assert.h>
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "base/xalloc.h"

#define US_PER_S 1000000LL
/* Slack on squared distances: far below the 0.01 steps of the 0.1 grid, far above the rounding
 * error of differences of tenths (~1e-15). */
#define DBSCAN_SLACK 1e-9
#define KEY_DIGITS_MAX 9 /* a key is 10 log2(tokens) <= 640; 9 digits cannot overflow */

/* A block of at least one byte, so that an empty table still has an address. */
static void *grow(void *p, size_t n) { return xrealloc(p, n ? n : 1); }

/* ------------------------------------------------------------------------------------------
 * Keys
 * ------------------------------------------------------------------------------------------ */

int64_t opt_trace_bucket_key(int64_t tokens) {
  if (tokens <= 0) return 0;
  /* Go: math.Round(math.Log2(float64(tokens))/RequestTracePrecision) * RequestTracePrecision */
  double bucket = round(log2((double)tokens) / 0.1) * 0.1;
  /* Go: int64(bucket / RequestTracePrecision). THE GATEWAY KEY QUIRK: k * 0.1 / 0.1 can come
   * out just below k, and the conversion truncates, so some keys are one lower than
   * round(10 log2 tokens) (reference section 6.6). Must stay two float operations. */
  return (int64_t)(bucket / 0.1);
}

bool opt_trace_key(const char *model, int64_t ts_s, char *buf, size_t n) {
  int len = snprintf(buf, n, "aibrix:%s_request_trace_%" PRId64, model, ts_s);
  return len >= 0 && (size_t)len < n;
}

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int64_t opt_trace_key_ts(int64_t now_us, int64_t interval_s) {
  assert(interval_s > 0);
  return floor_div(now_us, interval_s * US_PER_S) * interval_s;
}

int64_t opt_trace_due_key(int64_t now_us, int64_t last_ts_s, int64_t interval_s) {
  int64_t ts = opt_trace_key_ts(now_us, interval_s);
  return ts > last_ts_s ? ts : -1;
}

int64_t opt_trace_next_read_us(int64_t last_ts_s, int64_t interval_s) {
  return (last_ts_s + interval_s + OPT_TRACE_READ_DELAY_S) * US_PER_S;
}

/* ------------------------------------------------------------------------------------------
 * Records: building and writing
 * ------------------------------------------------------------------------------------------ */

void opt_trace_init(opt_trace *t, int64_t ts_s) {
  *t = (opt_trace){.ts_s = ts_s,
                   .version = OPT_TRACE_VERSION,
                   .interval_s = OPT_TRACE_INTERVAL_S,
                   .precision = OPT_TRACE_PRECISION,
                   .built = true};
}

void opt_trace_free(opt_trace *t) {
  free(t->cells);
  t->cells = NULL;
  t->n_cells = t->cap_cells = 0;
}

void opt_trace_count_arrival(opt_trace *t) { t->total_reqs++; }

static int cell_cmp(int64_t in_a, int64_t out_a, int64_t in_b, int64_t out_b) {
  if (in_a != in_b) return in_a < in_b ? -1 : 1;
  if (out_a != out_b) return out_a < out_b ? -1 : 1;
  return 0;
}

static void cell_insert(opt_trace *t, size_t at, opt_trace_cell c) {
  if (t->n_cells == t->cap_cells) {
    t->cap_cells = t->cap_cells ? 2 * t->cap_cells : 16;
    t->cells = grow(t->cells, t->cap_cells * sizeof *t->cells);
  }
  memmove(&t->cells[at + 1], &t->cells[at], (t->n_cells - at) * sizeof *t->cells);
  t->cells[at] = c;
  t->n_cells++;
}

void opt_trace_count_done(opt_trace *t, int64_t in_tokens, int64_t out_tokens) {
  assert(t->built); /* a parsed record's cells are in document order, not searchable */
  int64_t in = opt_trace_bucket_key(in_tokens), out = opt_trace_bucket_key(out_tokens);
  size_t lo = 0, hi = t->n_cells;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = cell_cmp(t->cells[mid].in_key, t->cells[mid].out_key, in, out);
    if (c == 0) {
      t->cells[mid].count++;
      return;
    }
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  cell_insert(t, lo, (opt_trace_cell){in, out, 1});
}

typedef struct keyed_cell {
  char key[48];  /* "<I>:<O>" */
  int64_t count; /* requests */
} keyed_cell;

static int keyed_cmp(const void *a, const void *b) {
  return strcmp(((const keyed_cell *)a)->key, ((const keyed_cell *)b)->key);
}

char *opt_trace_to_json(const opt_trace *t) {
  /* Go's encoding/json writes a map with its keys sorted bytewise; digits sort before "meta_". */
  keyed_cell *kc = grow(NULL, t->n_cells * sizeof *kc);
  for (size_t i = 0; i < t->n_cells; i++) {
    snprintf(kc[i].key, sizeof kc[i].key, "%" PRId64 ":%" PRId64, t->cells[i].in_key,
             t->cells[i].out_key);
    kc[i].count = t->cells[i].count;
  }
  qsort(kc, t->n_cells, sizeof *kc, keyed_cmp);
  strbuf b = {0};
  sb_printf(&b, "{");
  const char *sep = "";
  for (size_t i = 0; i < t->n_cells; i++, sep = ",")
    sb_printf(&b, "%s\"%s\":%" PRId64, sep, kc[i].key, kc[i].count);
  free(kc);
  int64_t v = t->version;
  if (v >= 2) sb_printf(&b, "%s\"meta_interval_sec\":%" PRId64, sep, t->interval_s), sep = ",";
  if (v >= 3) sb_printf(&b, "%s\"meta_pending_reqs\":%" PRId64, sep, t->pending_reqs), sep = ",";
  if (v >= 2 || t->precision != 1)
    sb_printf(&b, "%s\"meta_precision\":%" PRId64, sep, t->precision), sep = ",";
  if (v >= 4) sb_printf(&b, "%s\"meta_queueing_reqs\":%" PRId64, sep, t->queueing_reqs), sep = ",";
  if (v >= 3) sb_printf(&b, "%s\"meta_total_reqs\":%" PRId64, sep, t->total_reqs), sep = ",";
  if (v >= 2) sb_printf(&b, "%s\"meta_v\":%" PRId64, sep, v);
  sb_printf(&b, "}");
  return sb_take(&b);
}

double opt_trace_rate(const opt_trace *t) {
  assert(t->interval_s > 0);
  return (double)t->total_reqs / (double)t->interval_s;
}

/* ------------------------------------------------------------------------------------------
 * Records: parsing (GatewayLoadReader._parse_profiles)
 * ------------------------------------------------------------------------------------------ */

/* A JSON number holding a whole number in [lo, hi]. */
static bool whole_number(const cJSON *v, int64_t lo, int64_t hi, int64_t *out) {
  if (!cJSON_IsNumber(v)) return false;
  double d = v->valuedouble;
  if (!(d >= (double)lo && d <= (double)hi) || d != floor(d)) return false;
  *out = (int64_t)d;
  return true;
}

/* What a JSON value is, for messages. */
static const char *json_kind(const cJSON *v) {
  if (cJSON_IsNumber(v)) return "a number out of range or not whole";
  if (cJSON_IsString(v)) return "a string";
  if (cJSON_IsBool(v)) return "a boolean";
  if (cJSON_IsNull(v)) return "null";
  if (cJSON_IsArray(v)) return "an array";
  return "an object";
}

/* "<digits>:<digits>" (upstream's ^(\d+):(\d+)$, ASCII digits). */
static bool parse_cell_key(const char *k, int64_t *in, int64_t *out) {
  int64_t part[2] = {0, 0};
  const char *p = k;
  for (int i = 0; i < 2; i++) {
    int digits = 0;
    while (*p >= '0' && *p <= '9') {
      if (++digits > KEY_DIGITS_MAX) return false;
      part[i] = part[i] * 10 + (*p++ - '0');
    }
    if (digits == 0 || *p != (i == 0 ? ':' : '\0')) return false;
    p++;
  }
  *in = part[0];
  *out = part[1];
  return true;
}

enum { META_V, META_INTERVAL, META_PRECISION, META_TOTAL, META_PENDING, META_QUEUEING, META_N };
static const char *const META_NAMES[META_N] = {
    "meta_v",          "meta_interval_sec", "meta_precision",
    "meta_total_reqs", "meta_pending_reqs", "meta_queueing_reqs"};

static bool meta_value(const cJSON *meta[META_N], int which, int64_t dflt, int64_t lo,
                       const char *source, int64_t *out, opt_err *err) {
  if (!meta[which]) {
    *out = dflt;
    return true;
  }
  if (whole_number(meta[which], lo, INT64_C(1) << 53, out)) return true;
  return opt_fail(err, "%s: \"%s\": expected a whole number >= %" PRId64 ", found %s", source,
                  META_NAMES[which], lo, json_kind(meta[which]));
}

static int cell_order(const void *a, const void *b) {
  const opt_trace_cell *x = a, *y = b;
  return cell_cmp(x->in_key, x->out_key, y->in_key, y->out_key);
}

/* Two keys naming one cell: after sorting a copy, neighbours. */
static bool check_distinct(const opt_trace *t, const char *source, opt_err *err) {
  if (t->n_cells < 2) return true;
  opt_trace_cell *c = grow(NULL, t->n_cells * sizeof *c);
  memcpy(c, t->cells, t->n_cells * sizeof *c);
  qsort(c, t->n_cells, sizeof *c, cell_order);
  for (size_t i = 1; i < t->n_cells; i++) {
    if (cell_cmp(c[i - 1].in_key, c[i - 1].out_key, c[i].in_key, c[i].out_key) == 0) {
      opt_fail(err, "%s: two keys name the cell \"%" PRId64 ":%" PRId64 "\"; expected each once",
               source, c[i].in_key, c[i].out_key);
      free(c);
      return false;
    }
  }
  free(c);
  return true;
}

static bool parse_items(const cJSON *root, const char *source, opt_trace *t, const cJSON **meta,
                        opt_err *err) {
  for (const cJSON *it = root->child; it; it = it->next) {
    const char *k = it->string;
    if (strncmp(k, "meta_", 5) == 0) {
      for (int m = 0; m < META_N; m++) {
        if (strcmp(k, META_NAMES[m]) != 0) continue;
        if (meta[m]) return opt_fail(err, "%s: \"%s\" appears twice; expected it once", source, k);
        meta[m] = it;
      }
      continue; /* other meta_ keys are skipped, as upstream does */
    }
    opt_trace_cell c;
    if (!parse_cell_key(k, &c.in_key, &c.out_key))
      return opt_fail(err,
                      "%s: key \"%s\": expected \"<input>:<output>\" (whole numbers of at most "
                      "%d digits) or a meta_ key",
                      source, k, KEY_DIGITS_MAX);
    if (!whole_number(it, 0, OPT_TRACE_COUNT_MAX, &c.count))
      return opt_fail(err, "%s: \"%s\": expected a count (a whole number 0..%lld), found %s",
                      source, k, OPT_TRACE_COUNT_MAX, json_kind(it));
    cell_insert(t, t->n_cells, c);
  }
  return check_distinct(t, source, err);
}

static bool parse_meta(const cJSON **meta, const char *source, int64_t v1_interval_s, opt_trace *t,
                       opt_err *err) {
  if (!meta_value(meta, META_V, 1, 1, source, &t->version, err)) return false;
  if (!meta_value(meta, META_PRECISION, 1, 1, source, &t->precision, err)) return false;
  t->interval_s = v1_interval_s;
  if (t->version >= 2 &&
      !meta_value(meta, META_INTERVAL, OPT_TRACE_INTERVAL_S, 1, source, &t->interval_s, err))
    return false;
  if (t->version >= 3) {
    if (!meta_value(meta, META_TOTAL, 0, 0, source, &t->total_reqs, err)) return false;
    if (!meta_value(meta, META_PENDING, 0, 0, source, &t->pending_reqs, err)) return false;
  } else {
    t->total_reqs = 0;
    for (size_t i = 0; i < t->n_cells; i++)
      t->total_reqs += t->cells[i].count;
  }
  if (t->version >= 4 && !meta_value(meta, META_QUEUEING, 0, 0, source, &t->queueing_reqs, err))
    return false;
  return true;
}

bool opt_trace_parse(const char *json, const char *source, int64_t ts_s, int64_t v1_interval_s,
                     opt_trace *out, opt_err *err) {
  assert(v1_interval_s > 0);
  *out = (opt_trace){.ts_s = ts_s};
  cJSON *root = cJSON_ParseWithOpts(json, NULL, true);
  if (!root) return opt_fail(err, "%s: expected a JSON object of ints, found invalid JSON", source);
  bool ok;
  if (!cJSON_IsObject(root)) {
    ok = opt_fail(err, "%s: expected a JSON object of ints, found %s", source, json_kind(root));
  } else {
    const cJSON *meta[META_N] = {0};
    ok = parse_items(root, source, out, meta, err) &&
         parse_meta(meta, source, v1_interval_s, out, err);
  }
  cJSON_Delete(root);
  if (!ok) opt_trace_free(out);
  return ok;
}

/* ------------------------------------------------------------------------------------------
 * Grid (Centeroid.get_signature)
 * ------------------------------------------------------------------------------------------ */

bool opt_grid_check(const opt_grid *g, opt_err *err) {
  const int32_t *ticks[2] = {g->out_ticks, g->in_ticks};
  size_t n[2] = {g->n_out, g->n_in};
  const char *dim[2] = {"output", "input"};
  for (int d = 0; d < 2; d++) {
    if (n[d] == 0 || !ticks[d])
      return opt_fail(err, "profile grid: expected at least one %s tick, found none", dim[d]);
    for (size_t i = 0; i < n[d]; i++) {
      if (ticks[d][i] <= 0)
        return opt_fail(err, "profile grid: %s tick %zu: expected tokens > 0, found %" PRId32,
                        dim[d], i, ticks[d][i]);
      if (i > 0 && ticks[d][i] <= ticks[d][i - 1])
        return opt_fail(err,
                        "profile grid: %s tick %zu: expected more than %" PRId32
                        " (ascending), found %" PRId32,
                        dim[d], i, ticks[d][i - 1], ticks[d][i]);
    }
  }
  return true;
}

size_t opt_grid_index(const int32_t *ticks, size_t n, double v, bool *in_range) {
  assert(n > 0 && !isnan(v));
  bool inside = true;
  size_t idx;
  if (n == 1) {
    idx = 0;
  } else {
    double first = log2((double)ticks[0]), last = log2((double)ticks[n - 1]);
    double distance = (last - first) / (double)(n - 1);
    if (v < first) {
      idx = 0;
      inside = v >= first + -distance * (1 - OPT_GRID_TOLERANCE);
    } else if (v > last) {
      idx = n - 1;
      /* Upstream compares with the first tick here (its bug); the index is the same. */
      inside = v <= last + distance * OPT_GRID_TOLERANCE;
    } else {
      size_t right = 1;
      while (log2((double)ticks[right]) < v)
        right++;
      double l = log2((double)ticks[right - 1]), r = log2((double)ticks[right]);
      if (v == r)
        idx = right;
      else
        idx = v < l + (r - l) * OPT_GRID_TOLERANCE ? right - 1 : right;
    }
  }
  if (in_range) *in_range = inside;
  return idx;
}

/* ------------------------------------------------------------------------------------------
 * DBSCAN
 * ------------------------------------------------------------------------------------------ */

typedef struct dbscan_ctx {
  const opt_point *pts;
  size_t *order;   /* point indexes by (out, in, index) */
  size_t *obj_of;  /* point -> distinct place */
  double *ox, *oy; /* places: out, in */
  int64_t *weight; /* points within eps of the place, its own included */
  int64_t *count;  /* points at the place */
  size_t n_obj;
  size_t *adj_start; /* neighbours of place a: adj[adj_start[a] .. adj_start[a + 1]) */
  size_t *adj;
} dbscan_ctx;

/* Point indexes by (out, in, index). qsort has no context argument and a file-scope pointer
 * would not be re-entrant, hence a merge sort. */
static void merge_sort(size_t *a, size_t *tmp, size_t n, const opt_point *pts) {
  if (n < 2) return;
  size_t h = n / 2;
  merge_sort(a, tmp, h, pts);
  merge_sort(a + h, tmp, n - h, pts);
  size_t i = 0, j = h, k = 0;
  while (i < h && j < n) {
    const opt_point *p = &pts[a[i]], *q = &pts[a[j]];
    bool left = p->out_log2 < q->out_log2 ||
                (p->out_log2 == q->out_log2 &&
                 (p->in_log2 < q->in_log2 || (p->in_log2 == q->in_log2 && a[i] < a[j])));
    tmp[k++] = left ? a[i++] : a[j++];
  }
  while (i < h)
    tmp[k++] = a[i++];
  while (j < n)
    tmp[k++] = a[j++];
  memcpy(a, tmp, n * sizeof *a);
}

static void dbscan_places(dbscan_ctx *c, size_t n) {
  size_t *tmp = grow(NULL, n * sizeof *tmp);
  for (size_t i = 0; i < n; i++)
    c->order[i] = i;
  merge_sort(c->order, tmp, n, c->pts);
  free(tmp);
  c->n_obj = 0;
  for (size_t k = 0; k < n; k++) {
    const opt_point *p = &c->pts[c->order[k]];
    assert(isfinite(p->out_log2) && isfinite(p->in_log2) && p->count >= 0);
    if (c->n_obj == 0 || p->out_log2 != c->ox[c->n_obj - 1] || p->in_log2 != c->oy[c->n_obj - 1]) {
      c->ox[c->n_obj] = p->out_log2;
      c->oy[c->n_obj] = p->in_log2;
      c->count[c->n_obj] = 0;
      c->n_obj++;
    }
    c->count[c->n_obj - 1] += p->count;
    c->obj_of[c->order[k]] = c->n_obj - 1;
  }
}

/* Neighbour lists by a sweep over the places in output order; false (nothing kept) past the
 * work budget of monitor.h: OPT_DBSCAN_MAX_PAIRS pairs or OPT_DBSCAN_MAX_TESTS distance tests. */
static bool dbscan_neighbours(dbscan_ctx *c, double eps) {
  double r2 = eps * eps + DBSCAN_SLACK;
  size_t n_pairs = 0, cap = 64;
  uint64_t tests = 0;
  size_t(*pairs)[2] = grow(NULL, cap * sizeof *pairs);
  for (size_t a = 0; a < c->n_obj; a++) {
    for (size_t b = a + 1; b < c->n_obj && c->ox[b] - c->ox[a] <= eps + DBSCAN_SLACK; b++) {
      double dx = c->ox[b] - c->ox[a], dy = c->oy[b] - c->oy[a];
      if (++tests > OPT_DBSCAN_MAX_TESTS) {
        free(pairs);
        return false;
      }
      if (dx * dx + dy * dy > r2) continue;
      if (n_pairs == OPT_DBSCAN_MAX_PAIRS) {
        free(pairs);
        return false;
      }
      if (n_pairs == cap) pairs = grow(pairs, (cap *= 2) * sizeof *pairs);
      pairs[n_pairs][0] = a;
      pairs[n_pairs][1] = b;
      n_pairs++;
    }
  }
  c->adj_start = grow(NULL, (c->n_obj + 1) * sizeof *c->adj_start);
  c->adj = grow(NULL, 2 * n_pairs * sizeof *c->adj);
  size_t *fill = grow(NULL, (c->n_obj + 1) * sizeof *fill);
  memset(fill, 0, (c->n_obj + 1) * sizeof *fill);
  for (size_t e = 0; e < n_pairs; e++) {
    fill[pairs[e][0] + 1]++;
    fill[pairs[e][1] + 1]++;
  }
  for (size_t a = 0; a < c->n_obj; a++)
    fill[a + 1] += fill[a];
  memcpy(c->adj_start, fill, (c->n_obj + 1) * sizeof *fill);
  for (size_t e = 0; e < n_pairs; e++) {
    c->adj[fill[pairs[e][0]]++] = pairs[e][1];
    c->adj[fill[pairs[e][1]]++] = pairs[e][0];
  }
  free(fill);
  free(pairs);
  for (size_t a = 0; a < c->n_obj; a++) {
    c->weight[a] = c->count[a];
    for (size_t k = c->adj_start[a]; k < c->adj_start[a + 1]; k++)
      c->weight[a] += c->count[c->adj[k]];
  }
  return true;
}

/* Clusters of core places, numbered by their first core place; then border places. */
static size_t dbscan_label(dbscan_ctx *c, int64_t min_pts, int64_t *olabel) {
  size_t n_clusters = 0;
  size_t *stack = grow(NULL, (c->n_obj ? c->n_obj : 1) * sizeof *stack);
  for (size_t a = 0; a < c->n_obj; a++)
    olabel[a] = -1;
  for (size_t a = 0; a < c->n_obj; a++) {
    if (c->weight[a] < min_pts || olabel[a] >= 0) continue;
    size_t top = 0;
    olabel[a] = (int64_t)n_clusters;
    stack[top++] = a;
    while (top > 0) {
      size_t u = stack[--top];
      for (size_t k = c->adj_start[u]; k < c->adj_start[u + 1]; k++) {
        size_t v = c->adj[k];
        if (c->weight[v] < min_pts || olabel[v] >= 0) continue;
        olabel[v] = (int64_t)n_clusters;
        stack[top++] = v;
      }
    }
    n_clusters++;
  }
  free(stack);
  for (size_t a = 0; a < c->n_obj; a++) {
    if (c->weight[a] >= min_pts) continue;
    for (size_t k = c->adj_start[a]; k < c->adj_start[a + 1]; k++) {
      size_t v = c->adj[k];
      if (c->weight[v] >= min_pts && olabel[v] > olabel[a]) olabel[a] = olabel[v];
    }
  }
  return n_clusters;
}

size_t opt_dbscan(const opt_point *pts, size_t n, double eps, int64_t min_pts, int64_t *label) {
  assert(eps > 0 && min_pts >= 1);
  size_t m = n ? n : 1;
  dbscan_ctx c = {.pts = pts,
                  .order = grow(NULL, m * sizeof(size_t)),
                  .obj_of = grow(NULL, m * sizeof(size_t)),
                  .ox = grow(NULL, m * sizeof(double)),
                  .oy = grow(NULL, m * sizeof(double)),
                  .weight = grow(NULL, m * sizeof(int64_t)),
                  .count = grow(NULL, m * sizeof(int64_t))};
  dbscan_places(&c, n);
  size_t n_clusters = OPT_DBSCAN_TOO_DENSE;
  if (dbscan_neighbours(&c, eps)) {
    int64_t *olabel = grow(NULL, m * sizeof *olabel);
    n_clusters = dbscan_label(&c, min_pts, olabel);
    for (size_t i = 0; i < n; i++)
      label[i] = olabel[c.obj_of[i]];
    free(olabel);
  }
  free(c.order);
  free(c.obj_of);
  free(c.ox);
  free(c.oy);
  free(c.weight);
  free(c.count);
  free(c.adj_start);
  free(c.adj);
  return n_clusters;
}

/* ------------------------------------------------------------------------------------------
 * The monitor
 * ------------------------------------------------------------------------------------------ */

typedef struct sub_window {
  int64_t created_us; /* when it was created or last emptied */
  uint64_t first;     /* sequence number of the first record it holds */
} sub_window;

typedef struct window_record {
  int64_t ts_s;    /* timestamp of the trace it came from (the points' "age") */
  opt_point point; /* (O / precision, I / precision) and the count */
} window_record;

struct opt_monitor {
  opt_monitor_config cfg;
  bool started;        /* the first step has run */
  int64_t last_now_us; /* time of the previous step */
  sub_window *sub;     /* [cfg.sub_windows]; n_sub in use */
  int n_sub;           /* sub-windows created so far */
  int frontier;        /* the newest sub-window; current = (frontier + 1) % n_sub */
  window_record *recs; /* the data buffer: records of the current sub-window, oldest first */
  size_t n_recs, cap_recs;
  uint64_t seq0; /* sequence number of recs[0] */
  /* What the last step reported (opt_monitor_out points into these). */
  opt_cluster *clusters;
  opt_bucket_rate *buckets;
  double *grid_rates;
  opt_point *pts;
  int64_t *labels;
  size_t cap_clusters, cap_buckets, cap_grid, cap_pts;
};

opt_monitor_config opt_monitor_config_default(void) {
  return (opt_monitor_config){
      .eps_log2 = 0.5, .min_pts = 10, .window_us = 240 * US_PER_S, .sub_windows = 4};
}

static bool config_check(const opt_monitor_config *cfg, opt_err *err) {
  if (!(cfg->eps_log2 > 0 && isfinite(cfg->eps_log2)))
    return opt_fail(err, "monitor: eps: expected a finite number > 0 (log2 tokens), found %g",
                    cfg->eps_log2);
  if (cfg->min_pts < 1)
    return opt_fail(err, "monitor: min_pts: expected >= 1, found %" PRId64, cfg->min_pts);
  if (cfg->window_us <= 0)
    return opt_fail(err, "monitor: window: expected > 0 us, found %" PRId64, cfg->window_us);
  if (cfg->sub_windows < 1 || cfg->sub_windows > 1024)
    return opt_fail(err, "monitor: sub_windows: expected 1..1024, found %d", cfg->sub_windows);
  return true;
}

opt_monitor *opt_monitor_new(const opt_monitor_config *cfg, opt_err *err) {
  if (!config_check(cfg, err)) return NULL;
  opt_monitor *m = grow(NULL, sizeof *m);
  *m = (opt_monitor){.cfg = *cfg};
  m->sub = grow(NULL, (size_t)cfg->sub_windows * sizeof *m->sub);
  return m;
}

void opt_monitor_free(opt_monitor *m) {
  if (!m) return;
  free(m->sub);
  free(m->recs);
  free(m->clusters);
  free(m->buckets);
  free(m->grid_rates);
  free(m->pts);
  free(m->labels);
  free(m);
}

static uint64_t seq_end(const opt_monitor *m) { return m->seq0 + m->n_recs; }

/* Keep only the records from sequence number `first` on (DataBuffer.trim_head). */
static void trim_to(opt_monitor *m, uint64_t first) {
  assert(first >= m->seq0 && first <= seq_end(m));
  size_t drop = (size_t)(first - m->seq0);
  if (drop == 0) return;
  memmove(m->recs, m->recs + drop, (m->n_recs - drop) * sizeof *m->recs);
  m->n_recs -= drop;
  m->seq0 = first;
}

/* MovingDBSCANClusterer.validate with the time-based window callback. */
static void rotate(opt_monitor *m, int64_t now_us) {
  sub_window *front = &m->sub[m->frontier];
  if ((now_us - front->created_us) * m->cfg.sub_windows < m->cfg.window_us) return;
  if (m->n_sub < m->cfg.sub_windows) {
    m->sub[m->n_sub] = (sub_window){now_us, seq_end(m)};
    m->frontier = m->n_sub++;
    return;
  }
  int current = (m->frontier + 1) % m->n_sub;
  m->sub[current] = (sub_window){now_us, seq_end(m)};
  m->frontier = current;
  trim_to(m, m->sub[(current + 1) % m->n_sub].first);
}

static void append_trace(opt_monitor *m, const opt_trace *t) {
  assert(t->precision > 0);
  for (size_t i = 0; i < t->n_cells; i++) {
    const opt_trace_cell *c = &t->cells[i];
    if (c->count == 0) continue; /* no points, no effect on the span */
    if (m->n_recs == m->cap_recs) {
      m->cap_recs = m->cap_recs ? 2 * m->cap_recs : 256;
      m->recs = grow(m->recs, m->cap_recs * sizeof *m->recs);
    }
    /* Python true division of the key ints: correctly rounded, as C's double division. */
    m->recs[m->n_recs++] = (window_record){t->ts_s,
                                           {(double)c->out_key / (double)t->precision,
                                            (double)c->in_key / (double)t->precision, c->count}};
  }
}

/* DBSCANClusterer.window: _pt_start starts at +inf and _pt_end at 1.0. */
static double window_span(const opt_monitor *m) {
  double start = INFINITY, end = 1.0;
  for (size_t i = 0; i < m->n_recs; i++) {
    double ts = (double)m->recs[i].ts_s;
    start = fmin(start, ts);
    end = fmax(end, ts);
  }
  return (end == 0.0 || end == start) ? 1.0 : end - start;
}

static void *reserve(void *p, size_t *cap, size_t n, size_t size) {
  if (n <= *cap) return p;
  *cap = n;
  return grow(p, n * size);
}

/* Labels of the window's records; clusters renumbered by first member in window order. */
static size_t cluster_window(opt_monitor *m, int64_t *points) {
  size_t n = m->n_recs;
  if (n > m->cap_pts) {
    m->cap_pts = 2 * n;
    m->pts = grow(m->pts, m->cap_pts * sizeof *m->pts);
    m->labels = grow(m->labels, m->cap_pts * sizeof *m->labels);
  }
  assert((uint64_t)n < (UINT64_C(1) << 32)); /* int64 sums of counts cannot overflow (monitor.h) */
  *points = 0;
  for (size_t i = 0; i < n; i++) {
    m->pts[i] = m->recs[i].point;
    *points += m->recs[i].point.count;
  }
  size_t k = opt_dbscan(m->pts, n, m->cfg.eps_log2, m->cfg.min_pts, m->labels);
  if (k == OPT_DBSCAN_TOO_DENSE) return k;
  int64_t *renum = grow(NULL, (k ? k : 1) * sizeof *renum);
  for (size_t c = 0; c < k; c++)
    renum[c] = -1;
  int64_t next = 0;
  for (size_t i = 0; i < n; i++) {
    int64_t l = m->labels[i];
    if (l < 0) continue;
    if (renum[l] < 0) renum[l] = next++;
    m->labels[i] = renum[l];
  }
  free(renum);
  return k;
}

/* s after n times `s += x` in double (round to nearest, ties to even), for s, x >= 0, in
 * O(binades s crosses) rather than O(n): the bits of upstream's point-by-point sum without
 * its loop. Inside one binade [2^e, 2^(e+1)) of spacing u every step adds x rounded to a
 * multiple of u; that multiple is the same from any start, except at a tie, where it depends on
 * the parity of the start; a tie's result is even, so after two steps that start and end in
 * the binade the step d is fixed until the binade ends. Then jump by whole d's while the sum
 * stays below 2^(e+1) (the exact s + x then does too, so no rounding at the boundary is
 * skipped) and step by hand across it. */
static double sum_repeated(double s, double x, int64_t n) {
  assert(s >= 0 && x >= 0 && n >= 0);
  int in_binade = 0; /* consecutive steps that started and ended in the current binade */
  while (n > 0) {
    double t = s + x;
    n--;
    if (t == s) return s; /* x is below half a spacing: no later step moves s either */
    int es, et;
    frexp(s, &es);
    frexp(t, &et);
    in_binade = (s > 0 && es == et) ? in_binade + 1 : 0;
    if (in_binade >= 2 && n > 0) {
      /* Integers in units of the spacing 2^(et - 53): all below 2^53, so exact. */
      int64_t room = (int64_t)ldexp(ldexp(1.0, et) - t, 53 - et);
      int64_t step = (int64_t)ldexp(t - s, 53 - et);
      int64_t jumps = (room - 1) / step;
      if (jumps > n) jumps = n;
      t += (double)jumps * (t - s);
      n -= jumps;
      in_binade = 0;
    }
    s = t;
  }
  return s;
}

/* Centeroid.add for every point in window order (sum_repeated: a record's count at once), then
 * the centre, rate and bucket. */
static void centres(opt_monitor *m, size_t k, double span, const opt_grid *grid) {
  m->clusters = reserve(m->clusters, &m->cap_clusters, k ? k : 1, sizeof *m->clusters);
  for (size_t c = 0; c < k; c++)
    m->clusters[c] = (opt_cluster){0};
  for (size_t i = 0; i < m->n_recs; i++) {
    if (m->labels[i] < 0) continue;
    opt_cluster *c = &m->clusters[m->labels[i]];
    const opt_point *p = &m->recs[i].point;
    c->out_log2 = sum_repeated(c->out_log2, p->out_log2, p->count);
    c->in_log2 = sum_repeated(c->in_log2, p->in_log2, p->count);
    c->size += p->count;
  }
  double covered = 0.0;
  for (size_t c = 0; c < k; c++) {
    opt_cluster *cl = &m->clusters[c];
    cl->out_log2 /= (double)cl->size;
    cl->in_log2 /= (double)cl->size;
    cl->rate = (double)cl->size / span;
    covered += cl->rate;
    cl->in_range = false;
    if (grid) {
      bool out_ok, in_ok;
      cl->out_idx = opt_grid_index(grid->out_ticks, grid->n_out, cl->out_log2, &out_ok);
      cl->in_idx = opt_grid_index(grid->in_ticks, grid->n_in, cl->in_log2, &in_ok);
      cl->in_range = out_ok && in_ok;
    }
  }
  for (size_t c = 0; c < k; c++)
    m->clusters[c].share = m->clusters[c].rate / covered;
}

/* Optimizer.set_workload_distribution: D[sig] += share, in cluster order; rates = D * R. */
static void bucket_rates(opt_monitor *m, size_t k, const opt_grid *g, opt_monitor_out *out) {
  size_t cells = g->n_out * g->n_in;
  m->grid_rates = reserve(m->grid_rates, &m->cap_grid, cells, sizeof *m->grid_rates);
  for (size_t b = 0; b < cells; b++)
    m->grid_rates[b] = 0.0;
  bool *used = grow(NULL, cells * sizeof *used);
  memset(used, 0, cells * sizeof *used);
  for (size_t c = 0; c < k; c++) {
    size_t b = m->clusters[c].out_idx * g->n_in + m->clusters[c].in_idx;
    m->grid_rates[b] += m->clusters[c].share;
    used[b] = true;
  }
  size_t n_used = 0;
  for (size_t b = 0; b < cells; b++)
    n_used += used[b];
  m->buckets = reserve(m->buckets, &m->cap_buckets, n_used ? n_used : 1, sizeof *m->buckets);
  size_t nb = 0;
  for (size_t b = 0; b < cells; b++) {
    double share = m->grid_rates[b];
    m->grid_rates[b] = share * out->total_rate;
    if (!used[b]) continue;
    size_t i = b / g->n_in, j = b % g->n_in;
    m->buckets[nb++] =
        (opt_bucket_rate){g->out_ticks[i], g->in_ticks[j], i, j, share, m->grid_rates[b]};
  }
  free(used);
  out->buckets = m->buckets;
  out->n_buckets = nb;
  out->grid_rates = m->grid_rates;
  out->n_grid = cells;
}

bool opt_monitor_step(opt_monitor *m, int64_t now_us, const opt_trace *traces, size_t n_traces,
                      const opt_grid *grid, opt_monitor_out *out, opt_err *err) {
  if (grid && !opt_grid_check(grid, err)) return false;
  if (!m->started) {
    m->sub[0] = (sub_window){now_us, seq_end(m)};
    m->n_sub = 1;
    m->frontier = 0;
    m->started = true;
  }
  assert(now_us >= m->last_now_us);
  m->last_now_us = now_us;
  rotate(m, now_us);
  for (size_t i = 0; i < n_traces; i++)
    append_trace(m, &traces[i]);
  assert(m->sub[(m->frontier + 1) % m->n_sub].first == m->seq0);

  *out = (opt_monitor_out){0};
  out->current_rate = n_traces ? opt_trace_rate(&traces[n_traces - 1]) : 0.0;
  out->span_s = window_span(m);
  size_t k = cluster_window(m, &out->points);
  if (k == OPT_DBSCAN_TOO_DENSE)
    return opt_fail(err,
                    "monitor: the window's %zu cell records are too many or too dense to cluster "
                    "(over %d neighbour pairs or %lld distance tests)",
                    m->n_recs, OPT_DBSCAN_MAX_PAIRS, (long long)OPT_DBSCAN_MAX_TESTS);
  out->window_rate = (double)out->points / out->span_s;
  out->total_rate = fmax(out->window_rate, out->current_rate);
  centres(m, k, out->span_s, grid);
  out->clusters = m->clusters;
  out->n_clusters = k;
  for (size_t c = 0; c < k; c++) {
    out->clustered += m->clusters[c].size;
    if (m->clusters[c].in_range) out->in_grid_frac += m->clusters[c].share;
  }
  out->coverage_pct = out->points ? (double)out->clustered / (double)out->points * 100 : 0.0;
  out->action = k > 0              ? OPT_MONITOR_OPTIMIZE
                : out->points == 0 ? OPT_MONITOR_MINIMIZE
                                   : OPT_MONITOR_SKIP;
  if (grid) bucket_rates(m, k, grid, out);
  return true;
}
