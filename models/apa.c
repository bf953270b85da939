#include "models/apa.h"

#include <assert.h>
#include <math.h>
#include <string.h>

#include "models/kpa.h" /* kpa_parse_go_*: the parsers of the context the two share upstream */

/* int32(x): Go leaves NaN and out-of-range conversions to the platform; saturate (NaN -> 0). */
static int32_t to_i32(double x) {
  if (isnan(x)) return 0;
  if (x >= (double)INT32_MAX) return INT32_MAX;
  if (x <= (double)INT32_MIN) return INT32_MIN;
  return (int32_t)x;
}

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

static double *float_field(apa_params *p, const char *key) {
  if (strcmp(key, APA_KEY_MAX_SCALE_UP_RATE) == 0) return &p->max_scale_up_rate;
  if (strcmp(key, APA_KEY_MAX_SCALE_DOWN_RATE) == 0) return &p->max_scale_down_rate;
  if (strcmp(key, APA_KEY_UP_TOLERANCE) == 0) return &p->up_tolerance;
  if (strcmp(key, APA_KEY_DOWN_TOLERANCE) == 0) return &p->down_tolerance;
  return NULL;
}

bool apa_annotation_known(const char *key) {
  apa_params scratch;
  return float_field(&scratch, key) != NULL || strcmp(key, APA_KEY_WINDOW) == 0;
}

bool apa_params_set(apa_params *p, const char *key, const char *value, ps_err *e) {
  double *field = float_field(p, key);
  if (field) {
    double v;
    if (!kpa_parse_go_float(value, &v))
      return ps_fail(e, "apa: %s: expected a number, got \"%s\"", key, value);
    *field = v;
    return true;
  }
  if (strcmp(key, APA_KEY_WINDOW) == 0) {
    int64_t ns;
    if (!kpa_parse_go_duration(value, &ns))
      return ps_fail(e, "apa: %s: expected a Go duration such as 30s or 2m, got \"%s\"", key,
                     value);
    if (ns < 0) return ps_fail(e, "apa: %s: must not be negative, got \"%s\"", key, value);
    p->window_us = ns / 1000 + (ns % 1000 != 0); /* Go's nanoseconds, rounded up to 1 us */
    return true;
  }
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
    int32_t expected = to_i32(ceil(n * out->ratio));
    out->desired = (double)expected > out->max_scale_up ? to_i32(out->max_scale_up) : expected;
  } else if (out->ratio < 1 - p->down_tolerance) {
    out->move = APA_DOWN;
    out->max_scale_down = floor(n / p->max_scale_down_rate);
    int32_t expected = to_i32(ceil(n * out->ratio));
    out->desired = (double)expected < out->max_scale_down ? to_i32(out->max_scale_down) : expected;
  } else {
    out->move = APA_HOLD;
    out->desired = ready_pods;
  }
  return true;
}
