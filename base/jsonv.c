#include "base/jsonv.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "base/readfile.h"

/* Line and column (from 1) of `at` in text. */
static void line_col(const char *text, const char *at, long *line, long *col) {
  *line = *col = 1;
  for (const char *p = text; p < at; p++) {
    if (*p == '\n')
      ++*line, *col = 1;
    else
      ++*col;
  }
}

/* The first \u0000 escape in text (a backslash preceded by an even number of backslashes), or
 * NULL. cJSON turns it into a NUL byte that silently cuts the string short ("a\u0000b" would
 * read as "a"), so no string of ours may hold one. Outside strings the sequence is a syntax
 * error anyway. */
static const char *nul_escape(const char *text) {
  for (const char *p = strstr(text, "\\u"); p; p = strstr(p + 1, "\\u")) {
    size_t slashes = 0;
    while (p - (ptrdiff_t)slashes > text && p[-1 - (ptrdiff_t)slashes] == '\\')
      slashes++;
    if (slashes % 2 == 0 && strncmp(p + 2, "0000", 4) == 0) return p;
  }
  return NULL;
}

cJSON *jv_parse_file(const char *path, char **text_out, ps_err *err) {
  char *text = ps_read_text(path, err);
  if (!text) return NULL;
  long line, col;
  const char *nul = nul_escape(text);
  if (nul) {
    line_col(text, nul, &line, &col);
    ps_fail(err,
            "%s:%ld:%ld: expected no \\u0000 in a string (it would cut the string short), "
            "found one",
            path, line, col);
    free(text);
    return NULL;
  }
  const char *end = NULL;
  cJSON *root = cJSON_ParseWithOpts(text, &end, 1);
  if (!root) {
    if (!end) end = text;
    /* cJSON reports some errors (a key expected, a string cut short) one past the offending
     * character, at the line's end: point back at the last character of that line. */
    while (end > text && (*end == '\n' || *end == '\r') && end[-1] != '\n')
      end--;
    line_col(text, end, &line, &col);
    char near[24] = "";
    size_t k = 0;
    for (const char *p = end; *p && *p != '\n' && k < sizeof near - 1; p++)
      near[k++] = *p;
    near[k] = '\0';
    if (*end == '\0')
      ps_fail(err, "%s:%ld:%ld: JSON syntax error: unexpected end of file", path, line, col);
    else
      ps_fail(err, "%s:%ld:%ld: JSON syntax error near '%s'", path, line, col, near);
    free(text);
    return NULL;
  }
  if (text_out)
    *text_out = text;
  else
    free(text);
  return root;
}

size_t jv_enter(jv *v, const char *key) {
  size_t mark = v->len;
  int n = snprintf(v->path + v->len, sizeof v->path - v->len, "%s%s", v->len ? "." : "", key);
  v->len = n < 0                                  ? v->len
           : v->len + (size_t)n >= sizeof v->path ? sizeof v->path - 1
                                                  : v->len + (size_t)n;
  return mark;
}

size_t jv_enter_index(jv *v, int index) {
  size_t mark = v->len;
  int n = snprintf(v->path + v->len, sizeof v->path - v->len, "[%d]", index);
  v->len = n < 0                                  ? v->len
           : v->len + (size_t)n >= sizeof v->path ? sizeof v->path - 1
                                                  : v->len + (size_t)n;
  return mark;
}

void jv_leave(jv *v, size_t mark) {
  v->len = mark;
  v->path[mark] = '\0';
}

static bool vfail(jv *v, const char *fmt, va_list ap) {
  char msg[768];
  vsnprintf(msg, sizeof msg, fmt, ap);
  const char *where = v->len ? v->path : "(top level)";
  long line = v->line_of ? v->line_of(v->line_ctx, v->path) : 0;
  if (line > 0) return ps_fail(v->err, "%s:%ld: %s: %s", v->file, line, where, msg);
  return ps_fail(v->err, "%s: %s: %s", v->file, where, msg);
}

bool jv_fail(jv *v, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfail(v, fmt, ap);
  va_end(ap);
  return false;
}

bool jv_fail_at(jv *v, const char *key, const char *fmt, ...) {
  size_t mark = jv_enter(v, key);
  va_list ap;
  va_start(ap, fmt);
  vfail(v, fmt, ap);
  va_end(ap);
  jv_leave(v, mark);
  return false;
}

/* x in as few digits as read back the same (1e-06, not 9.9999999999999995e-07). */
static const char *num_text(double x, char buf[32]) {
  snprintf(buf, 32, "%.15g", x);
  if (strtod(buf, NULL) != x) snprintf(buf, 32, "%.17g", x);
  return buf;
}

void jv_describe(const cJSON *node, char *buf, size_t n) {
  if (!node)
    snprintf(buf, n, "nothing");
  else if (cJSON_IsString(node)) {
    /* at most 40 bytes of it, control and non-ASCII bytes as \xNN: a message stays one line */
    char text[4 * 40 + 1] = "";
    size_t k = 0, i = 0;
    const unsigned char *str = (const unsigned char *)node->valuestring;
    for (; str[i] && i < 40; i++)
      k += (size_t)snprintf(text + k, sizeof text - k,
                            str[i] < 0x20 || str[i] >= 0x7f ? "\\x%02x" : "%c", str[i]);
    snprintf(buf, n, "the string \"%s%s\"", text, str[i] ? "..." : "");
  } else if (cJSON_IsNumber(node)) {
    char num[32];
    snprintf(buf, n, "the number %s", num_text(node->valuedouble, num));
  } else if (cJSON_IsBool(node))
    snprintf(buf, n, "%s", cJSON_IsTrue(node) ? "true" : "false");
  else if (cJSON_IsNull(node))
    snprintf(buf, n, "null");
  else if (cJSON_IsArray(node))
    snprintf(buf, n, "an array");
  else if (cJSON_IsObject(node))
    snprintf(buf, n, "an object");
  else
    snprintf(buf, n, "an invalid value");
}

static bool expected(jv *v, const char *what, const cJSON *node) {
  char found[96];
  jv_describe(node, found, sizeof found);
  return jv_fail(v, "expected %s, found %s", what, found);
}

bool jv_object(jv *v, const cJSON *node, const char *const *allowed) {
  if (!cJSON_IsObject(node)) return expected(v, "an object", node);
  for (const cJSON *m = node->child; m; m = m->next) {
    bool known = !allowed; /* NULL: any key */
    for (const char *const *k = allowed; k && *k && !known; k++)
      known = !strcmp(*k, m->string);
    if (!known) {
      char list[512] = "";
      size_t len = 0;
      for (const char *const *k = allowed; *k; k++)
        len += (size_t)snprintf(list + len, len < sizeof list ? sizeof list - len : 0, "%s%s",
                                k == allowed ? "" : ", ", *k);
      return jv_fail_at(v, m->string, "unknown key (expected one of: %s)", list);
    }
    for (const cJSON *o = node->child; o != m; o = o->next) {
      if (!strcmp(o->string, m->string)) {
        return jv_fail_at(v, m->string, "expected each key once, found this key twice");
      }
    }
  }
  return true;
}

bool jv_require(jv *v, const cJSON *obj, const char *key, const cJSON **out) {
  *out = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (*out) return true;
  return jv_fail_at(v, key, "required key is missing");
}

/* Find a member; false only when it is required and missing. *node is NULL when absent. */
static bool member(jv *v, const cJSON *obj, const char *key, bool required, const cJSON **node) {
  if (required) return jv_require(v, obj, key, node);
  *node = cJSON_GetObjectItemCaseSensitive(obj, key);
  return true;
}

static void range_text(char *buf, size_t n, const char *kind, double min, double max) {
  char lo[32], hi[32];
  if (min == -INFINITY && max == INFINITY)
    snprintf(buf, n, "%s", kind);
  else if (max == INFINITY)
    snprintf(buf, n, "%s >= %s", kind, num_text(min, lo));
  else if (min == -INFINITY)
    snprintf(buf, n, "%s <= %s", kind, num_text(max, hi));
  else
    snprintf(buf, n, "%s from %s to %s", kind, num_text(min, lo), num_text(max, hi));
}

bool jv_number(jv *v, const cJSON *obj, const char *key, bool required, double min, double max,
               double *out) {
  const cJSON *node;
  if (!member(v, obj, key, required, &node)) return false;
  if (!node) return true;
  size_t mark = jv_enter(v, key);
  char what[128];
  range_text(what, sizeof what, "a number", min, max);
  bool ok = cJSON_IsNumber(node) && isfinite(node->valuedouble) && node->valuedouble >= min &&
            node->valuedouble <= max;
  if (ok)
    *out = node->valuedouble;
  else
    expected(v, what, node);
  jv_leave(v, mark);
  return ok;
}

bool jv_int(jv *v, const cJSON *obj, const char *key, bool required, int64_t min, int64_t max,
            int64_t *out) {
  const cJSON *node;
  if (!member(v, obj, key, required, &node)) return false;
  if (!node) return true;
  size_t mark = jv_enter(v, key);
  char what[128];
  range_text(what, sizeof what, "an integer", (double)min, (double)max);
  double d = cJSON_IsNumber(node) ? node->valuedouble : NAN;
  bool ok = isfinite(d) && d == floor(d) && d >= (double)min && d <= (double)max;
  if (ok)
    *out = (int64_t)d;
  else
    expected(v, what, node);
  jv_leave(v, mark);
  return ok;
}

bool jv_bool(jv *v, const cJSON *obj, const char *key, bool *out) {
  const cJSON *node = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!node) return true;
  if (cJSON_IsBool(node)) {
    *out = cJSON_IsTrue(node);
    return true;
  }
  size_t mark = jv_enter(v, key);
  expected(v, "true or false", node);
  jv_leave(v, mark);
  return false;
}

bool jv_string(jv *v, const cJSON *obj, const char *key, bool required, const char **out) {
  const cJSON *node;
  if (!member(v, obj, key, required, &node)) return false;
  if (!node) return true;
  if (cJSON_IsString(node) && node->valuestring[0]) {
    *out = node->valuestring;
    return true;
  }
  size_t mark = jv_enter(v, key);
  expected(v, "a non-empty string", node);
  jv_leave(v, mark);
  return false;
}

bool jv_choice(jv *v, const cJSON *obj, const char *key, bool required, const char *const *choices,
               int *out) {
  const char *s = NULL;
  if (!jv_string(v, obj, key, required, &s)) return false;
  if (!s) return true;
  for (int i = 0; choices[i]; i++)
    if (!strcmp(choices[i], s)) {
      *out = i;
      return true;
    }
  char list[256] = "";
  size_t len = 0;
  for (int i = 0; choices[i]; i++)
    len += (size_t)snprintf(list + len, len < sizeof list ? sizeof list - len : 0, "%s\"%s\"",
                            i ? ", " : "", choices[i]);
  size_t mark = jv_enter(v, key);
  char what[300];
  snprintf(what, sizeof what, "one of %s", list);
  expected(v, what, cJSON_GetObjectItemCaseSensitive(obj, key));
  jv_leave(v, mark);
  return false;
}

bool jv_seconds(jv *v, const cJSON *obj, const char *key, bool required, double min_s, double max_s,
                int64_t *out_us) {
  double s = NAN;
  if (!jv_number(v, obj, key, required, min_s, max_s, &s)) return false;
  if (!isnan(s)) *out_us = (int64_t)llround(s * 1e6);
  return true;
}

bool jv_array(jv *v, const cJSON *obj, const char *key, bool required, size_t min_items,
              const cJSON **out) {
  const cJSON *node;
  *out = NULL;
  if (!member(v, obj, key, required, &node)) return false;
  if (!node) return true;
  size_t mark = jv_enter(v, key);
  bool ok = cJSON_IsArray(node) && (size_t)cJSON_GetArraySize(node) >= min_items;
  if (ok)
    *out = node;
  else {
    char what[64];
    snprintf(what, sizeof what, min_items ? "an array of at least %zu item%s" : "an array",
             min_items, min_items == 1 ? "" : "s");
    expected(v, what, node);
  }
  jv_leave(v, mark);
  return ok;
}
