#include "models/kpa.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "models/xalloc.h"

#define NS_PER_US 1000LL
#define TWO63 (1ULL << 63)

/* --- Numbers as Go computes them --- */

/* math.Max: +Inf wins, then NaN, then +0 over -0. */
static double go_max(double x, double y) {
  if ((isinf(x) && x > 0) || (isinf(y) && y > 0)) return INFINITY;
  if (isnan(x) || isnan(y)) return NAN;
  if (x == 0 && y == 0) return signbit(x) ? y : x;
  return x > y ? x : y;
}

/* math.Min: -Inf wins, then NaN, then -0 over +0. */
static double go_min(double x, double y) {
  if ((isinf(x) && x < 0) || (isinf(y) && y < 0)) return -INFINITY;
  if (isnan(x) || isnan(y)) return NAN;
  if (x == 0 && y == 0) return signbit(x) ? x : y;
  return x < y ? x : y;
}

/* int32(x): Go leaves NaN and out-of-range conversions to the platform; saturate (NaN -> 0). */
static int32_t to_i32(double x) {
  if (isnan(x)) return 0;
  if (x >= (double)INT32_MAX) return INT32_MAX;
  if (x <= (double)INT32_MIN) return INT32_MIN;
  return (int32_t)x;
}

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

bool kpa_parse_go_float(const char *s, double *out) {
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

bool kpa_parse_go_int32(const char *s, int32_t *out) {
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

bool kpa_parse_go_duration(const char *s, int64_t *out_ns) {
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

/* Nanoseconds to simulator microseconds, rounding up so a positive duration stays positive. */
static int64_t ns_to_us(int64_t ns) {
  int64_t us = ns / NS_PER_US;
  return (ns > 0 && ns % NS_PER_US != 0) ? us + 1 : us;
}

/* --- Parameters --- */

typedef enum value_kind { V_FLOAT, V_INT32, V_DURATION } value_kind;

static const struct {
  const char *key;
  value_kind kind;
  size_t offset;
} kpa_keys[] = {
    {KPA_KEY_MAX_SCALE_UP_RATE, V_FLOAT, offsetof(kpa_params, max_scale_up_rate)},
    {KPA_KEY_MAX_SCALE_DOWN_RATE, V_FLOAT, offsetof(kpa_params, max_scale_down_rate)},
    {KPA_KEY_TARGET_BURST_CAPACITY, V_FLOAT, offsetof(kpa_params, target_burst_capacity)},
    {KPA_KEY_ACTIVATION_SCALE, V_INT32, offsetof(kpa_params, activation_scale)},
    {KPA_KEY_PANIC_THRESHOLD, V_FLOAT, offsetof(kpa_params, panic_threshold)},
    {KPA_KEY_STABLE_WINDOW, V_DURATION, offsetof(kpa_params, stable_window_us)},
    {KPA_KEY_PANIC_WINDOW, V_DURATION, offsetof(kpa_params, panic_window_us)},
    {KPA_KEY_SCALE_DOWN_DELAY, V_DURATION, offsetof(kpa_params, scale_down_delay_us)},
};
#define N_KPA_KEYS (sizeof kpa_keys / sizeof kpa_keys[0])

kpa_params kpa_params_default(double target) {
  kpa_params p = {
      .target = target,
      .total = 100.0,
      .max_scale_up_rate = 2.0,
      .max_scale_down_rate = 2.0,
      .target_burst_capacity = 2.0,
      .activation_scale = 1,
      .panic_threshold = 2.0,
      .stable_window_us = 60 * TWIN_SECOND_US,
      .panic_window_us = 10 * TWIN_SECOND_US,
      .scale_down_delay_us = 30 * 60 * TWIN_SECOND_US,
  };
  return p;
}

bool kpa_annotation_known(const char *key) {
  for (size_t i = 0; i < N_KPA_KEYS; i++)
    if (strcmp(kpa_keys[i].key, key) == 0) return true;
  return false;
}

bool kpa_params_set(kpa_params *p, const char *key, const char *value, ps_err *e) {
  size_t i = 0;
  while (i < N_KPA_KEYS && strcmp(kpa_keys[i].key, key) != 0)
    i++;
  if (i == N_KPA_KEYS) return ps_fail(e, "kpa: %s is not an annotation the legacy KPA reads", key);
  char *field = (char *)p + kpa_keys[i].offset;
  switch (kpa_keys[i].kind) {
  case V_FLOAT: {
    double v;
    if (!kpa_parse_go_float(value, &v))
      return ps_fail(e, "kpa: %s: expected a number, got \"%s\"", key, value);
    memcpy(field, &v, sizeof v);
    return true;
  }
  case V_INT32: {
    int32_t v;
    if (!kpa_parse_go_int32(value, &v))
      return ps_fail(e, "kpa: %s: expected a whole number in int32 range, got \"%s\"", key, value);
    memcpy(field, &v, sizeof v);
    return true;
  }
  case V_DURATION: {
    int64_t ns;
    if (!kpa_parse_go_duration(value, &ns))
      return ps_fail(e, "kpa: %s: expected a Go duration such as 30s, 3m or 1h30m, got \"%s\"", key,
                     value);
    if (ns < 0) return ps_fail(e, "kpa: %s: must not be negative, got \"%s\"", key, value);
    int64_t us = ns_to_us(ns);
    memcpy(field, &us, sizeof us);
    return true;
  }
  }
  return false;
}

bool kpa_params_check(const kpa_params *p, ps_err *e) {
  if (p->stable_window_us < 0) return ps_fail(e, "kpa: stable window must not be negative");
  if (p->panic_window_us < 0) return ps_fail(e, "kpa: panic window must not be negative");
  if (p->scale_down_delay_us < 0)
    return ps_fail(e, "kpa: scale-down delay must not be negative (upstream: must be positive)");
  return true;
}

/* --- State --- */

void kpa_state_init(kpa_state *s, const kpa_params *p, int32_t current, int64_t now_us) {
  assert(kpa_params_check(p, NULL));
  s->params = *p;
  twin_init(&s->stable, p->stable_window_us, TWIN_SECOND_US);
  twin_init(&s->panic, p->panic_window_us, TWIN_SECOND_US);
  s->has_delay = p->scale_down_delay_us > 0;
  twin_init(&s->delay, s->has_delay ? p->scale_down_delay_us : 0, TWIN_SECOND_US);
  /* Knative: start in panic above one pod, so a restart does not drop the scale at once. */
  s->panicking = current > 1;
  s->panic_time_us = s->panicking ? now_us : 0;
  s->max_panic_pods = current;
}

void kpa_state_free(kpa_state *s) {
  twin_free(&s->stable);
  twin_free(&s->panic);
  twin_free(&s->delay);
}

void kpa_state_update(kpa_state *s, const kpa_params *p) {
  kpa_params keep = s->params;
  s->params = *p;
  s->params.stable_window_us = keep.stable_window_us;
  s->params.panic_window_us = keep.panic_window_us;
  s->params.scale_down_delay_us = keep.scale_down_delay_us;
}

void kpa_record(kpa_state *s, int64_t now_us, double tick_value) {
  twin_record(&s->panic, now_us, tick_value);
  twin_record(&s->stable, now_us, tick_value);
}

bool kpa_record_pods(kpa_state *s, int64_t now_us, const double *values, size_t n) {
  if (n == 0) return false;
  double sum = 0.0;
  for (size_t i = 0; i < n; i++)
    sum += values[i];
  kpa_record(s, now_us, sum);
  return true;
}

/* --- Decision --- */

/* Activation scale lifts a non-zero count below it (only when it is above 1). */
static int32_t activate(int32_t count, int32_t activation_scale) {
  return (activation_scale > 1 && activation_scale > count && count > 0) ? activation_scale : count;
}

/* Enter, extend or leave panic mode. */
static void update_panic(kpa_state *s, bool over_threshold, int64_t now_us) {
  if (over_threshold) {
    s->panicking = true;
    s->panic_time_us = now_us;
  } else if (s->panicking && s->panic_time_us + s->params.stable_window_us < now_us) {
    s->panicking = false;
    s->max_panic_pods = 0;
  }
}

static double excess_burst_capacity(const kpa_params *p, int32_t ready_pods, double panic) {
  if (p->target_burst_capacity == 0) return 0;
  if (p->target_burst_capacity > 0)
    return floor((double)ready_pods * p->total - p->target_burst_capacity - panic);
  return -1;
}

bool kpa_scale(kpa_state *s, int32_t ready_pods, int64_t now_us, kpa_result *out) {
  const kpa_params *p = &s->params;
  memset(out, 0, sizeof *out);
  if (!twin_avg(&s->panic, &out->panic) || !twin_avg(&s->stable, &out->stable)) return false;
  out->valid = true;

  double ready = go_max(0, (double)ready_pods);
  out->max_scale_up = go_max(1, ceil(p->max_scale_up_rate * ready));
  out->max_scale_down = floor(ready / p->max_scale_down_rate);
  out->dspc = ceil(out->stable / p->target);
  out->dppc = ceil(out->panic / p->target);
  out->desired_stable = to_i32(go_min(go_max(out->dspc, out->max_scale_down), out->max_scale_up));
  out->desired_panic = to_i32(go_min(go_max(out->dppc, out->max_scale_down), out->max_scale_up));
  out->desired_stable = activate(out->desired_stable, p->activation_scale);
  out->desired_panic = activate(out->desired_panic, p->activation_scale);

  out->over_threshold = out->dppc / go_max(1, ready) >= p->panic_threshold;
  update_panic(s, out->over_threshold, now_us);

  int32_t desired = out->desired_stable;
  if (s->panicking) {
    if (desired < out->desired_panic) desired = out->desired_panic;
    if (desired > s->max_panic_pods) s->max_panic_pods = desired;
    desired = s->max_panic_pods; /* no scale-down while panicking */
  }
  out->undelayed = desired;

  if (s->has_delay) {
    twin_record(&s->delay, now_us, (double)desired);
    double delayed;
    bool held = twin_max(&s->delay, &delayed);
    assert(held);
    (void)held;
    desired = to_i32(delayed);
  }

  out->desired = desired;
  out->ebc = to_i32(excess_burst_capacity(p, ready_pods, out->panic));
  out->panicking = s->panicking;
  out->max_panic_pods = s->max_panic_pods;
  return true;
}

/* --- Domain source --- */

bool kpa_domain_url(const char *protocol, const char *endpoint, int32_t port, const char *path,
                    char *buf, size_t n) {
  while (*path == '/')
    path++;
  char port_part[16] = "";
  if (port > 0 && !strchr(endpoint, ':')) snprintf(port_part, sizeof port_part, ":%d", port);
  int len = snprintf(buf, n, "%s://%s%s/%s", protocol, endpoint, port_part, path);
  return len >= 0 && (size_t)len < n;
}

/* --- Controller bounds --- */

aibrix_legacy_gate aibrix_legacy_check(int32_t current, int32_t min, int32_t max,
                                       int32_t *desired) {
  if (current == 0 && min != 0) {
    *desired = current;
    return AIBRIX_LEGACY_DISABLED;
  }
  if (current > max) {
    *desired = max;
    return AIBRIX_LEGACY_TO_MAX;
  }
  if (current < min) {
    *desired = min;
    return AIBRIX_LEGACY_TO_MIN;
  }
  return AIBRIX_LEGACY_RUN;
}

int32_t aibrix_legacy_bound(int32_t min, int32_t max, int32_t algorithm_result) {
  int32_t desired = algorithm_result > 0 ? algorithm_result : 0;
  if (desired > max) return max;
  if (desired < min) return min;
  return desired;
}
