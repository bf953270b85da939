#include "sim/scenario/awl.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/textin.h"
#include "base/jsonv.h"
#include "base/xalloc.h"

#define MAX_TIMESTAMP_MS 1e12 /* 1e9 s, the scenario's longest duration */

typedef struct awl_reader {
  const char *path;
  awl_needs needs;
  long line;       /* physical line being read, from 1 */
  const char *buf; /* the line as read, without its newline */
  char *fix;       /* the line with NaN made null */
  size_t fixcap;
  wl_trace_rec *recs;
  size_t n, cap_recs;
  int64_t last_us; /* time of the previous line */
  ps_err *err;
} awl_reader;

/* A copy of the line with every bare NaN (Python's json.dumps of a pandas gap) made null. */
static const char *nan_to_null(awl_reader *r, size_t len, size_t *out_len) {
  if (r->fixcap < len + len / 3 + 2) {
    r->fixcap = len + len / 3 + 2;
    r->fix = xrealloc(r->fix, r->fixcap);
  }
  const char *s = r->buf;
  size_t k = 0;
  bool in_string = false;
  for (size_t i = 0; i < len; i++) {
    if (in_string) {
      if (s[i] == '\\' && i + 1 < len)
        r->fix[k++] = s[i++];
      else if (s[i] == '"')
        in_string = false;
    } else if (s[i] == '"') {
      in_string = true;
    } else if (!strncmp(s + i, "NaN", 3)) {
      memcpy(r->fix + k, "null", 4);
      k += 4;
      i += 2;
      continue;
    }
    r->fix[k++] = s[i];
  }
  r->fix[k] = '\0';
  *out_len = k;
  return r->fix;
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static bool
fail(awl_reader *r, const char *fmt, ...) {
  char msg[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return ps_fail(r->err, "%s:%ld: %s", r->path, r->line, msg);
}

/* "found ..." for a member that may be absent. */
static const char *describe(const cJSON *node, char *buf, size_t n) {
  if (!node) return "none";
  jv_describe(node, buf, n);
  return buf;
}

/* A request's length under either spelling; 0 when unknown (null, NaN or absent) and not needed. */
static bool length_of(awl_reader *r, const cJSON *req, int i, const char *key, const char *old,
                      bool need, int32_t *out) {
  const cJSON *a = cJSON_GetObjectItemCaseSensitive(req, key);
  const cJSON *b = cJSON_GetObjectItemCaseSensitive(req, old);
  const cJSON *node = a ? a : b;
  const char *name = a ? key : old;
  char found[96];
  if (a && b)
    return fail(r, "requests[%d]: expected one of \"%s\" and \"%s\", found both", i, key, old);
  *out = 0;
  if (!node || cJSON_IsNull(node)) {
    if (!need) return true;
    return fail(r,
                "requests[%d]: expected \"%s\" (the scenario takes lengths from the file), found "
                "%s; or give the workload a distribution to draw them from",
                i, key, node ? "null" : "none");
  }
  double v = cJSON_IsNumber(node) ? node->valuedouble : -1;
  if (v < 0 || v > AWL_MAX_TOKENS || v != floor(v))
    return fail(r, "requests[%d].%s: expected a whole number from 0 to %ld, found %s", i, name,
                AWL_MAX_TOKENS, describe(node, found, sizeof found));
  *out = (int32_t)v;
  return true;
}

static bool add_request(awl_reader *r, const cJSON *req, int i, int64_t t_us) {
  char found[96];
  if (!cJSON_IsObject(req))
    return fail(r, "requests[%d]: expected an object, found %s", i,
                describe(req, found, sizeof found));
  wl_trace_rec rec = {.t_us = t_us};
  if (!length_of(r, req, i, "prompt_length", "Prompt Length", r->needs.input, &rec.input_tokens) ||
      !length_of(r, req, i, "output_length", "Output Length", r->needs.output, &rec.output_tokens))
    return false;
  if (r->n >= (size_t)AWL_MAX_REQUESTS)
    return fail(r, "expected at most %ld requests in the file, found more", AWL_MAX_REQUESTS);
  if (r->n == r->cap_recs) {
    r->cap_recs = r->cap_recs ? 2 * r->cap_recs : 4096;
    r->recs = xrealloc(r->recs, r->cap_recs * sizeof *r->recs);
  }
  r->recs[r->n++] = rec;
  return true;
}

static bool add_line(awl_reader *r, const cJSON *root) {
  char found[96];
  if (!cJSON_IsObject(root))
    return fail(r, "expected an object {\"timestamp\": MS, \"requests\": [...]}, found %s",
                describe(root, found, sizeof found));
  const cJSON *ts = cJSON_GetObjectItemCaseSensitive(root, "timestamp");
  const cJSON *reqs = cJSON_GetObjectItemCaseSensitive(root, "requests");
  if (!cJSON_IsNumber(ts) || !(ts->valuedouble >= 0) || ts->valuedouble > MAX_TIMESTAMP_MS)
    return fail(r, "timestamp: expected milliseconds from 0 to %.0f, found %s", MAX_TIMESTAMP_MS,
                describe(ts, found, sizeof found));
  if (!cJSON_IsArray(reqs))
    return fail(r, "requests: expected an array, found %s", describe(reqs, found, sizeof found));
  /* AIBrix's client waits int(timestamp) ms: whole milliseconds. */
  int64_t t_us = (int64_t)floor(ts->valuedouble) * 1000;
  if (t_us < r->last_us)
    return fail(r, "timestamp: expected timestamps in increasing order, found %.0f after %.0f",
                floor(ts->valuedouble), (double)r->last_us / 1000);
  r->last_us = t_us;
  int i = 0;
  for (const cJSON *q = reqs->child; q; q = q->next, i++)
    if (!add_request(r, q, i, t_us)) return false;
  return true;
}

static bool parse_line(awl_reader *r, size_t len) {
  size_t flen;
  const char *text = nan_to_null(r, len, &flen);
  const char *end = NULL;
  cJSON *root = cJSON_ParseWithLengthOpts(text, flen + 1, &end, true);
  if (!root) {
    size_t col = end && end >= text ? (size_t)(end - text) + 1 : 1;
    char near[24];
    snprintf(near, sizeof near, "%s", end && end >= text ? end : "");
    return fail(r, "expected a JSON object, found a syntax error at column %zu near '%s'", col,
                near);
  }
  bool ok = add_line(r, root);
  cJSON_Delete(root);
  return ok;
}

static bool blank(const char *s) { return s[strspn(s, " \t\r")] == '\0'; }

bool awl_read(const char *path, awl_needs needs, wl_trace_rec **recs, size_t *n, ps_err *err) {
  textin in;
  if (!textin_open(&in, path, AWL_MAX_LINE_BYTES, err)) return false;
  awl_reader r = {.path = path, .needs = needs, .err = err};
  int got;
  bool ok = true;
  while (ok && (got = textin_next(&in, err)) != 0) {
    ok = got > 0;
    if (!ok) break;
    r.line = in.line;
    size_t len = in.len;
    if (in.buf[len - 1] == '\n') in.buf[--len] = '\0';
    r.buf = in.buf;
    if (!blank(r.buf)) ok = parse_line(&r, len);
  }
  if (ok && r.n == 0) ok = ps_fail(err, "%s: expected requests, found none", path);
  textin_close(&in);
  free(r.fix);
  if (!ok) {
    free(r.recs);
    return false;
  }
  *recs = r.recs;
  *n = r.n;
  return true;
}
