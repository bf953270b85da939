/*
 * policy: who each autoscaler generation scrapes and counts, how a tick's sample is aggregated,
 * the controllers' boundary checks and the units each kind sees (models/autoscalers/policy.h),
 * checked against the upstream controllers (docs/autoscalers.md, "What they see"),
 * through policy_tick on hand-built observations; then policies loaded from scenario files and run
 * by the cluster.
 *
 * Pods that should not be scraped are given non-zero gauges on purpose, so that counting one of
 * them by mistake changes the result.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "models/autoscalers/policy.h"
#include "sim/run/cluster.h"
#include "sim/scenario/scenario.h"
#include "testutil.h"

#define S INT64_C(1000000) /* one second in microseconds */
#define N_OF(a) ((uint32_t)(sizeof(a) / sizeof((a)[0])))

/* ---- helpers ---- */

/* Exact comparison where NaN matches NaN (a field that does not apply). */
#define assert_double_same(got, want)                                                              \
  do {                                                                                             \
    double g_ = (got), w_ = (want);                                                                \
    if (!(isnan(w_) ? isnan(g_) : g_ == w_)) {                                                     \
      print_error("%s = %.17g, expected %.17g\n", #got, g_, w_);                                   \
      fail();                                                                                      \
    }                                                                                              \
  } while (0)

/* Every field of a logged decision, in this order in the table below. */
typedef struct want {
  int32_t desired, ready, recommendation;
  double value, stable, panic;
  int panic_mode;
  const char *reason; /* NULL: not compared */
} want;

/* The fields of a decision a step compares: all of them (0: the decision is logged and every
 * field of `want` matches, NaN matching NaN), or only the ones named. */
enum {
  CHK_DESIRED = 1 << 0,
  CHK_READY = 1 << 1,
  CHK_RECOMMENDATION = 1 << 2,
  CHK_VALUE = 1 << 3,
  CHK_STABLE = 1 << 4,
  CHK_PANIC = 1 << 5,
  CHK_PANIC_MODE = 1 << 6,
  CHK_REASON = 1 << 7,
};

/* false if got is expected; else true, with what differs in why. */
static bool int_differs(const char *field, int64_t got, int64_t expected, char *why, size_t n) {
  if (got == expected) return false;
  snprintf(why, n, "%s = %" PRId64 ", expected %" PRId64, field, got, expected);
  return true;
}

static bool double_differs(const char *field, double got, double expected, char *why, size_t n) {
  if (isnan(expected) ? isnan(got) : got == expected) return false;
  snprintf(why, n, "%s = %.17g, expected %.17g", field, got, expected);
  return true;
}

/* A NULL expected reason is not compared. */
static bool reason_differs(const char *got, const char *expected, char *why, size_t n) {
  if (!expected || (got && strcmp(got, expected) == 0)) return false;
  snprintf(why, n, "reason = \"%s\", expected \"%s\"", got ? got : "(null)", expected);
  return true;
}

/* Whether decision d differs from w in the fields `only` names (all if 0); if so, how, in why. */
static bool decision_differs(const policy_decision *d, want w, unsigned only, char *why, size_t n) {
  unsigned f = only ? only : ~0u;
  if (!only && !d->logged) {
    snprintf(why, n, "the decision is not logged");
    return true;
  }
  return ((f & CHK_DESIRED) && int_differs("desired", d->desired, w.desired, why, n)) ||
         ((f & CHK_READY) && int_differs("ready", d->ready, w.ready, why, n)) ||
         ((f & CHK_RECOMMENDATION) &&
          int_differs("recommendation", d->recommendation, w.recommendation, why, n)) ||
         ((f & CHK_VALUE) && double_differs("value", d->value, w.value, why, n)) ||
         ((f & CHK_STABLE) && double_differs("stable", d->stable, w.stable, why, n)) ||
         ((f & CHK_PANIC) && double_differs("panic", d->panic, w.panic, why, n)) ||
         ((f & CHK_PANIC_MODE) && int_differs("panic_mode", d->panic_mode, w.panic_mode, why, n)) ||
         ((f & CHK_REASON) && reason_differs(d->reason, w.reason, why, n));
}

/* A pod in phase POD_PHASE_<ph> with KV cache usage u, or with n requests running. */
#define KV(ph, u)                                                                                  \
  { .phase = POD_PHASE_##ph, .kv_usage = (u) }
#define RUN(ph, n)                                                                                 \
  { .phase = POD_PHASE_##ph, .running = (n) }

/* A configuration as the scenario loader makes one: defaults, then the spec, then finish. */
static void configure(policy_config *cfg, policy_kind kind, policy_variant variant, int32_t min,
                      int32_t max, policy_metric metric, double target) {
  policy_config_defaults(cfg, kind, variant);
  cfg->min_replicas = min;
  cfg->max_replicas = max;
  cfg->metric = metric;
  cfg->target_value = target;
  ps_err e = {{0}};
  if (!policy_config_finish(cfg, &e)) fail_msg("policy_config_finish: %s", e.msg);
}

/* One tick at t_us with spec.replicas `current` and the given pods: the decision, and in *ret
 * what policy_tick returned. */
static policy_decision tick(policy_inst *p, int64_t t_us, int32_t current, const policy_pod *pods,
                            uint32_t npods, int32_t *ret) {
  policy_obs o = {
      .now_us = t_us, .deployment = 0, .current = current, .pods = pods, .npods = npods};
  policy_decision d;
  *ret = policy_tick(p, &o, &d);
  return d;
}

/* ---- policy_tick, case by case ---- */

#define MAX_PODS 7
#define MAX_STEPS 3

/* One tick: at t_us, spec.replicas `current`, these pods; the decision expected. */
typedef struct tick_step {
  int64_t t_us;
  int32_t current;
  policy_pod pods[MAX_PODS];
  uint32_t npods;
  want expect;
  unsigned only; /* the CHK_ fields compared; 0: all of them */
} tick_step;

/* A fresh policy configured as the scenario loader does, then its ticks in order. */
typedef struct tick_case {
  const char *name;
  policy_kind kind;
  policy_variant variant;
  int32_t min, max;
  policy_metric metric;
  double target;
  int64_t period_us; /* if not 0: the tick period the configuration must have */
  tick_step steps[MAX_STEPS];
  uint32_t nsteps;
} tick_case;

/* A step; its pods, and the steps of a case, each with its count. */
#define STEP(t_us, current, pods, ...)                                                             \
  { t_us, current, pods, __VA_ARGS__ }
#define PODS(...) .pods = {__VA_ARGS__}, .npods = N_OF(((policy_pod[]){__VA_ARGS__}))
#define STEPS(...) .steps = {__VA_ARGS__}, .nsteps = N_OF(((tick_step[]){__VA_ARGS__}))

/* Steps: STEP(t_us, current, PODS(pods), want[, CHK_ fields]), where a full want is
 * {desired, ready, recommendation, value, stable, panic, panic_mode, reason}. */
static const tick_case tick_cases[] = {
    /* -- AIBrix legacy KPA, and the boundary checks of its controller (reconcileCustomPA) -- */

    /* Only Ready pods are scraped; the sample is their sum and `ready` counts them (not the
     * terminating one). Created with 2 replicas, the scaler starts in panic.
     * S = P = 0.75: ceil(1.5) = 2 within [floor(2/2), ceil(2*2)]; 2/2 < 2 but the scaler was
     * created in panic with max panic pods 2. Counting any other pod would make the sum >= 1.25. */
    {"legacy_kpa_sums_the_metric_over_ready_pods_only", POLICY_KPA, POLICY_AIBRIX_LEGACY, 1, 10,
     METRIC_GPU_CACHE_USAGE, 0.5,
     STEPS(STEP(0, 2,
                PODS(KV(UNSCHEDULED, 0.5), KV(INITIALIZING, 0.5), KV(LOADING, 0.5),
                     KV(UNREADY, 0.5), KV(READY, 0.25), KV(READY, 0.5), KV(TERMINATING, 0.5)),
                {2, 2, 2, 0.75, 0.75, 0.75, 1, "panic window"}))},

    /* No Ready pod: the KPA records nothing, so a later tick's stable average holds only the
     * later sample (0.25, not (0 + 0.25) / 2). */
    {"legacy_kpa_records_nothing_without_a_ready_pod", POLICY_KPA, POLICY_AIBRIX_LEGACY, 1, 10,
     METRIC_GPU_CACHE_USAGE, 0.5,
     STEPS(
         STEP(0, 1, PODS(KV(LOADING, 0.5), KV(TERMINATING, 0.5)),
              {1, 0, -1, NAN, NAN, NAN, -1, "no metric data yet"}),
         STEP(10 * S, 1, PODS(KV(READY, 0.25)), {1, 1, 1, 0.25, 0.25, 0.25, 0, "stable window"}))},

    /* The legacy controller records the tick's sample before its boundary checks
     * (reconcileCustomPA): a tick short-cut by "current 0, min 1" still feeds the stable window.
     * Second tick: stable (60 s) = (0.75 + 0.25) / 2; the 10 s panic window keeps only the latest
     * sample. */
    {"legacy_kpa_records_the_sample_before_the_controller_gate", POLICY_KPA, POLICY_AIBRIX_LEGACY,
     1, 10, METRIC_GPU_CACHE_USAGE, 0.5,
     STEPS(STEP(0, 0, PODS(KV(READY, 0.75)),
                {0, 1, -1, 0.75, NAN, NAN, -1, "scaled to zero: autoscaling off"}),
           STEP(10 * S, 1, PODS(KV(READY, 0.25)), {1, 1, 1, 0.25, 0.5, 0.25, 0, "stable window"}))},

    /* The gate (min 2, max 3): current 0 with a min above 0: nothing is written; above max: max;
     * below min: min; the algorithm does not run in any of them. */
    {"legacy_kpa_gate_holds_zero", POLICY_KPA, POLICY_AIBRIX_LEGACY, 2, 3, METRIC_GPU_CACHE_USAGE,
     0.5,
     STEPS(STEP(0, 0, PODS(KV(READY, 0.9), KV(READY, 0.9)),
                {0, 2, -1, 1.8, NAN, NAN, -1, "scaled to zero: autoscaling off"}))},
    {"legacy_kpa_gate_bounds_current_above_max", POLICY_KPA, POLICY_AIBRIX_LEGACY, 2, 3,
     METRIC_GPU_CACHE_USAGE, 0.5,
     STEPS(STEP(0, 5, PODS(KV(READY, 0.9), KV(READY, 0.9)),
                {3, 2, -1, 1.8, NAN, NAN, -1, "above max_replicas"}))},
    {"legacy_kpa_gate_bounds_current_below_min", POLICY_KPA, POLICY_AIBRIX_LEGACY, 2, 3,
     METRIC_GPU_CACHE_USAGE, 0.5,
     STEPS(STEP(0, 1, PODS(KV(READY, 0.9), KV(READY, 0.9)),
                {2, 2, -1, 1.8, NAN, NAN, -1, "below min_replicas"}))},

    /* One Ready pod at 0.9 with target 0.7: dspc = dppc = ceil(0.9 / 0.7) = 2 within [0, 2];
     * 2 / 1 >= 2 enters panic; desired max(2, 2) = 2. */
    {"legacy_kpa_one_pod_at_0_9_of_0_7_panics_to_two", POLICY_KPA, POLICY_AIBRIX_LEGACY, 1, 10,
     METRIC_GPU_CACHE_USAGE, 0.7,
     STEPS(STEP(0, 1, PODS(KV(READY, 0.9)), {2, 1, 2, 0.9, 0.9, 0.9, 1, "panic window"}))},

    /* -- AIBrix legacy APA -- */

    /* No Ready pod: the APA records 0 and makes no decision (it divides by 0 ready pods). The 0
     * stays in the 60 s window: next tick V = (0 + 1.8) / 2, u = 0.45, r = 0.6428... < 0.8 ->
     * max(ceil(2 r), floor(2 / 2)) = 2, where without the 0 it would be 3. */
    {"legacy_apa_records_zero_without_a_ready_pod_and_holds", POLICY_APA, POLICY_AIBRIX_LEGACY, 1,
     10, METRIC_GPU_CACHE_USAGE, 0.7,
     STEPS(STEP(0, 2, PODS(KV(LOADING, 0.9), KV(UNREADY, 0.9)),
                {2, 0, -1, 0, NAN, NAN, -1, "no ready pod"}),
           STEP(10 * S, 2, PODS(KV(READY, 0.9), KV(READY, 0.9)),
                {2, 2, 2, 1.8, 0.9, NAN, -1, "below the down tolerance"}))},

    /* 2 Ready pods at 0.9, target 0.7: r = (1.8 / 2) / 0.7 = 1.2857 > 1.1 ->
     * min(ceil(2 r), ceil(2 * 2)) = min(3, 4) = 3. */
    {"legacy_apa_two_pods_at_0_9_of_0_7_scale_to_three", POLICY_APA, POLICY_AIBRIX_LEGACY, 1, 10,
     METRIC_GPU_CACHE_USAGE, 0.7,
     STEPS(STEP(0, 2, PODS(KV(READY, 0.9), KV(TERMINATING, 0.9), KV(READY, 0.9)),
                {3, 2, 3, 1.8, 1.8, NAN, -1, "above the up tolerance"}))},

    /* The APA too records before the boundary checks: V = (1.8 + 0.7) / 2 = 1.25, u = 0.625,
     * r = 0.893 within [0.8, 1.1] -> hold 2 (without the first sample: r = 0.5 -> 1). */
    {"legacy_apa_records_the_sample_before_the_controller_gate", POLICY_APA, POLICY_AIBRIX_LEGACY,
     1, 10, METRIC_GPU_CACHE_USAGE, 0.7,
     STEPS(STEP(0, 0, PODS(KV(READY, 0.9), KV(READY, 0.9)),
                {.desired = 0, .reason = "scaled to zero: autoscaling off"},
                CHK_DESIRED | CHK_REASON),
           STEP(10 * S, 2, PODS(KV(READY, 0.35), KV(READY, 0.35)),
                {2, 2, 2, 0.7, 1.25, NAN, -1, "within tolerance"}))},

    /* -- AIBrix v0.5+ -- */

    /* Every pod with an IP: unscheduled skipped, initializing and loading read 0, the others their
     * gauge; the sample is the mean (0 + 0 + 0.5 + 0.75 + 0.25) / 5 = 0.3. The algorithm gets
     * spec.replicas 5: ceil(0.3 / 0.5) = 1 raised to floor(5 / 2) = 2. */
    {"v05_kpa_means_over_every_pod_with_an_ip", POLICY_KPA, POLICY_AIBRIX_V05, 1, 10,
     METRIC_GPU_CACHE_USAGE, 0.5,
     STEPS(STEP(0, 5,
                PODS(KV(UNSCHEDULED, 0.5), KV(INITIALIZING, 0.5), KV(LOADING, 0.5),
                     KV(UNREADY, 0.5), KV(READY, 0.75), KV(TERMINATING, 0.25)),
                {2, 1, 2, 1.5 / 5, 1.5 / 5, 1.5 / 5, 0, "stable window"}))},

    /* The v0.5+ APA on the same per-pod mean with n = spec.replicas: 2 Ready at 0.9 and 2 loading
     * (read as 0) give 0.45; r = 0.643 < 0.9 -> max(ceil(4 r), floor(4 / 2)) = 3. */
    {"v05_apa_divides_the_mean_by_the_target_with_spec_replicas", POLICY_APA, POLICY_AIBRIX_V05, 1,
     10, METRIC_GPU_CACHE_USAGE, 0.7,
     STEPS(STEP(0, 4, PODS(KV(READY, 0.9), KV(READY, 0.9), KV(LOADING, 0.9), KV(LOADING, 0.9)),
                {3, 2, 3, 1.8 / 4, 1.8 / 4, 1.8 / 4, -1, "stable window"}))},

    /* v0.5+ short-cuts before collecting: the tick above max records nothing, so the next tick's
     * windows hold only its own sample (0.25, not (0.75 + 0.25) / 2).
     * Second tick: S = P = 0.25 < 0.45: ceil(0.5) = 1 within [floor(3/2), 6] -> 1; down at once
     * (first rec). */
    {"v05_gate_fires_before_the_scrape", POLICY_KPA, POLICY_AIBRIX_V05, 1, 3,
     METRIC_GPU_CACHE_USAGE, 0.5,
     STEPS(STEP(0, 5, PODS(KV(READY, 0.75), KV(READY, 0.75), KV(READY, 0.75)),
                {3, 3, -1, NAN, NAN, NAN, -1, "above max_replicas"}),
           STEP(10 * S, 3, PODS(KV(READY, 0.25), KV(READY, 0.25), KV(READY, 0.25)),
                {1, 3, 1, 0.25, 0.25, 0.25, 0, "stable window"}))},

    /* Pods without an IP only: nothing to scrape, no scaling. */
    {"v05_with_only_unscheduled_pods_does_not_scale", POLICY_KPA, POLICY_AIBRIX_V05, 1, 10,
     METRIC_GPU_CACHE_USAGE, 0.5,
     STEPS(STEP(0, 2, PODS(KV(UNSCHEDULED, 0.9), KV(UNSCHEDULED, 0.9)),
                {2, 0, -1, NAN, NAN, NAN, -1, "no pod to scrape"}))},

    /* The cooldown's scale-down branch (stabilizeRecommendation) takes the MIN of the last 300 s:
     * current 4: t0 rec 4 -> 4; t10 rec 6 -> 6 (S = P = (4 + 8) / 2 = 6); t20 (current 6) rec 5
     * (S = P = (4 + 8 + 3) / 3 = 5) -> min{4, 6, 5} = 4. Metric: requests running, target 1, so
     * each window average is the recommendation. */
    {"v05_scale_down_goes_to_the_minimum_recommendation_of_300s", POLICY_KPA, POLICY_AIBRIX_V05, 1,
     10, METRIC_RUNNING, 1,
     STEPS(STEP(0, 4, PODS(RUN(READY, 4), RUN(READY, 4), RUN(READY, 4), RUN(READY, 4)),
                {4, 4, 4, 4, 4, 4, 0, "stable window"}),
           STEP(10 * S, 4, PODS(RUN(READY, 8), RUN(READY, 8), RUN(READY, 8), RUN(READY, 8)),
                {6, 4, 6, 8, 6, 6, 0, "stable window"}),
           STEP(20 * S, 6,
                PODS(RUN(READY, 3), RUN(READY, 3), RUN(READY, 3), RUN(READY, 3), RUN(READY, 3),
                     RUN(READY, 3)),
                {4, 6, 5, 3, 5, 5, 0, "held by the cooldown window"}))},

    /* -- Kubernetes HPA as AIBrix legacy writes it (target 70 %, synced every 15 s) -- */

    /* Cache usage reaches the HPA in percent: 2 Ready pods at 0.9 read 90 each; usage 90 / 70 =
     * 1.2857 is outside the 0.1 tolerance -> ceil(1.2857 * 2) = 3; the legacy limit max(2*2, 4). */
    {"hpa_sees_cache_usage_in_percent_and_scales_by_the_usage_ratio", POLICY_HPA,
     POLICY_AIBRIX_LEGACY, 1, 10, METRIC_GPU_CACHE_USAGE, 70, .period_us = 15 * S,
     STEPS(STEP(0, 2, PODS(KV(READY, 0.9), KV(READY, 0.9)),
                {.desired = 3, .ready = 2, .recommendation = 3, .value = 90},
                CHK_DESIRED | CHK_READY | CHK_RECOMMENDATION | CHK_VALUE))},

    /* groupPods, on one sync of a fresh HPA each: Pending (unscheduled, initializing) -> unready,
     * Running without a sample (loading) -> missing, being deleted -> ignored, Running with a
     * sample -> counted whatever its readiness. Each case is chosen so that another grouping gives
     * another proposal. */

    /* Unready on a scale-up count as 0: (90 + 90 + 0) / 3 / 70 = 0.857 flips below 1 -> keep
     * current 4 (ignoring the pod would propose ceil(1.2857 * 2) = 3). */
    {"hpa_counts_an_unscheduled_pod_as_unready", POLICY_HPA, POLICY_AIBRIX_LEGACY, 1, 10,
     METRIC_GPU_CACHE_USAGE, 70,
     STEPS(STEP(0, 4, PODS(KV(READY, 0.9), KV(READY, 0.9), KV(UNSCHEDULED, 0.9)),
                {.desired = 4, .recommendation = 4, .value = 90},
                CHK_DESIRED | CHK_RECOMMENDATION | CHK_VALUE))},
    {"hpa_counts_an_initializing_pod_as_unready", POLICY_HPA, POLICY_AIBRIX_LEGACY, 1, 10,
     METRIC_GPU_CACHE_USAGE, 70,
     STEPS(STEP(0, 4, PODS(KV(READY, 0.9), KV(READY, 0.9), KV(INITIALIZING, 0.9)),
                {.desired = 4, .recommendation = 4, .value = 90},
                CHK_DESIRED | CHK_RECOMMENDATION | CHK_VALUE))},

    /* Ignored: ceil(1.2857 * 2) = 3 (counting it would give ceil(1.2857 * 3) = 4, taking it as
     * unready would flip and keep current 2). */
    {"hpa_ignores_a_terminating_pod", POLICY_HPA, POLICY_AIBRIX_LEGACY, 1, 10,
     METRIC_GPU_CACHE_USAGE, 70,
     STEPS(STEP(0, 2, PODS(KV(READY, 0.9), KV(READY, 0.9), KV(TERMINATING, 0.9)),
                {.desired = 3, .recommendation = 3}, CHK_DESIRED | CHK_RECOMMENDATION))},

    /* Running and not Ready with a sample: counted, ceil(1.2857 * 2) = 3. */
    {"hpa_counts_a_running_unready_pod_with_a_sample", POLICY_HPA, POLICY_AIBRIX_LEGACY, 1, 10,
     METRIC_GPU_CACHE_USAGE, 70,
     STEPS(STEP(0, 2, PODS(KV(READY, 0.9), KV(UNREADY, 0.9)),
                {.desired = 3, .ready = 1, .recommendation = 3},
                CHK_DESIRED | CHK_READY | CHK_RECOMMENDATION))},

    /* Missing on a scale-down is taken at the target: r = 35 / 70 = 0.5, then
     * (35000 + 35000 + 70000) / 3 = 46666 milli, r' = 0.66666 -> ceil(0.66666 * 3) = 2 (unready or
     * ignored would give ceil(0.5 * 2) = 1). The legacy 5-minute stabilization, seeded with
     * current 3 at the first sync, holds 3. */
    {"hpa_takes_a_missing_pod_at_the_target_on_a_scale_down", POLICY_HPA, POLICY_AIBRIX_LEGACY, 1,
     10, METRIC_GPU_CACHE_USAGE, 70,
     STEPS(STEP(0, 3, PODS(KV(READY, 0.35), KV(READY, 0.35), KV(LOADING, 0.35)),
                {.desired = 3, .recommendation = 2, .value = (0.35 * 100 + 0.35 * 100) / 2},
                CHK_DESIRED | CHK_RECOMMENDATION | CHK_VALUE))},

    /* The same pod pending instead is left out on a scale-down: ceil(0.5 * 2) = 1. */
    {"hpa_leaves_a_pending_pod_out_on_a_scale_down", POLICY_HPA, POLICY_AIBRIX_LEGACY, 1, 10,
     METRIC_GPU_CACHE_USAGE, 70,
     STEPS(STEP(0, 3, PODS(KV(READY, 0.35), KV(READY, 0.35), KV(INITIALIZING, 0.35)),
                {.desired = 3, .recommendation = 1}, CHK_DESIRED | CHK_RECOMMENDATION))},
};

/* Runs case c; false, after printing which step differs and how, if one does. */
static bool run_tick_case(const tick_case *c) {
  char why[256];
  assert_true(c->nsteps <= MAX_STEPS);
  policy_config cfg;
  configure(&cfg, c->kind, c->variant, c->min, c->max, c->metric, c->target);
  if (c->period_us && int_differs("period_us", cfg.period_us, c->period_us, why, sizeof why)) {
    print_error("%s: %s\n", c->name, why);
    return false;
  }
  policy_inst *p = policy_new(&cfg, 0);
  bool ok = true;
  for (uint32_t i = 0; ok && i < c->nsteps; i++) {
    const tick_step *s = &c->steps[i];
    assert_true(s->npods <= MAX_PODS);
    int32_t ret;
    policy_decision d = tick(p, s->t_us, s->current, s->pods, s->npods, &ret);
    if (int_differs("policy_tick's result", ret, d.desired, why, sizeof why) ||
        decision_differs(&d, s->expect, s->only, why, sizeof why)) {
      print_error("%s, step %u of %u (t = %g s): %s\n", c->name, i + 1, c->nsteps,
                  (double)s->t_us / S, why);
      ok = false;
    }
  }
  policy_free(p);
  return ok;
}

/* Every case of the table, each on a fresh policy; all are run, and each failing one named. */
static void policy_tick_decides_as_each_case_expects(void **state) {
  (void)state;
  uint32_t failed = 0;
  for (uint32_t i = 0; i < N_OF(tick_cases); i++)
    failed += !run_tick_case(&tick_cases[i]);
  if (failed) fail_msg("%u of %u tick cases failed", failed, N_OF(tick_cases));
}

/* ---- Knative KPA ---- */

/* A scrape every second, a decision every 2 s; the sample is the sum over Ready pods (3).
 * Decision: ceil(3 / 2) = 2 for both windows, 2 / max(1, 1) >= 2 panics -> 2. */
static void knative_scrapes_every_second_and_decides_every_two(void **state) {
  (void)state;
  policy_config cfg;
  configure(&cfg, POLICY_KPA, POLICY_KNATIVE, 1, 10, METRIC_RUNNING, 2);
  assert_int_equal(cfg.period_us, 1 * S);
  policy_inst *p = policy_new(&cfg, 0);
  const policy_pod pods[] = {RUN(READY, 3), RUN(UNREADY, 5), RUN(TERMINATING, 7), RUN(LOADING, 11)};
  for (int64_t t = 0; t <= 5; t++) {
    int32_t ret;
    policy_decision d = tick(p, t * S, t == 0 ? 1 : 2, pods, N_OF(pods), &ret);
    assert_int_equal(ret, d.desired);
    assert_double_same(d.value, 3);
    assert_int_equal(d.ready, 1);
    if (t % 2) {
      assert_false(d.logged);
      assert_int_equal(d.desired, 2); /* the current count, untouched */
      continue;
    }
    char why[256];
    if (decision_differs(&d,
                         (want){.desired = 2,
                                .ready = 1,
                                .recommendation = 2,
                                .value = 3,
                                .stable = 3,
                                .panic = 3,
                                .panic_mode = 1,
                                .reason = NULL},
                         0, why, sizeof why))
      fail_msg("t = %" PRId64 " s: %s", t, why);
  }
  policy_free(p);
}

/* ---- Kubernetes HPA: configuration errors ---- */

/* AIBrix writes int64(targetValue): "0.7" becomes AverageValue 0, which Kubernetes rejects. */
static void hpa_target_below_one_is_rejected_with_a_hint_about_percent(void **state) {
  (void)state;
  const struct {
    policy_variant variant;
    const char *needles[2]; /* in the message; NULL: none */
  } cases[] = {
      {POLICY_AIBRIX_LEGACY, {"percent", "70"}},
      {POLICY_AIBRIX_V05, {"percent", NULL}},
  };
  for (uint32_t i = 0; i < N_OF(cases); i++) {
    policy_config cfg;
    policy_config_defaults(&cfg, POLICY_HPA, cases[i].variant);
    cfg.max_replicas = 4;
    cfg.target_value = 0.7;
    ps_err e = {{0}};
    assert_false(policy_config_finish(&cfg, &e));
    for (uint32_t j = 0; j < N_OF(cases[i].needles); j++)
      if (cases[i].needles[j]) assert_non_null(strstr(e.msg, cases[i].needles[j]));
  }
}

/* Cache usage is a fraction for the KPA and APA and a percentage for the HPA: a target outside
 * that range is refused for every autoscaler and generation, and the bounds themselves pass. */
static void cache_targets_outside_the_metrics_range_are_refused(void **state) {
  (void)state;
  const struct {
    policy_kind kind;
    policy_variant variant;
    policy_metric metric;
    double target;
    const char *needle; /* in the message; NULL: accepted */
  } cases[] = {
      {POLICY_KPA, POLICY_AIBRIX_LEGACY, METRIC_GPU_CACHE_USAGE, 70, "write 0.7"},
      {POLICY_APA, POLICY_AIBRIX_LEGACY, METRIC_GPU_CACHE_USAGE, 50, "write 0.5"},
      {POLICY_KPA, POLICY_AIBRIX_V05, METRIC_KV_CACHE_USAGE, 80, "fraction (0 to 1)"},
      {POLICY_APA, POLICY_AIBRIX_V05, METRIC_GPU_CACHE_USAGE, 1.5, "never scales up"},
      {POLICY_KPA, POLICY_KNATIVE, METRIC_GPU_CACHE_USAGE, 70, "write 0.7"},
      {POLICY_KPA, POLICY_AIBRIX_LEGACY, METRIC_GPU_CACHE_USAGE, 700, "never scales up"},
      {POLICY_HPA, POLICY_AIBRIX_LEGACY, METRIC_GPU_CACHE_USAGE, 150, "percent (0 to 100)"},
      {POLICY_HPA, POLICY_AIBRIX_V05, METRIC_KV_CACHE_USAGE, 101, "only scales down"},
      {POLICY_HPA, POLICY_KUBERNETES, METRIC_GPU_CACHE_USAGE, 0.5, "write 50"},
      {POLICY_KPA, POLICY_AIBRIX_LEGACY, METRIC_GPU_CACHE_USAGE, 1, NULL},
      {POLICY_APA, POLICY_AIBRIX_V05, METRIC_GPU_CACHE_USAGE, 0.05, NULL},
      {POLICY_HPA, POLICY_AIBRIX_LEGACY, METRIC_GPU_CACHE_USAGE, 100, NULL},
      {POLICY_HPA, POLICY_KUBERNETES, METRIC_GPU_CACHE_USAGE, 1, NULL},
      {POLICY_KPA, POLICY_AIBRIX_LEGACY, METRIC_RUNNING, 70, NULL},
      {POLICY_HPA, POLICY_KUBERNETES, METRIC_WAITING, 0.5, NULL},
  };
  for (uint32_t i = 0; i < N_OF(cases); i++) {
    policy_config cfg;
    policy_config_defaults(&cfg, cases[i].kind, cases[i].variant);
    cfg.max_replicas = 4;
    cfg.metric = cases[i].metric;
    cfg.target_value = cases[i].target;
    ps_err e = {{0}};
    bool ok = policy_config_finish(&cfg, &e);
    if (ok != (cases[i].needle == NULL) || (cases[i].needle && !strstr(e.msg, cases[i].needle)))
      fail_msg("case %u (%s/%s %s %g): %s", i, policy_kind_name(cases[i].kind),
               policy_variant_name(cases[i].variant), policy_metric_name(cases[i].metric),
               cases[i].target, ok ? "accepted" : e.msg);
  }
}

/* ---- units ---- */

static void metric_value_is_a_fraction_for_kpa_apa_and_percent_for_hpa(void **state) {
  (void)state;
  const policy_pod p = {.phase = POD_PHASE_READY, .running = 3, .waiting = 5, .kv_usage = 0.25};
  assert_double_same(policy_metric_value(METRIC_GPU_CACHE_USAGE, POLICY_KPA, &p), 0.25);
  assert_double_same(policy_metric_value(METRIC_KV_CACHE_USAGE, POLICY_APA, &p), 0.25);
  assert_double_same(policy_metric_value(METRIC_GPU_CACHE_USAGE, POLICY_HPA, &p), 25);
  assert_double_same(policy_metric_value(METRIC_KV_CACHE_USAGE, POLICY_HPA, &p), 25);
  for (policy_kind k = POLICY_HPA; k <= POLICY_APA; k++) {
    assert_double_same(policy_metric_value(METRIC_RUNNING, k, &p), 3);
    assert_double_same(policy_metric_value(METRIC_WAITING, k, &p), 5);
  }
  const policy_pod q = KV(READY, 0.9);
  assert_double_same(policy_metric_value(METRIC_GPU_CACHE_USAGE, POLICY_HPA, &q), 90);
}

/* ---- annotations ---- */

static void annotations_are_read_only_by_the_generation_that_reads_them(void **state) {
  (void)state;
  policy_config cfg;
  ps_err e = {{0}};
  policy_config_defaults(&cfg, POLICY_KPA, POLICY_AIBRIX_V05);
  assert_false(policy_annotation_set(&cfg, "kpa.autoscaling.aibrix.ai/scale-down-delay", "3m", &e));
  assert_non_null(strstr(e.msg, "kpa.autoscaling.aibrix.ai/scale-down-delay"));
  assert_true(
      policy_annotation_set(&cfg, "autoscaling.aibrix.ai/scale-down-cooldown-window", "60s", &e));
  assert_int_equal(cfg.aibrix5.scale_down_cooldown_us, 60 * S);

  policy_config_defaults(&cfg, POLICY_KPA, POLICY_AIBRIX_LEGACY);
  assert_false(policy_annotation_set(&cfg, "apa.autoscaling.aibrix.ai/window", "30s", &e));
  assert_non_null(strstr(e.msg, "apa.autoscaling.aibrix.ai/window"));
  assert_false(
      policy_annotation_set(&cfg, "autoscaling.aibrix.ai/scale-down-cooldown-window", "60s", &e));
  assert_int_equal(cfg.kpa.scale_down_delay_us, 30 * 60 * S); /* legacy default: 30 minutes */
  assert_true(policy_annotation_set(&cfg, "kpa.autoscaling.aibrix.ai/scale-down-delay", "3m", &e));
  assert_int_equal(cfg.kpa.scale_down_delay_us, 180 * S);

  policy_config_defaults(&cfg, POLICY_APA, POLICY_AIBRIX_LEGACY);
  assert_false(policy_annotation_set(&cfg, "kpa.autoscaling.aibrix.ai/scale-down-delay", "3m", &e));
  policy_config_defaults(&cfg, POLICY_HPA, POLICY_AIBRIX_LEGACY);
  assert_false(policy_annotation_set(&cfg, "autoscaling.aibrix.ai/max-scale-up-rate", "3", &e));
}

/* ---- scenarios: loaded and run by the cluster ---- */

/* Slot pods (4 slots, 1 s per request, 20 s to Ready), 120 s at 0.5 req/s then 120 s at 8 req/s
 * with nearly regular arrivals. Policy 0 holds 1 pod; policy 1 is a legacy KPA on requests
 * running with target 2, and `extra_policy` (if any) is appended. */
static void write_step_scenario(const char *dir, const char *extra_policy, char *path, size_t n) {
  char text[4096];
  snprintf(text, sizeof text,
           "{\"seed\": 7, \"workload\": {\"arrivals\": {\"type\": \"segments\", \"process\": "
           "\"gamma\", \"cv\": 0.01, \"segments\": [{\"duration_s\": 120, \"rate\": 0.5}, "
           "{\"duration_s\": 120, \"rate\": 8}]}, \"input_tokens\": {\"dist\": \"constant\", "
           "\"value\": 1}, \"output_tokens\": {\"dist\": \"constant\", \"value\": 1}},\n"
           "\"gpus\": [{\"name\": \"G\", \"price_per_hour\": 1}],\n"
           "\"deployments\": [{\"name\": \"d\", \"gpu\": \"G\", \"startup_s\": 20, \"model\": "
           "{\"type\": \"slots\", \"slots\": 4, \"service_s\": {\"dist\": \"constant\", "
           "\"value\": 1}}}],\n"
           "\"policies\": [{\"name\": \"one\", \"type\": \"fixed\", \"replicas\": 1},\n"
           "  {\"name\": \"kpa\", \"type\": \"kpa\", \"spec\": {\"minReplicas\": 1, "
           "\"maxReplicas\": 4, \"metricsSources\": [{\"targetMetric\": \"num_requests_running\", "
           "\"targetValue\": \"2\"}]}}%s%s]}",
           extra_policy ? ",\n  " : "", extra_policy ? extra_policy : "");
  tu_write(dir, "s.json", text, path, n);
}

typedef struct first_up {
  bool seen;
  cluster_decision d; /* the first decision that raised the replicas */
  policy_decision pd; /* a copy of its evaluation */
} first_up;

static void on_decision(void *ctx, const cluster_decision *d) {
  first_up *f = ctx;
  if (f->seen || d->desired <= d->current) return;
  f->seen = true;
  f->d = *d;
  f->pd = *d->d;
}

static cluster_result run_policy(const scenario *sc, uint32_t policy, first_up *f) {
  cluster_hooks h = {.ctx = f, .decision = on_decision};
  cluster_result r;
  memset(&r, 0, sizeof r);
  cluster_run(sc, policy, sc->seed, &h, &r);
  return r;
}

static void assert_same_result(const cluster_result *a, const cluster_result *b) {
  assert_int_equal(a->events, b->events);
  assert_int_equal(a->requests, b->requests);
  assert_int_equal(a->end_us, b->end_us);
  assert_double_same(a->cost, b->cost);
  assert_double_same(a->gpu_hours, b->gpu_hours);
  assert_int_equal(a->scale_ups, b->scale_ups);
  assert_int_equal(a->scale_downs, b->scale_downs);
  assert_int_equal(a->peak_pods, b->peak_pods);
}

/* The KPA scales up after the step and not before: its first scale-up is the tick after the
 * step, where the one Ready pod runs all 4 slots: ceil(4 / 2) = 2, 2 / 1 >= 2 panics. The fixed
 * policy never scales. Both runs are deterministic. */
static void scenario_legacy_kpa_scales_up_on_a_step_and_fixed_does_not(void **state) {
  (void)state;
  char dir[64], path[128];
  tu_tmpdir(dir);
  write_step_scenario(dir, NULL, path, sizeof path);
  scenario sc;
  ps_err err = {{0}};
  if (!scenario_load(path, &sc, &err)) fail_msg("scenario_load: %s", err.msg);
  assert_int_equal(sc.npolicies, 2);
  const policy_config *k = &sc.policies[1].cfg;
  assert_int_equal(k->kind, POLICY_KPA);
  assert_int_equal(k->variant, POLICY_AIBRIX_LEGACY);
  assert_int_equal(k->metric, METRIC_RUNNING);
  assert_double_same(k->target_value, 2);
  assert_int_equal(k->min_replicas, 1);
  assert_int_equal(k->max_replicas, 4);
  assert_int_equal(k->initial_replicas, 1);
  assert_int_equal(k->period_us, 10 * S);

  first_up f0 = {0}, f1 = {0}, f1b = {0};
  cluster_result fixed = run_policy(&sc, 0, &f0);
  assert_int_equal(fixed.peak_pods, 1);
  assert_int_equal(fixed.scale_ups, 0);
  assert_int_equal(fixed.scale_downs, 0);
  assert_false(f0.seen);

  cluster_result kpa = run_policy(&sc, 1, &f1);
  assert_true(kpa.peak_pods > 1);
  assert_true(kpa.peak_pods <= 4);
  assert_true(kpa.scale_ups > 0);
  assert_true(f1.seen);
  assert_int_equal(f1.d.time_us, 130 * S);
  assert_int_equal(f1.d.current, 1);
  assert_int_equal(f1.d.desired, 2);
  assert_int_equal(f1.pd.ready, 1);
  assert_double_same(f1.pd.value, 4);
  assert_double_same(f1.pd.panic, 4);
  assert_int_equal(f1.pd.panic_mode, 1);
  assert_int_equal(f1.pd.recommendation, 2);

  cluster_result again = run_policy(&sc, 1, &f1b);
  assert_same_result(&kpa, &again);
  assert_int_equal(f1b.d.time_us, f1.d.time_us);
  cluster_result fixed_again = run_policy(&sc, 0, &f0);
  assert_same_result(&fixed, &fixed_again);
  scenario_free(&sc);
  tu_rmrf(dir);
}

/* Loading the step scenario with `policy` appended (policies[2]) fails; the message starts
 * with "FILE: <json_path>: " and contains `needle` (if not NULL). */
static void assert_policy_rejected(const char *policy, const char *json_path, const char *needle) {
  char dir[64], path[128];
  tu_tmpdir(dir);
  write_step_scenario(dir, policy, path, sizeof path);
  scenario sc;
  ps_err err = {{0}};
  bool ok = scenario_load(path, &sc, &err);
  if (ok) {
    scenario_free(&sc);
    tu_rmrf(dir);
    fail_msg("scenario_load accepted the policy %s", policy);
  }
  char prefix[256];
  snprintf(prefix, sizeof prefix, "%s: %s: ", path, json_path);
  if (strncmp(err.msg, prefix, strlen(prefix)) != 0)
    fail_msg("message does not start with \"%s\": %s", prefix, err.msg);
  if (needle && !strstr(err.msg, needle)) fail_msg("message lacks \"%s\": %s", needle, err.msg);
  tu_rmrf(dir);
}

#define SPEC_KV(strategy_kv, target)                                                               \
  "\"spec\": {" strategy_kv "\"minReplicas\": 1, \"maxReplicas\": 4, \"metricsSources\": "         \
  "[{\"targetMetric\": \"gpu_cache_usage_perc\", \"targetValue\": \"" target "\"}]}"

/* A policy that loading rejects: the policy's JSON, the JSON path the message starts with and a
 * text the message contains (if not NULL). */
typedef struct rejection {
  const char *policy, *json_path, *needle;
} rejection;

static void assert_policies_rejected(const rejection *r, uint32_t n) {
  for (uint32_t i = 0; i < n; i++)
    assert_policy_rejected(r[i].policy, r[i].json_path, r[i].needle);
}

static void scenario_rejects_policy_keys_the_generation_does_not_read(void **state) {
  (void)state;
  static const rejection cases[] = {
      /* An annotation of another generation. */
      {"{\"name\": \"x\", \"type\": \"kpa\", " SPEC_KV(
           "", "0.7") ", \"annotations\": "
                      "{\"autoscaling.aibrix.ai/scale-down-cooldown-window\": \"60s\"}}",
       "policies[2].annotations.autoscaling.aibrix.ai/scale-down-cooldown-window",
       "is not read by"},
      {"{\"name\": \"x\", \"type\": \"kpa\", \"variant\": \"aibrix-v0.5\", " SPEC_KV(
           "", "0.7") ", \"annotations\": "
                      "{\"kpa.autoscaling.aibrix.ai/scale-down-delay\": \"3m\"}}",
       "policies[2].annotations.kpa.autoscaling.aibrix.ai/scale-down-delay", "is not read by"},
      /* observeWindowSeconds is a v0.5+ KPA/APA field. */
      {"{\"name\": \"x\", \"type\": \"kpa\", \"spec\": {\"minReplicas\": 1, \"maxReplicas\": 4, "
       "\"observeWindowSeconds\": 120, \"metricsSources\": [{\"targetMetric\": "
       "\"gpu_cache_usage_perc\", \"targetValue\": \"0.7\"}]}}",
       "policies[2].spec.observeWindowSeconds", "aibrix-v0.5"},
      /* Knative's periods are its own. */
      {"{\"name\": \"x\", \"type\": \"kpa\", \"variant\": \"knative\", "
       "\"period_s\": 5, " SPEC_KV("", "0.7") "}",
       "policies[2].period_s", "Knative"},
      /* A fixed policy has no spec; an autoscaler has no replicas. */
      {"{\"name\": \"x\", \"type\": \"fixed\", \"replicas\": 1, " SPEC_KV("", "0.7") "}",
       "policies[2].spec", "not fixed"},
      {"{\"name\": \"x\", \"type\": \"kpa\", \"replicas\": 2, " SPEC_KV("", "0.7") "}",
       "policies[2].replicas", "fixed"},
  };
  assert_policies_rejected(cases, N_OF(cases));
}

static void scenario_rejects_inconsistent_autoscaler_specs(void **state) {
  (void)state;
  static const rejection cases[] = {
      /* HPA target as a fraction: int64(0.7) = 0. */
      {"{\"name\": \"x\", \"type\": \"hpa\", " SPEC_KV("", "0.7") "}", "policies[2]", "percent"},
      /* Exactly one metric source. */
      {"{\"name\": \"x\", \"type\": \"kpa\", \"spec\": {\"minReplicas\": 1, \"maxReplicas\": 4, "
       "\"metricsSources\": [{\"targetMetric\": \"gpu_cache_usage_perc\", \"targetValue\": "
       "\"0.7\"}, {\"targetMetric\": \"num_requests_running\", \"targetValue\": \"2\"}]}}",
       "policies[2].spec.metricsSources", "exactly one"},
      /* AIBrix v0.5+ finds metrics by registry key; a vllm: name would read 0 upstream. */
      {"{\"name\": \"x\", \"type\": \"kpa\", \"variant\": \"aibrix-v0.5\", "
       "\"spec\": {\"maxReplicas\": 4, \"metricsSources\": [{\"targetMetric\": "
       "\"vllm:gpu_cache_usage_perc\", \"targetValue\": \"0.7\"}]}}",
       "policies[2].spec.metricsSources[0].targetMetric", "registry"},
      /* Knative's target and bounds come from the spec, not from annotations that would be lost. */
      {"{\"name\": \"x\", \"type\": \"kpa\", \"variant\": \"knative\", " SPEC_KV(
           "", "0.7") ", \"annotations\": {\"autoscaling.knative.dev/max-scale\": \"3\"}}",
       "policies[2].annotations.autoscaling.knative.dev/max-scale", "from spec"},
      /* scalingStrategy must agree with type. */
      {"{\"name\": \"x\", \"type\": \"kpa\", " SPEC_KV("\"scalingStrategy\": \"APA\", ", "0.7") "}",
       "policies[2].spec.scalingStrategy", "expected KPA"},
      /* A running-requests target above what a pod can run (4 slots) is never reached. */
      {"{\"name\": \"x\", \"type\": \"hpa\", \"spec\": {\"maxReplicas\": 4, \"metricsSources\": "
       "[{\"targetMetric\": \"num_requests_running\", \"targetValue\": \"5\"}]}}",
       "policies[2]", "at most 4 requests at once (slots)"},
  };
  assert_policies_rejected(cases, N_OF(cases));
  /* The same strategy loads. */
  char dir[64], path[128];
  tu_tmpdir(dir);
  write_step_scenario(
      dir,
      "{\"name\": \"x\", \"type\": \"apa\", " SPEC_KV("\"scalingStrategy\": \"APA\", ", "0.7") "}",
      path, sizeof path);
  scenario sc;
  ps_err err = {{0}};
  if (!scenario_load(path, &sc, &err)) fail_msg("scenario_load: %s", err.msg);
  assert_int_equal(sc.policies[2].cfg.kind, POLICY_APA);
  assert_double_same(sc.policies[2].cfg.apa.target, 0.7);
  scenario_free(&sc);
  tu_rmrf(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(policy_tick_decides_as_each_case_expects),
      cmocka_unit_test(knative_scrapes_every_second_and_decides_every_two),
      cmocka_unit_test(hpa_target_below_one_is_rejected_with_a_hint_about_percent),
      cmocka_unit_test(cache_targets_outside_the_metrics_range_are_refused),
      cmocka_unit_test(metric_value_is_a_fraction_for_kpa_apa_and_percent_for_hpa),
      cmocka_unit_test(annotations_are_read_only_by_the_generation_that_reads_them),
      cmocka_unit_test(scenario_legacy_kpa_scales_up_on_a_step_and_fixed_does_not),
      cmocka_unit_test(scenario_rejects_policy_keys_the_generation_does_not_read),
      cmocka_unit_test(scenario_rejects_inconsistent_autoscaler_specs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
