/*
 * knative: the Knative Serving KPA (Knative Pod Autoscaler): its metric windows, its decider
 * (the 2 s tick of autoscaler.go) and the scaler stage of the PodAutoscaler reconciler (bounds,
 * initial scale and the scale-to-zero gate).
 *
 * Upstream: knative/serving at HEAD (docs/autoscalers.md says what the simulation takes):
 * pkg/autoscaler/aggregation/bucketing.go (TimedFloat64Buckets, WeightedFloat64Buckets),
 * aggregation/max/{window,timewindow}.go (the scale-down delay window),
 * pkg/autoscaler/metrics/collector.go (what is recorded, "no data"), metrics/sample_size.go,
 * pkg/autoscaler/scaling/autoscaler.go (Scale), scaling/multiscaler.go (tick 2 s),
 * pkg/autoscaler/config/config.go (config-autoscaler defaults and validation),
 * pkg/apis/autoscaling/register.go and annotation_validation.go (annotation keys and ranges),
 * pkg/reconciler/autoscaling/resources/{metric.go,target.go} and kpa/resources/decider.go (how a
 * DeciderSpec is derived), pkg/reconciler/autoscaling/kpa/{scaler.go,kpa.go} (bounds,
 * handleScaleToZero, computeActiveCondition, SKS proxy mode).
 *
 * Metric pipeline. Every second (KN_SCRAPE_US) the caller records the revision's total
 * concurrency (in-flight requests, each pod's queue-proxy average over the last second, summed;
 * Knative estimates the sum from a sample of kn_sample_size pods, kn_scrape_total) and its
 * requests in that second (RPS). Both go into a stable and a panic window of 1 s buckets
 * (kn_buckets): values in the same bucket add up; a write after a gap zeroes the skipped buckets;
 * a write a full window after the last one starts afresh. The linear average divides the sum over
 * the window by the buckets since the first write (at most the window), counting gaps as 0 and
 * leaving out buckets after the last write; it is floored to 6 decimals. The weighted-exponential
 * average (annotation metric-aggregation-algorithm) weights the newest bucket by a and each older
 * one by (1-a) more, a = max(1 - 0.0001^(1/buckets), 0.2), including never-written buckets as 0.
 * Nothing written for longer than the window means "no data": the decider makes no decision.
 *
 * Decision (kn_decide, every KN_TICK_US). With R ready pods, r = max(1, R): scale-up limit
 * ceil(max_scale_up_rate * r), scale-down limit floor(r / max_scale_down_rate) (0 when the
 * revision is not reachable); stable and panic pod counts ceil(avg / target) clamped to those
 * limits and raised to activation-scale when non-zero; ceil(panic / target) / r >=
 * panic_threshold starts or extends panic mode, which ends on the first tick that is under the
 * threshold more than a stable window after the last time it was over; in panic the result is
 * the largest of the stable and panic counts and of every count since panic began (never down).
 * With a scale-down delay (and a reachable revision) the result is the largest over the last
 * delay, in 2 s buckets. A new autoscaler with more than one ready pod starts in panic.
 *
 * Reconcile (kn_scale after the decision; the controller runs it on every tick here, where
 * Knative re-enqueues at exact deadlines, so a deadline is seen up to one tick late): clamp to
 * [min-scale, max-scale] (min-scale only while reachable; initial-scale as a floor until the
 * revision has once had that many ready pods); then a zero is applied only through the
 * PodAutoscaler's Active condition: an Active PA is held at 1 until it has been active a stable
 * window, then marked Inactive without changing the replicas; an Inactive PA goes to 0 once it
 * has been inactive max(grace, pod-retention), or, past pod-retention, once the activator has
 * been in the path (SKS proxy mode: the last decision was 0, or the excess burst capacity was
 * negative) for scale-to-zero-grace-period. The activator probe is taken to succeed at once.
 * While not applied, the caller keeps the replicas it has (kn_result.apply).
 *
 * Arithmetic follows the Go code: IEEE doubles, ceil/floor, truncation to int32 (saturating
 * here), Go's ordering of the operations. Times are int64 microseconds on the simulator clock,
 * from 0; Go's time.Truncate and Unix()/granularity become floor(t / granularity).
 *
 * Errors: kn_params_set and kn_params_check report bad user input in a ps_err; broken internal
 * invariants are assertions. The state owns its buckets (kn_state_free); no globals, so many
 * autoscalers may run in parallel threads. kn_decide and kn_scale are pure functions of the state
 * and their inputs; they do no I/O.
 */
#ifndef PODSCALE_KNATIVE_H
#define PODSCALE_KNATIVE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"

#define KN_SCRAPE_US 1000000LL /* metrics/collector.go scrapeTickInterval, and BucketSize */
#define KN_TICK_US 2000000LL   /* scaling/multiscaler.go tickInterval: one decision */

/* --- Windows --- */

typedef enum kn_aggregation {
  KN_AGG_LINEAR,               /* "linear": TimedFloat64Buckets.WindowAverage */
  KN_AGG_WEIGHTED_EXPONENTIAL, /* "weighted-exponential": WeightedFloat64Buckets */
} kn_aggregation;

/* TimedFloat64Buckets: a ring of buckets indexed by floor(t / granularity) mod n. */
typedef struct kn_buckets {
  double *buckets;        /* n sums, one per granularity of time */
  int64_t n;              /* ceil(window / granularity) */
  int64_t window_us;      /* time the window covers */
  int64_t granularity_us; /* time one bucket covers */
  kn_aggregation agg;     /* which average kn_buckets_average computes */
  double smoothing;       /* weighted only: the newest bucket's weight a */
  bool written;           /* false until the first record */
  int64_t first_write_us; /* bucket start of the first write since the window was last empty */
  int64_t last_write_us;  /* bucket start of the newest write */
  double window_total;    /* sum of all n buckets */
} kn_buckets;

void kn_buckets_init(kn_buckets *b, int64_t window_us, int64_t granularity_us, kn_aggregation agg);
void kn_buckets_free(kn_buckets *b);
/* Add value to the bucket of t_us. A value older than a window before the newest write is
 * dropped; one earlier than the newest write but within that window is added to its bucket. */
void kn_buckets_record(kn_buckets *b, int64_t t_us, double value);
/* No write in the window before now_us (IsEmpty: now - last write > window, in buckets). */
bool kn_buckets_empty(const kn_buckets *b, int64_t now_us);
/* WindowAverage at now_us, linear or weighted as initialised; 0 without data. */
double kn_buckets_average(const kn_buckets *b, int64_t now_us);

typedef struct kn_maxwin_entry {
  int64_t index; /* floor(t / granularity) */
  int32_t value; /* largest value recorded at that index */
} kn_maxwin_entry;

/* max.TimeWindow: the largest int32 recorded in the last `size` buckets (descending minima). */
typedef struct kn_maxwin {
  kn_maxwin_entry *maxima; /* ring of candidates, values descending from first */
  int32_t size;            /* ceil(duration / granularity) */
  int32_t first;           /* ring position of the current maximum */
  int32_t length;          /* candidates held */
  int64_t granularity_us;  /* time one index covers */
} kn_maxwin;

void kn_maxwin_init(kn_maxwin *w, int64_t duration_us, int64_t granularity_us);
void kn_maxwin_free(kn_maxwin *w);
/* Record at t_us; times must not go backwards by more than the window. */
void kn_maxwin_record(kn_maxwin *w, int64_t t_us, int32_t value);
/* The largest value recorded in the window ending at the last record. */
int32_t kn_maxwin_current(const kn_maxwin *w);

/* --- Configuration --- */

typedef enum kn_metric {
  KN_METRIC_CONCURRENCY, /* "concurrency": in-flight requests */
  KN_METRIC_RPS,         /* "rps": requests per second */
} kn_metric;

/* Per-revision annotations autoscaling.knative.dev/<key>; NAN or -1 when not given, then the
 * cluster default (kn_params) applies. */
typedef struct kn_annotations {
  kn_metric metric;                     /* metric: concurrency */
  kn_aggregation aggregation;           /* metric-aggregation-algorithm: linear */
  double target;                        /* target: per-pod target total (>= 0.01), or NAN */
  double target_utilization_percentage; /* target-utilization-percentage 1..100, or NAN */
  double target_burst_capacity;         /* target-burst-capacity >= 0 or -1, or NAN */
  double panic_window_percentage;       /* panic-window-percentage 1..100, or NAN */
  double panic_threshold_percentage;    /* panic-threshold-percentage 110..1000, or NAN */
  int64_t window_us;                    /* window: stable window 6 s..1 h, or -1 */
  int64_t scale_down_delay_us;          /* scale-down-delay 0..1 h, or -1 */
  int64_t scale_to_zero_pod_retention_period_us; /* 0..1 h, or -1 */
  int32_t min_scale;                             /* min-scale >= 0, or -1 */
  int32_t max_scale;                             /* max-scale >= 0 (0: none), or -1 */
  int32_t initial_scale;                         /* initial-scale >= 0, or -1 */
  int32_t activation_scale;                      /* activation-scale >= 1: 1 */
} kn_annotations;

/* ConfigMap config-autoscaler (defaults of config.go), the revision and the annotations. */
typedef struct kn_params {
  bool enable_scale_to_zero;                     /* enable-scale-to-zero: true */
  bool allow_zero_initial_scale;                 /* allow-zero-initial-scale: false */
  double max_scale_up_rate;                      /* max-scale-up-rate: 1000 (> 1) */
  double max_scale_down_rate;                    /* max-scale-down-rate: 2 (> 1) */
  double container_concurrency_target_fraction;  /* container-concurrency-target-percentage 70:
                                                    0.7 (a value <= 1 is taken as a fraction) */
  double container_concurrency_target_default;   /* container-concurrency-target-default: 100 */
  double requests_per_second_target_default;     /* requests-per-second-target-default: 200 */
  double target_burst_capacity;                  /* target-burst-capacity: 211, -1 = unlimited */
  double activator_capacity;                     /* activator-capacity: 100 requests */
  double panic_window_percentage;                /* panic-window-percentage: 10 (1..100) */
  double panic_threshold_percentage;             /* panic-threshold-percentage: 200 */
  int64_t stable_window_us;                      /* stable-window: 60 s (6 s..1 h, whole s) */
  int64_t scale_down_delay_us;                   /* scale-down-delay: 0 (whole s) */
  int64_t scale_to_zero_grace_period_us;         /* scale-to-zero-grace-period: 30 s */
  int64_t scale_to_zero_pod_retention_period_us; /* scale-to-zero-pod-retention-period: 0 */
  int32_t initial_scale;                         /* initial-scale: 1 */
  int32_t max_scale;                             /* max-scale: 0 = unbounded */
  int64_t progress_deadline_us;                  /* config-deployment progress-deadline: 600 s */
  int32_t container_concurrency; /* revision spec containerConcurrency: 0 = unlimited (0..1000) */
  bool reachable;                /* a route sends traffic to the revision (PA reachability) */
  kn_annotations ann;            /* the revision's autoscaling annotations */
} kn_params;

/* config.go defaults, no annotations, containerConcurrency 0, reachable. */
kn_params kn_params_default(void);
/* Set one setting by its upstream key: a config-autoscaler key ("stable-window"), an annotation
 * ("autoscaling.knative.dev/window"; the camelCase aliases minScale, maxScale, initialScale,
 * panicWindowPercentage, panicThresholdPercentage, metricAggregationAlgorithm too),
 * "containerConcurrency" or config-deployment "progress-deadline". Durations use Go syntax
 * ("60s", "1m30s", "1.5h"). False with a message in *e (may be NULL) and *p unchanged for an
 * unknown key or a value upstream would reject. */
bool kn_params_set(kn_params *p, const char *key, const char *value, ps_err *e);
/* The checks that involve several settings (config.go validate, annotation_validation.go). */
bool kn_params_check(const kn_params *p, ps_err *e);

/* What the autoscaler and the scaler run with: a DeciderSpec plus the scaler's settings. */
typedef struct kn_spec {
  kn_metric metric;              /* which recorded value is scaled on */
  kn_aggregation aggregation;    /* window average */
  double target_value;           /* TargetValue: per-pod target, max(0.01, total * utilization) */
  double total_value;            /* TotalValue: per-pod capacity, for the excess burst capacity */
  double target_burst_capacity;  /* TBC: 0 none, -1 unlimited (activator always in path) */
  double panic_threshold;        /* PanicThreshold: panic-threshold-percentage / 100 */
  double max_scale_up_rate;      /* MaxScaleUpRate */
  double max_scale_down_rate;    /* MaxScaleDownRate */
  int64_t stable_window_us;      /* StableWindow */
  int64_t panic_window_us;       /* round(stable * pct / 100) to a second, at least 1 s */
  int64_t scale_down_delay_us;   /* ScaleDownDelay: 0 = no delay window */
  int32_t activation_scale;      /* ActivationScale */
  bool reachable;                /* Reachable */
  int32_t min_scale;             /* lower bound while reachable */
  int32_t max_scale;             /* upper bound, 0 = none */
  int32_t initial_scale;         /* floor until first reached (only when > 1) */
  bool enable_scale_to_zero;     /* false: a zero becomes 1 */
  int64_t grace_period_us;       /* scale-to-zero-grace-period */
  int64_t pod_retention_us;      /* scale-to-zero-pod-retention-period */
  int64_t activation_timeout_us; /* progress deadline + 10 s: activating longer may go to 0 */
} kn_spec;

/* MakeMetric + MakeDecider + the scaler's settings, annotations over cluster defaults. The
 * params must pass kn_params_check. */
void kn_spec_from_params(const kn_params *p, kn_spec *out);

/* --- State and decision --- */

typedef enum kn_active {
  KN_ACTIVATING, /* Active condition Unknown: waiting for ready pods */
  KN_ACTIVE,     /* Active True */
  KN_INACTIVE,   /* Active False: scaled, or being scaled, to zero */
} kn_active;

typedef struct kn_state {
  kn_spec spec;                  /* as given to kn_state_init; may be changed (Update) */
  kn_buckets stable_concurrency; /* stable window of total concurrency */
  kn_buckets panic_concurrency;  /* panic window of total concurrency */
  kn_buckets stable_rps;         /* stable window of requests per second */
  kn_buckets panic_rps;          /* panic window of requests per second */
  bool panicking;                /* panic mode (panicTime set) */
  int64_t panic_time_us;         /* last tick over the panic threshold */
  int32_t max_panic_pods;        /* largest count since panic began */
  bool has_delay;                /* spec.scale_down_delay_us > 0 at init */
  kn_maxwin delay;               /* decisions over the scale-down delay, 2 s buckets */
  kn_active active;              /* PodAutoscaler Active condition */
  int64_t active_change_us;      /* when it last changed */
  bool initialized;              /* ScaleTargetInitialized: initial scale once reached */
  bool proxy;                    /* SKS in proxy mode: activator in the request path */
  int64_t proxy_since_us;        /* when it entered proxy mode */
  int32_t ebc;                   /* excess burst capacity of the last valid decision */
} kn_state;

/* A new autoscaler at now_us that sees ready_pods: in panic when more than one. */
void kn_state_init(kn_state *s, const kn_spec *spec, int32_t ready_pods, int64_t now_us);
void kn_state_free(kn_state *s);
/* One scrape at t_us: the revision's total concurrency and its requests in the last second. */
void kn_record(kn_state *s, int64_t t_us, double concurrency, double rps);

typedef struct kn_result {
  bool valid;              /* false: no data in the stable window, no decision */
  double observed_stable;  /* stable-window average of the scaling metric, whole revision */
  double observed_panic;   /* panic-window average */
  int32_t ready;           /* ready pods given */
  double max_scale_up;     /* ceil(max_scale_up_rate * max(1, ready)) */
  double max_scale_down;   /* floor(max(1, ready) / max_scale_down_rate), 0 unreachable */
  double dspc;             /* ceil(stable / target) */
  double dppc;             /* ceil(panic / target) */
  int32_t desired_stable;  /* dspc within the limits (and activation scale) */
  int32_t desired_panic;   /* dppc within the limits (and activation scale) */
  bool over_threshold;     /* dppc / max(1, ready) >= panic threshold */
  bool panicking;          /* in panic mode after this tick */
  int32_t max_panic_pods;  /* after this tick */
  int32_t undelayed;       /* the decision before the scale-down delay window */
  int32_t decider_desired; /* autoscaler.go's DesiredPodCount (after the delay window) */
  bool delayed;            /* the delay window held it above `undelayed` */
  int32_t excess_burst;    /* ExcessBurstCapacity: floor(R*total - TBC - panic), 0, or -1 */
  int32_t desired;         /* the replica count the reconciler wants (-1: unknown) */
  bool apply;              /* true: set the replicas to `desired`; false: leave them be */
  bool proxy;              /* activator in the request path after this tick */
  kn_active active;        /* Active condition after this tick */
  const char *reason;      /* short static text: what decided `desired` */
} kn_result;

/* autoscaler.go Scale at now_us with the window averages given (the upstream tests' metric
 * client): panic state, delay window, excess burst capacity. Fills the decider fields of *out
 * (valid is true; desired/apply/proxy/active are left unset). */
void kn_decide(kn_state *s, double observed_stable, double observed_panic, int32_t ready_pods,
               int64_t now_us, kn_result *out);
/* One tick: the averages at now_us, kn_decide if there is data, then the reconciler's bounds,
 * scale-to-zero gate, Active condition and SKS mode. ready_pods: Running and Ready pods.
 * Returns the replicas to set, or -1 to leave them as they are (out->apply false). */
int32_t kn_scale(kn_state *s, int32_t ready_pods, int64_t now_us, kn_result *out);

/* --- The scraper's arithmetic (metrics/sample_size.go, collector.go Stat.average) --- */

/* Pods to scrape out of `pods` ready ones: all up to 3, else ceil(N*X / (N+X-1)), X = 15.3664. */
int32_t kn_sample_size(int32_t pods);
/* The revision total estimated from a sample: sample_sum / sampled * pods. */
double kn_scrape_total(double sample_sum, int32_t sampled, int32_t pods);

const char *kn_active_name(kn_active a);

#endif
