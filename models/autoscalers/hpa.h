/*
 * hpa: the Kubernetes HorizontalPodAutoscaler, as the controller in kube-controller-manager runs
 * it, and the HPA objects AIBrix's HPA strategy creates.
 *
 * Upstream: kubernetes/kubernetes pkg/controller/podautoscaler/replica_calculator.go (the modern
 * one, with per-direction Tolerances), metrics/utilization.go, horizontal.go (autoscaling/v2:
 * reconcileAutoscaler, computeReplicasForMetrics, normalizeDesiredReplicas[WithBehaviors],
 * stabilizeRecommendation[WithBehaviors], convertDesiredReplicasWith{Rules,BehaviorRate},
 * storeScaleEvent), config/v1alpha1/defaults.go and pkg/apis/autoscaling/v2/defaults.go;
 * vllm-project/aibrix pkg/controller/podautoscaler/hpa_resources.go (v0.4.1: no behavior; HEAD:
 * buildHPABehavior). What the simulation takes from it:
 * docs/autoscalers.md.
 *
 * One sync (hpa_decide, every sync_period_us, 15 s by default):
 *  1. The first sync records (current, now) as a recommendation.
 *  2. current == 0 with min != 0: scaling is disabled, nothing happens. current above max or
 *     below min: go straight to the bound (no stabilization, no rate limit).
 *  3. Each metric proposes a replica count (replica_calculator): the usage ratio over the pods
 *     that have a sample; within tolerance (1-down <= r <= 1+up, inclusive) keeps `current`,
 *     else ceil(r * ready pods). If pods are missing a sample, or the ratio asks to scale up while
 *     some pods are unready, the calculation is redone conservatively: a missing pod counts at
 *     the target (utilization: its whole request, or the target if above 100 %) on a
 *     scale-down and at 0 on a scale-up, an unready pod at 0 on a scale-up; if the new ratio is
 *     within tolerance or points the other way, or the new count would, keep `current`. Object
 *     and External metrics compare a single total instead (Value: ceil(r * ready pods);
 *     AverageValue: ceil(total / target)); from current 0 a Value metric gives ceil(r).
 *  4. The proposal is the maximum over the valid metrics. If every metric failed, or one failed
 *     and the others would scale down, nothing happens (a broken metric never shrinks the target).
 *  5. Without `behavior` (the legacy path; AIBrix <= v0.4.1 creates such HPAs): the result is the
 *     highest recommendation of the last 5 minutes (including this one), then clamped to
 *     [min, min(max, max(2*current, 4))].
 *     With `behavior`: stabilization (the lowest recommendation of the scale-up window, the
 *     highest of the scale-down window, `current` moved into that band), then the rate limit of
 *     the policies (each measured from the replicas at the start of its period, i.e. current
 *     minus recent scale-ups plus recent scale-downs; Max/Min picks the policy allowing the most
 *     or the least change; Disabled forbids that direction), then [min, max].
 *  6. If the result differs from current it is written to the scale and, with behavior, kept
 *     as a scale event for later rate limits.
 *
 * Units: metric values and targets are Kubernetes quantities in milli-units, as the controller
 * sees them (Quantity.MilliValue: 0.7 -> 700, 50 -> 50000); a utilization target is a plain
 * percent. AIBrix writes whole-unit targets (hpa_aibrix_metric), so a 0-1 gauge such as
 * vllm:gpu_cache_usage_perc has to reach the HPA in percent; converting is the caller's (the
 * metrics adapter's) job. Times are int64 microseconds on the simulator clock; "within a window
 * of W" means strictly after now - W, as Go's Time.After (the legacy 5-minute window also keeps a
 * recommendation made exactly W ago: it drops only those Before the cutoff). Arithmetic follows
 * the Go code: integer division for averages and utilization, IEEE doubles for ratios, ceil then
 * truncation to int32.
 *
 * Pods: the caller classifies every pod the target's selector matches, per metric, the way
 * groupPods does. For a Pods metric (a vLLM gauge served by a custom-metrics adapter) readiness
 * does not matter: a pod in phase Pending (scheduled, pulling, starting) is UNREADY, a Running pod
 * whose metrics are not (yet) served, such as vLLM loading its weights, is MISSING, a pod with a
 * sample is READY even if its Ready condition is false, and a Failed or terminating pod is
 * IGNORED. For CPU, hpa_cpu_unready applies the extra readiness rules.
 *
 * The state (recommendations, scale events) belongs to one HPA, is grown with xrealloc and freed
 * by hpa_state_free. hpa_decide is a pure function of state, params and inputs; it does no I/O.
 * Parameters come from user input and are checked by hpa_params_check (clear errors, the rules of
 * the API server's validation); breaking an internal invariant is an assertion.
 */
#ifndef PODSCALE_HPA_H
#define PODSCALE_HPA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define HPA_MAX_METRICS 4
#define HPA_MAX_POLICIES 8
#define HPA_UNSET (-1) /* stabilization window not given: the Kubernetes default applies */

/* --- The HPA spec and the controller's flags --- */

typedef enum hpa_metric_kind {
  HPA_PODS_AVERAGE_VALUE,   /* Pods metric or Resource AverageValue: mean over pods vs target */
  HPA_RESOURCE_UTILIZATION, /* Resource Utilization: percent of the pods' requests vs target */
  HPA_VALUE,                /* Object or External Value: total vs target, times ready pods */
  HPA_AVERAGE_VALUE,        /* Object or External AverageValue: total vs target per replica */
} hpa_metric_kind;

typedef struct hpa_metric_spec {
  hpa_metric_kind kind;
  int64_t target; /* milli-units; HPA_RESOURCE_UTILIZATION: percent of request */
} hpa_metric_spec;

typedef enum hpa_policy_type { HPA_POLICY_PODS, HPA_POLICY_PERCENT } hpa_policy_type;
typedef enum hpa_select { HPA_SELECT_MAX, HPA_SELECT_MIN, HPA_SELECT_DISABLED } hpa_select;

typedef struct hpa_policy {
  hpa_policy_type type;
  int32_t value;    /* pods, or percent of the replicas at the start of the period */
  int32_t period_s; /* periodSeconds, 1..1800 */
} hpa_policy;

/* HPAScalingRules for one direction. */
typedef struct hpa_rules {
  int32_t stabilization_s; /* stabilizationWindowSeconds 0..3600, or HPA_UNSET */
  hpa_select select;       /* selectPolicy */
  int32_t n_policies;      /* 1..HPA_MAX_POLICIES */
  hpa_policy policies[HPA_MAX_POLICIES];
} hpa_rules;

typedef struct hpa_behavior {
  hpa_rules up;   /* scaleUp */
  hpa_rules down; /* scaleDown */
} hpa_behavior;

typedef struct hpa_params {
  int32_t min_replicas; /* spec.minReplicas (API default 1; 0 needs HPAScaleToZero) */
  int32_t max_replicas; /* spec.maxReplicas */
  int32_t n_metrics;    /* 1..HPA_MAX_METRICS */
  hpa_metric_spec metrics[HPA_MAX_METRICS];
  bool has_behavior;      /* spec.behavior is set: normalize with it, else the legacy path */
  hpa_behavior behavior;  /* used when has_behavior */
  double tolerance_up;    /* --horizontal-pod-autoscaler-tolerance (0.1), or scaleUp.tolerance */
  double tolerance_down;  /* the same flag, or behavior.scaleDown.tolerance */
  int64_t sync_period_us; /* --...-sync-period (15 s): the caller's decide period */
  int64_t downscale_stabilization_us; /* --...-downscale-stabilization (5 min) */
  int64_t cpu_init_period_us;         /* --...-cpu-initialization-period (5 min) */
  int64_t initial_readiness_delay_us; /* --...-initial-readiness-delay (30 s) */
  double legacy_up_factor;            /* scaleUpLimitFactor 2 (package var; its tests use 8) */
  int32_t legacy_up_minimum;          /* scaleUpLimitMinimum: 4 */
} hpa_params;

/* Controller defaults, minReplicas 1, no behavior; max_replicas and metrics still to be set. */
hpa_params hpa_params_default(void);
/* The rules Kubernetes fills in when a behavior is given (scale-down stabilization left
 * HPA_UNSET: the controller uses downscale_stabilization_us). */
hpa_behavior hpa_behavior_default(void);
/* False with a message in *e when the spec would be rejected by the API server. */
bool hpa_params_check(const hpa_params *p, ps_err *e);

/* --- What AIBrix's HPA strategy writes (hpa_resources.go) --- */

/* minReplicas only when > 0 (else the API default 1); maxReplicas 0 means MaxInt32. */
void hpa_aibrix_bounds(hpa_params *p, int32_t pa_min, int32_t pa_max);
/* The metric for one PodAutoscaler metric source: "cpu" -> Utilization ceil(v) %; "memory" ->
 * AverageValue int64(v) MiB; anything else -> Pods metric AverageValue int64(v) (so "0.5"
 * becomes 0, which the API server rejects). */
hpa_metric_spec hpa_aibrix_metric(const char *target_metric, double target_value);
/* HEAD buildHPABehavior: scale-up Max of Percent int32((up_rate-1)*100) per 60 s, scale-down Min
 * of Percent int32((1-1/down_rate)*100) per 60 s, negative percents replaced by 100, windows the
 * cooldowns truncated to seconds. AIBrix defaults: rates 2 and 2, cooldowns 0 s and 300 s.
 * AIBrix <= v0.4.1 sets no behavior (has_behavior = false). */
hpa_behavior hpa_behavior_aibrix(double up_rate, double down_rate, double up_cooldown_s,
                                 double down_cooldown_s);

/* --- One sync's observations --- */

typedef enum hpa_pod_state {
  HPA_POD_READY,   /* has a sample that counts */
  HPA_POD_UNREADY, /* Pending; for CPU also not past the readiness rules (hpa_cpu_unready) */
  HPA_POD_MISSING, /* Running but no sample */
  HPA_POD_IGNORED, /* Failed, or being deleted */
} hpa_pod_state;

typedef struct hpa_pod_sample {
  hpa_pod_state state;
  int64_t value;   /* metric value, milli-units (CPU: millicores); read when READY */
  int64_t request; /* resource request, milli-units (utilization only); <= 0 = none */
} hpa_pod_sample;

typedef struct hpa_metric_obs {
  bool fetched;               /* false: the metrics API failed for this metric */
  const hpa_pod_sample *pods; /* pod kinds: every pod the selector matches */
  int32_t n_pods;             /* entries in pods */
  int64_t total;              /* HPA_VALUE / HPA_AVERAGE_VALUE: object value or series sum, milli */
} hpa_metric_obs;

typedef struct hpa_inputs {
  int32_t current;         /* scale.spec.replicas: the replicas the target asks for now */
  int32_t status_replicas; /* scale.status.replicas: pods the target has (AverageValue kind) */
  int32_t pods;            /* pods the selector matches (HPA_VALUE kind; 0 is an error) */
  int32_t ready_pods;      /* of those, Running and Ready (HPA_VALUE kind) */
  const hpa_metric_obs *metrics; /* one per params.metrics, same order */
} hpa_inputs;

/* The CPU-only readiness rules of groupPods, for a Running pod with a CPU sample. */
typedef struct hpa_cpu_pod {
  bool has_start;           /* status.startTime is set */
  bool has_ready_condition; /* the pod has a Ready condition */
  bool ready;               /* Ready condition is True */
  int64_t start_us;         /* status.startTime */
  int64_t ready_change_us;  /* Ready condition lastTransitionTime */
  int64_t sample_us;        /* timestamp of the CPU sample */
  int64_t sample_window_us; /* window the sample averages over */
} hpa_cpu_pod;
bool hpa_cpu_unready(const hpa_cpu_pod *c, const hpa_params *p, int64_t now_us);

/* --- State and result --- */

typedef struct hpa_rec {
  int32_t replicas; /* an unstabilized recommendation */
  int64_t t_us;     /* when it was made */
} hpa_rec;

typedef struct hpa_event {
  int32_t change; /* replicas added (scale-up log) or removed (scale-down log), > 0 */
  int64_t t_us;   /* when the scale was written */
  bool outdated;  /* older than the longest policy period when last checked: slot reusable */
} hpa_event;

typedef struct hpa_state {
  bool started;  /* the first sync has recorded (current, now) */
  hpa_rec *recs; /* recommendations; a slot older than every window is reused */
  size_t n_recs, cap_recs;
  hpa_event *up; /* scale-up events (kept only with behavior) */
  size_t n_up, cap_up;
  hpa_event *down; /* scale-down events */
  size_t n_down, cap_down;
} hpa_state;

void hpa_state_init(hpa_state *s);
void hpa_state_free(hpa_state *s);
/* Append to the logs (restoring a history; hpa_decide keeps them itself). */
void hpa_state_add_rec(hpa_state *s, int32_t replicas, int64_t t_us);
void hpa_state_add_event(hpa_state *s, bool up, int32_t change, int64_t t_us);

typedef struct hpa_metric_result {
  bool valid;            /* false: no replica count (error says why) */
  const char *error;     /* static text when !valid */
  int32_t replicas;      /* the proposal */
  double ratio;          /* usage ratio over the pods with samples */
  double new_ratio;      /* after counting missing/unready pods (== ratio when not redone) */
  bool rebalanced;       /* missing pods, or unready pods on a scale-up, were counted */
  bool within_tolerance; /* the proposal is `current` because the ratio was within tolerance */
  int64_t usage;         /* status value: mean milli-value, utilization %, or value per pod */
  int64_t raw;           /* utilization: mean usage per pod with a sample, milli-units */
  int32_t ready, unready, missing, ignored; /* pods by group (pod kinds) */
} hpa_metric_result;

typedef struct hpa_result {
  int32_t current;  /* inputs.current */
  int32_t proposal; /* max over valid metrics; -1 when the metrics block the sync */
  int32_t metric;   /* index of the metric that gave the proposal, -1 if none */
  hpa_metric_result metrics[HPA_MAX_METRICS];
  int32_t stabilized; /* after stabilization */
  int32_t limited;    /* after rate limits and bounds */
  int32_t desired;    /* written to the scale; == current when not rescaling */
  bool rescale;       /* desired != current: the scale is written */
  const char *active; /* ScalingActive reason: ValidMetricFound, ScalingDisabled, ... */
  const char *able;   /* AbleToScale: ReadyForNewScale, ScaleUpStabilized, ScaleDownStabilized */
  const char *limit;  /* ScalingLimited: DesiredWithinRange, ScaleUpLimit, TooManyReplicas, ... */
  const char *reason; /* why the scale was (not) written, short static text */
} hpa_result;

/* One sync of the HPA at now_us; updates the state, fills *out. */
void hpa_decide(hpa_state *s, const hpa_params *p, const hpa_inputs *in, int64_t now_us,
                hpa_result *out);

/* --- The steps of hpa_decide, public so tests can pin each one against upstream's tests --- */

/* Replica count for params.metrics[i] (replica_calculator.go); returns out->valid. */
bool hpa_metric_replicas(const hpa_params *p, int i, const hpa_inputs *in, hpa_metric_result *out);
/* Legacy stabilizeRecommendation: max of desired and the recommendations not older than
 * window_us; records desired (reusing an expired slot). */
int32_t hpa_stabilize_legacy(hpa_state *s, int64_t window_us, int32_t desired, int64_t now_us);
/* convertDesiredReplicasWithRules: [min, min(max, max(factor*current, minimum))]. */
int32_t hpa_legacy_limit(const hpa_params *p, int32_t current, int32_t desired, const char **limit);
/* stabilizeRecommendationWithBehaviors with resolved windows; records desired. */
int32_t hpa_stabilize(hpa_state *s, int32_t up_window_s, int32_t down_window_s, int32_t current,
                      int32_t desired, int64_t now_us);
/* convertDesiredReplicasWithBehaviorRate: the policies' limits, then [min, max]. */
int32_t hpa_rate_limit(const hpa_state *s, const hpa_rules *up, const hpa_rules *down, int32_t min,
                       int32_t max, int32_t current, int32_t desired, int64_t now_us,
                       const char **limit);
/* storeScaleEvent: nothing without behavior (b NULL). */
void hpa_store_event(hpa_state *s, const hpa_behavior *b, int32_t prev, int32_t next,
                     int64_t now_us);
/* getReplicasChangePerPeriod: the changes logged strictly after now - period. */
int32_t hpa_events_change(const hpa_event *ev, size_t n, int32_t period_s, int64_t now_us);

#endif
