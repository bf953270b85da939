/*
 * aibrix5: the AIBrix v0.5+ ("HEAD") PodAutoscaler for the KPA and APA strategies: its metric
 * window, its metrics client, its scaling context (annotations), the KPA and APA algorithms, the
 * recommendation "cooldown" and the controller's boundary checks. It is a different algorithm
 * from the legacy v0.2 ... v0.4.1 autoscalers (models/autoscalers/kpa.h, models/autoscalers/apa.h):
 * per-pod MEANS instead of sums, one-second buckets, tolerances on the KPA too, no persisted panic
 * state, and a recommendation history that takes the MIN on the way down. On the same inputs they
 * differ: 4 pods each at 0.8 with target 0.5 ask legacy for 7 pods and HEAD for 2.
 *
 * Upstream: vllm-project/aibrix HEAD (e3e10f9e; the algorithms are those of v0.5.0 plus an APA
 * guard for target <= 0 and configurable windows): pkg/controller/podautoscaler/
 * types/metrics.go (TimeWindow), metrics/client.go (MetricsClient), context/context.go and
 * types/annotations.go (NewBaseScalingContext, UpdateByPaTypes), algorithm/kpa.go,
 * algorithm/apa.go, algorithm/algorithm.go (applyConstraints), autoscaler.go
 * (ComputeDesiredReplicas: max over sources), podautoscaler_controller.go (computeScaleDecision,
 * stabilizeRecommendation). What the simulation takes from it:
 * docs/autoscalers.md.
 *
 * Window (aibrix5_window). One bucket per granule: a value recorded at t goes to bucket
 * floor(t / g) and replaces what that bucket held (last write wins). After writing, every bucket
 * below floor((t - D) / g) is deleted, so the bucket exactly D old stays and a D-second window
 * with 1 s granules holds D + 1 buckets. avg is the mean of the buckets, summed oldest first as
 * upstream does (bit-identical); avg, min and max of an empty window are 0, not an error. Nothing
 * ages on reading. Upstream divides Unix nanoseconds with Go's truncating `/`; this module floors,
 * which is the same for every time after 1970 and keeps a simulator clock that starts at 0 (or
 * goes negative) translation invariant.
 *
 * Metrics (aibrix5_client): one per PodAutoscaler and metric source, a stable window
 * (spec.observeWindowSeconds, default 180 s) and a panic window (spec.panicWindowSeconds,
 * default 60 s), 1 s granules. A tick's per-pod values are averaged (arithmetic MEAN, summed in
 * order) and the mean goes into both windows; an empty tick records nothing. S and P are the two
 * window averages. Reconfiguring to other durations empties both windows.
 *
 * Decision, per metric source (aibrix5_recommend, upstream executeScalingPipeline): record the
 * tick, read S and P, run the strategy with n = spec.replicas, then applyConstraints
 * (aibrix5_clamp: below min -> min, else above max -> max). KPA (aibrix5_kpa_compute): inPanic = S
 * <= 0 or P / S > panic_threshold; limits       up = max(1, ceil(up_rate * max(0, n))),  down =
 * floor(max(0, n) / down_rate) dspc         ceil(S / target) if S > target * (1 + up_tol) or S <
 * target * (1 - down_tol), else n;  dppc likewise from P each count   Go's min(max(count, down),
 * up), then lifted to the activation scale when it is in (0, activation) and activation > 1 result
 * stable count; in panic max(stable count, panic count, max_panic_pods) HEAD's context hard-codes
 * activation scale 1 and max panic pods 0 and re-derives inPanic every reconcile; upstream's
 * kpa_test.go instead calls computeTargetReplicas with a mock context that supplies all three, and
 * so can aibrix5_kpa_context. APA (aibrix5_apa_compute): u = S, r = u / target (in this order),
 * then r > 1 + up_tol:    min(int32(ceil(n * r)), int32(ceil(up_rate * n))) r < 1 - down_tol:
 * max(int32(ceil(n * r)), int32(floor(n / down_rate))) otherwise:         n (and target <= 0 -> n)
 *
 * Controller, in order, every reconcile: aibrix5_check (current == 0 with min != 0: no scaling;
 * above max: max; below min: min; these happen BEFORE any metric is collected, so nothing is
 * recorded); otherwise aibrix5_recommend for every source and aibrix5_max_valid over the sources
 * that worked (none: no scaling); aibrix5_stabilize (KPA and APA); aibrix5_bound (above max: max,
 * else below min: min); scale when it differs from current. The scaling context is rebuilt from the
 * annotations on every reconcile; only the metric windows and the recommendation history persist.
 *
 * Cooldown (aibrix5_stabilize): append (rec, now). rec == current: drop entries not strictly newer
 * than now - max(up, down window) and return current. rec > current: the MAX of recs strictly
 * newer than now - up window (0 s by default: none, so rec itself, at once); rec < current: the
 * MIN of recs strictly newer than now - down window (300 s), so a scale-down goes at once to the
 * lowest recommendation of the last 5 minutes; old entries are dropped the same way; with no entry
 * in the window, rec.
 *
 * Arithmetic follows the Go code: IEEE doubles in Go's order, Go's math.Max/Min (a NaN wins),
 * ceil/floor, conversion to int32 by truncation (saturating here, NaN -> 0, where Go leaves it to
 * the platform). Times are int64 microseconds on the simulator clock; annotation durations are
 * parsed as Go does (go_parse_duration, models/autoscalers/gosem.h) and rounded up to whole
 * microseconds.
 *
 * Errors: aibrix5_parse_target, aibrix5_params_set and aibrix5_params_check put a message in a
 * ps_err for bad user input; broken invariants (a non-positive granularity or window) are
 * assertions. Windows and histories own their memory (the matching _free); there are no globals, no
 * I/O, and every function depends only on its arguments.
 */
#ifndef PODSCALE_AIBRIX5_H
#define PODSCALE_AIBRIX5_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define AIBRIX5_SECOND_US 1000000LL /* the metrics client's granularity (NewMetricsClient(1 s)) */

/* Annotation keys HEAD reads (types/annotations.go). The legacy kpa./apa.-prefixed keys are not
 * among them: HEAD ignores those silently. */
#define AIBRIX5_KEY_MAX_SCALE_UP_RATE "autoscaling.aibrix.ai/max-scale-up-rate"
#define AIBRIX5_KEY_MAX_SCALE_DOWN_RATE "autoscaling.aibrix.ai/max-scale-down-rate"
#define AIBRIX5_KEY_SCALE_UP_TOLERANCE "autoscaling.aibrix.ai/scale-up-tolerance"
#define AIBRIX5_KEY_SCALE_DOWN_TOLERANCE "autoscaling.aibrix.ai/scale-down-tolerance"
#define AIBRIX5_KEY_PANIC_THRESHOLD "autoscaling.aibrix.ai/panic-threshold"
#define AIBRIX5_KEY_SCALE_UP_COOLDOWN "autoscaling.aibrix.ai/scale-up-cooldown-window"
#define AIBRIX5_KEY_SCALE_DOWN_COOLDOWN "autoscaling.aibrix.ai/scale-down-cooldown-window"
#define AIBRIX5_KEY_SCALE_TO_ZERO "autoscaling.aibrix.ai/scale-to-zero"

/* --- Window (types/metrics.go TimeWindow) --- */

typedef struct aibrix5_bucket {
  int64_t index; /* floor(t / granularity) */
  double value;  /* the last value recorded in this granule */
} aibrix5_bucket;

typedef struct aibrix5_window {
  int64_t duration_us;     /* D: buckets older than floor((t - D) / g) go */
  int64_t granularity_us;  /* g: bucket width (1 s in the controller) */
  aibrix5_bucket *buckets; /* len buckets, oldest (lowest index) first */
  size_t len;              /* buckets held */
  size_t cap;              /* allocated buckets */
} aibrix5_window;

void aibrix5_window_init(aibrix5_window *w, int64_t duration_us, int64_t granularity_us);
void aibrix5_window_free(aibrix5_window *w);
/* Overwrite bucket floor(t / g) with value, then drop buckets below floor((t - D) / g). */
void aibrix5_window_record(aibrix5_window *w, int64_t t_us, double value);
/* Mean, smallest and largest bucket value; 0 when empty. */
double aibrix5_window_avg(const aibrix5_window *w);
double aibrix5_window_min(const aibrix5_window *w);
double aibrix5_window_max(const aibrix5_window *w);
static inline size_t aibrix5_window_len(const aibrix5_window *w) { return w->len; }
/* The i-th bucket's value, oldest first (i < aibrix5_window_len). */
double aibrix5_window_value(const aibrix5_window *w, size_t i);

/* --- Scaling context (context/context.go NewBaseScalingContext, UpdateByPaTypes) --- */

typedef struct aibrix5_params {
  double target;                  /* the source's targetValue: metric per pod; > 0 */
  double max_scale_up_rate;       /* 2: KPA at most max(1, ceil(2 n)), APA ceil(2 n) */
  double max_scale_down_rate;     /* 2: at least floor(n / 2) */
  double up_tolerance;            /* 0.1: hold while the metric is <= target * 1.1 */
  double down_tolerance;          /* 0.1: hold while the metric is >= target * 0.9 */
  double panic_threshold;         /* 2.0: KPA panics when P / S > 2 */
  int64_t scale_up_cooldown_us;   /* 0 s: cooldown window for recommendations above current */
  int64_t scale_down_cooldown_us; /* 300 s: cooldown window for recommendations below current */
  bool scale_to_zero;             /* false: parsed, never used upstream */
  int64_t stable_window_us;       /* spec.observeWindowSeconds 180 s (1..3600 s, whole) */
  int64_t panic_window_us;        /* spec.panicWindowSeconds 60 s (1..3600 s, whole, <= stable) */
} aibrix5_params;

/* HEAD defaults with the given targetValue. */
aibrix5_params aibrix5_params_default(double target);
/* spec.metricsSources[].targetValue: a Go float that must be greater than 0 (NaN refused). */
bool aibrix5_parse_target(const char *s, double *out, ps_err *e);
/* Whether HEAD reads this annotation key (the legacy kpa./apa. keys: no). */
bool aibrix5_annotation_known(const char *key);
/* Set one parameter from its annotation; false, *p unchanged and a message in *e when the key is
 * not one HEAD reads or the value does not parse as upstream parses it (ParseFloat,
 * ParseDuration, ParseBool), or is a negative duration (which would act as 0 upstream). */
bool aibrix5_params_set(aibrix5_params *p, const char *key, const char *value, ps_err *e);
/* False with a message when the target is not > 0, a window is outside 1..3600 s, the panic
 * window exceeds the observe window, or a cooldown is negative. */
bool aibrix5_params_check(const aibrix5_params *p, ps_err *e);

/* --- Metrics client (metrics/client.go) --- */

typedef struct aibrix5_client {
  aibrix5_window stable; /* per-tick means over the observe window */
  aibrix5_window panic;  /* per-tick means over the panic window */
} aibrix5_client;

/* Both windows from p (stable_window_us, panic_window_us; positive) with 1 s granules. */
void aibrix5_client_init(aibrix5_client *c, const aibrix5_params *p);
void aibrix5_client_free(aibrix5_client *c);
/* ConfigureMetricWindows: when p's windows differ, recreate (empty) both and return true. */
bool aibrix5_client_configure(aibrix5_client *c, const aibrix5_params *p);
/* UpdateMetrics: record the mean of values[0..n) in both windows; n == 0 records nothing
 * (returns false). */
bool aibrix5_client_update(aibrix5_client *c, int64_t now_us, const double *values, size_t n);
/* GetMetricValue: S and P, the window averages (0 for an empty window). */
static inline double aibrix5_client_stable(const aibrix5_client *c) {
  return aibrix5_window_avg(&c->stable);
}
static inline double aibrix5_client_panic(const aibrix5_client *c) {
  return aibrix5_window_avg(&c->panic);
}

/* --- Algorithms (algorithm/kpa.go, algorithm/apa.go, algorithm/algorithm.go) --- */

/* What computeTargetReplicas reads from the context besides the params. HEAD: in_panic from
 * aibrix5_kpa_in_panic, max_panic_pods 0, activation_scale 1 (pass NULL for that). Upstream's unit
 * tests give all three through their mock. */
typedef struct aibrix5_kpa_context {
  bool in_panic;            /* GetInPanicMode() */
  int32_t max_panic_pods;   /* GetMaxPanicPods(): no result in panic goes below it */
  int32_t activation_scale; /* GetActivationScale(): smallest non-zero count (used when > 1) */
} aibrix5_kpa_context;

typedef struct aibrix5_kpa_result {
  bool in_panic;          /* the panic mode the decision ran in */
  double max_scale_up;    /* max(1, ceil(up_rate * max(0, n))) */
  double max_scale_down;  /* floor(max(0, n) / down_rate) */
  double dspc;            /* ceil(S / target), or n within the tolerance band */
  double dppc;            /* ceil(P / target), or n within the tolerance band */
  int32_t desired_stable; /* dspc within the limits, after activation scale */
  int32_t desired_panic;  /* dppc within the limits, after activation scale */
  int32_t max_panic_pods; /* high-water mark after the call (HEAD's context discards it) */
  int32_t desired;        /* computeTargetReplicas: before applyConstraints */
} aibrix5_kpa_result;

/* shouldEnterPanicMode: S <= 0, or P / S > panic_threshold (strict). */
bool aibrix5_kpa_in_panic(const aibrix5_params *p, double stable, double panic);
/* computeTargetReplicas for n = current with S and P; ctx NULL = HEAD's context. Fills *out and
 * returns out->desired. */
int32_t aibrix5_kpa_compute(const aibrix5_params *p, int32_t current, double stable, double panic,
                            const aibrix5_kpa_context *ctx, aibrix5_kpa_result *out);

typedef enum aibrix5_move { AIBRIX5_HOLD, AIBRIX5_UP, AIBRIX5_DOWN } aibrix5_move;

typedef struct aibrix5_apa_result {
  aibrix5_move move; /* which branch decided (HOLD also for target <= 0) */
  double ratio;      /* r = u / target */
  int32_t limit;     /* int32(ceil(up_rate * n)) (UP) or int32(floor(n / down_rate)) (DOWN) */
  int32_t desired;   /* computeTargetReplicas: before applyConstraints */
} aibrix5_apa_result;

/* computeTargetReplicas for n = current with u = use_per_pod (S). out may be NULL. */
int32_t aibrix5_apa_compute(const aibrix5_params *p, int32_t current, double use_per_pod,
                            aibrix5_apa_result *out);

/* The replica bounds of one reconcile (paschedules.Bounds without schedules). */
typedef struct aibrix5_bounds {
  int32_t min; /* minReplicas (the controller's default is 1) */
  int32_t max; /* maxReplicas */
} aibrix5_bounds;

/* applyConstraints: below min -> min, else above max -> max. The controller's final clamp checks
 * max first (aibrix5_bound); the two differ only when min > max, which HEAD's validation forbids.
 */
int32_t aibrix5_clamp(int32_t replicas, aibrix5_bounds b);
int32_t aibrix5_bound(int32_t replicas, aibrix5_bounds b);

typedef enum aibrix5_strategy { AIBRIX5_KPA, AIBRIX5_APA } aibrix5_strategy;

/* executeScalingPipeline for one metric source at now_us: configure the windows from p, record
 * the tick's per-pod values (mean; nothing when n == 0), run the strategy for current, then
 * aibrix5_clamp. p must pass aibrix5_params_check. */
int32_t aibrix5_recommend(aibrix5_client *c, const aibrix5_params *p, aibrix5_strategy strategy,
                          int32_t current, aibrix5_bounds b, int64_t now_us, const double *values,
                          size_t n);
/* ComputeDesiredReplicas over sources: the largest desired[i] with valid[i]; false when none. */
bool aibrix5_max_valid(const int32_t *desired, const bool *valid, size_t n, int32_t *out);

/* --- Controller (podautoscaler_controller.go) --- */

typedef struct aibrix5_rec {
  int32_t replicas; /* a recommendation */
  int64_t t_us;     /* when it was made */
} aibrix5_rec;

typedef struct aibrix5_history {
  aibrix5_rec *recs; /* len recommendations, oldest first */
  size_t len;        /* held */
  size_t cap;        /* allocated */
} aibrix5_history;

void aibrix5_history_init(aibrix5_history *h);
void aibrix5_history_free(aibrix5_history *h);
/* stabilizeRecommendation with the cooldown windows of p. */
int32_t aibrix5_stabilize(aibrix5_history *h, const aibrix5_params *p, int32_t recommendation,
                          int32_t current, int64_t now_us);

typedef enum aibrix5_gate {
  AIBRIX5_DISABLED, /* current == 0 and min != 0: autoscaling off, nothing written */
  AIBRIX5_TO_MAX,   /* current > max: go to max, no metrics collected */
  AIBRIX5_TO_MIN,   /* current < min: go to min, no metrics collected */
  AIBRIX5_RUN,      /* collect, recommend, stabilize, then aibrix5_bound */
} aibrix5_gate;

/* The boundary checks of computeScaleDecision, in this order; *desired becomes 0, max or min
 * (untouched for RUN). b are the bounds paschedules.Resolve gives; schedule_sets_min: an active
 * schedule sets minReplicas, which lets the controller scale up from 0 replicas. */
aibrix5_gate aibrix5_check_scheduled(int32_t current, aibrix5_bounds b, bool schedule_sets_min,
                                     int32_t *desired);
/* aibrix5_check_scheduled without an active schedule (scenarios do not model schedules). */
aibrix5_gate aibrix5_check(int32_t current, aibrix5_bounds b, int32_t *desired);

#endif
