/*
 * The AIBrix v0.5+ ("HEAD") PodAutoscaler: the upstream unit-test vectors (types/metrics_test.go,
 * metrics/client_test.go, context/context_test.go, algorithm/kpa_test.go, algorithm/apa_test.go,
 * autoscaler_test.go), each in a test named after the upstream test it reproduces, then the
 * window's edges, the annotations, the KPA's panic and tolerance rules, the cooldown history and
 * the controller's boundary checks (upstream's kpa.go, apa.go and their tests).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "aibrix_vectors.h"

#include <string.h>

#include "models/autoscalers/aibrix5.h"
#include "models/autoscalers/kpa.h"

#define S 1000000LL              /* one second in microseconds */
#define MIN (60 * S)             /* one minute */
#define T2025 (1735689600LL * S) /* 2025-01-01T00:00:00Z, the upstream tests' fixed time */

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static void assert_window_values(const aibrix5_window *w, const double *want, size_t n) {
  if (aibrix5_window_len(w) != n)
    fail_msg("window holds %zu buckets, expected %zu", aibrix5_window_len(w), n);
  for (size_t i = 0; i < n; i++)
    assert_double_exact(aibrix5_window_value(w, i), want[i]);
}

/* ------------------------------------------------------------------------------------------
 * types/metrics_test.go TestTimeWindow (2 min window, 1 min granularity, start on a minute)
 * ------------------------------------------------------------------------------------------ */

typedef struct tw_step {
  int64_t at_s;   /* seconds after the start */
  double value;   /* recorded */
  double want[3]; /* the window's values afterwards, oldest first */
  size_t n;       /* how many */
} tw_step;

/* Subtest "record metrics tracks one value for given granuality and truncate value beyond window
 * duration"; run from a Unix minute, from 0 and from before 0 (floored indices). */
static void aibrix5_window_reproduces_TestTimeWindow_record_metrics(void **state) {
  (void)state;
  const tw_step steps[] = {
      {0, 10, {10}, 1},           {30, 20, {20}, 1},          {60, 30, {20, 30}, 2},
      {90, 40, {20, 40}, 2},      {120, 50, {20, 40, 50}, 3}, {150, 60, {20, 40, 60}, 3},
      {180, 70, {40, 60, 70}, 3}, {210, 80, {40, 60, 80}, 3},
  };
  const int64_t starts[] = {T2025, 0, -10 * MIN};
  for (size_t k = 0; k < N_OF(starts); k++) {
    aibrix5_window w;
    aibrix5_window_init(&w, 2 * MIN, MIN);
    for (size_t i = 0; i < N_OF(steps); i++) {
      aibrix5_window_record(&w, starts[k] + steps[i].at_s * S, steps[i].value);
      assert_window_values(&w, steps[i].want, steps[i].n);
    }
    aibrix5_window_free(&w);
  }
}

/* Subtest "size avg min max". */
static void aibrix5_window_reproduces_TestTimeWindow_size_avg_min_max(void **state) {
  (void)state;
  aibrix5_window w;
  aibrix5_window_init(&w, 2 * MIN, MIN);
  aibrix5_window_record(&w, T2025, 20);
  aibrix5_window_record(&w, T2025 + 1 * MIN, 30);
  aibrix5_window_record(&w, T2025 + 2 * MIN, 40);
  const double want[] = {20, 30, 40};
  assert_window_values(&w, want, 3);
  assert_double_exact(aibrix5_window_avg(&w), 30);
  assert_double_exact(aibrix5_window_min(&w), 20);
  assert_double_exact(aibrix5_window_max(&w), 40);
  aibrix5_window_free(&w);
}

/* The bucket exactly D old stays: a 180 s window fed every second holds 181 buckets. */
static void aibrix5_window_holds_d_plus_one_buckets(void **state) {
  (void)state;
  aibrix5_window w;
  aibrix5_window_init(&w, 180 * S, S);
  for (int t = 0; t <= 400; t++)
    aibrix5_window_record(&w, t * S + 250000, t);
  assert_int_equal(aibrix5_window_len(&w), 181);
  assert_double_exact(aibrix5_window_min(&w), 220);
  assert_double_exact(aibrix5_window_max(&w), 400);
  assert_double_exact(aibrix5_window_avg(&w), 310);
  aibrix5_window_free(&w);
}

static void aibrix5_window_overwrites_within_a_second_and_reads_zero_when_empty(void **state) {
  (void)state;
  aibrix5_window w;
  aibrix5_window_init(&w, 60 * S, S);
  assert_double_exact(aibrix5_window_avg(&w), 0);
  assert_double_exact(aibrix5_window_min(&w), 0);
  assert_double_exact(aibrix5_window_max(&w), 0);
  aibrix5_window_record(&w, 5 * S, 10);
  aibrix5_window_record(&w, 5 * S + 999999, 30); /* same second: last write wins */
  assert_int_equal(aibrix5_window_len(&w), 1);
  assert_double_exact(aibrix5_window_avg(&w), 30);
  aibrix5_window_record(&w, 4 * S, 7); /* an earlier second goes in order */
  const double want[] = {7, 30};
  assert_window_values(&w, want, 2);
  aibrix5_window_record(&w, -S / 2, 1); /* second -1, not 0 */
  const double want2[] = {1, 7, 30};
  assert_window_values(&w, want2, 3);
  aibrix5_window_free(&w);
}

/* Nothing ages on reading; a record far later empties everything but itself. */
static void aibrix5_window_expires_only_on_record(void **state) {
  (void)state;
  aibrix5_window w;
  aibrix5_window_init(&w, 10 * S, S);
  for (int t = 0; t < 10; t++)
    aibrix5_window_record(&w, t * S, 1);
  assert_int_equal(aibrix5_window_len(&w), 10);
  aibrix5_window_record(&w, 1000 * S, 9);
  const double want[] = {9};
  assert_window_values(&w, want, 1);
  aibrix5_window_free(&w);
}

/* ------------------------------------------------------------------------------------------
 * metrics/client_test.go and the window configuration of autoscaler_test.go
 * ------------------------------------------------------------------------------------------ */

static void aibrix5_client_reproduces_TestUpdateMetrics(void **state) {
  (void)state;
  aibrix5_params p = aibrix5_params_default(1);
  aibrix5_client c;
  aibrix5_client_init(&c, &p);
  const double values[] = {30, 50};
  assert_true(aibrix5_client_update(&c, T2025, values, 2));
  const double want[] = {40};
  assert_window_values(&c.stable, want, 1);
  assert_window_values(&c.panic, want, 1);
  aibrix5_client_free(&c);
}

static void aibrix5_client_reproduces_TestGetMetricValue(void **state) {
  (void)state;
  aibrix5_params p = aibrix5_params_default(1);
  aibrix5_client c;
  aibrix5_client_init(&c, &p);
  const double values[] = {70};
  assert_true(aibrix5_client_update(&c, T2025, values, 1));
  assert_double_exact(aibrix5_client_stable(&c), 70);
  assert_double_exact(aibrix5_client_panic(&c), 70);
  aibrix5_client_free(&c);
}

/* ConfigureMetricWindows(90 s, 30 s), 10 at t, 70 at t + 60 s: the panic window lost the 10. */
static void aibrix5_client_reproduces_client_test_ConfigureMetricWindows(void **state) {
  (void)state;
  aibrix5_params p = aibrix5_params_default(1);
  aibrix5_client c;
  aibrix5_client_init(&c, &p);
  p.stable_window_us = 90 * S;
  p.panic_window_us = 30 * S;
  assert_true(aibrix5_client_configure(&c, &p));
  const double v10[] = {10}, v70[] = {70};
  aibrix5_client_update(&c, T2025, v10, 1);
  aibrix5_client_update(&c, T2025 + 60 * S, v70, 1);
  assert_double_exact(aibrix5_client_stable(&c), 40);
  assert_double_exact(aibrix5_client_panic(&c), 70);
  aibrix5_client_free(&c);
}

/* spec.observeWindowSeconds 120, spec.panicWindowSeconds 30; two reconciles of one pod. */
static void
aibrix5_recommend_reproduces_TestComputeDesiredReplicasConfiguresMetricWindowsFromPodAutoscalerSpec(
    void **state) {
  (void)state;
  aibrix5_params p = aibrix5_params_default(50);
  p.stable_window_us = 120 * S;
  p.panic_window_us = 30 * S;
  aibrix5_params defaults = aibrix5_params_default(50);
  aibrix5_client c;
  aibrix5_client_init(&c, &defaults); /* the client's own defaults until the spec is applied */
  const double v10[] = {10}, v70[] = {70};
  aibrix5_bounds b = {0, 10};
  aibrix5_recommend(&c, &p, AIBRIX5_APA, 1, b, T2025, v10, 1);
  aibrix5_recommend(&c, &p, AIBRIX5_APA, 1, b, T2025 + 60 * S, v70, 1);
  assert_int_equal(c.stable.duration_us, 120 * S);
  assert_int_equal(c.panic.duration_us, 30 * S);
  assert_double_exact(aibrix5_client_stable(&c), 40);
  assert_double_exact(aibrix5_client_panic(&c), 70);
  aibrix5_client_free(&c);
}

static void aibrix5_client_records_the_mean_and_nothing_for_an_empty_tick(void **state) {
  (void)state;
  aibrix5_params p = aibrix5_params_default(1);
  aibrix5_client c;
  aibrix5_client_init(&c, &p);
  assert_false(aibrix5_client_update(&c, 0, NULL, 0));
  assert_int_equal(aibrix5_window_len(&c.stable), 0);
  const double pods[] = {0.1, 0.2, 0.4};
  assert_true(aibrix5_client_update(&c, 10 * S, pods, 3));
  assert_double_exact(aibrix5_client_stable(&c), (0.1 + 0.2 + 0.4) / 3); /* summed in order */
  assert_false(aibrix5_client_update(&c, 20 * S, pods, 0));
  assert_int_equal(aibrix5_window_len(&c.stable), 1);
  aibrix5_client_free(&c);
}

/* Same durations keep the samples; other durations start both windows afresh. */
static void aibrix5_client_configure_empties_the_windows_only_on_change(void **state) {
  (void)state;
  aibrix5_params p = aibrix5_params_default(1);
  aibrix5_client c;
  aibrix5_client_init(&c, &p);
  const double v[] = {5};
  aibrix5_client_update(&c, 0, v, 1);
  assert_false(aibrix5_client_configure(&c, &p));
  assert_int_equal(aibrix5_window_len(&c.stable), 1);
  p.panic_window_us = 30 * S;
  assert_true(aibrix5_client_configure(&c, &p));
  assert_int_equal(aibrix5_window_len(&c.stable), 0);
  assert_int_equal(aibrix5_window_len(&c.panic), 0);
  assert_int_equal(c.stable.duration_us, 180 * S);
  aibrix5_client_free(&c);
}

/* ------------------------------------------------------------------------------------------
 * context/context_test.go and the annotations
 * ------------------------------------------------------------------------------------------ */

static void aibrix5_params_default_are_the_head_defaults(void **state) {
  (void)state;
  aibrix5_params p = aibrix5_params_default(50);
  assert_double_exact(p.target, 50);
  assert_double_exact(p.max_scale_up_rate, 2);
  assert_double_exact(p.max_scale_down_rate, 2);
  assert_double_exact(p.up_tolerance, 0.1);
  assert_double_exact(p.down_tolerance, 0.1);
  assert_double_exact(p.panic_threshold, 2.0);
  assert_int_equal(p.scale_up_cooldown_us, 0);
  assert_int_equal(p.scale_down_cooldown_us, 300 * S);
  assert_false(p.scale_to_zero);
  assert_int_equal(p.stable_window_us, 180 * S);
  assert_int_equal(p.panic_window_us, 60 * S);
  assert_true(aibrix5_params_check(&p, NULL));
}

static void aibrix5_params_set_reproduces_TestUpdateByPaTypes_Annotations(void **state) {
  (void)state;
  aibrix5_params p = aibrix5_params_default(50);
  const char *kv[][2] = {
      {AIBRIX5_KEY_MAX_SCALE_UP_RATE, "3.0"},   {AIBRIX5_KEY_MAX_SCALE_DOWN_RATE, "3.0"},
      {AIBRIX5_KEY_SCALE_UP_TOLERANCE, "0.3"},  {AIBRIX5_KEY_SCALE_DOWN_TOLERANCE, "0.3"},
      {AIBRIX5_KEY_PANIC_THRESHOLD, "3.0"},     {AIBRIX5_KEY_SCALE_UP_COOLDOWN, "30s"},
      {AIBRIX5_KEY_SCALE_DOWN_COOLDOWN, "30s"}, {AIBRIX5_KEY_SCALE_TO_ZERO, "true"},
  };
  for (size_t i = 0; i < N_OF(kv); i++) {
    ps_err e;
    assert_true(aibrix5_annotation_known(kv[i][0]));
    if (!aibrix5_params_set(&p, kv[i][0], kv[i][1], &e)) fail_msg("%s", e.msg);
  }
  assert_double_exact(p.max_scale_up_rate, 3.0);
  assert_double_exact(p.max_scale_down_rate, 3.0);
  assert_double_exact(p.up_tolerance, 0.3);
  assert_double_exact(p.down_tolerance, 0.3);
  assert_double_exact(p.panic_threshold, 3.0);
  assert_int_equal(p.scale_up_cooldown_us, 30 * S);
  assert_int_equal(p.scale_down_cooldown_us, 30 * S);
  assert_true(p.scale_to_zero);
  assert_true(aibrix5_params_check(&p, NULL));
}

/* Each metric source's targetValue: "0" and "-10" are refused with "must be greater than 0". */
static void aibrix5_parse_target_reproduces_TestUpdateByPaTypes_InvalidTargetValue(void **state) {
  (void)state;
  const char *bad[] = {"0", "-10", "-0", "NaN", "0x0p0"};
  for (size_t i = 0; i < N_OF(bad); i++) {
    ps_err e = {{0}};
    double v = -1;
    if (aibrix5_parse_target(bad[i], &v, &e)) fail_msg("accepted \"%s\"", bad[i]);
    assert_non_null(strstr(e.msg, "must be greater than 0"));
    assert_double_exact(v, -1);
  }
  ps_err e;
  double v = -1;
  assert_false(aibrix5_parse_target("fifty", &v, &e));
  assert_non_null(strstr(e.msg, "expected a number"));
  const struct {
    const char *s;
    double v;
  } ok[] = {{"50", 50}, {"0.5", 0.5}, {"1e-3", 0.001}, {"100", 100}};
  for (size_t i = 0; i < N_OF(ok); i++) {
    assert_true(aibrix5_parse_target(ok[i].s, &v, NULL));
    assert_double_exact(v, ok[i].v);
  }
  aibrix5_params p = aibrix5_params_default(0);
  assert_false(aibrix5_params_check(&p, &e));
  assert_non_null(strstr(e.msg, "must be greater than 0"));
}

static bool same_params(const aibrix5_params *a, const aibrix5_params *b) {
  return memcmp(a, b, sizeof *a) == 0;
}

/* HEAD reads only the autoscaling.aibrix.ai/ keys above; the legacy ones (samples still carry
 * them) are not known, and setting one fails with a message saying so. */
static void aibrix5_ignores_the_legacy_annotation_keys(void **state) {
  (void)state;
  const char *legacy[] = {
      "kpa.autoscaling.aibrix.ai/scale-down-delay",
      "kpa.autoscaling.aibrix.ai/panic-threshold",
      "kpa.autoscaling.aibrix.ai/stable-window",
      "apa.autoscaling.aibrix.ai/up-fluctuation-tolerance",
      "apa.autoscaling.aibrix.ai/window",
      "autoscaling.aibrix.ai/up-fluctuation-tolerance",
  };
  aibrix5_params p = aibrix5_params_default(50), before = p;
  for (size_t i = 0; i < N_OF(legacy); i++) {
    assert_false(aibrix5_annotation_known(legacy[i]));
    ps_err e = {{0}};
    assert_false(aibrix5_params_set(&p, legacy[i], "1", &e));
    assert_non_null(strstr(e.msg, "legacy"));
    assert_true(same_params(&p, &before));
  }
  ps_err e = {{0}};
  assert_false(aibrix5_annotation_known("autoscaling.aibrix.ai/stable-window"));
  assert_false(aibrix5_params_set(&p, "autoscaling.aibrix.ai/stable-window", "60s", &e));
  assert_non_null(strstr(e.msg, "not an annotation"));
  assert_true(same_params(&p, &before));
}

static void aibrix5_params_set_refuses_bad_values_without_change(void **state) {
  (void)state;
  const char *bad[][2] = {
      {AIBRIX5_KEY_MAX_SCALE_UP_RATE, "two"},   {AIBRIX5_KEY_SCALE_UP_TOLERANCE, " 0.1"},
      {AIBRIX5_KEY_PANIC_THRESHOLD, ""},        {AIBRIX5_KEY_SCALE_UP_COOLDOWN, "30"},
      {AIBRIX5_KEY_SCALE_DOWN_COOLDOWN, "-5m"}, {AIBRIX5_KEY_SCALE_DOWN_COOLDOWN, "5 m"},
      {AIBRIX5_KEY_SCALE_TO_ZERO, "yes"},       {AIBRIX5_KEY_SCALE_TO_ZERO, "tRuE"},
  };
  aibrix5_params p = aibrix5_params_default(50), before = p;
  for (size_t i = 0; i < N_OF(bad); i++) {
    ps_err e = {{0}};
    if (aibrix5_params_set(&p, bad[i][0], bad[i][1], &e))
      fail_msg("accepted %s=\"%s\"", bad[i][0], bad[i][1]);
    assert_true(e.msg[0] != '\0');
    assert_true(same_params(&p, &before));
  }
  /* Go's ParseBool spellings; durations to microseconds, rounding up */
  const char *yes[] = {"1", "t", "T", "TRUE", "true", "True"};
  const char *no[] = {"0", "f", "F", "FALSE", "false", "False"};
  for (size_t i = 0; i < N_OF(yes); i++) {
    assert_true(aibrix5_params_set(&p, AIBRIX5_KEY_SCALE_TO_ZERO, yes[i], NULL));
    assert_true(p.scale_to_zero);
    assert_true(aibrix5_params_set(&p, AIBRIX5_KEY_SCALE_TO_ZERO, no[i], NULL));
    assert_false(p.scale_to_zero);
  }
  assert_true(aibrix5_params_set(&p, AIBRIX5_KEY_SCALE_DOWN_COOLDOWN, "5m", NULL));
  assert_int_equal(p.scale_down_cooldown_us, 300 * S);
  assert_true(aibrix5_params_set(&p, AIBRIX5_KEY_SCALE_UP_COOLDOWN, "1ns", NULL));
  assert_int_equal(p.scale_up_cooldown_us, 1);
  assert_true(aibrix5_params_set(&p, AIBRIX5_KEY_SCALE_UP_COOLDOWN, "0", NULL));
  assert_int_equal(p.scale_up_cooldown_us, 0);
}

static void aibrix5_params_check_enforces_the_spec_window_ranges(void **state) {
  (void)state;
  const struct {
    int64_t stable_us, panic_us;
    bool ok;
  } cases[] = {
      {180 * S, 60 * S, true}, {1 * S, 1 * S, true},        {3600 * S, 3600 * S, true},
      {0, 0, false},           {3601 * S, 60 * S, false},   {60 * S, 61 * S, false},
      {60 * S, 0, false},      {90 * S + 1, 30 * S, false}, {120 * S, 30 * S, true},
  };
  for (size_t i = 0; i < N_OF(cases); i++) {
    aibrix5_params p = aibrix5_params_default(50);
    p.stable_window_us = cases[i].stable_us;
    p.panic_window_us = cases[i].panic_us;
    ps_err e = {{0}};
    if (aibrix5_params_check(&p, &e) != cases[i].ok)
      fail_msg("case %zu: check %s (%s)", i, cases[i].ok ? "refused" : "accepted", e.msg);
  }
  aibrix5_params p = aibrix5_params_default(50);
  p.scale_down_cooldown_us = -1;
  assert_false(aibrix5_params_check(&p, NULL));
}

/* ------------------------------------------------------------------------------------------
 * algorithm/kpa_test.go TestKPAAlgorithm_ComputeTargetReplicas: computeTargetReplicas with the
 * mock context (target 10, tolerances 0 because the mock leaves them unset, threshold 2.0). The
 * mock supplies inPanic, maxPanicPods and the activation scale; aibrix5_kpa_context does the same.
 * ------------------------------------------------------------------------------------------ */

typedef struct kpa_row {
  const char *name;
  int32_t current;
  double up_rate, down_rate, stable, panic;
  bool in_panic;
  int32_t max_panic_pods, activation;
  int32_t expected;
} kpa_row;

static void aibrix5_kpa_reproduces_TestKPAAlgorithm_ComputeTargetReplicas(void **state) {
  (void)state;
  const kpa_row rows[] = {
      {"stable_mode_basic_scaling", 2, 2, 2, 20, 20, false, 0, 1, 2},
      {"panic_mode_scaling_up", 2, 2, 2, 30, 40, true, 2, 1, 4},
      {"panic_mode_no_scale_down", 5, 2, 2, 20, 20, true, 5, 1, 5},
      {"scale_to_zero", 1, 2, 2, 0, 0, false, 0, 1, 0},
      {"activation_scale_from_zero", 0, 2, 2, 15, 15, false, 0, 3, 3},
      {"max_scale_up_rate_limit", 2, 1.5, 2, 100, 100, false, 0, 1, 3},
      {"max_scale_down_rate_limit", 4, 2, 2, 5, 5, false, 0, 1, 2},
  };
  for (size_t i = 0; i < N_OF(rows); i++) {
    const kpa_row *r = &rows[i];
    aibrix5_params p = aibrix5_params_default(10);
    p.up_tolerance = 0;
    p.down_tolerance = 0;
    p.max_scale_up_rate = r->up_rate;
    p.max_scale_down_rate = r->down_rate;
    aibrix5_kpa_context mock = {r->in_panic, r->max_panic_pods, r->activation};
    aibrix5_kpa_result out;
    int32_t got = aibrix5_kpa_compute(&p, r->current, r->stable, r->panic, &mock, &out);
    if (got != r->expected) fail_msg("%s: %d, expected %d", r->name, got, r->expected);
    assert_int_equal(out.desired, got);
    assert_int_equal(out.in_panic, r->in_panic);
  }
}

/* The intermediate values of two rows, so the clamp and the high-water mark are pinned too. */
static void aibrix5_kpa_reports_limits_counts_and_the_panic_high_water_mark(void **state) {
  (void)state;
  aibrix5_params p = aibrix5_params_default(10);
  p.up_tolerance = p.down_tolerance = 0;
  aibrix5_kpa_context mock = {true, 2, 1};
  aibrix5_kpa_result r;
  aibrix5_kpa_compute(&p, 2, 30, 40, &mock, &r); /* panic_mode_scaling_up */
  assert_double_exact(r.max_scale_up, 4);
  assert_double_exact(r.max_scale_down, 1);
  assert_double_exact(r.dspc, 3);
  assert_double_exact(r.dppc, 4);
  assert_int_equal(r.desired_stable, 3);
  assert_int_equal(r.desired_panic, 4);
  assert_int_equal(r.max_panic_pods, 4); /* what SetMaxPanicPods received */
  mock = (aibrix5_kpa_context){false, 0, 3};
  aibrix5_kpa_compute(&p, 0, 15, 15, &mock, &r); /* activation_scale_from_zero */
  assert_double_exact(r.max_scale_up, 1);
  assert_double_exact(r.max_scale_down, 0);
  assert_double_exact(r.dspc, 2);
  assert_int_equal(r.desired_stable, 3); /* clamped to 1, lifted to 3 */
}

/* HEAD's own context: inPanic = S <= 0 or P / S > threshold (strict), max panic pods 0,
 * activation 1. scale_to_zero's S = 0 therefore runs in panic at HEAD (the test's mock says not),
 * with the same result, 0: max(0, 0) against a high-water mark of 0. */
static void aibrix5_kpa_head_context_derives_panic_from_the_window_ratio(void **state) {
  (void)state;
  aibrix5_params p = aibrix5_params_default(10);
  assert_true(aibrix5_kpa_in_panic(&p, 0, 0));
  assert_true(aibrix5_kpa_in_panic(&p, -1, 5));
  assert_false(aibrix5_kpa_in_panic(&p, 10, 20)); /* exactly 2: not above */
  assert_true(aibrix5_kpa_in_panic(&p, 10, 20.000001));
  p.up_tolerance = p.down_tolerance = 0;
  aibrix5_kpa_result r;
  assert_int_equal(aibrix5_kpa_compute(&p, 1, 0, 0, NULL, &r), 0);
  assert_true(r.in_panic);
  assert_int_equal(r.max_panic_pods, 0);
  /* panic_mode_scaling_up at HEAD: P / S = 4/3 is no panic, so the stable count */
  assert_int_equal(aibrix5_kpa_compute(&p, 2, 30, 40, NULL, &r), 3);
  assert_false(r.in_panic);
  /* panic_mode_no_scale_down at HEAD: no panic and no memory, so it halves */
  assert_int_equal(aibrix5_kpa_compute(&p, 5, 20, 20, NULL, &r), 2);
  /* in panic (30 / 12 > 2): the larger of the two counts */
  assert_int_equal(aibrix5_kpa_compute(&p, 4, 12, 30, NULL, &r), 3);
  assert_true(r.in_panic);
  assert_int_equal(r.desired_stable, 2);
  assert_int_equal(r.desired_panic, 3);
}

/* Default tolerances: a metric within [0.9, 1.1] x target keeps the current count. */
static void aibrix5_kpa_keeps_current_within_the_tolerance_band(void **state) {
  (void)state;
  aibrix5_params p = aibrix5_params_default(100);
  const struct {
    int32_t current;
    double value;
    int32_t expected;
  } cases[] = {
      {3, 100, 3}, {3, 110, 3}, {3, 90, 3}, /* inside or on the band: n */
      {3, 111, 2}, {3, 89, 1},              /* outside: ceil(value / target), within limits */
      {5, 105, 5}, {1, 250, 2}, {8, 40, 4}, /* limits: ceil(2 x 1), floor(8 / 2) */
  };
  for (size_t i = 0; i < N_OF(cases); i++) {
    aibrix5_kpa_result r;
    int32_t got =
        aibrix5_kpa_compute(&p, cases[i].current, cases[i].value, cases[i].value, NULL, &r);
    if (got != cases[i].expected)
      fail_msg("n=%d value=%g: %d, expected %d", cases[i].current, cases[i].value, got,
               cases[i].expected);
  }
}

/* Section 1B.4's example: 4 pods each at gpu_cache_usage_perc 0.8, target 0.5. HEAD takes the
 * per-pod mean: ceil(0.8 / 0.5) = 2 (a scale-down under overload, floor(4 / 2) = 2); the legacy
 * KPA takes the sum, 3.2: ceil(6.4) = 7. */
static void aibrix5_kpa_reproduces_the_reference_example_four_pods_at_0_8(void **state) {
  (void)state;
  const double pods[] = {0.8, 0.8, 0.8, 0.8};
  aibrix5_params p = aibrix5_params_default(0.5);
  aibrix5_client c;
  aibrix5_client_init(&c, &p);
  aibrix5_bounds b = {1, 10};
  assert_int_equal(aibrix5_recommend(&c, &p, AIBRIX5_KPA, 4, b, 0, pods, 4), 2);
  aibrix5_client_free(&c);

  kpa_params lp = kpa_params_default(0.5);
  kpa_state ls;
  kpa_state_init(&ls, &lp, 4, 0);
  assert_true(kpa_record_pods(&ls, 0, pods, 4));
  kpa_result lr;
  assert_true(kpa_scale(&ls, 4, 0, &lr));
  assert_int_equal(lr.desired, 7);
  kpa_state_free(&ls);
}

/* ------------------------------------------------------------------------------------------
 * algorithm/apa_test.go TestAPAAlgorithm_ComputeTargetReplicas (tolerances 0.1 / 0.1)
 * ------------------------------------------------------------------------------------------ */

static void aibrix5_apa_reproduces_TestAPAAlgorithm_ComputeTargetReplicas(void **state) {
  (void)state;
  for (size_t i = 0; i < N_APA_HEAD_ROWS; i++) {
    const apa_head_row *r = &APA_HEAD_ROWS[i];
    aibrix5_params p = aibrix5_params_default(r->target);
    p.max_scale_up_rate = r->up_rate;
    p.max_scale_down_rate = r->down_rate;
    aibrix5_apa_result out;
    int32_t got = aibrix5_apa_compute(&p, r->current, r->use_per_pod, &out);
    if (got != r->expected) fail_msg("%s: %d, expected %d", r->name, got, r->expected);
    assert_int_equal(out.desired, got);
  }
}

/* The float order decides: 6 x (18 / 30) = 3.5999999999999996 -> 4; 33 / 30 is exactly 1 + 0.1. */
static void aibrix5_apa_takes_the_ratio_first_and_compares_strictly(void **state) {
  (void)state;
  aibrix5_params p = aibrix5_params_default(30);
  aibrix5_apa_result r;
  aibrix5_apa_compute(&p, 6, 18, &r);
  assert_int_equal(r.move, AIBRIX5_DOWN);
  assert_double_exact(6 * r.ratio, 3.5999999999999996);
  assert_int_equal(r.limit, 3);
  assert_int_equal(r.desired, 4);
  aibrix5_apa_compute(&p, 2, 33, &r);
  assert_int_equal(r.move, AIBRIX5_HOLD);
  aibrix5_apa_compute(&p, 2, 90, &r);
  assert_int_equal(r.move, AIBRIX5_UP);
  assert_int_equal(r.limit, 4);
  assert_int_equal(aibrix5_apa_compute(&p, 2, 90, NULL), 4);
  p.target = -3;
  assert_int_equal(aibrix5_apa_compute(&p, 7, 10, &r), 7);
  assert_int_equal(r.move, AIBRIX5_HOLD);
}

/* ------------------------------------------------------------------------------------------
 * autoscaler_test.go TestComputeDesiredReplicas: APA, every pod reports 70, one pod, current 1,
 * MaxReplicas 6, MaxScaleUpRate 4, min 0; the result is the max over the metric sources.
 * ------------------------------------------------------------------------------------------ */

static int32_t desired_over_sources(const double *targets, size_t n) {
  int32_t desired[4];
  bool valid[4];
  assert_true(n <= 4);
  const double pod[] = {70};
  for (size_t i = 0; i < n; i++) {
    aibrix5_params p = aibrix5_params_default(targets[i]);
    p.max_scale_up_rate = 4;
    aibrix5_client c;
    aibrix5_client_init(&c, &p);
    desired[i] = aibrix5_recommend(&c, &p, AIBRIX5_APA, 1, (aibrix5_bounds){0, 6}, T2025, pod, 1);
    valid[i] = true;
    aibrix5_client_free(&c);
  }
  int32_t out = -1;
  assert_true(aibrix5_max_valid(desired, valid, n, &out));
  return out;
}

static void aibrix5_recommend_reproduces_TestComputeDesiredReplicas(void **state) {
  (void)state;
  const double gpu_cache[] = {50};             /* ceil(1 x 70 / 50) = 2 */
  const double gpu_cache_and_cpu[] = {50, 30}; /* max(2, ceil(70 / 30) = 3) */
  assert_int_equal(desired_over_sources(gpu_cache, 1), 2);
  assert_int_equal(desired_over_sources(gpu_cache_and_cpu, 2), 3);
}

static void aibrix5_max_valid_skips_failed_sources_and_fails_when_all_fail(void **state) {
  (void)state;
  const int32_t desired[] = {9, 2, 5, 7};
  const bool valid[] = {false, true, true, false};
  int32_t out = -1;
  assert_true(aibrix5_max_valid(desired, valid, 4, &out));
  assert_int_equal(out, 5);
  const bool none[] = {false, false, false, false};
  out = -1;
  assert_false(aibrix5_max_valid(desired, none, 4, &out));
  assert_int_equal(out, -1);
  const int32_t zeros[] = {0, 0};
  const bool both[] = {true, true};
  assert_true(aibrix5_max_valid(zeros, both, 2, &out));
  assert_int_equal(out, 0);
}

/* ------------------------------------------------------------------------------------------
 * podautoscaler_controller.go stabilizeRecommendation (no upstream unit test covers it)
 * ------------------------------------------------------------------------------------------ */

/* Section 1B.6: current 4: t0 rec 4 -> 4; t10 rec 6 -> 6; t20 (current 6) rec 5 -> min{4,6,5}. */
static void aibrix5_stabilize_reproduces_the_reference_cooldown_example(void **state) {
  (void)state;
  aibrix5_params p = aibrix5_params_default(1);
  aibrix5_history h;
  aibrix5_history_init(&h);
  assert_int_equal(aibrix5_stabilize(&h, &p, 4, 4, 0), 4);
  assert_int_equal(aibrix5_stabilize(&h, &p, 6, 4, 10 * S), 6);
  assert_int_equal(aibrix5_stabilize(&h, &p, 5, 6, 20 * S), 4);
  assert_int_equal(h.len, 3);
  aibrix5_history_free(&h);
}

/* "time > now - window": an entry exactly one window old no longer counts (and is dropped). */
static void aibrix5_stabilize_window_is_strict(void **state) {
  (void)state;
  aibrix5_params p = aibrix5_params_default(1);
  const int64_t at[] = {300 * S - 1, 300 * S};
  const int32_t want[] = {3, 4};
  for (int k = 0; k < 2; k++) {
    aibrix5_history h;
    aibrix5_history_init(&h);
    assert_int_equal(aibrix5_stabilize(&h, &p, 3, 5, 0), 3);
    assert_int_equal(aibrix5_stabilize(&h, &p, 4, 5, at[k]), want[k]);
    assert_int_equal(h.len, (size_t)(k == 0 ? 2 : 1));
    aibrix5_history_free(&h);
  }
}

/* Scale-up: 0 s window -> the recommendation at once; a 60 s window holds the largest. */
static void aibrix5_stabilize_scales_up_at_once_or_to_the_largest_of_the_up_window(void **state) {
  (void)state;
  aibrix5_params p = aibrix5_params_default(1);
  aibrix5_history h;
  aibrix5_history_init(&h);
  assert_int_equal(aibrix5_stabilize(&h, &p, 5, 2, 0), 5);
  assert_int_equal(aibrix5_stabilize(&h, &p, 3, 2, 30 * S), 3); /* 0 s window: 5 does not count */
  aibrix5_history_free(&h);

  assert_true(aibrix5_params_set(&p, AIBRIX5_KEY_SCALE_UP_COOLDOWN, "60s", NULL));
  aibrix5_history_init(&h);
  assert_int_equal(aibrix5_stabilize(&h, &p, 5, 2, 0), 5);
  assert_int_equal(aibrix5_stabilize(&h, &p, 3, 2, 30 * S), 5);
  assert_int_equal(aibrix5_stabilize(&h, &p, 3, 2, 60 * S), 3); /* t0 is exactly 60 s old */
  aibrix5_history_free(&h);
}

/* Entries older than the larger window go on every call, also when rec == current. */
static void aibrix5_stabilize_prunes_beyond_the_largest_window(void **state) {
  (void)state;
  aibrix5_params p = aibrix5_params_default(1);
  aibrix5_history h;
  aibrix5_history_init(&h);
  for (int t = 0; t < 30; t++)
    aibrix5_stabilize(&h, &p, 1, 2, t * 10 * S); /* 0..290 s, all below current */
  assert_int_equal(h.len, 30);
  assert_int_equal(aibrix5_stabilize(&h, &p, 2, 2, 400 * S), 2); /* equal: prune, return current */
  assert_int_equal(h.len, 20);                                   /* t > 100 s: 110..290 and 400 */
  assert_int_equal(h.recs[0].t_us, 110 * S);
  /* both windows 0: nothing survives, every call returns its recommendation */
  assert_true(aibrix5_params_set(&p, AIBRIX5_KEY_SCALE_DOWN_COOLDOWN, "0s", NULL));
  assert_int_equal(aibrix5_stabilize(&h, &p, 1, 2, 500 * S), 1);
  assert_int_equal(h.len, 0);
  aibrix5_history_free(&h);
}

/* ------------------------------------------------------------------------------------------
 * The controller: computeScaleDecision's short-cuts, the clamps, one reconcile end to end
 * ------------------------------------------------------------------------------------------ */

static void aibrix5_check_short_cuts_before_the_algorithm(void **state) {
  (void)state;
  const struct {
    int32_t current, min, max;
    aibrix5_gate gate;
    int32_t desired;
  } cases[] = {
      {0, 1, 5, AIBRIX5_DISABLED, 0}, {0, 0, 5, AIBRIX5_RUN, -7}, {6, 1, 5, AIBRIX5_TO_MAX, 5},
      {1, 2, 5, AIBRIX5_TO_MIN, 2},   {3, 1, 5, AIBRIX5_RUN, -7}, {5, 5, 5, AIBRIX5_RUN, -7},
      {0, 4, 8, AIBRIX5_DISABLED, 0}, /* no schedule minimum: stays at 0 */
  };
  for (size_t i = 0; i < N_OF(cases); i++) {
    int32_t desired = -7;
    aibrix5_bounds b = {cases[i].min, cases[i].max};
    assert_int_equal(aibrix5_check(cases[i].current, b, &desired), cases[i].gate);
    assert_int_equal(desired, cases[i].desired);
  }
}

static void aibrix5_clamp_checks_min_first_and_bound_checks_max_first(void **state) {
  (void)state;
  const struct {
    int32_t min, max, replicas, clamped, bounded;
  } cases[] = {
      {1, 8, 4, 4, 4}, {1, 8, 12, 8, 8}, {1, 8, 0, 1, 1}, {0, 8, -3, 0, 0}, {5, 3, 4, 5, 3},
  };
  for (size_t i = 0; i < N_OF(cases); i++) {
    aibrix5_bounds b = {cases[i].min, cases[i].max};
    assert_int_equal(aibrix5_clamp(cases[i].replicas, b), cases[i].clamped);
    assert_int_equal(aibrix5_bound(cases[i].replicas, b), cases[i].bounded);
  }
}

/* One reconcile in the controller's order; returns the replicas to write. */
static int32_t reconcile(aibrix5_client *c, aibrix5_history *h, const aibrix5_params *p,
                         aibrix5_strategy s, int32_t current, aibrix5_bounds b, int64_t now,
                         const double *pods, size_t n) {
  int32_t desired = current;
  if (aibrix5_check(current, b, &desired) != AIBRIX5_RUN) return desired;
  int32_t rec = aibrix5_recommend(c, p, s, current, b, now, pods, n);
  return aibrix5_bound(aibrix5_stabilize(h, p, rec, current, now), b);
}

/* The short-cuts run before the scrape: a gated reconcile records no sample. Then a KPA at
 * target 0.5 with every pod at 0.8 halves at once (the down cooldown takes the MIN), and a
 * rise to 0.95 scales up at once. */
static void aibrix5_controller_records_nothing_when_gated_and_runs_in_order(void **state) {
  (void)state;
  aibrix5_params p = aibrix5_params_default(0.5);
  aibrix5_client c;
  aibrix5_client_init(&c, &p);
  aibrix5_history h;
  aibrix5_history_init(&h);
  const double busy[] = {0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8};
  aibrix5_bounds b = {1, 8};
  assert_int_equal(reconcile(&c, &h, &p, AIBRIX5_KPA, 10, b, 0, busy, 10), 8);    /* above max */
  assert_int_equal(reconcile(&c, &h, &p, AIBRIX5_KPA, 0, b, 10 * S, busy, 0), 0); /* disabled */
  assert_int_equal(aibrix5_window_len(&c.stable), 0);
  assert_int_equal(h.len, 0);
  assert_int_equal(reconcile(&c, &h, &p, AIBRIX5_KPA, 8, b, 20 * S, busy, 8), 4);
  assert_int_equal(aibrix5_window_len(&c.stable), 1);
  assert_int_equal(reconcile(&c, &h, &p, AIBRIX5_KPA, 4, b, 30 * S, busy, 4), 2);
  assert_int_equal(reconcile(&c, &h, &p, AIBRIX5_KPA, 2, b, 40 * S, busy, 2), 2);
  const double hot[] = {1.9, 1.9};
  /* S = (0.8 x 3 + 1.9) / 4 = 1.075 -> ceil(2.15) = 3; P the same; up window 0 s */
  assert_int_equal(reconcile(&c, &h, &p, AIBRIX5_KPA, 2, b, 50 * S, hot, 2), 3);
  aibrix5_history_free(&h);
  aibrix5_client_free(&c);
}

/* podautoscaler_controller_test.go TestComputeScaleDecisionAllowsScheduledMinReplicasFromZero
 * (2026-08-03T09:30Z, current 0): a schedule 09:00-10:00 with minReplicas 4 resolves the bounds
 * to {4, max} and lets the controller scale from zero to 4; a schedule with only maxReplicas 8
 * leaves min at its default 1 and autoscaling stays off at 0. */
static void
aibrix5_check_reproduces_TestComputeScaleDecisionAllowsScheduledMinReplicasFromZero(void **state) {
  (void)state;
  static const struct {
    aibrix5_bounds bounds;
    bool schedule_sets_min;
    aibrix5_gate gate;
    int32_t desired;
  } cases[] = {
      {{4, 10}, true, AIBRIX5_TO_MIN, 4},   /* "schedule min": desired 4, shouldScale true */
      {{1, 8}, false, AIBRIX5_DISABLED, 0}, /* "schedule max only": desired 0, shouldScale false */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int32_t desired = -1;
    assert_int_equal(
        aibrix5_check_scheduled(0, cases[i].bounds, cases[i].schedule_sets_min, &desired),
        cases[i].gate);
    assert_int_equal(desired, cases[i].desired);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(aibrix5_window_reproduces_TestTimeWindow_record_metrics),
      cmocka_unit_test(aibrix5_window_reproduces_TestTimeWindow_size_avg_min_max),
      cmocka_unit_test(aibrix5_window_holds_d_plus_one_buckets),
      cmocka_unit_test(aibrix5_window_overwrites_within_a_second_and_reads_zero_when_empty),
      cmocka_unit_test(aibrix5_window_expires_only_on_record),
      cmocka_unit_test(aibrix5_client_reproduces_TestUpdateMetrics),
      cmocka_unit_test(aibrix5_client_reproduces_TestGetMetricValue),
      cmocka_unit_test(aibrix5_client_reproduces_client_test_ConfigureMetricWindows),
      cmocka_unit_test(
          aibrix5_recommend_reproduces_TestComputeDesiredReplicasConfiguresMetricWindowsFromPodAutoscalerSpec),
      cmocka_unit_test(aibrix5_client_records_the_mean_and_nothing_for_an_empty_tick),
      cmocka_unit_test(aibrix5_client_configure_empties_the_windows_only_on_change),
      cmocka_unit_test(aibrix5_params_default_are_the_head_defaults),
      cmocka_unit_test(aibrix5_params_set_reproduces_TestUpdateByPaTypes_Annotations),
      cmocka_unit_test(aibrix5_parse_target_reproduces_TestUpdateByPaTypes_InvalidTargetValue),
      cmocka_unit_test(aibrix5_ignores_the_legacy_annotation_keys),
      cmocka_unit_test(aibrix5_params_set_refuses_bad_values_without_change),
      cmocka_unit_test(aibrix5_params_check_enforces_the_spec_window_ranges),
      cmocka_unit_test(aibrix5_kpa_reproduces_TestKPAAlgorithm_ComputeTargetReplicas),
      cmocka_unit_test(aibrix5_kpa_reports_limits_counts_and_the_panic_high_water_mark),
      cmocka_unit_test(aibrix5_kpa_head_context_derives_panic_from_the_window_ratio),
      cmocka_unit_test(aibrix5_kpa_keeps_current_within_the_tolerance_band),
      cmocka_unit_test(aibrix5_kpa_reproduces_the_reference_example_four_pods_at_0_8),
      cmocka_unit_test(aibrix5_apa_reproduces_TestAPAAlgorithm_ComputeTargetReplicas),
      cmocka_unit_test(aibrix5_apa_takes_the_ratio_first_and_compares_strictly),
      cmocka_unit_test(aibrix5_recommend_reproduces_TestComputeDesiredReplicas),
      cmocka_unit_test(aibrix5_max_valid_skips_failed_sources_and_fails_when_all_fail),
      cmocka_unit_test(aibrix5_stabilize_reproduces_the_reference_cooldown_example),
      cmocka_unit_test(aibrix5_stabilize_window_is_strict),
      cmocka_unit_test(aibrix5_stabilize_scales_up_at_once_or_to_the_largest_of_the_up_window),
      cmocka_unit_test(aibrix5_stabilize_prunes_beyond_the_largest_window),
      cmocka_unit_test(aibrix5_check_short_cuts_before_the_algorithm),
      cmocka_unit_test(
          aibrix5_check_reproduces_TestComputeScaleDecisionAllowsScheduledMinReplicasFromZero),
      cmocka_unit_test(aibrix5_clamp_checks_min_first_and_bound_checks_max_first),
      cmocka_unit_test(aibrix5_controller_records_nothing_when_gated_and_runs_in_order),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
