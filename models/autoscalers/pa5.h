/*
 * pa5: the AIBrix v0.5+ ("HEAD") PodAutoscaler for the KPA and APA strategies: its metric window,
 * its metrics client, its scaling context (annotations), the KPA and APA algorithms, the
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
 * Window (pa5_window). One bucket per granule: a value recorded at t goes to bucket
 * floor(t / g) and replaces what that bucket held (last write wins). After writing, every bucket
 * below floor((t - D) / g) is deleted, so the bucket exactly D old stays and a D-second window
 * with 1 s granules holds D + 1 buckets. avg is the mean of the buckets, summed oldest first as
 * upstream does (bit-identical); avg, min and max of an empty window are 0, not an error. Nothing
 * ages on reading. Upstream divides Unix nanoseconds with Go's truncating `/`; this module floors,
 * which is the same for every time after 1970 and keeps a simulator clock that starts at 0 (or
 * goes negative) translation invariant.
 *
 * Metrics (pa5_client): one per PodAutoscaler and metric source, a stable window
 * (spec.observeWindowSeconds, default 180 s) and a panic window (spec.panicWindowSeconds,
 * default 60 s), 1 s granules. A tick's per-pod values are averaged (arithmetic MEAN, summed in
 * order) and the mean goes into both windows; an empty tick records nothing. S and P are the two
 * window averages. Reconfiguring to other durations empties both windows.
 *
 * Decision, per metric source (pa5_recommend, upstream executeScalingPipeline): record the tick,
 * read S and P, run the strategy with n = spec.replicas, then applyConstraints (pa5_clamp: below
 * min -> min, else above max -> max).
 * KPA (pa5_kpa_compute): inPanic = S <= 0 or P / S > panic_threshold;
 *   limits       up = max(1, ceil(up_rate * max(0, n))),  down = floor(max(0, n) / down_rate)
 *   dspc         ceil(S / target) if S > target * (1 + up_tol) or S < target * (1 - down_tol),
 *                else n;  dppc likewise from P
 *   each count   Go's min(max(count, down), up), then lifted to the activation scale when it is
 *                in (0, activation) and activation > 1
 *   result       stable count; in panic max(stable count, panic count, max_panic_pods)
 * HEAD's context hard-codes activation scale 1 and max panic pods 0 and re-derives inPanic every
 * reconcile; upstream's kpa_test.go instead calls computeTargetReplicas with a mock context that
 * supplies all three, and so can pa5_kpa_context.
 * APA (pa5_apa_compute): u = S, r = u / target (in this order), then
 *   r > 1 + up_tol:    min(int32(ceil(n * r)), int32(ceil(up_rate * n)))
 *   r < 1 - down_tol:  max(int32(ceil(n * r)), int32(floor(n / down_rate)))
 *   otherwise:         n                          (and target <= 0 -> n)
 *
 * Controller, in order, every reconcile: pa5_check (current == 0 with min != 0: no scaling;
 * above max: max; below min: min; these happen BEFORE any metric is collected, so nothing is
 * recorded); otherwise pa5_recommend for every source and pa5_max_valid over the sources that
 * worked (none: no scaling); pa5_stabilize (KPA and APA); pa5_bound (above max: max, else below
 * min: min); scale when it differs from current. The scaling context is rebuilt from the
 * annotations on every reconcile; only the metric windows and the recommendation history persist.
 *
 * Cooldown (pa5_stabilize): append (rec, now). rec == current: drop entries not strictly newer
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
 * Errors: pa5_parse_target, pa5_params_set and pa5_params_check put a message in a ps_err for bad
 * user input; broken invariants (a non-positive granularity or window) are assertions. Windows
 * and histories own their memory (the matching _free); there are no globals, no I/O, and every
 * function depends only on its arguments.
 */
#ifndef PODSCALE_PA5_H
#define PODSCALE_PA5_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define PA5_SECOND_US 1000000LL /* the metrics client's granularity (NewMetricsClient(1 s)) */

/* Annotation keys HEAD reads (types/annotations.go). The legacy kpa./apa.-prefixed keys are not
 * among them: HEAD ignores those silently. */
#define PA5_KEY_MAX_SCALE_UP_RATE "autoscaling.aibrix.ai/max-scale-up-rate"
#define PA5_KEY_MAX_SCALE_DOWN_RATE "autoscaling.aibrix.ai/max-scale-down-rate"
#define PA5_KEY_SCALE_UP_TOLERANCE "autoscaling.aibrix.ai/scale-up-tolerance"
#define PA5_KEY_SCALE_DOWN_TOLERANCE "autoscaling.aibrix.ai/scale-down-tolerance"
#define PA5_KEY_PANIC_THRESHOLD "autoscaling.aibrix.ai/panic-threshold"
#define PA5_KEY_SCALE_UP_COOLDOWN "autoscaling.aibrix.ai/scale-up-cooldown-window"
#define PA5_KEY_SCALE_DOWN_COOLDOWN "autoscaling.aibrix.ai/scale-down-cooldown-window"
#define PA5_KEY_SCALE_TO_ZERO "autoscaling.aibrix.ai/scale-to-zero"

/* --- Window (types/metrics.go TimeWindow) --- */

typedef struct pa5_bucket {
  int64_t index; /* floor(t / granularity) */
  double value;  /* the last value recorded in this granule */
} pa5_bucket;

typedef struct pa5_window {
  int64_t duration_us;    /* D: buckets older than floor((t - D) / g) go */
  int64_t granularity_us; /* g: bucket width (1 s in the controller) */
  pa5_bucket *buckets;    /* len buckets, oldest (lowest index) first */
  size_t len;             /* buckets held */
  size_t cap;             /* allocated buckets */
} pa5_window;

void pa5_window_init(pa5_window *w, int64_t duration_us, int64_t granularity_us);
void pa5_window_free(pa5_window *w);
/* Overwrite bucket floor(t / g) with value, then drop buckets below floor((t - D) / g). */
void pa5_window_record(pa5_window *w, int64_t t_us, double value);
/* Mean, smallest and largest bucket value; 0 when empty. */
double pa5_window_avg(const pa5_window *w);
double pa5_window_min(const pa5_window *w);
double pa5_window_max(const pa5_window *w);
static inline size_t pa5_window_len(const pa5_window *w) { return w->len; }
/* The i-th bucket's value, oldest first (i < pa5_window_len). */
double pa5_window_value(const pa5_window *w, size_t i);

/* --- Scaling context (context/context.go NewBaseScalingContext, UpdateByPaTypes) --- */

typedef struct pa5_params {
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
} pa5_params;

/* HEAD defaults with the given targetValue. */
pa5_params pa5_params_default(double target);
/* spec.metricsSources[].targetValue: a Go float that must be greater than 0 (NaN refused). */
bool pa5_parse_target(const char *s, double *out, ps_err *e);
/* Whether HEAD reads this annotation key (the legacy kpa./apa. keys: no). */
bool pa5_annotation_known(const char *key);
/* Set one parameter from its annotation; false, *p unchanged and a message in *e when the key is
 * not one HEAD reads or the value does not parse as upstream parses it (ParseFloat,
 * ParseDuration, ParseBool), or is a negative duration (which would act as 0 upstream). */
bool pa5_params_set(pa5_params *p, const char *key, const char *value, ps_err *e);
/* False with a message when the target is not > 0, a window is outside 1..3600 s, the panic
 * window exceeds the observe window, or a cooldown is negative. */
bool pa5_params_check(const pa5_params *p, ps_err *e);

/* --- Metrics client (metrics/client.go) --- */

typedef struct pa5_client {
  pa5_window stable; /* per-tick means over the observe window */
  pa5_window panic;  /* per-tick means over the panic window */
} pa5_client;

/* Both windows from p (stable_window_us, panic_window_us; positive) with 1 s granules. */
void pa5_client_init(pa5_client *c, const pa5_params *p);
void pa5_client_free(pa5_client *c);
/* ConfigureMetricWindows: when p's windows differ, recreate (empty) both and return true. */
bool pa5_client_configure(pa5_client *c, const pa5_params *p);
/* UpdateMetrics: record the mean of values[0..n) in both windows; n == 0 records nothing
 * (returns false). */
bool pa5_client_update(pa5_client *c, int64_t now_us, const double *values, size_t n);
/* GetMetricValue: S and P, the window averages (0 for an empty window). */
static inline double pa5_client_stable(const pa5_client *c) { return pa5_window_avg(&c->stable); }
static inline double pa5_client_panic(const pa5_client *c) { return pa5_window_avg(&c->panic); }

/* --- Algorithms (algorithm/kpa.go, algorithm/apa.go, algorithm/algorithm.go) --- */

/* What computeTargetReplicas reads from the context besides the params. HEAD: in_panic from
 * pa5_kpa_in_panic, max_panic_pods 0, activation_scale 1 (pass NULL for that). Upstream's unit
 * tests give all three through their mock. */
typedef struct pa5_kpa_context {
  bool in_panic;            /* GetInPanicMode() */
  int32_t max_panic_pods;   /* GetMaxPanicPods(): no result in panic goes below it */
  int32_t activation_scale; /* GetActivationScale(): smallest non-zero count (used when > 1) */
} pa5_kpa_context;

typedef struct pa5_kpa_result {
  bool in_panic;          /* the panic mode the decision ran in */
  double max_scale_up;    /* max(1, ceil(up_rate * max(0, n))) */
  double max_scale_down;  /* floor(max(0, n) / down_rate) */
  double dspc;            /* ceil(S / target), or n within the tolerance band */
  double dppc;            /* ceil(P / target), or n within the tolerance band */
  int32_t desired_stable; /* dspc within the limits, after activation scale */
  int32_t desired_panic;  /* dppc within the limits, after activation scale */
  int32_t max_panic_pods; /* high-water mark after the call (HEAD's context discards it) */
  int32_t desired;        /* computeTargetReplicas: before applyConstraints */
} pa5_kpa_result;

/* shouldEnterPanicMode: S <= 0, or P / S > panic_threshold (strict). */
bool pa5_kpa_in_panic(const pa5_params *p, double stable, double panic);
/* computeTargetReplicas for n = current with S and P; ctx NULL = HEAD's context. Fills *out and
 * returns out->desired. */
int32_t pa5_kpa_compute(const pa5_params *p, int32_t current, double stable, double panic,
                        const pa5_kpa_context *ctx, pa5_kpa_result *out);

typedef enum pa5_move { PA5_HOLD, PA5_UP, PA5_DOWN } pa5_move;

typedef struct pa5_apa_result {
  pa5_move move;   /* which branch decided (HOLD also for target <= 0) */
  double ratio;    /* r = u / target */
  int32_t limit;   /* int32(ceil(up_rate * n)) (UP) or int32(floor(n / down_rate)) (DOWN) */
  int32_t desired; /* computeTargetReplicas: before applyConstraints */
} pa5_apa_result;

/* computeTargetReplicas for n = current with u = use_per_pod (S). out may be NULL. */
int32_t pa5_apa_compute(const pa5_params *p, int32_t current, double use_per_pod,
                        pa5_apa_result *out);

/* The replica bounds of one reconcile (paschedules.Bounds without schedules). */
typedef struct pa5_bounds {
  int32_t min; /* minReplicas (the controller's default is 1) */
  int32_t max; /* maxReplicas */
} pa5_bounds;

/* applyConstraints: below min -> min, else above max -> max. The controller's final clamp checks
 * max first (pa5_bound); the two differ only when min > max, which HEAD's validation forbids. */
int32_t pa5_clamp(int32_t replicas, pa5_bounds b);
int32_t pa5_bound(int32_t replicas, pa5_bounds b);

typedef enum pa5_strategy { PA5_KPA, PA5_APA } pa5_strategy;

/* executeScalingPipeline for one metric source at now_us: configure the windows from p, record
 * the tick's per-pod values (mean; nothing when n == 0), run the strategy for current, then
 * pa5_clamp. p must pass pa5_params_check. */
int32_t pa5_recommend(pa5_client *c, const pa5_params *p, pa5_strategy strategy, int32_t current,
                      pa5_bounds b, int64_t now_us, const double *values, size_t n);
/* ComputeDesiredReplicas over sources: the largest desired[i] with valid[i]; false when none. */
bool pa5_max_valid(const int32_t *desired, const bool *valid, size_t n, int32_t *out);

/* --- Controller (podautoscaler_controller.go) --- */

typedef struct pa5_rec {
  int32_t replicas; /* a recommendation */
  int64_t t_us;     /* when it was made */
} pa5_rec;

typedef struct pa5_history {
  pa5_rec *recs; /* len recommendations, oldest first */
  size_t len;    /* held */
  size_t cap;    /* allocated */
} pa5_history;

void pa5_history_init(pa5_history *h);
void pa5_history_free(pa5_history *h);
/* stabilizeRecommendation with the cooldown windows of p. */
int32_t pa5_stabilize(pa5_history *h, const pa5_params *p, int32_t recommendation, int32_t current,
                      int64_t now_us);

typedef enum pa5_gate {
  PA5_DISABLED, /* current == 0 and min != 0: autoscaling off, nothing written */
  PA5_TO_MAX,   /* current > max: go to max, no metrics collected */
  PA5_TO_MIN,   /* current < min: go to min, no metrics collected */
  PA5_RUN,      /* collect, recommend, stabilize, then pa5_bound */
} pa5_gate;

/* The boundary checks of computeScaleDecision, in this order; *desired becomes 0, max or min
 * (untouched for RUN). b are the bounds paschedules.Resolve gives; schedule_sets_min: an active
 * schedule sets minReplicas, which lets the controller scale up from 0 replicas. */
pa5_gate pa5_check_scheduled(int32_t current, pa5_bounds b, bool schedule_sets_min,
                             int32_t *desired);
/* pa5_check_scheduled without an active schedule (scenarios do not model schedules). */
pa5_gate pa5_check(int32_t current, pa5_bounds b, int32_t *desired);

#endif
