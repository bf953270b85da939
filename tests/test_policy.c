/*
 * policy: who each autoscaler generation scrapes and counts, how a tick's sample is aggregated,
 * the controllers' boundary checks and the units each kind sees (models/autoscalers/policy.h), checked
 * against autoscaler-algorithms.md sections 1A.2, 1A.4, 1A.5, 1B.1-1B.6, 3.2, 4.2 and 6, through
 * policy_tick on hand-built observations; then policies loaded from scenario files and run by the
 * cluster.
 *
 * Pods that should not be scraped are given non-zero gauges on purpose, so that counting one of
 * them by mistake changes the result.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
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

/* Every field of a logged decision. */
typedef struct want {
  int32_t desired, ready, recommendation;
  double value, stable, panic;
  int panic_mode;
  const char *reason; /* NULL: not compared */
} want;

static void assert_decision(const policy_decision *d, want w) {
  assert_true(d->logged);
  assert_int_equal(d->desired, w.desired);
  assert_int_equal(d->ready, w.ready);
  assert_int_equal(d->recommendation, w.recommendation);
  assert_double_same(d->value, w.value);
  assert_double_same(d->stable, w.stable);
  assert_double_same(d->panic, w.panic);
  assert_int_equal(d->panic_mode, w.panic_mode);
  if (w.reason) assert_string_equal(d->reason, w.reason);
}

static policy_pod pod(policy_pod_phase phase, double kv, int32_t running, int32_t waiting) {
  return (policy_pod){.phase = phase, .running = running, .waiting = waiting, .kv_usage = kv};
}

static policy_pod kv_pod(policy_pod_phase phase, double kv) { return pod(phase, kv, 0, 0); }
static policy_pod run_pod(policy_pod_phase phase, int32_t running) {
  return pod(phase, 0, running, 0);
}

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

/* One tick at t_us with spec.replicas `current` and the given pods; returns the decision. */
static policy_decision tick(policy_inst *p, int64_t t_us, int32_t current, const policy_pod *pods,
                            uint32_t npods) {
  policy_obs o = {
      .now_us = t_us, .deployment = 0, .current = current, .pods = pods, .npods = npods};
  policy_decision d;
  int32_t got = policy_tick(p, &o, &d);
  assert_int_equal(got, d.desired);
  return d;
}

/* ---- AIBrix legacy KPA (1A.2, 1A.4, 1A.1 boundary checks) ---- */

/* Only Ready pods are scraped; the sample is their sum and `ready` counts them (not the
 * terminating one). Created with 2 replicas, the scaler starts in panic (1A.4). */
static void legacy_kpa_sums_the_metric_over_ready_pods_only(void **state) {
  (void)state;
  policy_config cfg;
  configure(&cfg, POLICY_KPA, POLICY_AIBRIX_LEGACY, 1, 10, METRIC_GPU_CACHE_USAGE, 0.5);
  policy_inst *p = policy_new(&cfg, 0);
  const policy_pod pods[] = {
      kv_pod(POD_PHASE_UNSCHEDULED, 0.5), kv_pod(POD_PHASE_INITIALIZING, 0.5),
      kv_pod(POD_PHASE_LOADING, 0.5),     kv_pod(POD_PHASE_UNREADY, 0.5),
      kv_pod(POD_PHASE_READY, 0.25),      kv_pod(POD_PHASE_READY, 0.5),
      kv_pod(POD_PHASE_TERMINATING, 0.5),
  };
  /* S = P = 0.75: ceil(1.5) = 2 within [floor(2/2), ceil(2*2)]; 2/2 < 2 but the scaler was
   * created in panic with max panic pods 2. Counting any other pod would make the sum >= 1.25. */
  policy_decision d = tick(p, 0, 2, pods, N_OF(pods));
  assert_decision(&d, (want){.desired = 2,
                             .ready = 2,
                             .recommendation = 2,
                             .value = 0.75,
                             .stable = 0.75,
                             .panic = 0.75,
                             .panic_mode = 1,
                             .reason = "panic window"});
  policy_free(p);
}

/* No Ready pod: the KPA records nothing (1A.2), so a later tick's stable average holds only the
 * later sample (0.25, not (0 + 0.25) / 2). */
static void legacy_kpa_records_nothing_without_a_ready_pod(void **state) {
  (void)state;
  policy_config cfg;
  configure(&cfg, POLICY_KPA, POLICY_AIBRIX_LEGACY, 1, 10, METRIC_GPU_CACHE_USAGE, 0.5);
  policy_inst *p = policy_new(&cfg, 0);
  const policy_pod none_ready[] = {kv_pod(POD_PHASE_LOADING, 0.5),
                                   kv_pod(POD_PHASE_TERMINATING, 0.5)};
  policy_decision d = tick(p, 0, 1, none_ready, N_OF(none_ready));
  assert_decision(&d, (want){.desired = 1,
                             .ready = 0,
                             .recommendation = -1,
                             .value = NAN,
                             .stable = NAN,
                             .panic = NAN,
                             .panic_mode = -1,
                             .reason = "no metric data yet"});
  const policy_pod one_ready[] = {kv_pod(POD_PHASE_READY, 0.25)};
  d = tick(p, 10 * S, 1, one_ready, N_OF(one_ready));
  assert_decision(&d, (want){.desired = 1,
                             .ready = 1,
                             .recommendation = 1,
                             .value = 0.25,
                             .stable = 0.25,
                             .panic = 0.25,
                             .panic_mode = 0,
                             .reason = "stable window"});
  policy_free(p);
}

/* The legacy controller records the tick's sample before its boundary checks (1A.1 step 2,
 * section 7): a tick short-cut by "current 0, min 1" still feeds the stable window. */
static void legacy_kpa_records_the_sample_before_the_controller_gate(void **state) {
  (void)state;
  policy_config cfg;
  configure(&cfg, POLICY_KPA, POLICY_AIBRIX_LEGACY, 1, 10, METRIC_GPU_CACHE_USAGE, 0.5);
  policy_inst *p = policy_new(&cfg, 0);
  const policy_pod hot[] = {kv_pod(POD_PHASE_READY, 0.75)};
  policy_decision d = tick(p, 0, 0, hot, N_OF(hot));
  assert_decision(&d, (want){.desired = 0,
                             .ready = 1,
                             .recommendation = -1,
                             .value = 0.75,
                             .stable = NAN,
                             .panic = NAN,
                             .panic_mode = -1,
                             .reason = "scaled to zero: autoscaling off"});
  /* Stable (60 s) = (0.75 + 0.25) / 2; the 10 s panic window keeps only the latest sample. */
  const policy_pod cool[] = {kv_pod(POD_PHASE_READY, 0.25)};
  d = tick(p, 10 * S, 1, cool, N_OF(cool));
  assert_decision(&d, (want){.desired = 1,
                             .ready = 1,
                             .recommendation = 1,
                             .value = 0.25,
                             .stable = 0.5,
                             .panic = 0.25,
                             .panic_mode = 0,
                             .reason = "stable window"});
  policy_free(p);
}

/* current 0 with min 1: nothing is written; above max: max; below min: min; the algorithm does
 * not run in any of them. */
static void legacy_kpa_gate_holds_zero_and_bounds_current(void **state) {
  (void)state;
  policy_config cfg;
  configure(&cfg, POLICY_KPA, POLICY_AIBRIX_LEGACY, 2, 3, METRIC_GPU_CACHE_USAGE, 0.5);
  const policy_pod pods[] = {kv_pod(POD_PHASE_READY, 0.9), kv_pod(POD_PHASE_READY, 0.9)};
  const struct {
    int32_t current, desired;
    const char *reason;
  } cases[] = {
      {0, 0, "scaled to zero: autoscaling off"},
      {5, 3, "above max_replicas"},
      {1, 2, "below min_replicas"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    policy_inst *p = policy_new(&cfg, 0);
    policy_decision d = tick(p, 0, cases[i].current, pods, N_OF(pods));
    assert_decision(&d, (want){.desired = cases[i].desired,
                               .ready = 2,
                               .recommendation = -1,
                               .value = 1.8,
                               .stable = NAN,
                               .panic = NAN,
                               .panic_mode = -1,
                               .reason = cases[i].reason});
    policy_free(p);
  }
}

/* One Ready pod at 0.9 with target 0.7: dspc = dppc = ceil(0.9 / 0.7) = 2 within [0, 2];
 * 2 / 1 >= 2 enters panic; desired max(2, 2) = 2 (1A.4). */
static void legacy_kpa_one_pod_at_0_9_of_0_7_panics_to_two(void **state) {
  (void)state;
  policy_config cfg;
  configure(&cfg, POLICY_KPA, POLICY_AIBRIX_LEGACY, 1, 10, METRIC_GPU_CACHE_USAGE, 0.7);
  policy_inst *p = policy_new(&cfg, 0);
  const policy_pod pods[] = {kv_pod(POD_PHASE_READY, 0.9)};
  policy_decision d = tick(p, 0, 1, pods, N_OF(pods));
  assert_decision(&d, (want){.desired = 2,
                             .ready = 1,
                             .recommendation = 2,
                             .value = 0.9,
                             .stable = 0.9,
                             .panic = 0.9,
                             .panic_mode = 1,
                             .reason = "panic window"});
  policy_free(p);
}

/* ---- AIBrix legacy APA (1A.2, 1A.5) ---- */

/* No Ready pod: the APA records 0 and makes no decision (it divides by 0 ready pods). The 0
 * stays in the 60 s window: next tick V = (0 + 1.8) / 2, u = 0.45, r = 0.6428... < 0.8 ->
 * max(ceil(2 r), floor(2 / 2)) = 2, where without the 0 it would be 3. */
static void legacy_apa_records_zero_without_a_ready_pod_and_holds(void **state) {
  (void)state;
  policy_config cfg;
  configure(&cfg, POLICY_APA, POLICY_AIBRIX_LEGACY, 1, 10, METRIC_GPU_CACHE_USAGE, 0.7);
  policy_inst *p = policy_new(&cfg, 0);
  const policy_pod loading[] = {kv_pod(POD_PHASE_LOADING, 0.9), kv_pod(POD_PHASE_UNREADY, 0.9)};
  policy_decision d = tick(p, 0, 2, loading, N_OF(loading));
  assert_decision(&d, (want){.desired = 2,
                             .ready = 0,
                             .recommendation = -1,
                             .value = 0,
                             .stable = NAN,
                             .panic = NAN,
                             .panic_mode = -1,
                             .reason = "no ready pod"});
  const policy_pod ready[] = {kv_pod(POD_PHASE_READY, 0.9), kv_pod(POD_PHASE_READY, 0.9)};
  d = tick(p, 10 * S, 2, ready, N_OF(ready));
  assert_decision(&d, (want){.desired = 2,
                             .ready = 2,
                             .recommendation = 2,
                             .value = 1.8,
                             .stable = 0.9,
                             .panic = NAN,
                             .panic_mode = -1,
                             .reason = "below the down tolerance"});
  policy_free(p);
}

/* 2 Ready pods at 0.9, target 0.7: r = (1.8 / 2) / 0.7 = 1.2857 > 1.1 ->
 * min(ceil(2 r), ceil(2 * 2)) = min(3, 4) = 3 (1A.5). */
static void legacy_apa_two_pods_at_0_9_of_0_7_scale_to_three(void **state) {
  (void)state;
  policy_config cfg;
  configure(&cfg, POLICY_APA, POLICY_AIBRIX_LEGACY, 1, 10, METRIC_GPU_CACHE_USAGE, 0.7);
  policy_inst *p = policy_new(&cfg, 0);
  const policy_pod pods[] = {kv_pod(POD_PHASE_READY, 0.9), kv_pod(POD_PHASE_TERMINATING, 0.9),
                             kv_pod(POD_PHASE_READY, 0.9)};
  policy_decision d = tick(p, 0, 2, pods, N_OF(pods));
  assert_decision(&d, (want){.desired = 3,
                             .ready = 2,
                             .recommendation = 3,
                             .value = 1.8,
                             .stable = 1.8,
                             .panic = NAN,
                             .panic_mode = -1,
                             .reason = "above the up tolerance"});
  policy_free(p);
}

/* The APA too records before the boundary checks: V = (1.8 + 0.7) / 2 = 1.25, u = 0.625,
 * r = 0.893 within [0.8, 1.1] -> hold 2 (without the first sample: r = 0.5 -> 1). */
static void legacy_apa_records_the_sample_before_the_controller_gate(void **state) {
  (void)state;
  policy_config cfg;
  configure(&cfg, POLICY_APA, POLICY_AIBRIX_LEGACY, 1, 10, METRIC_GPU_CACHE_USAGE, 0.7);
  policy_inst *p = policy_new(&cfg, 0);
  const policy_pod hot[] = {kv_pod(POD_PHASE_READY, 0.9), kv_pod(POD_PHASE_READY, 0.9)};
  policy_decision d = tick(p, 0, 0, hot, N_OF(hot));
  assert_int_equal(d.desired, 0);
  assert_string_equal(d.reason, "scaled to zero: autoscaling off");
  const policy_pod cool[] = {kv_pod(POD_PHASE_READY, 0.35), kv_pod(POD_PHASE_READY, 0.35)};
  d = tick(p, 10 * S, 2, cool, N_OF(cool));
  assert_decision(&d, (want){.desired = 2,
                             .ready = 2,
                             .recommendation = 2,
                             .value = 0.7,
                             .stable = 1.25,
                             .panic = NAN,
                             .panic_mode = -1,
                             .reason = "within tolerance"});
  policy_free(p);
}

/* ---- AIBrix v0.5+ (1B.1, 1B.2, 1B.4-1B.6) ---- */

/* Every pod with an IP: unscheduled skipped, initializing and loading read 0, the others their
 * gauge; the sample is the mean (0 + 0 + 0.5 + 0.75 + 0.25) / 5 = 0.3. The algorithm gets
 * spec.replicas 5: ceil(0.3 / 0.5) = 1 raised to floor(5 / 2) = 2. */
static void v05_kpa_means_over_every_pod_with_an_ip(void **state) {
  (void)state;
  policy_config cfg;
  configure(&cfg, POLICY_KPA, POLICY_AIBRIX_V05, 1, 10, METRIC_GPU_CACHE_USAGE, 0.5);
  policy_inst *p = policy_new(&cfg, 0);
  const policy_pod pods[] = {
      kv_pod(POD_PHASE_UNSCHEDULED, 0.5), kv_pod(POD_PHASE_INITIALIZING, 0.5),
      kv_pod(POD_PHASE_LOADING, 0.5),     kv_pod(POD_PHASE_UNREADY, 0.5),
      kv_pod(POD_PHASE_READY, 0.75),      kv_pod(POD_PHASE_TERMINATING, 0.25),
  };
  policy_decision d = tick(p, 0, 5, pods, N_OF(pods));
  assert_decision(&d, (want){.desired = 2,
                             .ready = 1,
                             .recommendation = 2,
                             .value = 1.5 / 5,
                             .stable = 1.5 / 5,
                             .panic = 1.5 / 5,
                             .panic_mode = 0,
                             .reason = "stable window"});
  policy_free(p);
}

/* The v0.5+ APA on the same per-pod mean with n = spec.replicas: 2 Ready at 0.9 and 2 loading
 * (read as 0) give 0.45; r = 0.643 < 0.9 -> max(ceil(4 r), floor(4 / 2)) = 3. */
static void v05_apa_divides_the_mean_by_the_target_with_spec_replicas(void **state) {
  (void)state;
  policy_config cfg;
  configure(&cfg, POLICY_APA, POLICY_AIBRIX_V05, 1, 10, METRIC_GPU_CACHE_USAGE, 0.7);
  policy_inst *p = policy_new(&cfg, 0);
  const policy_pod pods[] = {kv_pod(POD_PHASE_READY, 0.9), kv_pod(POD_PHASE_READY, 0.9),
                             kv_pod(POD_PHASE_LOADING, 0.9), kv_pod(POD_PHASE_LOADING, 0.9)};
  policy_decision d = tick(p, 0, 4, pods, N_OF(pods));
  assert_decision(&d, (want){.desired = 3,
                             .ready = 2,
                             .recommendation = 3,
                             .value = 1.8 / 4,
                             .stable = 1.8 / 4,
                             .panic = 1.8 / 4,
                             .panic_mode = -1,
                             .reason = "stable window"});
  policy_free(p);
}

/* v0.5+ short-cuts before collecting (1B.1 step 3): the tick above max records nothing, so the
 * next tick's windows hold only its own sample (0.25, not (0.75 + 0.25) / 2). */
static void v05_gate_fires_before_the_scrape(void **state) {
  (void)state;
  policy_config cfg;
  configure(&cfg, POLICY_KPA, POLICY_AIBRIX_V05, 1, 3, METRIC_GPU_CACHE_USAGE, 0.5);
  policy_inst *p = policy_new(&cfg, 0);
  const policy_pod hot[] = {kv_pod(POD_PHASE_READY, 0.75), kv_pod(POD_PHASE_READY, 0.75),
                            kv_pod(POD_PHASE_READY, 0.75)};
  policy_decision d = tick(p, 0, 5, hot, N_OF(hot));
  assert_decision(&d, (want){.desired = 3,
                             .ready = 3,
                             .recommendation = -1,
                             .value = NAN,
                             .stable = NAN,
                             .panic = NAN,
                             .panic_mode = -1,
                             .reason = "above max_replicas"});
  /* S = P = 0.25 < 0.45: ceil(0.5) = 1 within [floor(3/2), 6] -> 1; down at once (first rec). */
  const policy_pod cool[] = {kv_pod(POD_PHASE_READY, 0.25), kv_pod(POD_PHASE_READY, 0.25),
                             kv_pod(POD_PHASE_READY, 0.25)};
  d = tick(p, 10 * S, 3, cool, N_OF(cool));
  assert_decision(&d, (want){.desired = 1,
                             .ready = 3,
                             .recommendation = 1,
                             .value = 0.25,
                             .stable = 0.25,
                             .panic = 0.25,
                             .panic_mode = 0,
                             .reason = "stable window"});
  policy_free(p);
}

/* Pods without an IP only: nothing to scrape, no scaling. */
static void v05_with_only_unscheduled_pods_does_not_scale(void **state) {
  (void)state;
  policy_config cfg;
  configure(&cfg, POLICY_KPA, POLICY_AIBRIX_V05, 1, 10, METRIC_GPU_CACHE_USAGE, 0.5);
  policy_inst *p = policy_new(&cfg, 0);
  const policy_pod pods[] = {kv_pod(POD_PHASE_UNSCHEDULED, 0.9),
                             kv_pod(POD_PHASE_UNSCHEDULED, 0.9)};
  policy_decision d = tick(p, 0, 2, pods, N_OF(pods));
  assert_decision(&d, (want){.desired = 2,
                             .ready = 0,
                             .recommendation = -1,
                             .value = NAN,
                             .stable = NAN,
                             .panic = NAN,
                             .panic_mode = -1,
                             .reason = "no pod to scrape"});
  policy_free(p);
}

/* The cooldown's scale-down branch takes the MIN of the last 300 s (1B.6's example): current 4:
 * t0 rec 4 -> 4; t10 rec 6 -> 6; t20 (current 6) rec 5 -> min{4, 6, 5} = 4. Metric: requests
 * running, target 1, so each window average is the recommendation. */
static void v05_scale_down_goes_to_the_minimum_recommendation_of_300s(void **state) {
  (void)state;
  policy_config cfg;
  configure(&cfg, POLICY_KPA, POLICY_AIBRIX_V05, 1, 10, METRIC_RUNNING, 1);
  policy_inst *p = policy_new(&cfg, 0);
  policy_pod pods[6];
  for (int i = 0; i < 4; i++)
    pods[i] = run_pod(POD_PHASE_READY, 4);
  policy_decision d = tick(p, 0, 4, pods, 4);
  assert_decision(&d, (want){.desired = 4,
                             .ready = 4,
                             .recommendation = 4,
                             .value = 4,
                             .stable = 4,
                             .panic = 4,
                             .panic_mode = 0,
                             .reason = "stable window"});
  for (int i = 0; i < 4; i++)
    pods[i] = run_pod(POD_PHASE_READY, 8);
  d = tick(p, 10 * S, 4, pods, 4); /* S = P = (4 + 8) / 2 = 6 */
  assert_decision(&d, (want){.desired = 6,
                             .ready = 4,
                             .recommendation = 6,
                             .value = 8,
                             .stable = 6,
                             .panic = 6,
                             .panic_mode = 0,
                             .reason = "stable window"});
  for (int i = 0; i < 6; i++)
    pods[i] = run_pod(POD_PHASE_READY, 3);
  d = tick(p, 20 * S, 6, pods, 6); /* S = P = (4 + 8 + 3) / 3 = 5 */
  assert_decision(&d, (want){.desired = 4,
                             .ready = 6,
                             .recommendation = 5,
                             .value = 3,
                             .stable = 5,
                             .panic = 5,
                             .panic_mode = 0,
                             .reason = "held by the cooldown window"});
  policy_free(p);
}

/* ---- Knative KPA (3.2, 3.3) ---- */

/* A scrape every second, a decision every 2 s; the sample is the sum over Ready pods (3).
 * Decision: ceil(3 / 2) = 2 for both windows, 2 / max(1, 1) >= 2 panics -> 2. */
static void knative_scrapes_every_second_and_decides_every_two(void **state) {
  (void)state;
  policy_config cfg;
  configure(&cfg, POLICY_KPA, POLICY_KNATIVE, 1, 10, METRIC_RUNNING, 2);
  assert_int_equal(cfg.period_us, 1 * S);
  policy_inst *p = policy_new(&cfg, 0);
  const policy_pod pods[] = {run_pod(POD_PHASE_READY, 3), run_pod(POD_PHASE_UNREADY, 5),
                             run_pod(POD_PHASE_TERMINATING, 7), run_pod(POD_PHASE_LOADING, 11)};
  for (int64_t t = 0; t <= 5; t++) {
    policy_decision d = tick(p, t * S, t == 0 ? 1 : 2, pods, N_OF(pods));
    assert_double_same(d.value, 3);
    assert_int_equal(d.ready, 1);
    if (t % 2) {
      assert_false(d.logged);
      assert_int_equal(d.desired, 2); /* the current count, untouched */
      continue;
    }
    assert_decision(&d, (want){.desired = 2,
                               .ready = 1,
                               .recommendation = 2,
                               .value = 3,
                               .stable = 3,
                               .panic = 3,
                               .panic_mode = 1,
                               .reason = NULL});
  }
  policy_free(p);
}

/* ---- Kubernetes HPA as AIBrix legacy writes it (1A.6, 4.2, 4.4) ---- */

/* Cache usage reaches the HPA in percent: 2 Ready pods at 0.9 read 90 each; usage 90 / 70 =
 * 1.2857 is outside the 0.1 tolerance -> ceil(1.2857 * 2) = 3; the legacy limit max(2*2, 4). */
static void hpa_sees_cache_usage_in_percent_and_scales_by_the_usage_ratio(void **state) {
  (void)state;
  policy_config cfg;
  configure(&cfg, POLICY_HPA, POLICY_AIBRIX_LEGACY, 1, 10, METRIC_GPU_CACHE_USAGE, 70);
  assert_int_equal(cfg.period_us, 15 * S);
  policy_inst *p = policy_new(&cfg, 0);
  const policy_pod pods[] = {kv_pod(POD_PHASE_READY, 0.9), kv_pod(POD_PHASE_READY, 0.9)};
  policy_decision d = tick(p, 0, 2, pods, N_OF(pods));
  assert_int_equal(d.desired, 3);
  assert_int_equal(d.recommendation, 3);
  assert_double_same(d.value, 90);
  assert_int_equal(d.ready, 2);
  policy_free(p);
}

/* One sync of a fresh legacy HPA (target 70 %) with `current` and pods; the proposal. */
static policy_decision hpa_once(int32_t current, const policy_pod *pods, uint32_t n) {
  policy_config cfg;
  configure(&cfg, POLICY_HPA, POLICY_AIBRIX_LEGACY, 1, 10, METRIC_GPU_CACHE_USAGE, 70);
  policy_inst *p = policy_new(&cfg, 0);
  policy_decision d = tick(p, 0, current, pods, n);
  policy_free(p);
  return d;
}

/* groupPods (4.2): Pending (unscheduled, initializing) -> unready, Running without a sample
 * (loading) -> missing, being deleted -> ignored, Running with a sample -> counted whatever its
 * readiness. Each case is chosen so that another grouping gives another proposal. */
static void hpa_groups_pods_by_phase_as_the_replica_calculator_does(void **state) {
  (void)state;
  policy_pod pods[3];
  /* Unready on a scale-up count as 0: (90 + 90 + 0) / 3 / 70 = 0.857 flips below 1 -> keep
   * current 4 (ignoring the pod would propose ceil(1.2857 * 2) = 3). */
  pods[0] = kv_pod(POD_PHASE_READY, 0.9);
  pods[1] = kv_pod(POD_PHASE_READY, 0.9);
  const policy_pod_phase pending[] = {POD_PHASE_UNSCHEDULED, POD_PHASE_INITIALIZING};
  for (int i = 0; i < 2; i++) {
    pods[2] = kv_pod(pending[i], 0.9);
    policy_decision d = hpa_once(4, pods, 3);
    assert_int_equal(d.recommendation, 4);
    assert_int_equal(d.desired, 4);
    assert_double_same(d.value, 90);
  }
  /* Ignored: ceil(1.2857 * 2) = 3 (counting it would give ceil(1.2857 * 3) = 4, taking it as
   * unready would flip and keep current 2). */
  pods[2] = kv_pod(POD_PHASE_TERMINATING, 0.9);
  policy_decision d = hpa_once(2, pods, 3);
  assert_int_equal(d.recommendation, 3);
  assert_int_equal(d.desired, 3);
  /* Running and not Ready with a sample: counted, ceil(1.2857 * 2) = 3. */
  pods[1] = kv_pod(POD_PHASE_UNREADY, 0.9);
  d = hpa_once(2, pods, 2);
  assert_int_equal(d.recommendation, 3);
  assert_int_equal(d.desired, 3);
  assert_int_equal(d.ready, 1);
  /* Missing on a scale-down is taken at the target: r = 35 / 70 = 0.5, then
   * (35000 + 35000 + 70000) / 3 = 46666 milli, r' = 0.66666 -> ceil(0.66666 * 3) = 2 (unready or
   * ignored would give ceil(0.5 * 2) = 1). The legacy 5-minute stabilization, seeded with
   * current 3 at the first sync, holds 3. */
  pods[0] = kv_pod(POD_PHASE_READY, 0.35);
  pods[1] = kv_pod(POD_PHASE_READY, 0.35);
  pods[2] = kv_pod(POD_PHASE_LOADING, 0.35);
  d = hpa_once(3, pods, 3);
  assert_int_equal(d.recommendation, 2);
  assert_int_equal(d.desired, 3);
  assert_double_same(d.value, (0.35 * 100 + 0.35 * 100) / 2);
  /* The same pod pending instead is left out on a scale-down: ceil(0.5 * 2) = 1. */
  pods[2] = kv_pod(POD_PHASE_INITIALIZING, 0.35);
  d = hpa_once(3, pods, 3);
  assert_int_equal(d.recommendation, 1);
  assert_int_equal(d.desired, 3);
}

/* AIBrix writes int64(targetValue): "0.7" becomes AverageValue 0, which Kubernetes rejects. */
static void hpa_target_below_one_is_rejected_with_a_hint_about_percent(void **state) {
  (void)state;
  policy_config cfg;
  policy_config_defaults(&cfg, POLICY_HPA, POLICY_AIBRIX_LEGACY);
  cfg.max_replicas = 4;
  cfg.target_value = 0.7;
  ps_err e = {{0}};
  assert_false(policy_config_finish(&cfg, &e));
  assert_non_null(strstr(e.msg, "percent"));
  assert_non_null(strstr(e.msg, "70"));
  policy_config_defaults(&cfg, POLICY_HPA, POLICY_AIBRIX_V05);
  cfg.max_replicas = 4;
  cfg.target_value = 0.7;
  assert_false(policy_config_finish(&cfg, &e));
  assert_non_null(strstr(e.msg, "percent"));
}

/* ---- units (6) ---- */

static void metric_value_is_a_fraction_for_kpa_apa_and_percent_for_hpa(void **state) {
  (void)state;
  const policy_pod p = pod(POD_PHASE_READY, 0.25, 3, 5);
  assert_double_same(policy_metric_value(METRIC_GPU_CACHE_USAGE, POLICY_KPA, &p), 0.25);
  assert_double_same(policy_metric_value(METRIC_KV_CACHE_USAGE, POLICY_APA, &p), 0.25);
  assert_double_same(policy_metric_value(METRIC_GPU_CACHE_USAGE, POLICY_HPA, &p), 25);
  assert_double_same(policy_metric_value(METRIC_KV_CACHE_USAGE, POLICY_HPA, &p), 25);
  for (policy_kind k = POLICY_HPA; k <= POLICY_APA; k++) {
    assert_double_same(policy_metric_value(METRIC_RUNNING, k, &p), 3);
    assert_double_same(policy_metric_value(METRIC_WAITING, k, &p), 5);
  }
  const policy_pod q = kv_pod(POD_PHASE_READY, 0.9);
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
  assert_int_equal(cfg.pa5.scale_down_cooldown_us, 60 * S);

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

static void scenario_rejects_policy_keys_the_generation_does_not_read(void **state) {
  (void)state;
  /* An annotation of another generation. */
  assert_policy_rejected(
      "{\"name\": \"x\", \"type\": \"kpa\", " SPEC_KV(
          "", "0.7") ", \"annotations\": "
                     "{\"autoscaling.aibrix.ai/scale-down-cooldown-window\": \"60s\"}}",
      "policies[2].annotations.autoscaling.aibrix.ai/scale-down-cooldown-window", "is not read by");
  assert_policy_rejected(
      "{\"name\": \"x\", \"type\": \"kpa\", \"variant\": \"aibrix-v0.5\", " SPEC_KV(
          "", "0.7") ", \"annotations\": {\"kpa.autoscaling.aibrix.ai/scale-down-delay\": \"3m\"}}",
      "policies[2].annotations.kpa.autoscaling.aibrix.ai/scale-down-delay", "is not read by");
  /* observeWindowSeconds is a v0.5+ KPA/APA field. */
  assert_policy_rejected("{\"name\": \"x\", \"type\": \"kpa\", \"spec\": {\"minReplicas\": 1, "
                         "\"maxReplicas\": 4, \"observeWindowSeconds\": 120, \"metricsSources\": "
                         "[{\"targetMetric\": \"gpu_cache_usage_perc\", \"targetValue\": "
                         "\"0.7\"}]}}",
                         "policies[2].spec.observeWindowSeconds", "aibrix-v0.5");
  /* Knative's periods are its own. */
  assert_policy_rejected("{\"name\": \"x\", \"type\": \"kpa\", \"variant\": \"knative\", "
                         "\"period_s\": 5, " SPEC_KV("", "0.7") "}",
                         "policies[2].period_s", "Knative");
  /* A fixed policy has no spec; an autoscaler has no replicas. */
  assert_policy_rejected(
      "{\"name\": \"x\", \"type\": \"fixed\", \"replicas\": 1, " SPEC_KV("", "0.7") "}",
      "policies[2].spec", "not fixed");
  assert_policy_rejected(
      "{\"name\": \"x\", \"type\": \"kpa\", \"replicas\": 2, " SPEC_KV("", "0.7") "}",
      "policies[2].replicas", "fixed");
}

static void scenario_rejects_inconsistent_autoscaler_specs(void **state) {
  (void)state;
  /* HPA target as a fraction: int64(0.7) = 0. */
  assert_policy_rejected("{\"name\": \"x\", \"type\": \"hpa\", " SPEC_KV("", "0.7") "}",
                         "policies[2]", "percent");
  /* Exactly one metric source. */
  assert_policy_rejected(
      "{\"name\": \"x\", \"type\": \"kpa\", \"spec\": {\"minReplicas\": 1, \"maxReplicas\": 4, "
      "\"metricsSources\": [{\"targetMetric\": \"gpu_cache_usage_perc\", \"targetValue\": "
      "\"0.7\"}, {\"targetMetric\": \"num_requests_running\", \"targetValue\": \"2\"}]}}",
      "policies[2].spec.metricsSources", "exactly one");
  /* AIBrix v0.5+ finds metrics by registry key; a vllm: name would read 0 upstream. */
  assert_policy_rejected("{\"name\": \"x\", \"type\": \"kpa\", \"variant\": \"aibrix-v0.5\", "
                         "\"spec\": {\"maxReplicas\": 4, \"metricsSources\": [{\"targetMetric\": "
                         "\"vllm:gpu_cache_usage_perc\", \"targetValue\": \"0.7\"}]}}",
                         "policies[2].spec.metricsSources[0].targetMetric", "registry");
  /* Knative's target and bounds come from the spec, not from annotations that would be lost. */
  assert_policy_rejected(
      "{\"name\": \"x\", \"type\": \"kpa\", \"variant\": \"knative\", " SPEC_KV(
          "", "0.7") ", \"annotations\": {\"autoscaling.knative.dev/max-scale\": \"3\"}}",
      "policies[2].annotations.autoscaling.knative.dev/max-scale", "from spec");
  /* scalingStrategy must agree with type. */
  assert_policy_rejected(
      "{\"name\": \"x\", \"type\": \"kpa\", " SPEC_KV("\"scalingStrategy\": \"APA\", ", "0.7") "}",
      "policies[2].spec.scalingStrategy", "expected KPA");
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
      cmocka_unit_test(legacy_kpa_sums_the_metric_over_ready_pods_only),
      cmocka_unit_test(legacy_kpa_records_nothing_without_a_ready_pod),
      cmocka_unit_test(legacy_kpa_records_the_sample_before_the_controller_gate),
      cmocka_unit_test(legacy_kpa_gate_holds_zero_and_bounds_current),
      cmocka_unit_test(legacy_kpa_one_pod_at_0_9_of_0_7_panics_to_two),
      cmocka_unit_test(legacy_apa_records_zero_without_a_ready_pod_and_holds),
      cmocka_unit_test(legacy_apa_two_pods_at_0_9_of_0_7_scale_to_three),
      cmocka_unit_test(legacy_apa_records_the_sample_before_the_controller_gate),
      cmocka_unit_test(v05_kpa_means_over_every_pod_with_an_ip),
      cmocka_unit_test(v05_apa_divides_the_mean_by_the_target_with_spec_replicas),
      cmocka_unit_test(v05_gate_fires_before_the_scrape),
      cmocka_unit_test(v05_with_only_unscheduled_pods_does_not_scale),
      cmocka_unit_test(v05_scale_down_goes_to_the_minimum_recommendation_of_300s),
      cmocka_unit_test(knative_scrapes_every_second_and_decides_every_two),
      cmocka_unit_test(hpa_sees_cache_usage_in_percent_and_scales_by_the_usage_ratio),
      cmocka_unit_test(hpa_groups_pods_by_phase_as_the_replica_calculator_does),
      cmocka_unit_test(hpa_target_below_one_is_rejected_with_a_hint_about_percent),
      cmocka_unit_test(metric_value_is_a_fraction_for_kpa_apa_and_percent_for_hpa),
      cmocka_unit_test(annotations_are_read_only_by_the_generation_that_reads_them),
      cmocka_unit_test(scenario_legacy_kpa_scales_up_on_a_step_and_fixed_does_not),
      cmocka_unit_test(scenario_rejects_policy_keys_the_generation_does_not_read),
      cmocka_unit_test(scenario_rejects_inconsistent_autoscaler_specs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
