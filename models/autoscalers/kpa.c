#include "models/autoscalers/kpa.h"

#include <assert.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "models/autoscalers/gosem.h"

/* --- Parameters --- */

static const go_field kpa_keys[] = {
    {KPA_KEY_MAX_SCALE_UP_RATE, GO_FLOAT, offsetof(kpa_params, max_scale_up_rate)},
    {KPA_KEY_MAX_SCALE_DOWN_RATE, GO_FLOAT, offsetof(kpa_params, max_scale_down_rate)},
    {KPA_KEY_TARGET_BURST_CAPACITY, GO_FLOAT, offsetof(kpa_params, target_burst_capacity)},
    {KPA_KEY_ACTIVATION_SCALE, GO_INT32, offsetof(kpa_params, activation_scale)},
    {KPA_KEY_PANIC_THRESHOLD, GO_FLOAT, offsetof(kpa_params, panic_threshold)},
    {KPA_KEY_STABLE_WINDOW, GO_DURATION, offsetof(kpa_params, stable_window_us)},
    {KPA_KEY_PANIC_WINDOW, GO_DURATION, offsetof(kpa_params, panic_window_us)},
    {KPA_KEY_SCALE_DOWN_DELAY, GO_DURATION, offsetof(kpa_params, scale_down_delay_us)},
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
  return go_field_find(kpa_keys, N_KPA_KEYS, key) != NULL;
}

bool kpa_params_set(kpa_params *p, const char *key, const char *value, ps_err *e) {
  const go_field *f = go_field_find(kpa_keys, N_KPA_KEYS, key);
  if (!f) return ps_fail(e, "kpa: %s is not an annotation the legacy KPA reads", key);
  return go_field_set(p, f, value, "kpa", e);
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
  out->desired_stable =
      go_to_i32(go_min(go_max(out->dspc, out->max_scale_down), out->max_scale_up));
  out->desired_panic = go_to_i32(go_min(go_max(out->dppc, out->max_scale_down), out->max_scale_up));
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
    desired = go_to_i32(delayed);
  }

  out->desired = desired;
  out->ebc = go_to_i32(excess_burst_capacity(p, ready_pods, out->panic));
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
