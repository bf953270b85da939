#include "models/autoscalers/gosem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/xalloc.h"

#define NS_PER_US 1000LL
#define TWO63 (1ULL << 63)

/* --- Go's parsers --- */

static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static char lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c; }
static bool is_hex_letter(char c) { return lower(c) >= 'a' && lower(c) <= 'f'; }

/* strconv.underscoreOK: underscores only between digits, or after a base prefix. */
static bool underscore_ok(const char *s, size_t n) {
  char saw = '^';
  size_t i = 0;
  if (n >= 1 && (s[0] == '-' || s[0] == '+')) i = 1;
  bool hex = false;
  if (n - i >= 2 && s[i] == '0' &&
      (lower(s[i + 1]) == 'b' || lower(s[i + 1]) == 'o' || lower(s[i + 1]) == 'x')) {
    hex = lower(s[i + 1]) == 'x';
    i += 2;
    saw = '0';
  }
  for (; i < n; i++) {
    if (is_digit(s[i]) || (hex && is_hex_letter(s[i]))) {
      saw = '0';
    } else if (s[i] == '_') {
      if (saw != '0') return false;
      saw = '_';
    } else {
      if (saw == '_') return false;
      saw = '!';
    }
  }
  return saw != '_';
}

/* strconv.readFloat's grammar: the length of the float at the start of s (0 if none); sets
 * *underscores when it holds any. */
static size_t float_syntax(const char *s, size_t n, bool *underscores) {
  size_t i = 0;
  if (i < n && (s[i] == '+' || s[i] == '-')) i++;
  bool hex = false;
  if (i + 2 < n && s[i] == '0' && lower(s[i + 1]) == 'x') {
    hex = true;
    i += 2;
  }
  bool sawdot = false, sawdigits = false;
  *underscores = false;
  for (; i < n; i++) {
    char c = s[i];
    if (c == '_') {
      *underscores = true;
    } else if (c == '.') {
      if (sawdot) break;
      sawdot = true;
    } else if (is_digit(c) || (hex && is_hex_letter(c))) {
      sawdigits = true;
    } else {
      break;
    }
  }
  if (!sawdigits) return 0;
  if (i < n && lower(s[i]) == (hex ? 'p' : 'e')) {
    i++;
    if (i >= n) return 0;
    if (s[i] == '+' || s[i] == '-') i++;
    if (i >= n || !is_digit(s[i])) return 0;
    for (; i < n && (is_digit(s[i]) || s[i] == '_'); i++)
      if (s[i] == '_') *underscores = true;
  } else if (hex) {
    return 0; /* a hex mantissa needs a p exponent */
  }
  if (*underscores && !underscore_ok(s, i)) return 0;
  return i;
}

bool go_parse_float(const char *s, double *out) {
  size_t n = strlen(s);
  const char *t = (s[0] == '+' || s[0] == '-') ? s + 1 : s;
  if (strcasecmp(t, "inf") == 0 || strcasecmp(t, "infinity") == 0) {
    *out = s[0] == '-' ? -INFINITY : INFINITY;
    return true;
  }
  if (strcasecmp(s, "nan") == 0) { /* Go takes no sign on NaN */
    *out = NAN;
    return true;
  }
  bool underscores;
  if (n == 0 || float_syntax(s, n, &underscores) != n) return false;
  char *clean = xmalloc(n + 1);
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (s[i] != '_') clean[k++] = s[i];
  clean[k] = '\0';
  errno = 0;
  char *end;
  double v = strtod(clean, &end);
  bool ok = *end == '\0' && !(errno == ERANGE && isinf(v));
  free(clean);
  if (ok) *out = v;
  return ok;
}

bool go_parse_int32(const char *s, int32_t *out) {
  bool neg = s[0] == '-';
  if (s[0] == '+' || s[0] == '-') s++;
  if (*s == '\0') return false;
  uint64_t un = 0;
  for (; *s; s++) {
    if (!is_digit(*s)) return false;
    un = un * 10 + (uint64_t)(*s - '0');
    if (un > (1ULL << 31)) return false; /* out of range whatever follows */
  }
  if (!neg && un >= (1ULL << 31)) return false;
  *out = neg ? (int32_t)(-(int64_t)un) : (int32_t)un;
  return true;
}

/* time.unitMap, in nanoseconds; 0 for an unknown unit. */
static uint64_t unit_ns(const char *u, size_t n) {
  static const struct {
    const char *name;
    uint64_t ns;
  } units[] = {
      {"ns", 1},
      {"us", 1000},
      {"\xc2\xb5s", 1000}, /* U+00B5 micro sign */
      {"\xce\xbcs", 1000}, /* U+03BC Greek mu */
      {"ms", 1000000},
      {"s", 1000000000},
      {"m", 60ULL * 1000000000},
      {"h", 3600ULL * 1000000000},
  };
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
    if (strlen(units[i].name) == n && memcmp(units[i].name, u, n) == 0) return units[i].ns;
  return 0;
}

/* One "[0-9]*(.[0-9]*)?unit" component of a duration; advances *sp, adds to *d. */
static bool duration_component(const char **sp, uint64_t *d) {
  const char *s = *sp;
  if (!(*s == '.' || is_digit(*s))) return false;
  uint64_t v = 0, f = 0;
  double scale = 1;
  const char *start = s;
  for (; is_digit(*s); s++) { /* leadingInt */
    if (v > TWO63 / 10) return false;
    v = v * 10 + (uint64_t)(*s - '0');
    if (v > TWO63) return false;
  }
  bool pre = s != start, post = false;
  if (*s == '.') { /* leadingFraction: stops gaining precision instead of failing */
    s++;
    start = s;
    bool overflow = false;
    for (; is_digit(*s); s++) {
      if (overflow) continue;
      if (f > (TWO63 - 1) / 10) {
        overflow = true;
        continue;
      }
      uint64_t y = f * 10 + (uint64_t)(*s - '0');
      if (y > TWO63) {
        overflow = true;
        continue;
      }
      f = y;
      scale *= 10;
    }
    post = s != start;
  }
  if (!pre && !post) return false;
  start = s;
  while (*s && *s != '.' && !is_digit(*s))
    s++;
  uint64_t unit = unit_ns(start, (size_t)(s - start));
  if (unit == 0) return false; /* missing or unknown unit */
  if (v > TWO63 / unit) return false;
  v *= unit;
  if (f > 0) {
    v += (uint64_t)((double)f * ((double)unit / scale));
    if (v > TWO63) return false;
  }
  *d += v;
  if (*d > TWO63) return false;
  *sp = s;
  return true;
}

bool go_parse_duration(const char *s, int64_t *out_ns) {
  bool neg = false;
  if (*s == '-' || *s == '+') {
    neg = *s == '-';
    s++;
  }
  if (strcmp(s, "0") == 0) {
    *out_ns = 0;
    return true;
  }
  if (*s == '\0') return false;
  uint64_t d = 0;
  while (*s)
    if (!duration_component(&s, &d)) return false;
  if (neg) {
    *out_ns = d == TWO63 ? INT64_MIN : -(int64_t)d;
    return true;
  }
  if (d > TWO63 - 1) return false;
  *out_ns = (int64_t)d;
  return true;
}

bool go_parse_bool(const char *s, bool *out) {
  static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
  static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
  for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
    if (strcmp(s, yes[i]) == 0 || strcmp(s, no[i]) == 0) {
      *out = strcmp(s, yes[i]) == 0;
      return true;
    }
  }
  return false;
}

/* Quantity suffixes (quantity.go's suffixer): decimal SI as a power of ten, binary SI as a power
 * of two. */
static bool quantity_scale(const char *suffix, int *exp10, int *exp2) {
  static const struct {
    const char *s;
    int e10, e2;
  } suffixes[] = {{"n", -9, 0},  {"u", -6, 0},  {"m", -3, 0},  {"", 0, 0},
                  {"k", 3, 0},   {"M", 6, 0},   {"G", 9, 0},   {"T", 12, 0},
                  {"P", 15, 0},  {"E", 18, 0},  {"Ki", 0, 10}, {"Mi", 0, 20},
                  {"Gi", 0, 30}, {"Ti", 0, 40}, {"Pi", 0, 50}, {"Ei", 0, 60}};
  for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++)
    if (!strcmp(suffix, suffixes[i].s)) {
      *exp10 = suffixes[i].e10, *exp2 = suffixes[i].e2;
      return true;
    }
  if (suffix[0] != 'e' && suffix[0] != 'E') return false;
  const char *d = suffix + 1 + (suffix[1] == '+' || suffix[1] == '-');
  if (!*d || strspn(d, "0123456789") != strlen(d) || strlen(d) > 4) return false;
  *exp10 = atoi(suffix + 1), *exp2 = 0;
  return true;
}

bool go_parse_quantity(const char *s, double *out) {
  const char *p = s + (*s == '+' || *s == '-');
  size_t whole = strspn(p, "0123456789"), frac = 0;
  p += whole;
  if (*p == '.') frac = strspn(++p, "0123456789"), p += frac;
  int exp10, exp2;
  if (whole + frac == 0 || !quantity_scale(p, &exp10, &exp2)) return false;
  size_t n = (size_t)(p - s);
  char *num = xmalloc(n + 16); /* the number with its power of ten, read by strtod at once */
  snprintf(num, n + 16, "%.*se%d", (int)n, s, exp10);
  double v = strtod(num, NULL);
  free(num);
  v = ldexp(v, exp2);
  if (!isfinite(v)) return false;
  *out = v;
  return true;
}

/* --- Annotations --- */

const go_field *go_field_find(const go_field *fields, size_t n, const char *key) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(fields[i].key, key) == 0) return &fields[i];
  return NULL;
}

bool go_field_set(void *obj, const go_field *f, const char *value, const char *who, ps_err *e) {
  char *field = (char *)obj + f->offset;
  switch (f->kind) {
  case GO_FLOAT: {
    double v;
    if (!go_parse_float(value, &v))
      return ps_fail(e, "%s: %s: expected a number, got \"%s\"", who, f->key, value);
    memcpy(field, &v, sizeof v);
    return true;
  }
  case GO_INT32: {
    int32_t v;
    if (!go_parse_int32(value, &v))
      return ps_fail(e, "%s: %s: expected a whole number in int32 range, got \"%s\"", who, f->key,
                     value);
    memcpy(field, &v, sizeof v);
    return true;
  }
  case GO_DURATION: {
    int64_t ns;
    if (!go_parse_duration(value, &ns))
      return ps_fail(e, "%s: %s: expected a Go duration such as 30s, 3m or 1h30m, got \"%s\"", who,
                     f->key, value);
    if (ns < 0) return ps_fail(e, "%s: %s: must not be negative, got \"%s\"", who, f->key, value);
    int64_t us = ns / NS_PER_US + (ns % NS_PER_US != 0); /* a positive duration stays positive */
    memcpy(field, &us, sizeof us);
    return true;
  }
  case GO_BOOL: {
    bool v;
    if (!go_parse_bool(value, &v))
      return ps_fail(e, "%s: %s: expected true or false, got \"%s\"", who, f->key, value);
    memcpy(field, &v, sizeof v);
    return true;
  }
  }
  return false;
}
