#include "models/autoscalers/knative.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "models/autoscalers/gosem.h"

#define US_PER_S 1000000LL
#define NS_PER_US 1000LL
#define KN_ANN "autoscaling.knative.dev/"
#define TARGET_MIN 0.01                              /* autoscaling.TargetMin */
#define WINDOW_MIN_US (6 * US_PER_S)                 /* autoscaling.WindowMin */
#define WINDOW_MAX_US (3600 * US_PER_S)              /* autoscaling.WindowMax */
#define TARGET_UTILIZATION 0.7                       /* config.go TargetUtilization (rps) */
#define ACTIVATION_TIMEOUT_BUFFER_US (10 * US_PER_S) /* kpa/scaler.go activationTimeoutBuffer */
#define MIN_EXPONENT 0.2                             /* bucketing.go minExponent */
#define WEIGHT_PRECISION 0.9999                      /* bucketing.go weightPrecision */

/* --- Numbers as Go computes them --- */

static int64_t trunc_to(int64_t t, int64_t g) { return floor_div64(t, g) * g; }

static int32_t max_i32(int32_t a, int32_t b) { return a >= b ? a : b; }
static int64_t max_i64(int64_t a, int64_t b) { return a >= b ? a : b; }

/* roundToNDigits(6, f): floor to 6 decimals. */
static double round6(double f) { return floor(f * 1e6) / 1e6; }

/* --- kn_buckets --- */

void kn_buckets_init(kn_buckets *b, int64_t window_us, int64_t granularity_us, kn_aggregation agg) {
  assert(window_us > 0 && granularity_us > 0);
  memset(b, 0, sizeof *b);
  /* Knative: number of buckets is window / granularity rounded up. */
  b->n = (window_us + granularity_us - 1) / granularity_us;
  b->buckets = xcalloc((size_t)b->n, sizeof *b->buckets);
  b->window_us = window_us;
  b->granularity_us = granularity_us;
  b->agg = agg;
  b->smoothing = fmax(1 - pow(1 - WEIGHT_PRECISION, 1 / (double)b->n), MIN_EXPONENT);
}

void kn_buckets_free(kn_buckets *b) {
  free(b->buckets);
  b->buckets = NULL;
}

static int64_t bucket_index(const kn_buckets *b, int64_t t_us) {
  return floor_div64(t_us, b->granularity_us);
}

/* Where bucket index i is kept: i mod n, in [0, n) also for the negative indexes of times
 * before 0 (a scenario's warm-up), which Go's % (Unix times) never meets. */
static int64_t slot(const kn_buckets *b, int64_t i) {
  int64_t k = i % b->n;
  return k < 0 ? k + b->n : k;
}

static void buckets_reset(kn_buckets *b, int64_t bucket_us) {
  memset(b->buckets, 0, (size_t)b->n * sizeof *b->buckets);
  b->window_total = 0;
  b->first_write_us = bucket_us;
  b->last_write_us = bucket_us;
  b->written = true;
}

void kn_buckets_record(kn_buckets *b, int64_t t_us, double value) {
  int64_t bt = trunc_to(t_us, b->granularity_us);
  int64_t widx = bucket_index(b, t_us);
  if (!b->written) {
    buckets_reset(b, bt);
  } else if (b->last_write_us != bt) {
    if (!(bt + b->window_us > b->last_write_us)) return; /* a window before the newest write */
    if (b->first_write_us > bt) b->first_write_us = bt;
    if (bt > b->last_write_us) {
      if (bt - b->last_write_us >= b->window_us) {
        buckets_reset(b, bt); /* nothing for a whole window: start afresh */
      } else {
        /* Zero the buckets skipped since the last write, and this one. */
        for (int64_t i = bucket_index(b, b->last_write_us) + 1; i <= widx; i++) {
          int64_t k = slot(b, i);
          b->window_total -= b->buckets[k];
          b->buckets[k] = 0;
        }
      }
      b->last_write_us = bt;
    }
  }
  b->buckets[slot(b, widx)] += value;
  b->window_total += value;
}

bool kn_buckets_empty(const kn_buckets *b, int64_t now_us) {
  if (!b->written) return true;
  return trunc_to(now_us, b->granularity_us) - b->last_write_us > b->window_us;
}

static double linear_average(const kn_buckets *b, int64_t now) {
  int64_t d = now - b->last_write_us;
  double since_first = (double)((b->last_write_us - b->first_write_us) / b->granularity_us) + 1;
  if (d <= 0) return round6(b->window_total / fmin(since_first, (double)b->n));
  if (d >= b->window_us) return 0;
  /* Leave out the buckets after the last write: they hold data older than the window. */
  int64_t st = bucket_index(b, b->last_write_us), e = bucket_index(b, now);
  double ret = b->window_total;
  for (int64_t i = st + 1; i <= e; i++)
    ret -= b->buckets[slot(b, i)];
  return round6(ret / fmin(since_first, (double)(b->n - (e - st))));
}

static double weighted_average(const kn_buckets *b, int64_t now) {
  if (now - b->last_write_us > b->window_us) return 0;
  int64_t num_b = b->n;
  double a = b->smoothing, mult = a;
  if (now > b->last_write_us) {
    int64_t zeros = (now - b->last_write_us) / b->granularity_us;
    mult = mult * pow(1 - a, (double)zeros);
    num_b -= zeros;
  }
  int64_t start = bucket_index(b, b->last_write_us) + b->n;
  double ret = 0;
  for (int64_t i = 0; i < num_b; i++) {
    ret += b->buckets[slot(b, start - i)] * mult;
    mult *= 1 - a;
  }
  return ret;
}

double kn_buckets_average(const kn_buckets *b, int64_t now_us) {
  if (!b->written) return 0;
  int64_t now = trunc_to(now_us, b->granularity_us);
  return b->agg == KN_AGG_LINEAR ? linear_average(b, now) : weighted_average(b, now);
}

/* --- kn_maxwin --- */

void kn_maxwin_init(kn_maxwin *w, int64_t duration_us, int64_t granularity_us) {
  assert(duration_us > 0 && granularity_us > 0);
  int64_t size = (duration_us + granularity_us - 1) / granularity_us;
  assert(size <= INT32_MAX);
  w->size = (int32_t)size;
  w->maxima = xcalloc((size_t)w->size, sizeof *w->maxima);
  w->first = 0;
  w->length = 0;
  w->granularity_us = granularity_us;
}

void kn_maxwin_free(kn_maxwin *w) {
  free(w->maxima);
  w->maxima = NULL;
}

static kn_maxwin_entry *maxwin_at(kn_maxwin *w, int32_t i) { return &w->maxima[i % w->size]; }

void kn_maxwin_record(kn_maxwin *w, int64_t t_us, int32_t value) {
  int64_t index = floor_div64(t_us, w->granularity_us);
  /* A smaller, older candidate can never be the maximum again. */
  for (; w->length > 0; w->length--)
    if (value < maxwin_at(w, w->first + w->length - 1)->value) break;
  /* Candidates that left the window. */
  while (w->length > 0 && index - w->maxima[w->first].index >= w->size) {
    w->length--;
    w->first = (w->first + 1) % w->size;
  }
  /* Two records at one index: keep the larger. */
  if (w->length > 0) {
    kn_maxwin_entry *last = maxwin_at(w, w->first + w->length - 1);
    if (last->index == index) {
      if (last->value > value) value = last->value;
      w->length--;
    }
  }
  *maxwin_at(w, w->first + w->length) = (kn_maxwin_entry){index, value};
  w->length++;
  assert(w->length <= w->size);
}

int32_t kn_maxwin_current(const kn_maxwin *w) { return w->maxima[w->first].value; }

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

/* --- State --- */

void kn_state_init(kn_state *s, const kn_spec *spec, int32_t ready_pods, int64_t now_us) {
  memset(s, 0, sizeof *s);
  s->spec = *spec;
  kn_buckets_init(&s->stable_concurrency, spec->stable_window_us, KN_SCRAPE_US, spec->aggregation);
  kn_buckets_init(&s->panic_concurrency, spec->panic_window_us, KN_SCRAPE_US, spec->aggregation);
  kn_buckets_init(&s->stable_rps, spec->stable_window_us, KN_SCRAPE_US, spec->aggregation);
  kn_buckets_init(&s->panic_rps, spec->panic_window_us, KN_SCRAPE_US, spec->aggregation);
  /* autoscaler.go newAutoscaler: keep the current scale until there is enough data. */
  s->panicking = ready_pods > 1;
  s->panic_time_us = now_us;
  s->max_panic_pods = ready_pods;
  s->has_delay = spec->scale_down_delay_us > 0;
  if (s->has_delay) kn_maxwin_init(&s->delay, spec->scale_down_delay_us, KN_TICK_US);
  s->active = KN_ACTIVATING;
  s->active_change_us = now_us;
  s->initialized = false;
  s->proxy = false;
  s->ebc = 0;
}

void kn_state_free(kn_state *s) {
  kn_buckets_free(&s->stable_concurrency);
  kn_buckets_free(&s->panic_concurrency);
  kn_buckets_free(&s->stable_rps);
  kn_buckets_free(&s->panic_rps);
  if (s->has_delay) kn_maxwin_free(&s->delay);
}

void kn_record(kn_state *s, int64_t t_us, double concurrency, double rps) {
  kn_buckets_record(&s->stable_concurrency, t_us, concurrency);
  kn_buckets_record(&s->panic_concurrency, t_us, concurrency);
  kn_buckets_record(&s->stable_rps, t_us, rps);
  kn_buckets_record(&s->panic_rps, t_us, rps);
}

/* --- The decider: autoscaler.go Scale --- */

void kn_decide(kn_state *s, double observed_stable, double observed_panic, int32_t ready_pods,
               int64_t now_us, kn_result *out) {
  const kn_spec *sp = &s->spec;
  out->valid = true;
  out->observed_stable = observed_stable;
  out->observed_panic = observed_panic;
  out->ready = ready_pods;
  double ready = fmax(1, (double)ready_pods);

  /* ceil lets a too-small rate still grow by one pod; floor likewise shrinks. */
  out->max_scale_up = ceil(sp->max_scale_up_rate * ready);
  out->max_scale_down = sp->reachable ? floor(ready / sp->max_scale_down_rate) : 0;
  out->dspc = ceil(observed_stable / sp->target_value);
  out->dppc = ceil(observed_panic / sp->target_value);
  out->desired_stable = go_to_i32(fmin(fmax(out->dspc, out->max_scale_down), out->max_scale_up));
  out->desired_panic = go_to_i32(fmin(fmax(out->dppc, out->max_scale_down), out->max_scale_up));
  if (sp->activation_scale > 1) {
    if (out->dspc > 0 && sp->activation_scale > out->desired_stable)
      out->desired_stable = sp->activation_scale;
    if (out->dppc > 0 && sp->activation_scale > out->desired_panic)
      out->desired_panic = sp->activation_scale;
  }

  out->over_threshold = out->dppc / ready >= sp->panic_threshold;
  if (out->over_threshold) {
    s->panicking = true; /* begin, or extend, panic */
    s->panic_time_us = now_us;
  } else if (s->panicking && s->panic_time_us + sp->stable_window_us < now_us) {
    s->panicking = false; /* the surge has made its way into the stable window */
    s->max_panic_pods = 0;
  }

  int32_t desired = out->desired_stable;
  if (s->panicking) {
    desired = max_i32(desired, out->desired_panic);
    if (desired > s->max_panic_pods) s->max_panic_pods = desired;
    desired = s->max_panic_pods; /* no scale-down while panicking */
  }
  out->panicking = s->panicking;
  out->max_panic_pods = s->max_panic_pods;
  out->undelayed = desired;

  if (sp->reachable && s->has_delay) {
    kn_maxwin_record(&s->delay, now_us, desired);
    desired = kn_maxwin_current(&s->delay);
  }
  out->decider_desired = desired;
  out->delayed = desired != out->undelayed;

  /* Excess burst capacity: spare capacity over the panic load beyond the burst headroom. */
  double ebc = -1;
  if (sp->target_burst_capacity == 0)
    ebc = 0;
  else if (sp->target_burst_capacity > 0)
    ebc = floor((double)ready_pods * sp->total_value - sp->target_burst_capacity - observed_panic);
  out->excess_burst = go_to_i32(ebc);
  s->ebc = out->excess_burst;
}

/* --- The reconciler: kpa/scaler.go scale and handleScaleToZero, kpa.go --- */

/* inStatusFor: how long the Active condition has had status a, or -1 when it has another. */
static int64_t in_status_for(const kn_state *s, kn_active a, int64_t now_us) {
  return s->active == a ? now_us - s->active_change_us : -1;
}

static void set_active(kn_state *s, kn_active a, int64_t now_us) {
  if (s->active != a) s->active_change_us = now_us;
  s->active = a;
}

/* handleScaleToZero: the value to use, and whether to write it to the deployment. */
static int32_t scale_to_zero(const kn_state *s, int32_t desired, int64_t now_us, bool *apply,
                             const char **reason) {
  const kn_spec *sp = &s->spec;
  *apply = true;
  if (desired != 0) return desired;
  if (!sp->enable_scale_to_zero) {
    *reason = "scale to zero disabled: 1";
    return 1;
  }
  switch (s->active) {
  case KN_ACTIVATING:
    if (now_us - s->active_change_us - sp->activation_timeout_us > 0) {
      *reason = "activation timed out: 0";
      return 0;
    }
    *apply = false;
    *reason = "activating: wait";
    return -1;
  case KN_ACTIVE:
    if (in_status_for(s, KN_ACTIVE, now_us) >= sp->stable_window_us) {
      *apply = false; /* mark the PA inactive; the activator takes over the path */
      *reason = "active a stable window: deactivate";
      return 0;
    }
    *reason = "active less than a stable window: 1";
    return 1;
  case KN_INACTIVE: {
    int64_t inactive = in_status_for(s, KN_INACTIVE, now_us);
    int64_t retention = sp->pod_retention_us;
    if (inactive >= max_i64(sp->grace_period_us, retention)) {
      *reason = "inactive past grace: 0";
      return 0;
    }
    if (retention > 0 && inactive < retention) {
      *apply = false;
      *reason = "pod retention: wait";
      return 0;
    }
    int64_t proxy_for = s->proxy ? now_us - s->proxy_since_us : 0;
    if (sp->grace_period_us - proxy_for <= 0) {
      *reason = "activator in path past grace: 0";
      return 0;
    }
    *apply = false;
    *reason = "activator in path within grace: wait";
    return 0;
  }
  }
  assert(0 && "unknown Active condition");
  return desired;
}

/* activeThreshold: the ready pods that make the PA Active. */
static int32_t active_threshold(const kn_state *s) {
  int32_t min = s->spec.reachable ? s->spec.min_scale : 0;
  return s->initialized ? max_i32(min, 1) : max_i32(min, s->spec.initial_scale);
}

/* computeActiveCondition with want (-1: unknown). */
static void compute_active(kn_state *s, int32_t want, int32_t ready, int64_t now_us) {
  int32_t min_ready = active_threshold(s);
  if (ready >= min_ready) s->initialized = true;
  if (want == 0 || min_ready == 0) {
    set_active(s, KN_INACTIVE, now_us);
  } else if (ready < min_ready) {
    set_active(s, (want > 0 || s->active != KN_INACTIVE) ? KN_ACTIVATING : KN_INACTIVE, now_us);
  } else if (want > 0 || s->active != KN_INACTIVE) {
    s->initialized = true;
    set_active(s, KN_ACTIVE, now_us);
  }
}

static void reconcile(kn_state *s, int32_t ready_pods, int64_t now_us, kn_result *out) {
  const kn_spec *sp = &s->spec;
  int32_t want = out->valid ? out->decider_desired : -1;
  bool apply = true;
  const char *reason = out->valid ? (s->panicking ? "panic" : "stable") : "no data";

  if (want < 0 && s->active != KN_ACTIVATING) {
    apply = false; /* metrics are not yet being collected */
  } else {
    int32_t min = sp->reachable ? sp->min_scale : 0, max = sp->max_scale;
    if (sp->initial_scale > 1 && !s->initialized) min = max_i32(min, sp->initial_scale);
    int32_t bounded = want < min ? min : (max != 0 && want > max) ? max : want;
    if (bounded != want) reason = bounded == min ? "min scale" : "max scale";
    want = scale_to_zero(s, bounded, now_us, &apply, &reason);
  }

  /* kpa.go: the activator is in the path when scaled to zero or short of burst capacity. */
  bool proxy = want == 0 || s->ebc < 0 || (want < 0 && s->active == KN_INACTIVE);
  if (proxy && !s->proxy) s->proxy_since_us = now_us;
  s->proxy = proxy;
  compute_active(s, want, ready_pods, now_us);

  out->desired = want;
  out->apply = apply && want >= 0;
  out->proxy = s->proxy;
  out->active = s->active;
  out->reason = reason;
}

int32_t kn_scale(kn_state *s, int32_t ready_pods, int64_t now_us, kn_result *out) {
  memset(out, 0, sizeof *out);
  const kn_buckets *st = s->spec.metric == KN_METRIC_RPS ? &s->stable_rps : &s->stable_concurrency;
  const kn_buckets *pa = s->spec.metric == KN_METRIC_RPS ? &s->panic_rps : &s->panic_concurrency;
  out->ready = ready_pods;
  out->panicking = s->panicking;
  out->max_panic_pods = s->max_panic_pods;
  out->excess_burst = s->ebc;
  if (kn_buckets_empty(st, now_us)) {
    out->valid = false; /* collector.go ErrNoData: no decision */
    out->decider_desired = -1;
  } else {
    kn_decide(s, kn_buckets_average(st, now_us), kn_buckets_average(pa, now_us), ready_pods, now_us,
              out);
  }
  reconcile(s, ready_pods, now_us, out);
  return out->apply ? out->desired : -1;
}

/* --- Scraper arithmetic --- */

int32_t kn_sample_size(int32_t pods) {
  if (pods < 0) return 0;
  if (pods <= 3) return pods;
  const double x = 15.3664; /* 1.96^2 * 100 / 5^2, exact as Go's untyped constants */
  double n = (double)pods;
  return go_to_i32(ceil(n * x / (n + x - 1)));
}

double kn_scrape_total(double sample_sum, int32_t sampled, int32_t pods) {
  assert(sampled > 0);
  return sample_sum / (double)sampled * (double)pods;
}

const char *kn_active_name(kn_active a) {
  switch (a) {
  case KN_ACTIVATING: return "activating";
  case KN_ACTIVE: return "active";
  case KN_INACTIVE: return "inactive";
  }
  return "?";
}
