#include "models/autoscalers/apa.h"

#include <assert.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "models/autoscalers/gosem.h"

apa_params apa_params_default(double target) {
  apa_params p = {
      .target = target,
      .max_scale_up_rate = 2.0,
      .max_scale_down_rate = 2.0,
      .up_tolerance = 0.1,
      .down_tolerance = 0.2,
      .window_us = 60 * TWIN_SECOND_US,
  };
  return p;
}

static const go_field apa_keys[] = {
    {APA_KEY_MAX_SCALE_UP_RATE, GO_FLOAT, offsetof(apa_params, max_scale_up_rate)},
    {APA_KEY_MAX_SCALE_DOWN_RATE, GO_FLOAT, offsetof(apa_params, max_scale_down_rate)},
    {APA_KEY_UP_TOLERANCE, GO_FLOAT, offsetof(apa_params, up_tolerance)},
    {APA_KEY_DOWN_TOLERANCE, GO_FLOAT, offsetof(apa_params, down_tolerance)},
    {APA_KEY_WINDOW, GO_DURATION, offsetof(apa_params, window_us)},
};
#define N_APA_KEYS (sizeof apa_keys / sizeof apa_keys[0])

bool apa_annotation_known(const char *key) {
  return go_field_find(apa_keys, N_APA_KEYS, key) != NULL;
}

bool apa_params_set(apa_params *p, const char *key, const char *value, ps_err *e) {
  const go_field *f = go_field_find(apa_keys, N_APA_KEYS, key);
  if (f) return go_field_set(p, f, value, "apa", e);
  if (strcmp(key, "autoscaling.aibrix.ai/up-fluctuation-tolerance") == 0 ||
      strcmp(key, "autoscaling.aibrix.ai/down-fluctuation-tolerance") == 0)
    return ps_fail(e,
                   "apa: %s is not read by the legacy APA (only the apa.-prefixed key is); "
                   "upstream ignores it and the default tolerance applies",
                   key);
  return ps_fail(e, "apa: %s is not an annotation the legacy APA reads", key);
}

bool apa_params_check(const apa_params *p, ps_err *e) {
  if (p->window_us < 0) return ps_fail(e, "apa: window must not be negative");
  return true;
}

void apa_state_init(apa_state *s, const apa_params *p) {
  assert(apa_params_check(p, NULL));
  s->params = *p;
  twin_init(&s->window, p->window_us, TWIN_SECOND_US);
}

void apa_state_free(apa_state *s) { twin_free(&s->window); }

void apa_state_update(apa_state *s, const apa_params *p) {
  int64_t window_us = s->params.window_us;
  s->params = *p;
  s->params.window_us = window_us;
}

void apa_record(apa_state *s, int64_t now_us, double tick_sum) {
  twin_record(&s->window, now_us, tick_sum);
}

void apa_record_pods(apa_state *s, int64_t now_us, const double *values, size_t n) {
  double sum = 0.0;
  for (size_t i = 0; i < n; i++)
    sum += values[i];
  apa_record(s, now_us, sum);
}

bool apa_scale(const apa_state *s, int32_t ready_pods, apa_result *out) {
  const apa_params *p = &s->params;
  assert(ready_pods >= 0);
  memset(out, 0, sizeof *out);
  if (!twin_avg(&s->window, &out->value) || ready_pods == 0) return false;
  out->valid = true;

  double n = (double)ready_pods;
  out->use_per_pod = out->value / n;
  out->ratio = out->use_per_pod / p->target;
  if (out->ratio > 1 + p->up_tolerance) {
    out->move = APA_UP;
    out->max_scale_up = ceil(p->max_scale_up_rate * n);
    int32_t expected = go_to_i32(ceil(n * out->ratio));
    out->desired = (double)expected > out->max_scale_up ? go_to_i32(out->max_scale_up) : expected;
  } else if (out->ratio < 1 - p->down_tolerance) {
    out->move = APA_DOWN;
    out->max_scale_down = floor(n / p->max_scale_down_rate);
    int32_t expected = go_to_i32(ceil(n * out->ratio));
    out->desired =
        (double)expected < out->max_scale_down ? go_to_i32(out->max_scale_down) : expected;
  } else {
    out->move = APA_HOLD;
    out->desired = ready_pods;
  }
  return true;
}
