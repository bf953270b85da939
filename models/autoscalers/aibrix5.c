#include "models/autoscalers/aibrix5.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "models/autoscalers/gosem.h"

#define MAX_WINDOW_S 3600 /* spec.{observe,panic}WindowSeconds: 1..3600 */

static int64_t sub_sat(int64_t a, int64_t b) { return a < INT64_MIN + b ? INT64_MIN : a - b; }

/* --- Window --- */

void aibrix5_window_init(aibrix5_window *w, int64_t duration_us, int64_t granularity_us) {
  assert(duration_us >= 0);
  assert(granularity_us > 0);
  w->duration_us = duration_us;
  w->granularity_us = granularity_us;
  w->buckets = NULL;
  w->len = w->cap = 0;
}

void aibrix5_window_free(aibrix5_window *w) {
  free(w->buckets);
  w->buckets = NULL;
  w->len = w->cap = 0;
}

double aibrix5_window_value(const aibrix5_window *w, size_t i) {
  assert(i < w->len);
  return w->buckets[i].value;
}

/* Where bucket `index` is or would go: the first position whose index is >= it. Records come
 * in time order, so search from the newest end. */
static size_t bucket_slot(const aibrix5_window *w, int64_t index) {
  size_t i = w->len;
  while (i > 0 && w->buckets[i - 1].index >= index)
    i--;
  return i;
}

void aibrix5_window_record(aibrix5_window *w, int64_t t_us, double value) {
  int64_t index = floor_div64(t_us, w->granularity_us);
  size_t i = bucket_slot(w, index);
  if (i < w->len && w->buckets[i].index == index) {
    w->buckets[i].value = value;
  } else {
    if (w->len == w->cap) {
      w->cap = w->cap ? 2 * w->cap : 16;
      w->buckets = xrealloc(w->buckets, w->cap * sizeof *w->buckets);
    }
    memmove(&w->buckets[i + 1], &w->buckets[i], (w->len - i) * sizeof *w->buckets);
    w->buckets[i] = (aibrix5_bucket){index, value};
    w->len++;
  }
  int64_t cutoff = floor_div64(sub_sat(t_us, w->duration_us), w->granularity_us);
  size_t drop = 0;
  while (drop < w->len && w->buckets[drop].index < cutoff)
    drop++;
  memmove(w->buckets, &w->buckets[drop], (w->len - drop) * sizeof *w->buckets);
  w->len -= drop;
}

double aibrix5_window_avg(const aibrix5_window *w) {
  if (w->len == 0) return 0;
  double sum = 0;
  for (size_t i = 0; i < w->len; i++)
    sum += w->buckets[i].value;
  return sum / (double)w->len;
}

double aibrix5_window_min(const aibrix5_window *w) {
  if (w->len == 0) return 0;
  double m = w->buckets[0].value;
  for (size_t i = 1; i < w->len; i++)
    if (w->buckets[i].value < m) m = w->buckets[i].value;
  return m;
}

double aibrix5_window_max(const aibrix5_window *w) {
  if (w->len == 0) return 0;
  double m = w->buckets[0].value;
  for (size_t i = 1; i < w->len; i++)
    if (w->buckets[i].value > m) m = w->buckets[i].value;
  return m;
}

/* --- Metrics client --- */

void aibrix5_client_init(aibrix5_client *c, const aibrix5_params *p) {
  assert(p->stable_window_us > 0 && p->panic_window_us > 0); /* ConfigureMetricWindows: > 0 */
  aibrix5_window_init(&c->stable, p->stable_window_us, AIBRIX5_SECOND_US);
  aibrix5_window_init(&c->panic, p->panic_window_us, AIBRIX5_SECOND_US);
}

void aibrix5_client_free(aibrix5_client *c) {
  aibrix5_window_free(&c->stable);
  aibrix5_window_free(&c->panic);
}

bool aibrix5_client_configure(aibrix5_client *c, const aibrix5_params *p) {
  if (c->stable.duration_us == p->stable_window_us && c->panic.duration_us == p->panic_window_us)
    return false;
  aibrix5_client_free(c);
  aibrix5_client_init(c, p);
  return true;
}

bool aibrix5_client_update(aibrix5_client *c, int64_t now_us, const double *values, size_t n) {
  if (n == 0) return false;
  double sum = 0;
  for (size_t i = 0; i < n; i++)
    sum += values[i];
  double mean = sum / (double)n;
  aibrix5_window_record(&c->stable, now_us, mean);
  aibrix5_window_record(&c->panic, now_us, mean);
  return true;
}

/* --- Scaling context --- */

aibrix5_params aibrix5_params_default(double target) {
  aibrix5_params p = {
      .target = target,
      .max_scale_up_rate = 2,
      .max_scale_down_rate = 2,
      .up_tolerance = 0.1,
      .down_tolerance = 0.1,
      .panic_threshold = 2.0,
      .scale_up_cooldown_us = 0,
      .scale_down_cooldown_us = 300 * AIBRIX5_SECOND_US,
      .scale_to_zero = false,
      .stable_window_us = 180 * AIBRIX5_SECOND_US,
      .panic_window_us = 60 * AIBRIX5_SECOND_US,
  };
  return p;
}

bool aibrix5_parse_target(const char *s, double *out, ps_err *e) {
  double v;
  if (!go_parse_float(s, &v))
    return ps_fail(e, "aibrix v0.5: targetValue: expected a number, got \"%s\"", s);
  if (!(v > 0)) return ps_fail(e, "aibrix v0.5: targetValue \"%s\" must be greater than 0", s);
  *out = v;
  return true;
}

static const go_field aibrix5_keys[] = {
    {AIBRIX5_KEY_MAX_SCALE_UP_RATE, GO_FLOAT, offsetof(aibrix5_params, max_scale_up_rate)},
    {AIBRIX5_KEY_MAX_SCALE_DOWN_RATE, GO_FLOAT, offsetof(aibrix5_params, max_scale_down_rate)},
    {AIBRIX5_KEY_SCALE_UP_TOLERANCE, GO_FLOAT, offsetof(aibrix5_params, up_tolerance)},
    {AIBRIX5_KEY_SCALE_DOWN_TOLERANCE, GO_FLOAT, offsetof(aibrix5_params, down_tolerance)},
    {AIBRIX5_KEY_PANIC_THRESHOLD, GO_FLOAT, offsetof(aibrix5_params, panic_threshold)},
    {AIBRIX5_KEY_SCALE_UP_COOLDOWN, GO_DURATION, offsetof(aibrix5_params, scale_up_cooldown_us)},
    {AIBRIX5_KEY_SCALE_DOWN_COOLDOWN, GO_DURATION,
     offsetof(aibrix5_params, scale_down_cooldown_us)},
    {AIBRIX5_KEY_SCALE_TO_ZERO, GO_BOOL, offsetof(aibrix5_params, scale_to_zero)},
};
#define N_PA5_KEYS (sizeof aibrix5_keys / sizeof aibrix5_keys[0])

bool aibrix5_annotation_known(const char *key) {
  return go_field_find(aibrix5_keys, N_PA5_KEYS, key) != NULL;
}

static bool starts_with(const char *s, const char *prefix) {
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The legacy keys (models/autoscalers/kpa.h, models/autoscalers/apa.h, and the un-prefixed
 * fluctuation tolerances of the legacy samples) get their own message: HEAD samples still carry
 * them. */
static bool unknown_key(const char *key, ps_err *e) {
  if (starts_with(key, "kpa.autoscaling.aibrix.ai/") ||
      starts_with(key, "apa.autoscaling.aibrix.ai/") || strstr(key, "fluctuation-tolerance"))
    return ps_fail(e, "aibrix v0.5: %s is a legacy (v0.2-v0.4) annotation; AIBrix v0.5+ ignores it",
                   key);
  return ps_fail(e, "aibrix v0.5: %s is not an annotation AIBrix v0.5+ reads", key);
}

bool aibrix5_params_set(aibrix5_params *p, const char *key, const char *value, ps_err *e) {
  const go_field *f = go_field_find(aibrix5_keys, N_PA5_KEYS, key);
  if (!f) return unknown_key(key, e);
  return go_field_set(p, f, value, "aibrix v0.5", e);
}

/* spec.{observe,panic}WindowSeconds: whole seconds within 1..3600. */
static bool window_ok(int64_t us) {
  return us >= AIBRIX5_SECOND_US && us <= MAX_WINDOW_S * AIBRIX5_SECOND_US &&
         us % AIBRIX5_SECOND_US == 0;
}

bool aibrix5_params_check(const aibrix5_params *p, ps_err *e) {
  if (!(p->target > 0))
    return ps_fail(e, "aibrix v0.5: targetValue %g must be greater than 0", p->target);
  if (!window_ok(p->stable_window_us))
    return ps_fail(
        e, "aibrix v0.5: observeWindowSeconds must be a whole number within 1..%d, got %g s",
        MAX_WINDOW_S, (double)p->stable_window_us / AIBRIX5_SECOND_US);
  if (!window_ok(p->panic_window_us))
    return ps_fail(e,
                   "aibrix v0.5: panicWindowSeconds must be a whole number within 1..%d, got %g s",
                   MAX_WINDOW_S, (double)p->panic_window_us / AIBRIX5_SECOND_US);
  if (p->panic_window_us > p->stable_window_us)
    return ps_fail(e,
                   "aibrix v0.5: panicWindowSeconds (%g) must not exceed observeWindowSeconds (%g)",
                   (double)p->panic_window_us / AIBRIX5_SECOND_US,
                   (double)p->stable_window_us / AIBRIX5_SECOND_US);
  if (p->scale_up_cooldown_us < 0 || p->scale_down_cooldown_us < 0)
    return ps_fail(e, "aibrix v0.5: cooldown windows must not be negative");
  return true;
}

/* --- KPA --- */

bool aibrix5_kpa_in_panic(const aibrix5_params *p, double stable, double panic) {
  if (stable <= 0) return true;
  return panic / stable > p->panic_threshold;
}

/* ceil(value / target) outside the tolerance band around the target, else the current count. */
static double kpa_pod_count(const aibrix5_params *p, double value, double current) {
  double hi = p->target * (1 + p->up_tolerance);
  double lo = p->target * (1 - p->down_tolerance);
  return (value > hi || value < lo) ? ceil(value / p->target) : current;
}

/* Activation scale lifts a non-zero count below it (only when it is above 1). */
static int32_t activate(int32_t count, int32_t activation_scale) {
  return (activation_scale > 1 && activation_scale > count && count > 0) ? activation_scale : count;
}

int32_t aibrix5_kpa_compute(const aibrix5_params *p, int32_t current, double stable, double panic,
                            const aibrix5_kpa_context *ctx, aibrix5_kpa_result *out) {
  aibrix5_kpa_context head = {aibrix5_kpa_in_panic(p, stable, panic), 0, 1};
  if (!ctx) ctx = &head;
  memset(out, 0, sizeof *out);
  out->in_panic = ctx->in_panic;

  double n = (double)current;
  double ready = go_max(0, n);
  out->max_scale_up = go_max(1, ceil(p->max_scale_up_rate * ready));
  out->max_scale_down = floor(ready / p->max_scale_down_rate);
  out->dspc = kpa_pod_count(p, stable, n);
  out->dppc = kpa_pod_count(p, panic, n);
  out->desired_stable =
      go_to_i32(go_min(go_max(out->dspc, out->max_scale_down), out->max_scale_up));
  out->desired_panic = go_to_i32(go_min(go_max(out->dppc, out->max_scale_down), out->max_scale_up));
  out->desired_stable = activate(out->desired_stable, ctx->activation_scale);
  out->desired_panic = activate(out->desired_panic, ctx->activation_scale);

  int32_t desired = out->desired_stable;
  out->max_panic_pods = ctx->max_panic_pods;
  if (ctx->in_panic) {
    if (desired < out->desired_panic) desired = out->desired_panic;
    if (desired > out->max_panic_pods) out->max_panic_pods = desired;
    desired = out->max_panic_pods; /* no scale-down below the high-water mark */
  }
  out->desired = desired;
  return desired;
}

/* --- APA --- */

int32_t aibrix5_apa_compute(const aibrix5_params *p, int32_t current, double use_per_pod,
                            aibrix5_apa_result *out) {
  aibrix5_apa_result r = {.move = AIBRIX5_HOLD, .desired = current};
  double n = (double)current;
  if (p->target > 0) { /* HEAD's guard: a zero target would divide by zero */
    r.ratio = use_per_pod / p->target;
    if (r.ratio > 1 + p->up_tolerance) {
      r.move = AIBRIX5_UP;
      r.limit = go_to_i32(ceil(p->max_scale_up_rate * n));
      int32_t expected = go_to_i32(ceil(n * r.ratio));
      r.desired = expected > r.limit ? r.limit : expected;
    } else if (r.ratio < 1 - p->down_tolerance) {
      r.move = AIBRIX5_DOWN;
      r.limit = go_to_i32(floor(n / p->max_scale_down_rate));
      int32_t expected = go_to_i32(ceil(n * r.ratio));
      r.desired = expected < r.limit ? r.limit : expected;
    }
  }
  if (out) *out = r;
  return r.desired;
}

int32_t aibrix5_clamp(int32_t replicas, aibrix5_bounds b) {
  if (replicas < b.min) return b.min;
  if (replicas > b.max) return b.max;
  return replicas;
}

int32_t aibrix5_bound(int32_t replicas, aibrix5_bounds b) {
  if (replicas > b.max) return b.max;
  if (replicas < b.min) return b.min;
  return replicas;
}

int32_t aibrix5_recommend(aibrix5_client *c, const aibrix5_params *p, aibrix5_strategy strategy,
                          int32_t current, aibrix5_bounds b, int64_t now_us, const double *values,
                          size_t n) {
  assert(aibrix5_params_check(p, NULL));
  aibrix5_client_configure(c, p);
  aibrix5_client_update(c, now_us, values, n);
  double stable = aibrix5_client_stable(c), panic = aibrix5_client_panic(c);
  int32_t desired;
  if (strategy == AIBRIX5_KPA) {
    aibrix5_kpa_result r;
    desired = aibrix5_kpa_compute(p, current, stable, panic, NULL, &r);
  } else {
    desired = aibrix5_apa_compute(p, current, stable, NULL);
  }
  return aibrix5_clamp(desired, b);
}

bool aibrix5_max_valid(const int32_t *desired, const bool *valid, size_t n, int32_t *out) {
  bool any = false;
  for (size_t i = 0; i < n; i++) {
    if (!valid[i]) continue;
    if (!any || desired[i] > *out) *out = desired[i];
    any = true;
  }
  return any;
}

/* --- Controller --- */

void aibrix5_history_init(aibrix5_history *h) {
  h->recs = NULL;
  h->len = h->cap = 0;
}

void aibrix5_history_free(aibrix5_history *h) {
  free(h->recs);
  aibrix5_history_init(h);
}

/* cleanOldRecommendations: keep only entries strictly newer than now - max(up, down). */
static void prune(aibrix5_history *h, const aibrix5_params *p, int64_t now_us) {
  int64_t window = p->scale_up_cooldown_us > p->scale_down_cooldown_us ? p->scale_up_cooldown_us
                                                                       : p->scale_down_cooldown_us;
  int64_t cutoff = sub_sat(now_us, window);
  size_t kept = 0;
  for (size_t i = 0; i < h->len; i++)
    if (h->recs[i].t_us > cutoff) h->recs[kept++] = h->recs[i];
  h->len = kept;
}

int32_t aibrix5_stabilize(aibrix5_history *h, const aibrix5_params *p, int32_t recommendation,
                          int32_t current, int64_t now_us) {
  assert(p->scale_up_cooldown_us >= 0 && p->scale_down_cooldown_us >= 0);
  if (h->len == h->cap) {
    h->cap = h->cap ? 2 * h->cap : 16;
    h->recs = xrealloc(h->recs, h->cap * sizeof *h->recs);
  }
  h->recs[h->len++] = (aibrix5_rec){recommendation, now_us};
  prune(h, p, now_us);
  if (recommendation == current) return current;

  bool up = recommendation > current;
  int64_t cutoff = sub_sat(now_us, up ? p->scale_up_cooldown_us : p->scale_down_cooldown_us);
  int32_t stabilized = recommendation; /* no entry in the window: the recommendation itself */
  bool first = true;
  for (size_t i = 0; i < h->len; i++) {
    const aibrix5_rec *r = &h->recs[i];
    if (r->t_us <= cutoff) continue;
    if (first || (up && r->replicas > stabilized) || (!up && r->replicas < stabilized))
      stabilized = r->replicas;
    first = false;
  }
  return stabilized;
}

aibrix5_gate aibrix5_check(int32_t current, aibrix5_bounds b, int32_t *desired) {
  return aibrix5_check_scheduled(current, b, false, desired);
}

aibrix5_gate aibrix5_check_scheduled(int32_t current, aibrix5_bounds b, bool schedule_sets_min,
                                     int32_t *desired) {
  if (current == 0 && b.min != 0 && !schedule_sets_min) {
    *desired = 0;
    return AIBRIX5_DISABLED;
  }
  if (current > b.max) {
    *desired = b.max;
    return AIBRIX5_TO_MAX;
  }
  if (current < b.min) {
    *desired = b.min;
    return AIBRIX5_TO_MIN;
  }
  return AIBRIX5_RUN;
}
