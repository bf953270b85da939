/*
 * apa: the legacy AIBrix APA (PodAutoscaler scalingStrategy APA, AIBrix v0.2.0 ... v0.4.1), which
 * keeps the mean metric per ready pod within a tolerance band around the target.
 *
 * Upstream: vllm-project/aibrix at tag v0.4.1: pkg/controller/podautoscaler/scaler/apa.go
 * (ApaScalingContext, ApaAutoscaler.Scale), algorithm/apa.go (ComputeTargetReplicas, after Huo
 * et al., "High Concurrency Response Strategy based on Kubernetes Horizontal Pod Autoscaler",
 * 2023), common/context.go (rates, targetValue), metrics/client.go (APAMetricsClient). What the
 * simulation takes from it: docs/autoscalers.md. AIBrix v0.5+ APA differs (0.1/0.1 tolerances,
 * spec.replicas, stabilization).
 *
 * Metric. Every reconcile (10 s) the controller records the SUM of the metric over the active
 * pods (Ready, with an IP, not terminating; pods whose scrape fails add nothing) into one window
 * (models/autoscalers/window.h, 1 s granularity, 60 s by default). Unlike the KPA, the APA records
 * even when there is no active pod: the empty sum, 0 (apa_record_pods does this; apa_record takes
 * the sum).
 *
 * Decision (apa_scale, R = ready pods, Running and Ready): V = window average; with R == 0 there
 * is no decision (invalid, nothing is scaled). u = V / R, r = u / target (in this order: the
 * floating-point result is what decides, e.g. 6 * (18 / 30) = 3.5999999999999996 -> 4), then
 *   r > 1 + up_tolerance:    min(ceil(R * r), ceil(max_scale_up_rate * R))
 *   r < 1 - down_tolerance:  max(ceil(R * r), floor(R / max_scale_down_rate))
 *   otherwise:               R
 * (both comparisons strict: a ratio exactly at 1 + up or 1 - down holds). The controller then
 * applies its boundary checks (aibrix_legacy_check / aibrix_legacy_bound in
 * models/autoscalers/kpa.h). There is no panic mode, stabilization or delay.
 *
 * Annotations. The rates use the base keys autoscaling.aibrix.ai/max-scale-{up,down}-rate; the
 * tolerances and window only the apa.-prefixed keys. The un-prefixed
 * autoscaling.aibrix.ai/{up,down}-fluctuation-tolerance, which the AIBrix samples and
 * TestApaScale2 use, is NOT read: upstream ignores it and the defaults 0.1 / 0.2 apply.
 *
 * Arithmetic follows the Go code (IEEE doubles, ceil/floor, int32 truncation, saturating here);
 * annotation values parse as Go parses them (models/autoscalers/gosem.h). Errors: apa_params_set
 * and apa_params_check report bad user input in a ps_err; broken invariants are assertions. The
 * state owns its window (apa_state_free); apa_scale reads the state only and does no I/O.
 */
#ifndef PODSCALE_APA_H
#define PODSCALE_APA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "models/autoscalers/window.h"

#define APA_KEY_MAX_SCALE_UP_RATE "autoscaling.aibrix.ai/max-scale-up-rate"
#define APA_KEY_MAX_SCALE_DOWN_RATE "autoscaling.aibrix.ai/max-scale-down-rate"
#define APA_KEY_UP_TOLERANCE "apa.autoscaling.aibrix.ai/up-fluctuation-tolerance"
#define APA_KEY_DOWN_TOLERANCE "apa.autoscaling.aibrix.ai/down-fluctuation-tolerance"
#define APA_KEY_WINDOW "apa.autoscaling.aibrix.ai/window"

typedef struct apa_params {
  double target;              /* targetValue: metric per pod (metric units) */
  double max_scale_up_rate;   /* 2: at most ceil(2 * ready) */
  double max_scale_down_rate; /* 2: at least floor(ready / 2) */
  double up_tolerance;        /* 0.1: hold while r <= 1.1 */
  double down_tolerance;      /* 0.2: hold while r >= 0.8 */
  int64_t window_us;          /* 60 s: the averaging window */
} apa_params;

/* Legacy defaults (NewApaScalingContext) with the given targetValue. */
apa_params apa_params_default(double target);
/* Whether the legacy APA reads this annotation key (the un-prefixed tolerance keys: no). */
bool apa_annotation_known(const char *key);
/* Set one parameter from its annotation; false, *p unchanged and a message in *e when the key is
 * not one the legacy APA reads or the value does not parse (float, or a non-negative Go
 * duration for the window). */
bool apa_params_set(apa_params *p, const char *key, const char *value, ps_err *e);
/* False with a message when the window is negative. */
bool apa_params_check(const apa_params *p, ps_err *e);

typedef struct apa_state {
  apa_params params; /* the scaling context; the window length is frozen at creation */
  twin window;       /* per-tick sums over window_us */
} apa_state;

/* NewApaAutoscaler; the params must pass apa_params_check. */
void apa_state_init(apa_state *s, const apa_params *p);
void apa_state_free(apa_state *s);
/* UpdateScalingContext: take new params, keeping the window length. */
void apa_state_update(apa_state *s, const apa_params *p);
/* One tick's sample: the sum of the metric over the active pods, 0 when there are none. */
void apa_record(apa_state *s, int64_t now_us, double tick_sum);
/* Sum values[0..n) in order and record it, also when n == 0 (then 0 is recorded). */
void apa_record_pods(apa_state *s, int64_t now_us, const double *values, size_t n);

typedef enum apa_move { APA_HOLD, APA_UP, APA_DOWN } apa_move;

typedef struct apa_result {
  bool valid;            /* false: empty window or no ready pod; no decision */
  int32_t desired;       /* DesiredPodCount, before the controller's bounds */
  apa_move move;         /* which branch decided */
  double value;          /* V: window average of the tick sums */
  double use_per_pod;    /* u = V / R */
  double ratio;          /* r = u / target */
  double max_scale_up;   /* ceil(up_rate * R) (APA_UP) */
  double max_scale_down; /* floor(R / down_rate) (APA_DOWN) */
} apa_result;

/* ApaAutoscaler.Scale with R = ready_pods (>= 0); fills *out, returns out->valid. */
bool apa_scale(const apa_state *s, int32_t ready_pods, apa_result *out);

#endif
