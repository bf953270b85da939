/*
 * The legacy AIBrix APA (v0.2.0 ... v0.4.1): the upstream unit-test vectors (scaler/apa_test.go at
 * v0.4.1), each in a test named after the upstream test it reproduces; the rows of HEAD's
 * algorithm/apa_test.go that the legacy formula shares; then the annotations (the un-prefixed
 * tolerance keys are not read), the tolerance band, the window, and the two APA-only rules: 0 is
 * recorded when no pod is active, and no ready pod means no decision (upstream's
 * apa.go and its tests; docs/autoscalers.md).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "aibrix_vectors.h"

#include <string.h>

#include "models/autoscalers/apa.h"
#include "models/autoscalers/kpa.h"

#define S 1000000LL /* one second in microseconds */

static bool same_params(const apa_params *a, const apa_params *b) {
  return a->target == b->target && a->max_scale_up_rate == b->max_scale_up_rate &&
         a->max_scale_down_rate == b->max_scale_down_rate && a->up_tolerance == b->up_tolerance &&
         a->down_tolerance == b->down_tolerance && a->window_us == b->window_us;
}

/* ------------------------------------------------------------------------------------------
 * scaler/apa_test.go at v0.4.1
 * ------------------------------------------------------------------------------------------ */

typedef struct apa2_step {
  int64_t ts_s;    /* seconds after Unix 10000 */
  double value;    /* the tick's sum */
  int32_t desired; /* expected; the next ready count */
  apa_move move;   /* which branch */
  double avg;      /* window average */
  double ratio;    /* use per pod / target */
} apa2_step;

/* Annotations max-scale-up-rate "2", max-scale-down-rate "1.25", apa window "30s"; the test's
 * tolerance keys lack the apa. prefix, so the defaults 0.1 / 0.2 apply; target "50"; ready 5. */
static void apa_scale_reproduces_TestApaScale2(void **state) {
  (void)state;
  apa_params p = apa_params_default(50);
  assert_true(apa_params_set(&p, APA_KEY_MAX_SCALE_UP_RATE, "2", NULL));
  assert_true(apa_params_set(&p, APA_KEY_MAX_SCALE_DOWN_RATE, "1.25", NULL));
  assert_true(apa_params_set(&p, APA_KEY_WINDOW, "30s", NULL));
  assert_false(apa_params_set(&p, "autoscaling.aibrix.ai/up-fluctuation-tolerance", "0.5", NULL));
  assert_false(apa_params_set(&p, "autoscaling.aibrix.ai/down-fluctuation-tolerance", "0.5", NULL));
  assert_double_exact(p.up_tolerance, 0.1);
  assert_double_exact(p.down_tolerance, 0.2);
  const apa2_step steps[] = {
      {0, 250, 5, APA_HOLD, 250, 1.0},
      {10, 300, 5, APA_HOLD, 275, 1.1}, /* exactly 1 + 0.1: not above */
      {20, 50, 5, APA_HOLD, 200, 0.8},  /* exactly 1 - 0.2: not below */
      {30, 100, 4, APA_DOWN, 150, 0.6}, /* t0 left the 30 s window; ceil(3.0) = 3 < floor(4) */
  };
  apa_state s;
  apa_state_init(&s, &p);
  int32_t ready = 5;
  for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
    const apa2_step *st = &steps[i];
    int64_t ts = (10000 + st->ts_s) * S;
    apa_record(&s, ts, st->value);
    apa_result r;
    assert_true(apa_scale(&s, ready, &r));
    assert_int_equal(r.desired, st->desired);
    assert_int_equal(r.move, st->move);
    assert_double_exact(r.value, st->avg);
    assert_double_exact(r.ratio, st->ratio);
    ready = r.desired;
  }
  apa_state_free(&s);
}

static void apa_params_set_reproduces_TestApaUpdateContext(void **state) {
  (void)state;
  apa_params p = apa_params_default(1);
  ps_err e;
  if (!apa_params_set(&p, APA_KEY_UP_TOLERANCE, "1.2", &e)) fail_msg("%s", e.msg);
  if (!apa_params_set(&p, APA_KEY_DOWN_TOLERANCE, "0.9", &e)) fail_msg("%s", e.msg);
  assert_double_exact(p.up_tolerance, 1.2);
  assert_double_exact(p.down_tolerance, 0.9);
}

/* ------------------------------------------------------------------------------------------
 * The formula's rows from HEAD algorithm/apa_test.go (target 30, tolerances 0.1 / 0.1, set here
 * through the apa. annotations); HEAD's target <= 0 guard is not legacy and is left out.
 * ------------------------------------------------------------------------------------------ */

static void apa_formula_reproduces_the_head_algorithm_vectors(void **state) {
  (void)state;
  for (size_t i = 0; i < N_APA_HEAD_ROWS; i++) {
    const apa_head_row *row = &APA_HEAD_ROWS[i];
    if (!(row->target > 0)) continue; /* HEAD's guard for target 0; legacy has none */
    apa_params p = apa_params_default(row->target);
    assert_true(apa_params_set(&p, APA_KEY_DOWN_TOLERANCE, "0.1", NULL));
    p.max_scale_up_rate = row->up_rate;
    p.max_scale_down_rate = row->down_rate;
    apa_state s;
    apa_state_init(&s, &p);
    apa_record(&s, 0, row->use_per_pod * row->current);
    apa_result r;
    assert_true(apa_scale(&s, row->current, &r));
    assert_double_exact(r.use_per_pod, row->use_per_pod);
    if (r.desired != row->expected)
      fail_msg("%s: %d, expected %d", row->name, r.desired, row->expected);
    apa_state_free(&s);
  }
}

/* ------------------------------------------------------------------------------------------
 * Parameters
 * ------------------------------------------------------------------------------------------ */

static void apa_params_default_are_the_legacy_defaults(void **state) {
  (void)state;
  apa_params p = apa_params_default(0.5);
  assert_double_exact(p.target, 0.5);
  assert_double_exact(p.max_scale_up_rate, 2);
  assert_double_exact(p.max_scale_down_rate, 2);
  assert_double_exact(p.up_tolerance, 0.1);
  assert_double_exact(p.down_tolerance, 0.2);
  assert_int_equal(p.window_us, 60 * S);
  assert_true(apa_params_check(&p, NULL));
}

static void apa_does_not_read_the_unprefixed_tolerance_keys(void **state) {
  (void)state;
  const char *keys[] = {"autoscaling.aibrix.ai/up-fluctuation-tolerance",
                        "autoscaling.aibrix.ai/down-fluctuation-tolerance"};
  for (size_t i = 0; i < 2; i++) {
    apa_params p = apa_params_default(50), before = p;
    ps_err e = {{0}};
    assert_false(apa_annotation_known(keys[i]));
    assert_false(apa_params_set(&p, keys[i], "0.3", &e));
    assert_true(same_params(&p, &before));
    assert_non_null(strstr(e.msg, "default"));
  }
  assert_true(apa_annotation_known(APA_KEY_UP_TOLERANCE));
  assert_true(apa_annotation_known(APA_KEY_DOWN_TOLERANCE));
  assert_true(apa_annotation_known(APA_KEY_WINDOW));
  assert_true(apa_annotation_known(APA_KEY_MAX_SCALE_UP_RATE));
}

static void apa_params_set_refuses_bad_values_and_unknown_keys_without_change(void **state) {
  (void)state;
  const char *kv[][2] = {
      {APA_KEY_WINDOW, "30"},
      {APA_KEY_WINDOW, "-30s"},
      {APA_KEY_WINDOW, "half a minute"},
      {APA_KEY_UP_TOLERANCE, "10%"},
      {APA_KEY_DOWN_TOLERANCE, " 0.2"},
      {APA_KEY_MAX_SCALE_DOWN_RATE, "1,25"},
      {"kpa.autoscaling.aibrix.ai/panic-threshold", "3"},
      {"apa.autoscaling.aibrix.ai/max-scale-up-rate", "3"},
  };
  for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++) {
    apa_params p = apa_params_default(50), before = p;
    ps_err e = {{0}};
    if (apa_params_set(&p, kv[i][0], kv[i][1], &e)) fail_msg("accepted %s=%s", kv[i][0], kv[i][1]);
    assert_true(same_params(&p, &before));
    assert_non_null(strstr(e.msg, kv[i][0]));
  }
  apa_params p = apa_params_default(50);
  assert_true(apa_params_set(&p, APA_KEY_WINDOW, "2m30s", NULL));
  assert_int_equal(p.window_us, 150 * S);
  assert_true(apa_params_set(&p, APA_KEY_WINDOW, "1ns", NULL)); /* rounded up, still a window */
  assert_int_equal(p.window_us, 1);
  p.window_us = -1;
  ps_err e;
  assert_false(apa_params_check(&p, &e));
}

/* ------------------------------------------------------------------------------------------
 * Behaviour
 * ------------------------------------------------------------------------------------------ */

static apa_result record_and_scale(apa_state *s, int64_t t, double sum, int32_t ready) {
  apa_record(s, t, sum);
  apa_result r;
  assert_true(apa_scale(s, ready, &r));
  return r;
}

/* Both ends of the band are strict: 1 + up and 1 - down hold, anything beyond moves. */
static void apa_tolerance_band_holds_its_edges(void **state) {
  (void)state;
  const struct {
    double sum;
    apa_move move;
    int32_t desired;
  } cases[] = {
      {275, APA_HOLD, 5}, /* r = 1.1 */
      {276, APA_UP, 6},   /* r = 1.104: ceil(5.52) */
      {200, APA_HOLD, 5}, /* r = 0.8 */
      {199, APA_DOWN, 4}, /* r = 0.796: ceil(3.98) */
      {250, APA_HOLD, 5},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    apa_params p = apa_params_default(50);
    apa_state s;
    apa_state_init(&s, &p);
    apa_result r = record_and_scale(&s, 0, cases[i].sum, 5);
    assert_int_equal(r.move, cases[i].move);
    assert_int_equal(r.desired, cases[i].desired);
    apa_state_free(&s);
  }
}

static void apa_rate_limits_bound_each_step(void **state) {
  (void)state;
  apa_params p = apa_params_default(10);
  apa_state s;
  apa_state_init(&s, &p);
  apa_result r = record_and_scale(&s, 0, 1000, 3); /* wants 100 */
  assert_int_equal(r.move, APA_UP);
  assert_double_exact(r.max_scale_up, 6);
  assert_int_equal(r.desired, 6);
  apa_state_free(&s);
  apa_state_init(&s, &p);
  r = record_and_scale(&s, 0, 0, 9); /* wants 0 */
  assert_int_equal(r.move, APA_DOWN);
  assert_double_exact(r.max_scale_down, 4);
  assert_int_equal(r.desired, 4);
  apa_state_free(&s);
  /* the controller then keeps it within [min, max] */
  assert_int_equal(aibrix_legacy_bound(1, 5, 6), 5);
}

/* APA records even when no pod is active: the empty sum 0 goes into the window. */
static void apa_records_zero_when_no_pod_is_active(void **state) {
  (void)state;
  apa_params p = apa_params_default(10);
  apa_state s;
  apa_state_init(&s, &p);
  const double pods[] = {10, 20};
  apa_record_pods(&s, 0, pods, 2);
  apa_record_pods(&s, 10 * S, NULL, 0);
  assert_int_equal(twin_len(&s.window), 2);
  assert_double_exact(twin_at(&s.window, 1).value, 0);
  apa_result r;
  assert_true(apa_scale(&s, 1, &r));
  assert_double_exact(r.value, 15);
  assert_int_equal(r.desired, 2); /* r = 1.5: min(ceil(1.5), ceil(2 * 1)) */
  apa_state_free(&s);
}

static void apa_without_ready_pods_or_samples_gives_no_decision(void **state) {
  (void)state;
  apa_params p = apa_params_default(10);
  apa_state s;
  apa_state_init(&s, &p);
  apa_result r;
  assert_false(apa_scale(&s, 3, &r)); /* empty window */
  assert_false(r.valid);
  apa_record(&s, 0, 50);
  assert_false(apa_scale(&s, 0, &r)); /* no ready pod: no per-pod use */
  assert_false(r.valid);
  assert_true(apa_scale(&s, 5, &r));
  assert_true(r.valid);
  apa_state_free(&s);
}

static void apa_averages_the_samples_of_its_window(void **state) {
  (void)state;
  apa_params p = apa_params_default(10);
  assert_true(apa_params_set(&p, APA_KEY_WINDOW, "30s", NULL));
  apa_state s;
  apa_state_init(&s, &p);
  const double sums[] = {100, 40, 40, 40};
  apa_result r = {0};
  for (int k = 0; k < 4; k++)
    r = record_and_scale(&s, k * 10 * S, sums[k], 4);
  assert_double_exact(r.value, 40); /* the 100 is 30 s old: out */
  assert_int_equal(r.desired, 4);
  apa_state_free(&s);
}

static void apa_state_update_keeps_the_window(void **state) {
  (void)state;
  apa_params p = apa_params_default(10);
  apa_state s;
  apa_state_init(&s, &p);
  apa_params q = apa_params_default(20);
  q.window_us = 5 * S;
  q.up_tolerance = 0.3;
  apa_state_update(&s, &q);
  assert_double_exact(s.params.target, 20);
  assert_double_exact(s.params.up_tolerance, 0.3);
  assert_int_equal(s.params.window_us, 60 * S);
  assert_int_equal(s.window.size, 60);
  apa_state_free(&s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(apa_scale_reproduces_TestApaScale2),
      cmocka_unit_test(apa_params_set_reproduces_TestApaUpdateContext),
      cmocka_unit_test(apa_formula_reproduces_the_head_algorithm_vectors),
      cmocka_unit_test(apa_params_default_are_the_legacy_defaults),
      cmocka_unit_test(apa_does_not_read_the_unprefixed_tolerance_keys),
      cmocka_unit_test(apa_params_set_refuses_bad_values_and_unknown_keys_without_change),
      cmocka_unit_test(apa_tolerance_band_holds_its_edges),
      cmocka_unit_test(apa_rate_limits_bound_each_step),
      cmocka_unit_test(apa_records_zero_when_no_pod_is_active),
      cmocka_unit_test(apa_without_ready_pods_or_samples_gives_no_decision),
      cmocka_unit_test(apa_averages_the_samples_of_its_window),
      cmocka_unit_test(apa_state_update_keeps_the_window),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
