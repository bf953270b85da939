/* knative_config: the autoscaler's configuration: config-autoscaler's keys and the revision's
 * annotations, parsed and range-checked as Knative does (config.go, annotation_validation.go),
 * and the spec the decider runs on. */
#include <string.h>

#include "models/autoscalers/knative_int.h"

/* --- Parsing values as Go does: models/autoscalers/gosem.h, the one implementation --- */

/* time.ParseDuration into whole microseconds: a value with a sub-microsecond part is refused
 * (the simulator's clock cannot hold it). */
static bool parse_duration_us(const char *s, int64_t *out) {
  int64_t ns;
  if (!go_parse_duration(s, &ns) || ns % NS_PER_US != 0) return false;
  *out = ns / NS_PER_US;
  return true;
}

/* strconv.ParseFloat, finite values only (no setting takes Inf or NaN). */
static bool parse_float(const char *s, double *out) {
  double v;
  if (!go_parse_float(s, &v) || !isfinite(v)) return false;
  *out = v;
  return true;
}

/* --- Configuration --- */

kn_params kn_params_default(void) {
  kn_params p = {
      .enable_scale_to_zero = true,
      .allow_zero_initial_scale = false,
      .max_scale_up_rate = 1000,
      .max_scale_down_rate = 2,
      .container_concurrency_target_fraction = 0.7,
      .container_concurrency_target_default = 100,
      .requests_per_second_target_default = 200,
      .target_burst_capacity = 211,
      .activator_capacity = 100,
      .panic_window_percentage = 10,
      .panic_threshold_percentage = 200,
      .stable_window_us = 60 * US_PER_S,
      .scale_down_delay_us = 0,
      .scale_to_zero_grace_period_us = 30 * US_PER_S,
      .scale_to_zero_pod_retention_period_us = 0,
      .initial_scale = 1,
      .max_scale = 0,
      .progress_deadline_us = 600 * US_PER_S,
      .container_concurrency = 0,
      .reachable = true,
      .ann =
          {
              .metric = KN_METRIC_CONCURRENCY,
              .aggregation = KN_AGG_LINEAR,
              .target = NAN,
              .target_utilization_percentage = NAN,
              .target_burst_capacity = NAN,
              .panic_window_percentage = NAN,
              .panic_threshold_percentage = NAN,
              .window_us = -1,
              .scale_down_delay_us = -1,
              .scale_to_zero_pod_retention_period_us = -1,
              .min_scale = -1,
              .max_scale = -1,
              .initial_scale = -1,
              .activation_scale = 1,
          },
  };
  return p;
}

typedef enum setting_kind { K_FLOAT, K_INT, K_BOOL, K_DURATION, K_METRIC, K_AGG } setting_kind;

/* One settable key: where it goes and which values upstream accepts. */
typedef struct setting {
  const char *key;
  setting_kind kind;
  size_t offset;    /* into kn_params */
  double min, max;  /* inclusive range (durations in seconds) */
  bool min_open;    /* min itself is refused */
  bool minus_one;   /* -1 is also accepted */
  bool whole_s;     /* duration must be whole seconds */
  bool percent;     /* container-concurrency-target-percentage: > 1 means percent */
  const char *rule; /* the rule, for the message */
} setting;

#define OFF(f) offsetof(kn_params, f)
#define BIG 1e300

static const setting settings[] = {
    /* config-autoscaler (config.go validate) */
    {.key = "enable-scale-to-zero",
     .kind = K_BOOL,
     .offset = OFF(enable_scale_to_zero),
     .rule = "true or false"},
    {.key = "allow-zero-initial-scale",
     .kind = K_BOOL,
     .offset = OFF(allow_zero_initial_scale),
     .rule = "true or false"},
    {.key = "max-scale-up-rate",
     .kind = K_FLOAT,
     .offset = OFF(max_scale_up_rate),
     .min = 1,
     .max = BIG,
     .min_open = true,
     .rule = "a number greater than 1"},
    {.key = "max-scale-down-rate",
     .kind = K_FLOAT,
     .offset = OFF(max_scale_down_rate),
     .min = 1,
     .max = BIG,
     .min_open = true,
     .rule = "a number greater than 1"},
    {.key = "container-concurrency-target-percentage",
     .kind = K_FLOAT,
     .offset = OFF(container_concurrency_target_fraction),
     .min = 0,
     .max = 1,
     .min_open = true,
     .percent = true,
     .rule = "a percentage in (0, 100] (or a fraction in (0, 1])"},
    {.key = "container-concurrency-target-default",
     .kind = K_FLOAT,
     .offset = OFF(container_concurrency_target_default),
     .min = 0,
     .max = BIG,
     .min_open = true,
     .rule = "a positive number"},
    {.key = "requests-per-second-target-default",
     .kind = K_FLOAT,
     .offset = OFF(requests_per_second_target_default),
     .min = TARGET_MIN,
     .max = BIG,
     .rule = "a number of at least 0.01"},
    {.key = "target-burst-capacity",
     .kind = K_FLOAT,
     .offset = OFF(target_burst_capacity),
     .min = 0,
     .max = BIG,
     .minus_one = true,
     .rule = "a number >= 0, or -1 for unlimited"},
    {.key = "activator-capacity",
     .kind = K_FLOAT,
     .offset = OFF(activator_capacity),
     .min = 1,
     .max = BIG,
     .rule = "a number of at least 1"},
    {.key = "panic-window-percentage",
     .kind = K_FLOAT,
     .offset = OFF(panic_window_percentage),
     .min = 1,
     .max = 100,
     .rule = "a percentage in [1, 100]"},
    {.key = "panic-threshold-percentage",
     .kind = K_FLOAT,
     .offset = OFF(panic_threshold_percentage),
     .min = 0,
     .max = BIG,
     .min_open = true,
     .rule = "a positive percentage"},
    {.key = "stable-window",
     .kind = K_DURATION,
     .offset = OFF(stable_window_us),
     .min = 6,
     .max = 3600,
     .whole_s = true,
     .rule = "a duration of whole seconds in [6s, 1h]"},
    {.key = "scale-down-delay",
     .kind = K_DURATION,
     .offset = OFF(scale_down_delay_us),
     .min = 0,
     .max = BIG,
     .whole_s = true,
     .rule = "a duration of whole seconds, not negative"},
    {.key = "scale-to-zero-grace-period",
     .kind = K_DURATION,
     .offset = OFF(scale_to_zero_grace_period_us),
     .min = 0,
     .max = BIG,
     .min_open = true,
     .rule = "a positive duration"},
    {.key = "scale-to-zero-pod-retention-period",
     .kind = K_DURATION,
     .offset = OFF(scale_to_zero_pod_retention_period_us),
     .min = 0,
     .max = BIG,
     .rule = "a duration, not negative"},
    {.key = "initial-scale",
     .kind = K_INT,
     .offset = OFF(initial_scale),
     .min = 0,
     .max = INT32_MAX,
     .rule = "an integer >= 0"},
    {.key = "max-scale",
     .kind = K_INT,
     .offset = OFF(max_scale),
     .min = 0,
     .max = INT32_MAX,
     .rule = "an integer >= 0"},
    /* config-deployment, and the revision spec */
    {.key = "progress-deadline",
     .kind = K_DURATION,
     .offset = OFF(progress_deadline_us),
     .min = 0,
     .max = BIG,
     .min_open = true,
     .whole_s = true,
     .rule = "a positive duration of whole seconds"},
    {.key = "containerConcurrency",
     .kind = K_INT,
     .offset = OFF(container_concurrency),
     .min = 0,
     .max = 1000,
     .rule = "an integer in [0, 1000]"},
    /* annotations (annotation_validation.go) */
    {.key = KN_ANN "metric",
     .kind = K_METRIC,
     .offset = OFF(ann.metric),
     .rule = "concurrency or rps"},
    {.key = KN_ANN "metric-aggregation-algorithm",
     .kind = K_AGG,
     .offset = OFF(ann.aggregation),
     .rule = "linear, weighted-exponential or weightedExponential"},
    {.key = KN_ANN "metricAggregationAlgorithm",
     .kind = K_AGG,
     .offset = OFF(ann.aggregation),
     .rule = "linear, weighted-exponential or weightedExponential"},
    {.key = KN_ANN "target",
     .kind = K_FLOAT,
     .offset = OFF(ann.target),
     .min = TARGET_MIN,
     .max = BIG,
     .rule = "a number of at least 0.01"},
    {.key = KN_ANN "target-utilization-percentage",
     .kind = K_FLOAT,
     .offset = OFF(ann.target_utilization_percentage),
     .min = 1,
     .max = 100,
     .rule = "a percentage in [1, 100]"},
    {.key = KN_ANN "target-burst-capacity",
     .kind = K_FLOAT,
     .offset = OFF(ann.target_burst_capacity),
     .min = 0,
     .max = BIG,
     .minus_one = true,
     .rule = "a number >= 0, or -1 for unlimited"},
    {.key = KN_ANN "panic-window-percentage",
     .kind = K_FLOAT,
     .offset = OFF(ann.panic_window_percentage),
     .min = 1,
     .max = 100,
     .rule = "a percentage in [1, 100]"},
    {.key = KN_ANN "panicWindowPercentage",
     .kind = K_FLOAT,
     .offset = OFF(ann.panic_window_percentage),
     .min = 1,
     .max = 100,
     .rule = "a percentage in [1, 100]"},
    {.key = KN_ANN "panic-threshold-percentage",
     .kind = K_FLOAT,
     .offset = OFF(ann.panic_threshold_percentage),
     .min = 110,
     .max = 1000,
     .rule = "a percentage in [110, 1000]"},
    {.key = KN_ANN "panicThresholdPercentage",
     .kind = K_FLOAT,
     .offset = OFF(ann.panic_threshold_percentage),
     .min = 110,
     .max = 1000,
     .rule = "a percentage in [110, 1000]"},
    {.key = KN_ANN "window",
     .kind = K_DURATION,
     .offset = OFF(ann.window_us),
     .min = 6,
     .max = 3600,
     .whole_s = true,
     .rule = "a duration of whole seconds in [6s, 1h]"},
    {.key = KN_ANN "scale-down-delay",
     .kind = K_DURATION,
     .offset = OFF(ann.scale_down_delay_us),
     .min = 0,
     .max = 3600,
     .whole_s = true,
     .rule = "a duration of whole seconds in [0s, 1h]"},
    {.key = KN_ANN "scale-to-zero-pod-retention-period",
     .kind = K_DURATION,
     .offset = OFF(ann.scale_to_zero_pod_retention_period_us),
     .min = 0,
     .max = 3600,
     .rule = "a duration in [0s, 1h]"},
    {.key = KN_ANN "min-scale",
     .kind = K_INT,
     .offset = OFF(ann.min_scale),
     .min = 0,
     .max = INT32_MAX,
     .rule = "an integer >= 0"},
    {.key = KN_ANN "minScale",
     .kind = K_INT,
     .offset = OFF(ann.min_scale),
     .min = 0,
     .max = INT32_MAX,
     .rule = "an integer >= 0"},
    {.key = KN_ANN "max-scale",
     .kind = K_INT,
     .offset = OFF(ann.max_scale),
     .min = 0,
     .max = INT32_MAX,
     .rule = "an integer >= 0"},
    {.key = KN_ANN "maxScale",
     .kind = K_INT,
     .offset = OFF(ann.max_scale),
     .min = 0,
     .max = INT32_MAX,
     .rule = "an integer >= 0"},
    {.key = KN_ANN "initial-scale",
     .kind = K_INT,
     .offset = OFF(ann.initial_scale),
     .min = 0,
     .max = INT32_MAX,
     .rule = "an integer >= 0"},
    {.key = KN_ANN "initialScale",
     .kind = K_INT,
     .offset = OFF(ann.initial_scale),
     .min = 0,
     .max = INT32_MAX,
     .rule = "an integer >= 0"},
    {.key = KN_ANN "activation-scale",
     .kind = K_INT,
     .offset = OFF(ann.activation_scale),
     .min = 1,
     .max = INT32_MAX,
     .rule = "an integer >= 1"},
};

static bool in_range(const setting *st, double v) {
  if (st->minus_one && v == -1) return true;
  if (st->min_open ? v <= st->min : v < st->min) return false;
  return v <= st->max;
}

/* Parse and range-check value for st; writes the field of *p only when it is good. */
static bool set_one(const setting *st, kn_params *p, const char *value) {
  char *field = (char *)p + st->offset;
  switch (st->kind) {
  case K_BOOL: {
    bool b;
    if (!go_parse_bool(value, &b)) return false;
    *(bool *)field = b;
    return true;
  }
  case K_FLOAT: {
    double v;
    if (!parse_float(value, &v)) return false;
    /* config.go: for legacy reasons a value in (0, 1] is already a fraction. */
    if (st->percent && v > 1.0) v /= 100.0;
    if (!in_range(st, v)) return false;
    *(double *)field = v;
    return true;
  }
  case K_INT: {
    int32_t v;
    if (!go_parse_int32(value, &v) || !in_range(st, v)) return false;
    *(int32_t *)field = v;
    return true;
  }
  case K_DURATION: {
    int64_t us;
    if (!parse_duration_us(value, &us)) return false;
    if (st->whole_s && us % US_PER_S != 0) return false;
    if (!in_range(st, (double)us / US_PER_S)) return false;
    *(int64_t *)field = us;
    return true;
  }
  case K_METRIC:
    if (strcmp(value, "concurrency") == 0)
      *(kn_metric *)field = KN_METRIC_CONCURRENCY;
    else if (strcmp(value, "rps") == 0)
      *(kn_metric *)field = KN_METRIC_RPS;
    else
      return false;
    return true;
  case K_AGG:
    if (strcmp(value, "linear") == 0)
      *(kn_aggregation *)field = KN_AGG_LINEAR;
    else if (strcmp(value, "weighted-exponential") == 0 ||
             strcmp(value, "weightedExponential") == 0)
      *(kn_aggregation *)field = KN_AGG_WEIGHTED_EXPONENTIAL;
    else
      return false;
    return true;
  }
  return false;
}

bool kn_params_set(kn_params *p, const char *key, const char *value, ps_err *e) {
  for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++) {
    const setting *st = &settings[i];
    if (strcmp(key, st->key) != 0) continue;
    if (!set_one(st, p, value))
      return ps_fail(e, "knative: %s: expected %s, got \"%s\"", key, st->rule, value);
    return true;
  }
  return ps_fail(e, "knative: unknown setting \"%s\"", key);
}

static int32_t ann_or_i32(int32_t ann, int32_t dflt) { return ann >= 0 ? ann : dflt; }
static int64_t ann_or_i64(int64_t ann, int64_t dflt) { return ann >= 0 ? ann : dflt; }
static double ann_or_f(double ann, double dflt) { return isnan(ann) ? dflt : ann; }

bool kn_params_check(const kn_params *p, ps_err *e) {
  const kn_annotations *a = &p->ann;
  double cc_target =
      p->container_concurrency_target_fraction * p->container_concurrency_target_default;
  if (cc_target < TARGET_MIN)
    return ps_fail(e,
                   "knative: container-concurrency-target-percentage and "
                   "container-concurrency-target-default give a target of %g, below %g",
                   cc_target, TARGET_MIN);
  if (p->initial_scale == 0 && !p->allow_zero_initial_scale)
    return ps_fail(e, "knative: initial-scale 0 needs allow-zero-initial-scale: true");
  if (a->initial_scale == 0 && !p->allow_zero_initial_scale)
    return ps_fail(e, "knative: annotation initial-scale 0 needs allow-zero-initial-scale: true");
  int32_t min = ann_or_i32(a->min_scale, 0), max = ann_or_i32(a->max_scale, p->max_scale);
  if (max != 0 && min > max)
    return ps_fail(e, "knative: min-scale %d is above max-scale %d", min, max);
  return true;
}

void kn_spec_from_params(const kn_params *p, kn_spec *out) {
  const kn_annotations *a = &p->ann;
  memset(out, 0, sizeof *out);
  out->metric = a->metric;
  out->aggregation = a->aggregation;

  /* resources/target.go ResolveMetricTarget */
  double total, tu;
  if (a->metric == KN_METRIC_RPS) {
    total = p->requests_per_second_target_default;
    tu = TARGET_UTILIZATION;
  } else {
    total = p->container_concurrency != 0 ? (double)p->container_concurrency
                                          : p->container_concurrency_target_default;
    tu = p->container_concurrency_target_fraction;
  }
  if (!isnan(a->target)) {
    total = a->target;
    if (a->metric == KN_METRIC_CONCURRENCY && p->container_concurrency != 0)
      total = fmin(a->target, (double)p->container_concurrency);
  }
  if (!isnan(a->target_utilization_percentage)) tu = a->target_utilization_percentage / 100.0;
  out->target_value = fmax(TARGET_MIN, total * tu);
  out->total_value = total;

  /* resources/metric.go MakeMetric: the panic window rounded to a bucket, at least one. */
  out->stable_window_us = ann_or_i64(a->window_us, p->stable_window_us);
  double pct = ann_or_f(a->panic_window_percentage, p->panic_window_percentage);
  int64_t panic_ns = (int64_t)((double)out->stable_window_us * NS_PER_US * pct / 100.0);
  int64_t panic_s = panic_ns / 1000000000LL;
  if (2 * (panic_ns % 1000000000LL) >= 1000000000LL) panic_s++; /* Duration.Round: half up */
  out->panic_window_us = panic_s < 1 ? KN_SCRAPE_US : panic_s * US_PER_S;

  /* kpa/resources/decider.go MakeDecider */
  out->target_burst_capacity = ann_or_f(a->target_burst_capacity, p->target_burst_capacity);
  out->panic_threshold =
      ann_or_f(a->panic_threshold_percentage, p->panic_threshold_percentage) / 100.0;
  out->max_scale_up_rate = p->max_scale_up_rate;
  out->max_scale_down_rate = p->max_scale_down_rate;
  out->scale_down_delay_us = ann_or_i64(a->scale_down_delay_us, p->scale_down_delay_us);
  out->activation_scale = a->activation_scale;
  out->reachable = p->reachable;

  /* kpa/scaler.go: ScaleBounds, GetInitialScale, handleScaleToZero's settings */
  out->min_scale = ann_or_i32(a->min_scale, 0);
  out->max_scale = ann_or_i32(a->max_scale, p->max_scale);
  out->initial_scale = ann_or_i32(a->initial_scale, p->initial_scale);
  out->enable_scale_to_zero = p->enable_scale_to_zero;
  out->grace_period_us = p->scale_to_zero_grace_period_us;
  out->pod_retention_us = ann_or_i64(a->scale_to_zero_pod_retention_period_us,
                                     p->scale_to_zero_pod_retention_period_us);
  out->activation_timeout_us = p->progress_deadline_us + ACTIVATION_TIMEOUT_BUFFER_US;
}
