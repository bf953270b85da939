#include "optimizer/profile.h"

#include <assert.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/pyfloat.h"
#include "base/readfile.h"
#include "base/strbuf.h"
#include "base/xalloc.h"

static const char *const METRIC_NAMES[OPT_METRIC_COUNT] = {"TPUT", "TT",   "E2E",
                                                           "TTFT", "TPAT", "TPOT"};
/* Keys in "slos" and gen_profile's flags (the metric names in lower case). */
static const char *const SLO_KEYS[OPT_METRIC_COUNT] = {"tput", "tt", "e2e", "ttft", "tpat", "tpot"};

static bool is_throughput(opt_metric m) { return m == OPT_METRIC_TPUT || m == OPT_METRIC_TT; }

/* gen_profile DEFAULT_THROUGHPUT_SLO and DEFAULT_TIME_SLO. */
static double default_limit(opt_metric m) { return is_throughput(m) ? 0.0 : INFINITY; }

static bool slo_is_set(const opt_slos *s, opt_metric m) { return s->limit[m] != default_limit(m); }

/* The percentiles a benchmark line has (gen_profile --percentile choices). */
static bool valid_percentile(double p) { return p == 0 || p == 50 || p == 90 || p == 99; }

static double *new_matrix(const opt_profile *p) {
  size_t n = (size_t)p->n_out * (size_t)p->n_in;
  return xcalloc(n, sizeof(double));
}

_Static_assert(OPT_TEXT_MAX == PS_TEXT_MAX, "one limit on text files");
char *opt_read_text(const char *path, opt_err *err) { return ps_read_text(path, err); }

/* --- Numbers and strings as Python's json.dumps writes them --- */

static void sb_int(strbuf *b, int32_t v) {
  char s[16];
  sb_put(b, s, (size_t)snprintf(s, sizeof s, "%d", v));
}

/* Python's repr of a finite number (json.dumps would write Infinity or NaN, which no reader
 * takes). */
static void py_float(strbuf *b, double x) {
  assert(isfinite(x));
  sb_pyfloat(b, x);
}

size_t opt_float_repr(double x, char *buf, size_t n) { return ps_float_repr(x, buf, n); }

/* The next UTF-8 character of p and its length; a byte that does not start a valid sequence
 * reads as U+FFFD (Python strings cannot hold one, so there is nothing to match). */
static int utf8_next(const unsigned char *p, uint32_t *cp) {
  static const uint32_t MIN[5] = {0, 0, 0x80, 0x800, 0x10000}; /* no overlong forms */
  int n = (p[0] >> 5) == 6 ? 2 : (p[0] >> 4) == 14 ? 3 : (p[0] >> 3) == 30 ? 4 : 0;
  *cp = p[0] < 0x80 ? p[0] : 0xFFFD;
  if (n == 0) return 1;
  uint32_t c = p[0] & (0x7Fu >> n);
  for (int k = 1; k < n; k++) {
    if ((p[k] & 0xC0) != 0x80) return 1;
    c = c << 6 | (p[k] & 0x3Fu);
  }
  if (c < MIN[n] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 1;
  *cp = c;
  return n;
}

static void sb_u_escape(strbuf *b, uint32_t u) {
  char s[8];
  sb_put(b, s, (size_t)snprintf(s, sizeof s, "\\u%04x", (unsigned)u));
}

/* A string as json.dumps writes it (ensure_ascii): " and \ escaped, \n \r \t \b \f by name,
 * everything else outside ' '..'~' as \uXXXX, with UTF-16 surrogate pairs above U+FFFF. */
static void py_string(strbuf *b, const char *s) {
  sb_put(b, "\"", 1);
  for (const unsigned char *p = (const unsigned char *)s; *p;) {
    uint32_t c;
    p += utf8_next(p, &c);
    switch (c) {
    case '"': sb_puts(b, "\\\""); break;
    case '\\': sb_puts(b, "\\\\"); break;
    case '\n': sb_puts(b, "\\n"); break;
    case '\r': sb_puts(b, "\\r"); break;
    case '\t': sb_puts(b, "\\t"); break;
    case '\b': sb_puts(b, "\\b"); break;
    case '\f': sb_puts(b, "\\f"); break;
    default:
      if (c >= 0x20 && c < 0x7F) {
        char ch = (char)c;
        sb_put(b, &ch, 1);
      } else if (c < 0x10000) {
        sb_u_escape(b, c);
      } else {
        sb_u_escape(b, 0xD800 | ((c - 0x10000) >> 10));
        sb_u_escape(b, 0xDC00 | ((c - 0x10000) & 0x3FF));
      }
    }
  }
  sb_put(b, "\"", 1);
}

/* --- Writing --- */

static void put_key(strbuf *b, const char *key) {
  sb_puts(b, ", \"");
  sb_puts(b, key);
  sb_puts(b, "\": ");
}

static void put_matrix(strbuf *b, const opt_profile *p, const double *m) {
  sb_put(b, "[", 1);
  for (int32_t i = 0; i < p->n_out; i++) {
    sb_puts(b, i ? ", [" : "[");
    for (int32_t j = 0; j < p->n_in; j++) {
      if (j) sb_puts(b, ", ");
      py_float(b, m[opt_profile_at(p, i, j)]);
    }
    sb_put(b, "]", 1);
  }
  sb_put(b, "]", 1);
}

static void put_ticks(strbuf *b, const int32_t *t, int32_t n) {
  sb_put(b, "[", 1);
  for (int32_t k = 0; k < n; k++) {
    if (k) sb_puts(b, ", ");
    sb_int(b, t[k]);
  }
  sb_put(b, "]", 1);
}

char *opt_profile_to_json(const opt_profile *p) {
  assert(p->gpu && p->n_out > 0 && p->n_in > 0 && p->tputs);
  strbuf b = {0};
  sb_puts(&b, "{\"gpu\": ");
  py_string(&b, p->gpu);
  put_key(&b, "cost");
  py_float(&b, p->cost);
  put_key(&b, "tputs");
  put_matrix(&b, p, p->tputs);
  put_key(&b, "indexes");
  sb_put(&b, "[", 1);
  put_ticks(&b, p->out_tokens, p->n_out);
  sb_puts(&b, ", ");
  put_ticks(&b, p->in_tokens, p->n_in);
  sb_put(&b, "]", 1);
  if (p->has_created) put_key(&b, "created"), py_float(&b, p->created);
  if (p->e2e) put_key(&b, "e2e"), put_matrix(&b, p, p->e2e);
  if (p->ttft) put_key(&b, "ttft"), put_matrix(&b, p, p->ttft);
  if (p->has_slos) {
    put_key(&b, "slos");
    sb_puts(&b, "{\"percentile\": ");
    sb_int(&b, p->slos.percentile);
    for (int m = 0; m < OPT_METRIC_COUNT; m++) {
      if (!slo_is_set(&p->slos, (opt_metric)m)) continue;
      put_key(&b, SLO_KEYS[m]);
      py_float(&b, p->slos.limit[m]);
    }
    sb_put(&b, "}", 1);
  }
  sb_put(&b, "}", 1);
  return b.s;
}

bool opt_profile_write(const char *path, const opt_profile *p, opt_err *err) {
  char *json = opt_profile_to_json(p);
  size_t n = strlen(path) + 32;
  char *tmp = xmalloc(n);
  snprintf(tmp, n, "%s.tmp.%ld", path, (long)getpid());
  FILE *fp = fopen(tmp, "wb");
  bool ok = fp != NULL;
  if (!ok) {
    opt_fail(err, "%s: cannot create: %s", tmp, strerror(errno));
  } else {
    size_t len = strlen(json);
    bool written = fwrite(json, 1, len, fp) == len;
    if (fclose(fp) != 0 || !written) {
      ok = opt_fail(err, "%s: write error: %s", tmp, strerror(errno));
    } else if (rename(tmp, path) != 0) {
      ok = opt_fail(err, "%s: cannot rename to %s: %s", tmp, path, strerror(errno));
    }
    if (!ok) unlink(tmp);
  }
  free(tmp);
  free(json);
  return ok;
}

/* --- Reading --- */

/* What a JSON value is, for the "found ..." of a message. */
static const char *found(const cJSON *v, char buf[64]) {
  if (!v) return "nothing";
  if (cJSON_IsNumber(v) && isfinite(v->valuedouble)) { /* as short as it reads back: 12.5, -1 */
    char sci[40];
    ps_shortest_sci(v->valuedouble, sci);
    int digits = (int)strcspn(sci, "e") - (sci[0] == '-') - (strchr(sci, '.') != NULL);
    snprintf(buf, 64, "%.*g", digits, v->valuedouble);
  } else if (cJSON_IsNumber(v)) {
    snprintf(buf, 64, "%g", v->valuedouble);
  } else if (cJSON_IsString(v)) {
    snprintf(buf, 64, "\"%.40s\"", v->valuestring);
  } else if (cJSON_IsArray(v)) {
    snprintf(buf, 64, "an array of %d", cJSON_GetArraySize(v));
  } else {
    return cJSON_IsObject(v) ? "an object" : cJSON_IsBool(v) ? "a boolean" : "null";
  }
  return buf;
}

static const cJSON *get(const cJSON *o, const char *key) {
  return cJSON_GetObjectItemCaseSensitive(o, key);
}

static bool any_number(double x) { return !isnan(x); }
static bool non_negative(double x) { return x >= 0; }
static bool positive(double x) { return x > 0; }
static bool whole(double x) { return x == floor(x) && fabs(x) <= INT32_MAX; }
static bool token_count(double x) { return whole(x) && x >= 1; }

/* v as a finite number that `valid` accepts; otherwise an error "WHERE: expected ..., found
 * ..." (where is "file: $.path" in a profile, "file:line: \"key\"" in a benchmark). */
static bool number(const cJSON *v, bool (*valid)(double), const char *expected, const char *where,
                   double *out, opt_err *err) {
  char f[64];
  if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || !valid(v->valuedouble))
    return opt_fail(err, "%s: expected %s, found %s", where, expected, found(v, f));
  *out = v->valuedouble;
  return true;
}

/* "$.indexes[k]": ticks in tokens, strictly increasing. */
static bool read_ticks(const cJSON *t, const char *src, int k, int32_t **out, int32_t *n,
                       opt_err *err) {
  char f[64], where[320];
  if (!cJSON_IsArray(t) || cJSON_GetArraySize(t) < 1)
    return opt_fail(err, "%s: $.indexes[%d]: expected a non-empty array of token counts, found %s",
                    src, k, found(t, f));
  *n = cJSON_GetArraySize(t);
  *out = xmalloc((size_t)*n * sizeof **out);
  int32_t i = 0;
  const cJSON *v;
  cJSON_ArrayForEach(v, t) {
    double x = 0;
    snprintf(where, sizeof where, "%s: $.indexes[%d][%d]", src, k, i);
    if (!number(v, token_count, "a whole number of tokens >= 1", where, &x, err)) return false;
    if (i > 0 && x <= (*out)[i - 1])
      return opt_fail(err, "%s: expected a tick above the previous one (%d), found %s", where,
                      (*out)[i - 1], found(v, f));
    (*out)[i++] = (int32_t)x;
  }
  return true;
}

/* "$.KEY": n_out rows of n_in numbers >= 0. */
static bool read_matrix(const cJSON *rows, const char *key, const char *src, const opt_profile *p,
                        double **out, opt_err *err) {
  char f[64];
  if (!cJSON_IsArray(rows) || cJSON_GetArraySize(rows) != p->n_out)
    return opt_fail(err, "%s: $.%s: expected an array of %d rows (one per output tick), found %s",
                    src, key, p->n_out, found(rows, f));
  double *m = *out = new_matrix(p);
  int32_t i = 0;
  const cJSON *row;
  cJSON_ArrayForEach(row, rows) {
    if (!cJSON_IsArray(row) || cJSON_GetArraySize(row) != p->n_in)
      return opt_fail(err,
                      "%s: $.%s[%d]: expected an array of %d numbers (one per input tick), "
                      "found %s",
                      src, key, i, p->n_in, found(row, f));
    int32_t j = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, row) {
      char where[320];
      snprintf(where, sizeof where, "%s: $.%s[%d][%d]", src, key, i, j);
      if (!number(v, non_negative, "a number >= 0", where, &m[opt_profile_at(p, i, j)], err))
        return false;
      j++;
    }
    i++;
  }
  return true;
}

static bool read_slos(const cJSON *s, const char *src, opt_slos *out, opt_err *err) {
  char f[64], where[320];
  if (!cJSON_IsObject(s))
    return opt_fail(err, "%s: $.slos: expected an object, found %s", src, found(s, f));
  *out = opt_slos_default();
  double pct = 0;
  snprintf(where, sizeof where, "%s: $.slos.percentile", src);
  if (!number(get(s, "percentile"), valid_percentile, "0, 50, 90 or 99", where, &pct, err))
    return false;
  out->percentile = (int32_t)pct;
  for (int m = 0; m < OPT_METRIC_COUNT; m++) {
    const cJSON *v = get(s, SLO_KEYS[m]);
    snprintf(where, sizeof where, "%s: $.slos.%s", src, SLO_KEYS[m]);
    if (v && !number(v, any_number, "a number", where, &out->limit[m], err)) return false;
  }
  return true;
}

static bool profile_from_json(const cJSON *root, const char *src, opt_profile *p, opt_err *err) {
  char f[64], where[320];
  if (!cJSON_IsObject(root))
    return opt_fail(err, "%s: expected a JSON object, found %s", src, found(root, f));
  const cJSON *gpu = get(root, "gpu"), *idx = get(root, "indexes");
  if (!cJSON_IsString(gpu))
    return opt_fail(err, "%s: $.gpu: expected a string (the deployment), found %s", src,
                    found(gpu, f));
  p->gpu = xstrdup(gpu->valuestring);
  snprintf(where, sizeof where, "%s: $.cost", src);
  if (!number(get(root, "cost"), non_negative, "a number >= 0", where, &p->cost, err)) return false;
  if (!cJSON_IsArray(idx) || cJSON_GetArraySize(idx) != 2)
    return opt_fail(err, "%s: $.indexes: expected [[output ticks], [input ticks]], found %s", src,
                    found(idx, f));
  if (!read_ticks(idx->child, src, 0, &p->out_tokens, &p->n_out, err) ||
      !read_ticks(idx->child->next, src, 1, &p->in_tokens, &p->n_in, err) ||
      !read_matrix(get(root, "tputs"), "tputs", src, p, &p->tputs, err))
    return false;
  if (get(root, "e2e") && !read_matrix(get(root, "e2e"), "e2e", src, p, &p->e2e, err)) return false;
  if (get(root, "ttft") && !read_matrix(get(root, "ttft"), "ttft", src, p, &p->ttft, err))
    return false;
  if (get(root, "created")) {
    snprintf(where, sizeof where, "%s: $.created", src);
    if (!number(get(root, "created"), non_negative, "Unix seconds", where, &p->created, err))
      return false;
    p->has_created = true;
  }
  if (get(root, "slos")) {
    p->has_slos = true;
    if (!read_slos(get(root, "slos"), src, &p->slos, err)) return false;
  }
  return true;
}

/* "line L, column C" of byte `at` of text. */
static void position(const char *text, const char *at, int *line, int *col) {
  *line = 1, *col = 1;
  for (const char *c = text; c < at && *c; c++) {
    if (*c == '\n')
      ++*line, *col = 1;
    else
      ++*col;
  }
}

bool opt_profile_parse(const char *json, const char *source, opt_profile *out, opt_err *err) {
  memset(out, 0, sizeof *out);
  const char *end = json;
  cJSON *root = cJSON_ParseWithOpts(json, &end, true);
  if (!root) {
    int line, col;
    position(json, end, &line, &col);
    return opt_fail(err, "%s: expected a JSON profile, found invalid JSON at line %d, column %d",
                    source, line, col);
  }
  bool ok = profile_from_json(root, source, out, err);
  cJSON_Delete(root);
  if (!ok) opt_profile_free(out);
  return ok;
}

bool opt_profile_read(const char *path, opt_profile *out, opt_err *err) {
  memset(out, 0, sizeof *out);
  char *text = opt_read_text(path, err);
  if (!text) return false;
  bool ok = opt_profile_parse(text, path, out, err);
  free(text);
  return ok;
}

void opt_profile_free(opt_profile *p) {
  free(p->gpu);
  free(p->out_tokens);
  free(p->in_tokens);
  free(p->tputs);
  free(p->e2e);
  free(p->ttft);
  memset(p, 0, sizeof *p);
}

static void *copy_of(const void *src, size_t n) { return src ? memcpy(xmalloc(n), src, n) : NULL; }

void opt_profile_copy(opt_profile *dst, const opt_profile *src) {
  size_t cells = (size_t)src->n_out * (size_t)src->n_in * sizeof(double);
  *dst = *src;
  dst->gpu = src->gpu ? xstrdup(src->gpu) : NULL;
  dst->out_tokens = copy_of(src->out_tokens, (size_t)src->n_out * sizeof(int32_t));
  dst->in_tokens = copy_of(src->in_tokens, (size_t)src->n_in * sizeof(int32_t));
  dst->tputs = copy_of(src->tputs, cells);
  dst->e2e = copy_of(src->e2e, cells);
  dst->ttft = copy_of(src->ttft, cells);
}

/* --- Grids --- */

/* Whether ticks double from the first to the last (a benchmark.sh grid). */
static bool doubling(const int32_t *t, int32_t n) {
  for (int32_t i = 1; i < n; i++)
    if ((int64_t)t[i] != 2 * (int64_t)t[i - 1]) return false;
  return n > 0;
}

bool opt_profile_doubling_grid(const opt_profile *p) {
  return doubling(p->in_tokens, p->n_in) && doubling(p->out_tokens, p->n_out);
}

static bool same_ticks(const opt_profile *a, const opt_profile *b, int k, opt_err *err) {
  const int32_t *ta = k ? a->in_tokens : a->out_tokens, *tb = k ? b->in_tokens : b->out_tokens;
  int32_t na = k ? a->n_in : a->n_out, nb = k ? b->n_in : b->n_out;
  for (int32_t i = 0; i < na || i < nb; i++) {
    if (i < na && i < nb && ta[i] == tb[i]) continue;
    char va[16] = "absent", vb[16] = "absent";
    if (i < na) snprintf(va, sizeof va, "%d", ta[i]);
    if (i < nb) snprintf(vb, sizeof vb, "%d", tb[i]);
    char how[200] = "";
    if (opt_profile_doubling_grid(a))
      snprintf(how, sizeof how,
               "; to solve them together, benchmark \"%s\" on \"%s\"'s grid: --input-start %d "
               "--input-limit %d --output-start %d --output-limit %d",
               b->gpu, a->gpu, a->in_tokens[0], a->in_tokens[a->n_in - 1], a->out_tokens[0],
               a->out_tokens[a->n_out - 1]);
    return opt_fail(err,
                    "profiles \"%s\" and \"%s\" have different grids: $.indexes[%d][%d] (%s "
                    "tokens) is %s in \"%s\" but %s in \"%s\"%s",
                    a->gpu, b->gpu, k, i, k ? "input" : "output", va, a->gpu, vb, b->gpu, how);
  }
  return true;
}

bool opt_profile_same_grid(const opt_profile *a, const opt_profile *b, opt_err *err) {
  return same_ticks(a, b, 0, err) && same_ticks(a, b, 1, err);
}

/* --- Benchmark files --- */

static bool record_from_json(const cJSON *o, const char *src, int32_t line, opt_bench_record *r,
                             opt_err *err) {
  char f[64], where[320];
  if (!cJSON_IsObject(o))
    return opt_fail(err, "%s:%d: expected a JSON object, found %s", src, line, found(o, f));
  *r = (opt_bench_record){.line = line};
  const cJSON *metric = get(o, "metric");
  int m = 0;
  while (m < OPT_METRIC_COUNT && (m == OPT_METRIC_TPAT || !cJSON_IsString(metric) ||
                                  strcmp(metric->valuestring, METRIC_NAMES[m]) != 0))
    m++;
  if (m == OPT_METRIC_COUNT)
    return opt_fail(err, "%s:%d: \"metric\": expected TPUT, TT, E2E, TTFT or TPOT, found %s", src,
                    line, found(metric, f));
  r->metric = (opt_metric)m;
  const struct {
    const char *key;
    bool (*valid)(double);
    const char *expected;
  } fields[] = {
      {"input_tokens", token_count, "a whole number of tokens >= 1"},
      {"output_tokens", token_count, "a whole number of tokens >= 1"},
      {"request_rate", positive, "a rate > 0 (req/s)"},
      {"mean", non_negative, "a number >= 0"},
      {"P50", non_negative, "a number >= 0 (E2E, TTFT and TPOT lines have P50, P90, P99)"},
      {"P90", non_negative, "a number >= 0 (E2E, TTFT and TPOT lines have P50, P90, P99)"},
      {"P99", non_negative, "a number >= 0 (E2E, TTFT and TPOT lines have P50, P90, P99)"},
  };
  double v[7] = {0, 0, 0, 0, NAN, NAN, NAN};
  size_t n_fields = is_throughput(r->metric) ? 4 : 7; /* TPUT and TT lines have no P-fields */
  for (size_t k = 0; k < n_fields; k++) {
    snprintf(where, sizeof where, "%s:%d: \"%s\"", src, line, fields[k].key);
    if (!number(get(o, fields[k].key), fields[k].valid, fields[k].expected, where, &v[k], err))
      return false;
  }
  r->input_tokens = (int32_t)v[0];
  r->output_tokens = (int32_t)v[1];
  r->request_rate = v[2];
  r->mean = v[3];
  r->p50 = v[4], r->p90 = v[5], r->p99 = v[6];
  return true;
}

bool opt_bench_parse(const char *text, const char *source, opt_bench *out, opt_err *err) {
  *out = (opt_bench){.source = xstrdup(source)};
  char *line = NULL;
  size_t cap = 0;
  int32_t lineno = 0, cap_recs = 0;
  bool ok = true;
  for (const char *s = text; ok && *s;) {
    const char *nl = strchr(s, '\n');
    size_t len = nl ? (size_t)(nl - s) : strlen(s);
    if (len + 1 > cap) line = xrealloc(line, cap = len + 1);
    memcpy(line, s, len);
    line[len] = '\0';
    s += len + (nl != NULL);
    lineno++;
    if (strspn(line, " \t\r") == len) continue;
    const char *end = line;
    cJSON *o = cJSON_ParseWithOpts(line, &end, true);
    if (!o) {
      ok = opt_fail(err, "%s:%d: expected a JSON object, found invalid JSON at column %d", source,
                    lineno, (int)(end - line) + 1);
      break;
    }
    if (out->n == cap_recs) {
      cap_recs = cap_recs ? 2 * cap_recs : 256;
      out->recs = xrealloc(out->recs, (size_t)cap_recs * sizeof *out->recs);
    }
    ok = record_from_json(o, source, lineno, &out->recs[out->n], err);
    out->n += ok;
    cJSON_Delete(o);
  }
  free(line);
  if (ok && out->n == 0) ok = opt_fail(err, "%s: expected benchmark lines, found none", source);
  if (!ok) opt_bench_free(out);
  return ok;
}

bool opt_bench_read(const char *path, opt_bench *out, opt_err *err) {
  *out = (opt_bench){0};
  char *text = opt_read_text(path, err);
  if (!text) return false;
  bool ok = opt_bench_parse(text, path, out, err);
  free(text);
  return ok;
}

void opt_bench_free(opt_bench *b) {
  free(b->source);
  free(b->recs);
  *b = (opt_bench){0};
}

/* --- Generation --- */

opt_slos opt_slos_default(void) {
  opt_slos s = {.percentile = 0};
  for (int m = 0; m < OPT_METRIC_COUNT; m++)
    s.limit[m] = default_limit((opt_metric)m);
  return s;
}

opt_gen_options opt_gen_options_default(const char *gpu, double created) {
  return (opt_gen_options){.gpu = gpu, .cost = 1.0, .slos = opt_slos_default(), .created = created};
}

static bool check_options(const opt_gen_options *o, opt_err *err) {
  if (!o->gpu) return opt_fail(err, "gen-profile: expected a deployment name, found none");
  if (!isfinite(o->cost) || o->cost < 0)
    return opt_fail(err, "gen-profile: --cost: expected a number >= 0, found %g", o->cost);
  if (!valid_percentile(o->slos.percentile))
    return opt_fail(err, "gen-profile: --percentile: expected 0, 50, 90 or 99, found %d",
                    o->slos.percentile);
  for (int m = 0; m < OPT_METRIC_COUNT; m++) {
    double v = o->slos.limit[m];
    if (isnan(v) || (slo_is_set(&o->slos, (opt_metric)m) && !isfinite(v)))
      return opt_fail(err, "gen-profile: --%s: expected a finite number, found %g", SLO_KEYS[m], v);
  }
  if (!isfinite(o->created))
    return opt_fail(err, "gen-profile: created: expected Unix seconds, found %g", o->created);
  return true;
}

/* Sorted distinct output (or input) token counts of all lines. */
static int32_t *distinct_ticks(const opt_bench *b, bool output, int32_t *n) {
  int32_t *t = xmalloc((size_t)b->n * sizeof *t);
  *n = 0;
  for (int32_t k = 0; k < b->n; k++) {
    int32_t v = output ? b->recs[k].output_tokens : b->recs[k].input_tokens;
    int32_t at = 0;
    while (at < *n && t[at] < v)
      at++;
    if (at < *n && t[at] == v) continue;
    memmove(t + at + 1, t + at, (size_t)(*n - at) * sizeof *t);
    t[at] = v;
    ++*n;
  }
  return t;
}

/* The lines of one (output, input) bucket, in file order. */
typedef struct bucket {
  const opt_bench_record **recs;
  int32_t n;
} bucket;

static double at_percentile(const opt_bench_record *r, int32_t percentile) {
  switch (percentile) {
  case 50: return r->p50;
  case 90: return r->p90;
  case 99: return r->p99;
  default: return r->mean;
  }
}

/* Whether line r, a line of metric m (an E2E line for TPAT), meets m's SLO. */
static bool meets(const opt_bench_record *r, opt_metric m, const opt_slos *s) {
  if (is_throughput(m)) return r->mean >= s->limit[m];
  double v = at_percentile(r, s->percentile);
  if (m == OPT_METRIC_TPAT) v /= (double)r->input_tokens + (double)r->output_tokens;
  return v < s->limit[m];
}

/* Every metric has a line at this rate that meets its SLO. */
static bool rate_qualifies(const bucket *b, double rate, const opt_slos *s) {
  for (int m = 0; m < OPT_METRIC_COUNT; m++) {
    opt_metric line_metric = m == OPT_METRIC_TPAT ? OPT_METRIC_E2E : (opt_metric)m;
    bool met = false;
    for (int32_t k = 0; k < b->n && !met; k++) {
      const opt_bench_record *r = b->recs[k];
      met = r->request_rate == rate && r->metric == line_metric && meets(r, (opt_metric)m, s);
    }
    if (!met) return false;
  }
  return true;
}

/* The server kept up: a TPUT line at this rate with TPUT >= rate * 0.9 (gen_profile's form). */
static bool keeps_up(const bucket *b, double rate) {
  for (int32_t k = 0; k < b->n; k++) {
    const opt_bench_record *r = b->recs[k];
    if (r->request_rate == rate && r->metric == OPT_METRIC_TPUT &&
        r->mean >= r->request_rate * OPT_PROFILE_TPUT_TOLERANCE)
      return true;
  }
  return false;
}

/* The first line of metric m at `rate`, or at any rate when rate is NaN. */
static const opt_bench_record *first_line(const bucket *b, opt_metric m, double rate) {
  for (int32_t k = 0; k < b->n; k++) {
    const opt_bench_record *r = b->recs[k];
    if (r->metric == m && (isnan(rate) || r->request_rate == rate)) return r;
  }
  return NULL;
}

/* --- gen_profile's verbose lines --- */

/* numpy's str of a float array: each value's shortest digits, integer parts aligned right,
 * fractions left ("[ 1.  2.  4.]", "[0.5 1.  2. ]"). */
static void numpy_floats(strbuf *sb, const double *v, int32_t n) {
  char rep[64][40];
  size_t int_w = 0, frac_w = 0;
  n = n > 64 ? 64 : n;
  for (int32_t k = 0; k < n; k++) {
    ps_float_repr(v[k], rep[k], sizeof rep[k]);
    size_t len = strlen(rep[k]);
    if (len >= 2 && !strcmp(rep[k] + len - 2, ".0")) rep[k][len - 1] = '\0'; /* "1." */
    const char *dot = strchr(rep[k], '.');
    size_t ip = dot ? (size_t)(dot - rep[k]) : strlen(rep[k]);
    size_t fp = dot ? strlen(dot + 1) : 0;
    if (ip > int_w) int_w = ip;
    if (fp > frac_w) frac_w = fp;
  }
  sb_puts(sb, "[");
  for (int32_t k = 0; k < n; k++) {
    const char *dot = strchr(rep[k], '.');
    size_t ip = dot ? (size_t)(dot - rep[k]) : strlen(rep[k]);
    size_t fp = dot ? strlen(dot + 1) : 0;
    sb_printf(sb, "%s%*s%s%*s", k ? " " : "", (int)(int_w - ip), "", rep[k], (int)(frac_w - fp),
              "");
  }
  sb_puts(sb, "]");
}

/* Decimals that x needs at pandas' precision (six, trailing zeros cut, at least one). */
static int pandas_decimals(double x) {
  char buf[64];
  snprintf(buf, sizeof buf, "%.6f", x);
  int d = 6;
  for (size_t len = strlen(buf); d > 1 && buf[len - 1] == '0'; len--)
    d--;
  return d;
}

/* The three DEBUG lines gen_profile -v logs for a bucket with qualifying rates. */
static void explain_bucket(const bucket *b, const opt_bench *bench, const opt_slos *s,
                           double chosen, const opt_gen_options *o) {
  double rates[64], kept[64];
  int32_t nr = 0, nk = 0;
  strbuf tputs = {0}, line = {0};
  for (int32_t k = 0; k < b->n; k++) {
    const opt_bench_record *r = b->recs[k];
    if (!rate_qualifies(b, r->request_rate, s)) continue;
    bool seen = false;
    for (int32_t q = 0; q < nr; q++)
      seen = seen || rates[q] == r->request_rate;
    if (!seen && nr < 64) rates[nr++] = r->request_rate;
    if (r->metric != OPT_METRIC_TPUT) continue;
    sb_puts(&tputs, tputs.s ? ", " : "[");
    sb_pyfloat(&tputs, r->mean);
    seen = false;
    for (int32_t q = 0; q < nk; q++)
      seen = seen || kept[q] == r->request_rate;
    if (!seen && nk < 64 && r->mean >= r->request_rate * OPT_PROFILE_TPUT_TOLERANCE)
      kept[nk++] = r->request_rate;
  }
  sb_puts(&tputs, tputs.s ? "]" : "[]");
  int32_t in = b->recs[0]->input_tokens, out = b->recs[0]->output_tokens;
  sb_printf(&line, "Candidate request rates for %d:%d:\n", in, out);
  numpy_floats(&line, rates, nr);
  sb_printf(&line, ", %s", tputs.s);
  o->debug(o->debug_ctx, line.s);
  line.len = 0;
  sb_printf(&line, "Candidate request rates for %d:%d:\n", in, out);
  numpy_floats(&line, kept, nk);
  o->debug(o->debug_ctx, line.s);
  /* The TPUT lines at the chosen rate, as a DataFrame: index (the line's position among the
   * file's records), request_rate, mean; columns right-aligned, two spaces apart. */
  line.len = 0;
  char cell[16][3][64];
  const opt_bench_record *row[16];
  int32_t nrows = 0;
  int dec[3] = {0, 1, 1}; /* a float column has the decimals its values need, the same for all */
  for (int32_t k = 0; k < b->n && nrows < 16; k++) {
    const opt_bench_record *r = b->recs[k];
    if (r->metric != OPT_METRIC_TPUT || r->request_rate != chosen) continue;
    row[nrows++] = r;
    if (pandas_decimals(r->request_rate) > dec[1]) dec[1] = pandas_decimals(r->request_rate);
    if (pandas_decimals(r->mean) > dec[2]) dec[2] = pandas_decimals(r->mean);
  }
  size_t w[3] = {0, strlen("request_rate"), strlen("mean")};
  for (int32_t k = 0; k < nrows; k++) {
    snprintf(cell[k][0], sizeof cell[k][0], "%td", row[k] - bench->recs);
    snprintf(cell[k][1], sizeof cell[k][1], "%.*f", dec[1], row[k]->request_rate);
    snprintf(cell[k][2], sizeof cell[k][2], "%.*f", dec[2], row[k]->mean);
    for (int c = 0; c < 3; c++)
      if (strlen(cell[k][c]) > w[c]) w[c] = strlen(cell[k][c]);
  }
  sb_printf(&line, "Candidate for %d:%d tputs:\n%*s  %*s  %*s", in, out, (int)w[0], "", (int)w[1],
            "request_rate", (int)w[2], "mean");
  for (int32_t k = 0; k < nrows; k++)
    sb_printf(&line, "\n%-*s  %*s  %*s", (int)w[0], cell[k][0], (int)w[1], cell[k][1], (int)w[2],
              cell[k][2]);
  o->debug(o->debug_ctx, line.s);
  free(line.s);
  free(tputs.s);
}

static bool fill_bucket(const bucket *b, const opt_bench *bench, const opt_gen_options *o,
                        opt_profile *p, int32_t i, int32_t j, opt_err *err) {
  const opt_slos *s = &o->slos;
  double lowest = NAN, highest_kept_up = NAN; /* NaN: no such rate */
  for (int32_t k = 0; k < b->n; k++) {        /* a rate on several lines is checked again */
    double rate = b->recs[k]->request_rate;
    if (!rate_qualifies(b, rate, s)) continue;
    if (isnan(lowest) || rate < lowest) lowest = rate;
    if (keeps_up(b, rate) && (isnan(highest_kept_up) || rate > highest_kept_up))
      highest_kept_up = rate;
  }
  double chosen = isnan(highest_kept_up) ? lowest : highest_kept_up;
  if (o->debug && !isnan(chosen)) explain_bucket(b, bench, s, chosen, o);
  int32_t at = opt_profile_at(p, i, j);
  if (!isnan(chosen)) p->tputs[at] = first_line(b, OPT_METRIC_TPUT, chosen)->mean;
  /* With no qualifying rate, gen_profile reports the bucket's first lines of any rate. */
  const opt_bench_record *e2e = first_line(b, OPT_METRIC_E2E, chosen);
  const opt_bench_record *ttft = first_line(b, OPT_METRIC_TTFT, chosen);
  if (!e2e || (p->ttft && !ttft)) /* gen_profile stops here with an IndexError */
    return opt_fail(err,
                    "%s: output_tokens %d, input_tokens %d: no rate meets the SLOs, and no %s "
                    "line gives a value to report",
                    bench->source, p->out_tokens[i], p->in_tokens[j], e2e ? "TTFT" : "E2E");
  p->e2e[at] = e2e->mean;
  if (p->ttft) p->ttft[at] = ttft->mean;
  return true;
}

bool opt_profile_generate(const opt_bench *b, const opt_gen_options *o, opt_profile *p,
                          opt_err *err) {
  memset(p, 0, sizeof *p);
  assert(b->n > 0);
  if (!check_options(o, err)) return false;
  *p = (opt_profile){.gpu = xstrdup(o->gpu),
                     .cost = o->cost,
                     .created = o->created,
                     .has_created = true,
                     .has_slos = true,
                     .slos = o->slos};
  p->out_tokens = distinct_ticks(b, true, &p->n_out);
  p->in_tokens = distinct_ticks(b, false, &p->n_in);
  p->tputs = new_matrix(p);
  p->e2e = new_matrix(p);
  if (slo_is_set(&o->slos, OPT_METRIC_TTFT)) p->ttft = new_matrix(p);
  bucket bk = {.recs = xmalloc((size_t)b->n * sizeof *bk.recs)};
  bool ok = true;
  for (int32_t i = 0; ok && i < p->n_out; i++) {
    for (int32_t j = 0; ok && j < p->n_in; j++) {
      bk.n = 0;
      for (int32_t k = 0; k < b->n; k++) {
        const opt_bench_record *r = &b->recs[k];
        if (r->output_tokens == p->out_tokens[i] && r->input_tokens == p->in_tokens[j])
          bk.recs[bk.n++] = r;
      }
      ok = fill_bucket(&bk, b, o, p, i, j, err);
    }
  }
  free(bk.recs);
  if (!ok) opt_profile_free(p);
  return ok;
}
