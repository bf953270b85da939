/*
 * kpa: the legacy AIBrix KPA (PodAutoscaler scalingStrategy KPA, AIBrix v0.2.0 ... v0.4.1), a
 * Knative-style decider with a stable and a panic window and a scale-down delay; and the legacy
 * controller's boundary checks, which it shares with the legacy APA (models/autoscalers/apa.h).
 *
 * Upstream: vllm-project/aibrix at tag v0.4.1 (algorithmically unchanged since v0.2.0):
 * pkg/controller/podautoscaler/scaler/kpa.go (KpaScalingContext, NewKpaAutoscaler,
 * KpaAutoscaler.Scale), common/context.go (BaseScalingContext: rates, targetValue),
 * metrics/client.go (KPAMetricsClient: one sum per tick into both windows),
 * aggregation/window.go (models/autoscalers/window.h), podautoscaler_controller.go
 * (reconcileCustomPA). What the simulation takes from it:
 * docs/autoscalers.md. AIBrix v0.5+ ("HEAD") is a different algorithm
 * (per-pod means, tolerances, no persisted panic state) and is not this module.
 *
 * Metric. Every reconcile (10 s, KPA_TICK_US) the controller scrapes the metric from every active
 * pod and records the SUM of the tick's values once in both windows (kpa_record; kpa_record_pods
 * does the summing). With no active pod nothing is recorded (the APA records 0 instead). The
 * windows have 1 s granularity: a 60 s stable window holds the last 6 samples, the 10 s panic
 * window only the latest. With the GPU optimizer (metric source `domain`, targetMetric
 * vllm:deployment_replicas, targetValue 100) the tick value is the one number the optimizer
 * reports, about 100 x the GPUs needed, so a steady value v asks for ceil(v / 100) pods.
 *
 * Decision (kpa_scale, R = ready pods, Running and Ready): S, P = stable and panic averages;
 * limits max(1, ceil(up_rate * max(0,R))) and floor(max(0,R) / down_rate); dspc = ceil(S/target),
 * dppc = ceil(P/target), each clamped to the limits and, if activation_scale > 1, raised to it
 * when between 0 and it. dppc / max(1,R) >= panic_threshold (dppc before clamping) starts or
 * extends panic (panic time = now); otherwise panic ends, and max panic pods goes to 0, on the
 * first evaluation strictly more than stable_window after the panic time. In panic the result is
 * the largest of the stable count, the panic count and every result since panic began (never
 * down). With scale_down_delay > 0 the result is then the largest recorded in the delay window
 * (1 s granularity, N = ceil(delay / 1 s) entries). Upstream also computes an excess burst
 * capacity that nothing reads; it is reported. A state created with more than one current replica
 * starts in panic with max panic pods = current replicas.
 *
 * Controller (the caller's part, in order, every tick): take current = the target's desired
 * replicas (spec.replicas); create the state on the first tick with (current, now); record the
 * tick's metric (even when the next step short-cuts); aibrix_legacy_check(current, min, max); if
 * it says run, kpa_scale (an invalid result means no scaling this tick), then aibrix_legacy_bound;
 * write the result if it differs from current. minReplicas defaults to 1 when not given.
 *
 * Arithmetic follows the Go code (models/autoscalers/gosem.h): IEEE doubles, Go's math.Max/Min (a
 * NaN wins), ceil/floor, conversion to int32 by truncation (saturating here, NaN -> 0, where Go
 * leaves it to the platform). Times are int64 microseconds on the simulator clock; annotation
 * durations are parsed to Go's nanoseconds and rounded up to whole microseconds.
 *
 * Errors: kpa_params_set and kpa_params_check put a message in a ps_err for bad user input;
 * broken invariants are assertions. The state owns its windows (kpa_state_free); no globals.
 * kpa_scale depends only on the state and its arguments and does no I/O.
 */
#ifndef PODSCALE_KPA_H
#define PODSCALE_KPA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "models/autoscalers/window.h"

#define KPA_TICK_US 10000000LL /* legacy resyncInterval: one sample and one decision per 10 s */

/* Annotation keys the legacy KPA reads (the first two come from the base context, which the
 * APA shares). Any other key is ignored upstream. */
#define KPA_KEY_MAX_SCALE_UP_RATE "autoscaling.aibrix.ai/max-scale-up-rate"
#define KPA_KEY_MAX_SCALE_DOWN_RATE "autoscaling.aibrix.ai/max-scale-down-rate"
#define KPA_KEY_TARGET_BURST_CAPACITY "kpa.autoscaling.aibrix.ai/target-burst-capacity"
#define KPA_KEY_ACTIVATION_SCALE "kpa.autoscaling.aibrix.ai/activation-scale"
#define KPA_KEY_PANIC_THRESHOLD "kpa.autoscaling.aibrix.ai/panic-threshold"
#define KPA_KEY_STABLE_WINDOW "kpa.autoscaling.aibrix.ai/stable-window"
#define KPA_KEY_PANIC_WINDOW "kpa.autoscaling.aibrix.ai/panic-window"
#define KPA_KEY_SCALE_DOWN_DELAY "kpa.autoscaling.aibrix.ai/scale-down-delay"

/* --- Parameters --- */

typedef struct kpa_params {
  double target;                /* targetValue: metric per pod (metric units) */
  double total;                 /* TotalValue 100: metric a pod can take (only for the EBC) */
  double max_scale_up_rate;     /* 2: at most ceil(2 * ready) */
  double max_scale_down_rate;   /* 2: at least floor(ready / 2) */
  double target_burst_capacity; /* 2: only for the EBC; 0 -> EBC 0, < 0 -> EBC -1 */
  int32_t activation_scale;     /* 1: smallest non-zero count (used when > 1) */
  double panic_threshold;       /* 2.0: dppc / ready at which panic starts */
  int64_t stable_window_us;     /* 60 s: stable window, and how long panic outlives its cause */
  int64_t panic_window_us;      /* 10 s (absolute, not Knative's 10 % of stable) */
  int64_t scale_down_delay_us;  /* 30 min; 0 = no delay window */
} kpa_params;

/* Legacy defaults (NewKpaScalingContext) with the given targetValue. */
kpa_params kpa_params_default(double target);
/* Whether the legacy KPA reads this annotation key (upstream ignores the others silently). */
bool kpa_annotation_known(const char *key);
/* Set one parameter from its annotation; false, *p unchanged and a message in *e when the key
 * is unknown or the value does not parse as upstream parses it (float, int32 or Go duration),
 * or is a negative duration (upstream refuses a negative delay and crashes on a negative window).
 */
bool kpa_params_set(kpa_params *p, const char *key, const char *value, ps_err *e);
/* False with a message when a duration is negative. */
bool kpa_params_check(const kpa_params *p, ps_err *e);

/* --- State and decision --- */

typedef struct kpa_state {
  kpa_params params;      /* the scaling context; windows and delay frozen at creation */
  twin stable;            /* per-tick sums over stable_window_us */
  twin panic;             /* per-tick sums over panic_window_us */
  twin delay;             /* results over scale_down_delay_us (never used when has_delay false) */
  bool has_delay;         /* scale_down_delay_us > 0 */
  bool panicking;         /* panic mode (upstream: panicTime is not the zero time) */
  int64_t panic_time_us;  /* last time over the panic threshold (or creation); when panicking */
  int32_t max_panic_pods; /* largest result since panic began; 0 after panic ends */
} kpa_state;

/* NewKpaAutoscaler at the first reconcile: current = the target's spec.replicas. The params must
 * pass kpa_params_check. */
void kpa_state_init(kpa_state *s, const kpa_params *p, int32_t current, int64_t now_us);
void kpa_state_free(kpa_state *s);
/* UpdateScalingContext: take new params, keeping the window lengths and the delay. */
void kpa_state_update(kpa_state *s, const kpa_params *p);
/* One tick's sample: the sum of the metric over the pods that answered. */
void kpa_record(kpa_state *s, int64_t now_us, double tick_value);
/* Sum values[0..n) in order and record it; with n == 0 record nothing and return false. */
bool kpa_record_pods(kpa_state *s, int64_t now_us, const double *values, size_t n);

typedef struct kpa_result {
  bool valid;             /* false: a window is empty; no decision, state unchanged */
  int32_t desired;        /* DesiredPodCount, before the controller's bounds */
  int32_t ebc;            /* ExcessBurstCapacity: floor(R * total - TBC - P) (unused upstream) */
  double stable;          /* S: stable window average of the tick sums */
  double panic;           /* P: panic window average */
  double max_scale_up;    /* max(1, ceil(up_rate * max(0, R))) */
  double max_scale_down;  /* floor(max(0, R) / down_rate) */
  double dspc;            /* ceil(S / target), before the limits */
  double dppc;            /* ceil(P / target), before the limits */
  int32_t desired_stable; /* dspc within the limits, after activation scale */
  int32_t desired_panic;  /* dppc within the limits, after activation scale */
  bool over_threshold;    /* dppc / max(1, R) >= panic_threshold */
  bool panicking;         /* in panic after this decision */
  int32_t max_panic_pods; /* after this decision */
  int32_t undelayed;      /* the result before the scale-down delay window */
} kpa_result;

/* KpaAutoscaler.Scale with R = ready_pods at now_us; fills *out, returns out->valid. */
bool kpa_scale(kpa_state *s, int32_t ready_pods, int64_t now_us, kpa_result *out);

/* --- The legacy `domain` metric source (metrics/utils.go), the GPU optimizer's endpoint --- */

/* The URL the legacy controller GETs for a `domain` source: protocol "://" endpoint, then
 * ":" port when port > 0 and the endpoint has no port of its own, then "/" and the path without
 * its leading '/'. Writes at most n bytes; false when it does not fit. */
bool kpa_domain_url(const char *protocol, const char *endpoint, int32_t port, const char *path,
                    char *buf, size_t n);

/* --- The legacy controller's boundary checks (reconcileCustomPA), for KPA and APA --- */

typedef enum aibrix_legacy_gate {
  AIBRIX_LEGACY_DISABLED, /* current == 0 and min != 0: autoscaling off, nothing is written */
  AIBRIX_LEGACY_TO_MAX,   /* current > max: go to max without running the algorithm */
  AIBRIX_LEGACY_TO_MIN,   /* current < min: go to min without running the algorithm */
  AIBRIX_LEGACY_RUN,      /* run the algorithm, then aibrix_legacy_bound */
} aibrix_legacy_gate;

/* Checked in this order; *desired becomes current, max or min (untouched for RUN). */
aibrix_legacy_gate aibrix_legacy_check(int32_t current, int32_t min, int32_t max, int32_t *desired);
/* After the algorithm: a negative result counts as 0; above max -> max, else below min -> min. */
int32_t aibrix_legacy_bound(int32_t min, int32_t max, int32_t algorithm_result);

#endif
