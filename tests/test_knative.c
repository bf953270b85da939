/*
 * The Knative KPA: upstream unit-test vectors (knative/serving
 * pkg/autoscaler/scaling/autoscaler_test.go and aggregation/bucketing_test.go), each in a test
 * named after the upstream test it reproduces, then the behaviours the simulator relies on: the
 * window semantics, panic entry and exit through the metric pipeline, rate limits, the
 * scale-down delay, activation scale, bounds, the scale-to-zero gate and the settings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/autoscalers/knative.h"

#define S 1000000LL   /* one second in microseconds */
#define MS 1000LL     /* one millisecond in microseconds */
#define T0 (1000 * S) /* time.Now() of a vector */

/* ------------------------------------------------------------------------------------------
 * The harness of autoscaler_test.go: newTestAutoscalerWithScalingMetric(target, TBC) has
 * TotalValue = target / 0.75, PanicThreshold 2, rates 10, stable window 60 s, reachable, and a
 * pod counter at 1 (2 to start in panic); the metric client returns fixed (stable, panic).
 * ------------------------------------------------------------------------------------------ */

static kn_spec test_spec(double target, double tbc) {
  kn_spec sp;
  memset(&sp, 0, sizeof sp);
  sp.metric = KN_METRIC_CONCURRENCY;
  sp.target_value = target;
  sp.total_value = target / 0.75; /* for the tests presume 75% utilization */
  sp.target_burst_capacity = tbc;
  sp.panic_threshold = 2;
  sp.max_scale_up_rate = 10;
  sp.max_scale_down_rate = 10;
  sp.stable_window_us = 60 * S;
  sp.panic_window_us = 6 * S;
  sp.reachable = true;
  return sp;
}

static void new_test_autoscaler(kn_state *s, double target, double tbc) {
  kn_spec sp = test_spec(target, tbc);
  kn_state_init(s, &sp, 1, T0);
}

/* expectedEBC: floor(totCap / 0.75 * pods - tbc - recorded). */
static int32_t expected_ebc(double tot_cap, double tbc, double recorded, double pods) {
  return (int32_t)floor(tot_cap / 0.75 * pods - tbc - recorded);
}

/* expectScale: the desired pod count exactly, the excess burst capacity within 1. */
static void expect_scale(kn_state *s, double stable, double panic, int32_t ready, int64_t now,
                         int32_t want, int32_t want_ebc) {
  kn_result r;
  memset(&r, 0, sizeof r);
  kn_decide(s, stable, panic, ready, now, &r);
  assert_true(r.valid);
  assert_int_equal(r.decider_desired, want);
  if (abs(r.excess_burst - want_ebc) > 1) fail_msg("EBC %d, want %d", r.excess_burst, want_ebc);
}

static void kn_reproduces_TestAutoscalerStableModeIncreaseWithConcurrencyDefault(void **state) {
  (void)state;
  kn_state s;
  new_test_autoscaler(&s, 10, 101);
  expect_scale(&s, 50, 10, 1, T0, 5, expected_ebc(10, 101, 10, 1));
  expect_scale(&s, 100, 10, 1, T0, 10, expected_ebc(10, 101, 10, 1));
  kn_state_free(&s);
}

static void kn_reproduces_TestAutoscalerStableModeIncreaseWithRPS(void **state) {
  (void)state;
  kn_state s;
  kn_spec sp = test_spec(10, 101);
  sp.metric = KN_METRIC_RPS;
  kn_state_init(&s, &sp, 1, T0);
  expect_scale(&s, 50, 50, 1, T0, 5, expected_ebc(10, 101, 50, 1));
  assert_int_equal(expected_ebc(10, 101, 50, 1), -138);
  expect_scale(&s, 100, 99, 1, T0, 10, expected_ebc(10, 101, 99, 1));
  assert_int_equal(expected_ebc(10, 101, 99, 1), -187);
  kn_state_free(&s);
}

static void kn_reproduces_TestAutoscalerUnpanicAfterSlowIncrease(void **state) {
  (void)state;
  kn_state s;
  new_test_autoscaler(&s, 1, 98);
  /* Initial jump from 10 to 25 pods. */
  int64_t tm = T0;
  expect_scale(&s, 11, 25, 10, tm, 25, expected_ebc(1, 98, 25, 10));
  assert_true(s.panicking);
  assert_int_equal(s.panic_time_us, tm);
  /* Half the stable window later, one pod added per cycle. */
  tm += 30 * S;
  expect_scale(&s, 30, 41, 40, tm, 41, expected_ebc(1, 98, 41, 40));
  assert_int_equal(s.panic_time_us, T0); /* panic time did not move */
  /* At the end panic ends. */
  tm += 30 * S + KN_TICK_US;
  expect_scale(&s, 50, 56, 55, tm, 50, expected_ebc(1, 98, 56, 55));
  assert_false(s.panicking);
  kn_state_free(&s);
}

static void kn_reproduces_TestAutoscalerExtendPanicWindow(void **state) {
  (void)state;
  kn_state s;
  new_test_autoscaler(&s, 1, 98);
  int64_t tm = T0;
  expect_scale(&s, 11, 25, 10, tm, 25, expected_ebc(1, 98, 25, 10));
  assert_int_equal(s.panic_time_us, tm);
  /* Half the stable window later, still surging. */
  tm += 30 * S;
  expect_scale(&s, 30, 80, 40, tm, 80, expected_ebc(1, 98, 80, 40));
  assert_int_equal(s.panic_time_us, tm);
  kn_state_free(&s);
}

static void kn_reproduces_TestAutoscalerStableModeDecrease(void **state) {
  (void)state;
  kn_state s;
  new_test_autoscaler(&s, 10, 98);
  expect_scale(&s, 100, 100, 8, T0, 10, expected_ebc(10, 98, 100, 8));
  expect_scale(&s, 50, 50, 8, T0, 5, expected_ebc(10, 98, 50, 8));
  kn_state_free(&s);
}

static void kn_reproduces_TestAutoscalerStableModeNoTrafficScaleToZero(void **state) {
  (void)state;
  kn_state s;
  new_test_autoscaler(&s, 10, 75);
  expect_scale(&s, 1, 0, 1, T0, 1, expected_ebc(10, 75, 0, 1));
  expect_scale(&s, 0, 0, 1, T0, 0, expected_ebc(10, 75, 0, 1));
  kn_state_free(&s);
}

static void kn_reproduces_TestAutoscalerActivationScale(void **state) {
  (void)state;
  kn_state s;
  new_test_autoscaler(&s, 10, 75);
  s.spec.activation_scale = 2;
  expect_scale(&s, 0, 0, 1, T0, 0, expected_ebc(10, 75, 0, 1));
  expect_scale(&s, 1, 0, 1, T0, 2, expected_ebc(10, 75, 0, 1));
  kn_state_free(&s);
}

/* QPS grows exponentially; each scaling brings concurrency back to the target (1), then traffic
 * grows again, and stabilizes at 1296. */
static void kn_reproduces_TestAutoscalerPanicModeExponentialTrackAndStabilize(void **state) {
  (void)state;
  kn_state s;
  new_test_autoscaler(&s, 1, 101);
  expect_scale(&s, 6, 6, 1, T0, 6, expected_ebc(1, 101, 6, 1));
  int64_t tm = T0;
  expect_scale(&s, 36, 36, 6, tm, 36, expected_ebc(1, 101, 36, 6));
  assert_int_equal(s.panic_time_us, tm);
  tm += S;
  expect_scale(&s, 216, 216, 36, tm, 216, expected_ebc(1, 101, 216, 36));
  assert_int_equal(s.panic_time_us, tm);
  expect_scale(&s, 1296, 1296, 216, tm, 1296, expected_ebc(1, 101, 1296, 216));
  assert_int_equal(s.panic_time_us, tm);
  tm += S;
  expect_scale(&s, 1296, 1296, 1296, tm, 1296, expected_ebc(1, 101, 1296, 1296));
  kn_state_free(&s);
}

typedef struct scale_row {
  const char *label;
  double target, tbc, stable, panic;
  int32_t base_scale; /* ready pods */
  double msur, msdr;  /* 0: the harness's 10 */
  bool unreachable;   /* Reachable = false */
  int32_t panic_pods; /* > 0: in panic since 5 s ago with maxPanicPods this */
  int32_t want_scale; /* DesiredPodCount */
  int32_t want_ebc;   /* ExcessBurstCapacity (within 1) */
} scale_row;

static void kn_reproduces_TestAutoscalerScale(void **state) {
  (void)state;
  const scale_row rows[] = {
      {"AutoscalerNoDataAtZeroNoAutoscale", 10, 100, 0, 0, 1, 0, 0, false, 0, 0,
       expected_ebc(10, 100, 0, 1)},
      {"AutoscalerNoDataAtZeroNoAutoscaleWithExplicitEPs", 10, 100, 0, 0, 1, 0, 0, false, 0, 0,
       expected_ebc(10, 100, 0, 1)},
      {"AutoscalerStableModeUnlimitedTBC", 181, -1, 21, 26, 1, 0, 0, false, 0, 1, -1},
      {"Autoscaler0TBC", 10, 0, 50, 49, 1, 0, 0, false, 0, 5, 0},
      {"AutoscalerStableModeNoChange", 10, 100, 50, 50, 1, 0, 0, false, 0, 5,
       expected_ebc(10, 100, 50, 1)},
      {"AutoscalerPanicStableLargerThanPanic", 1, 100, 50, 30, 5, 0, 0, false, 5, 50,
       expected_ebc(1, 100, 30, 5)},
      {"AutoscalerPanicStableLessThanPanic", 1, 100, 20, 30, 5, 0, 0, false, 5, 30,
       expected_ebc(1, 100, 30, 5)},
      {"AutoscalerStableModeNoChangeAlreadyScaled", 10, 100, 50, 50, 5, 0, 0, false, 0, 5,
       expected_ebc(10, 100, 50, 5)},
      {"AutoscalerStableModeIncreaseWithSmallScaleUpRate", 1, 1982, 3, 3.1, 2, 1.1, 0, false, 0, 3,
       expected_ebc(1, 1982, 3.1, 2)},
      {"AutoscalerStableModeDecreaseWithSmallScaleDownRate", 10, 1982, 1, 1, 100, 0, 1.1, false, 0,
       90, expected_ebc(10, 1982, 1, 100)},
      {"AutoscalerStableModeDecreaseNonReachable", 10, 1982, 1, 1, 100, 0, 1.1, true, 0, 1,
       expected_ebc(10, 1982, 1, 100)},
      {"AutoscalerPanicModeDoublePodCount", 10, 84, 50, 100, 1, 0, 0, false, 0, 10,
       expected_ebc(10, 84, 100, 1)},
  };
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    const scale_row *row = &rows[i];
    kn_state s;
    new_test_autoscaler(&s, row->target, row->tbc);
    if (row->msur > 0) s.spec.max_scale_up_rate = row->msur;
    if (row->msdr > 0) s.spec.max_scale_down_rate = row->msdr;
    if (row->unreachable) s.spec.reachable = false;
    if (row->panic_pods > 0) {
      s.panicking = true;
      s.panic_time_us = T0 - 5 * S;
      s.max_panic_pods = row->panic_pods;
    }
    kn_result r;
    memset(&r, 0, sizeof r);
    kn_decide(&s, row->stable, row->panic, row->base_scale, T0, &r);
    if (r.decider_desired != row->want_scale || abs(r.excess_burst - row->want_ebc) > 1)
      fail_msg("%s: got (%d, %d), want (%d, %d)", row->label, r.decider_desired, r.excess_burst,
               row->want_scale, row->want_ebc);
    kn_state_free(&s);
  }
}

static void kn_reproduces_TestAutoscalerPanicThenUnPanicScaleDown(void **state) {
  (void)state;
  kn_state s;
  new_test_autoscaler(&s, 10, 93);
  expect_scale(&s, 100, 100, 1, T0, 10, expected_ebc(10, 93, 100, 1));
  int64_t panic_time = T0 + S;
  expect_scale(&s, 100, 1000, 10, panic_time, 100, expected_ebc(10, 93, 1000, 10));
  /* Traffic dropped off; the scale stays as we are still in panic. */
  expect_scale(&s, 1, 1, 10, panic_time + 30 * S, 100, expected_ebc(10, 93, 1, 10));
  /* Scale down after the stable window. */
  expect_scale(&s, 1, 1, 10, panic_time + 61 * S, 1, expected_ebc(10, 93, 1, 10));
  kn_state_free(&s);
}

static void kn_reproduces_TestAutoscalerRateLimitScaleUp(void **state) {
  (void)state;
  kn_state s;
  new_test_autoscaler(&s, 10, 61);
  /* Needs 100 pods but scales only x10. */
  expect_scale(&s, 1000, 1001, 1, T0, 10, expected_ebc(10, 61, 1001, 1));
  expect_scale(&s, 1000, 1001, 10, T0, 100, expected_ebc(10, 61, 1001, 10));
  kn_state_free(&s);
}

static void kn_reproduces_TestAutoscalerRateLimitScaleDown(void **state) {
  (void)state;
  kn_state s;
  new_test_autoscaler(&s, 10, 61);
  /* Needs 1 pod but can only divide by ten. */
  expect_scale(&s, 1, 1, 100, T0, 10, expected_ebc(10, 61, 1, 100));
  expect_scale(&s, 1, 1, 10, T0, 1, expected_ebc(10, 61, 1, 10));
  kn_state_free(&s);
}

static void kn_reproduces_TestAutoscalerUseOnePodAsMinimumIfEndpointsNotFound(void **state) {
  (void)state;
  kn_state s;
  new_test_autoscaler(&s, 10, 81);
  expect_scale(&s, 1000, 888, 0, T0, 10, expected_ebc(10, 81, 888, 0));
  kn_state_free(&s);
}

static void kn_reproduces_TestAutoscalerUpdateTarget(void **state) {
  (void)state;
  kn_state s;
  new_test_autoscaler(&s, 10, 77);
  expect_scale(&s, 100, 101, 1, T0, 10, expected_ebc(10, 77, 101, 1));
  s.spec.target_value = 1;
  s.spec.total_value = 1 / 0.75;
  s.spec.target_burst_capacity = 71;
  expect_scale(&s, 100, 101, 10, T0, 100, expected_ebc(1, 71, 101, 10));
  kn_state_free(&s);
}

/* TestAutoscalerScaleDownDelay's spec: target 10, rates 10, threshold 100 (no panic), delay
 * 5 min, reachable, no ready pods; the clock starts at Go's zero time (0 here). */
static kn_spec delay_spec(int64_t delay_us) {
  kn_spec sp;
  memset(&sp, 0, sizeof sp);
  sp.target_value = 10;
  sp.max_scale_down_rate = 10;
  sp.max_scale_up_rate = 10;
  sp.panic_threshold = 100;
  sp.scale_down_delay_us = delay_us;
  sp.reachable = true;
  sp.stable_window_us = 60 * S; /* unset upstream; never reached without panic */
  sp.panic_window_us = 6 * S;
  return sp;
}

static void kn_reproduces_TestAutoscalerScaleDownDelay(void **state) {
  (void)state;
  kn_spec sp = delay_spec(5 * 60 * S);
  kn_state s;
  kn_state_init(&s, &sp, 0, 0);
  /* simple */
  expect_scale(&s, 40, 40, 0, 2 * S, 4, 0);
  expect_scale(&s, 0, 0, 0, 5 * 60 * S, 4, 0);         /* less than the delay */
  expect_scale(&s, 0, 0, 0, 5 * 60 * S + 2 * S, 0, 0); /* now it scales down */
  /* gradual */
  expect_scale(&s, 40, 40, 0, 9 * 60 * S, 4, 0);
  expect_scale(&s, 30, 30, 0, 10 * 60 * S, 4, 0); /* 4 still dominates */
  expect_scale(&s, 0, 0, 0, 11 * 60 * S, 4, 0);   /* still at 4 */
  expect_scale(&s, 0, 0, 0, 14 * 60 * S, 3, 0);   /* 4 scrolls out, drop to 3 */
  expect_scale(&s, 0, 0, 0, 15 * 60 * S, 0, 0);   /* everything scrolled out */
  kn_state_free(&s);
}

static void kn_reproduces_TestAutoscalerScaleDownDelayNotReachable(void **state) {
  (void)state;
  kn_spec sp = delay_spec(5 * 60 * S);
  kn_state s;
  kn_state_init(&s, &sp, 0, 0);
  expect_scale(&s, 40, 40, 0, 2 * S, 4, 0);
  expect_scale(&s, 0, 0, 0, 60 * S, 4, 0); /* less than the delay */
  s.spec.reachable = false;                /* another revision comes up */
  expect_scale(&s, 0, 0, 0, 2 * S, 0, 0);
  kn_state_free(&s);
}

static void kn_reproduces_TestAutoscalerScaleDownDelayZero(void **state) {
  (void)state;
  kn_spec sp = delay_spec(0);
  kn_state s;
  kn_state_init(&s, &sp, 0, 0);
  expect_scale(&s, 40, 40, 0, 0, 4, 0);
  /* No delay: down at once (a one-bucket window would keep the larger of the same bucket). */
  expect_scale(&s, 20, 20, 0, 500 * MS, 2, 0);
  kn_state_free(&s);
}

static void kn_reproduces_TestStartInPanicMode(void **state) {
  (void)state;
  kn_spec sp = test_spec(100, 11);
  sp.total_value = 120;
  sp.panic_threshold = 220;
  for (int32_t i = 0; i < 2; i++) {
    kn_state s;
    kn_state_init(&s, &sp, i, T0);
    assert_false(s.panicking);
    assert_int_equal(s.max_panic_pods, i);
    kn_state_free(&s);
  }
  kn_state s;
  kn_state_init(&s, &sp, 2, T0);
  assert_true(s.panicking);
  assert_int_equal(s.max_panic_pods, 2);
  kn_state_free(&s);
}

static void kn_reproduces_TestAutoscalerNoDataNoAutoscale(void **state) {
  (void)state;
  kn_state s;
  new_test_autoscaler(&s, 10, 100);
  kn_result r;
  kn_scale(&s, 1, T0, &r);
  assert_false(r.valid);
  assert_int_equal(r.decider_desired, -1);
  kn_state_free(&s);
}

/* Without data the reconciler leaves the replicas alone, until an activating revision has been
 * waiting longer than the progress deadline (600 s) plus 10 s. */
static void kn_no_data_leaves_the_replicas_until_activation_times_out(void **state) {
  (void)state;
  kn_params p = kn_params_default();
  kn_spec sp;
  kn_spec_from_params(&p, &sp);
  kn_state s;
  kn_state_init(&s, &sp, 0, 0);
  kn_result r;
  assert_int_equal(kn_scale(&s, 0, 610 * S, &r), -1);
  assert_false(r.valid);
  assert_false(r.apply);
  assert_int_equal(r.active, KN_ACTIVATING);
  assert_int_equal(kn_scale(&s, 0, 612 * S, &r), 0);
  assert_true(r.apply && r.desired == 0);
  assert_int_equal(r.active, KN_INACTIVE);
  kn_scale(&s, 0, 614 * S, &r);
  assert_false(r.apply); /* inactive, no data: nothing to do */
  kn_state_free(&s);
}

static void kn_reproduces_TestAutoscalerMetricsWithRPS(void **state) {
  (void)state;
  kn_state s;
  kn_spec sp = test_spec(10, 100);
  sp.metric = KN_METRIC_RPS;
  kn_state_init(&s, &sp, 1, T0);
  kn_result r;
  memset(&r, 0, sizeof r);
  kn_decide(&s, 100, 99, 1, T0 + 61 * S, &r);
  assert_int_equal(r.decider_desired, 10);
  assert_in_range(r.excess_burst, expected_ebc(10, 100, 99, 1) - 1,
                  expected_ebc(10, 100, 99, 1) + 1);
  assert_true(r.panicking);
  assert_true(r.observed_stable == 100 && r.observed_panic == 99);
  kn_state_free(&s);
}

/* ------------------------------------------------------------------------------------------
 * bucketing_test.go: TimedFloat64Buckets with 1 s granularity.
 * ------------------------------------------------------------------------------------------ */

static kn_buckets linear(int64_t window_us, int64_t granularity_us) {
  kn_buckets b;
  kn_buckets_init(&b, window_us, granularity_us, KN_AGG_LINEAR);
  return b;
}

static void kn_reproduces_TestTimedFloat64BucketsWindowAverage(void **state) {
  (void)state;
  int64_t now = T0 + 300 * MS; /* time.Now() is not on a second */
  kn_buckets b = linear(5 * S, S);
  /* firstWrite matters: without it this would be 0.2. */
  kn_buckets_record(&b, now, 1);
  assert_true(kn_buckets_average(&b, now) == 1.0);
  for (int i = 1; i < 5; i++)
    kn_buckets_record(&b, now + i * S, i + 1);
  assert_true(kn_buckets_average(&b, now + 4 * S) == 15.0 / 5);
  /* now lags behind */
  assert_true(kn_buckets_average(&b, now + 3600 * MS) == 15.0 / 5);
  /* a short hole */
  assert_true(kn_buckets_average(&b, now + 6 * S) == (15.0 - 1 - 2) / (5 - 2));
  /* a long hole */
  assert_true(kn_buckets_average(&b, now + 10 * S) == 0.0);
  /* a write after a hole */
  kn_buckets_record(&b, now + 6 * S, 91);
  assert_true(kn_buckets_average(&b, now + 6 * S) == (15.0 - 1 - 2 + 91) / 5);
  /* much farther */
  now += 60 * S;
  kn_buckets_record(&b, now, 1984);
  assert_true(kn_buckets_average(&b, now) == 1984.0);
  /* an earlier time */
  kn_buckets_record(&b, now - 3 * S, 4);
  assert_true(kn_buckets_average(&b, now) == (4.0 + 1984) / 4);
  /* one more second */
  now += S;
  kn_buckets_record(&b, now, 5);
  assert_true(kn_buckets_average(&b, now) == (4.0 + 1984 + 5) / 5);
  /* an earlier time again */
  kn_buckets_record(&b, now - 3 * S, 10);
  assert_true(kn_buckets_average(&b, now) == (4.0 + 10 + 1984 + 5) / 5);
  /* a value too early is ignored */
  kn_buckets_record(&b, now - 6 * S, 10);
  assert_true(kn_buckets_average(&b, now) == (4.0 + 10 + 1984 + 5) / 5);
  kn_buckets_free(&b);
}

static void kn_reproduces_TestDescendingRecord(void **state) {
  (void)state;
  int64_t now = T0 + 300 * MS;
  kn_buckets b = linear(5 * S, S);
  for (int64_t i = 8; i >= 0; i--)
    kn_buckets_record(&b, now + i * S, 5);
  /* a 5 every second, never twice in one second */
  assert_true(kn_buckets_average(&b, now + 5 * S) == 5.0);
  kn_buckets_free(&b);
}

static void kn_reproduces_TestTimedFloat64BucketsHoles(void **state) {
  (void)state;
  int64_t now = T0 + 300 * MS;
  kn_buckets b = linear(5 * S, S);
  for (int i = 0; i < 5; i++)
    kn_buckets_record(&b, now + i * S, i + 1);
  assert_true(b.window_total == 15.0);
  assert_true(kn_buckets_average(&b, now + 4 * S) == 15.0 / 5);
  /* A write at second 8 zeroes seconds 5, 6, 7 (slots of 0, 1, 2) and 8 (slot of 3). */
  kn_buckets_record(&b, now + 8 * S, 2);
  assert_true(b.window_total == 7.0);
  kn_buckets_free(&b);
}

static void kn_reproduces_TestTimedFloat64BucketsSimple(void **state) {
  (void)state;
  /* granularity 1 s: the activator and a scrape in one second add up */
  int64_t t1 = T0;
  kn_buckets b = linear(120 * S, S);
  assert_true(kn_buckets_empty(&b, t1));
  kn_buckets_record(&b, t1, 1);
  kn_buckets_record(&b, t1 + 100 * MS, 10);
  kn_buckets_record(&b, t1 + S, 1);
  kn_buckets_record(&b, t1 + 3 * S, 1);
  assert_true(b.buckets[(t1 / S) % b.n] == 11.0);
  assert_true(b.buckets[(t1 / S + 1) % b.n] == 1.0);
  assert_true(b.buckets[(t1 / S + 2) % b.n] == 0.0);
  assert_true(b.buckets[(t1 / S + 3) % b.n] == 1.0);
  kn_buckets_free(&b);
  /* granularity 5 s */
  int64_t t5 = T0; /* a multiple of 5 s */
  b = linear(120 * S, 5 * S);
  assert_int_equal(b.n, 24);
  kn_buckets_record(&b, t5, 1);
  kn_buckets_record(&b, t5 + 3 * S, 11);
  kn_buckets_record(&b, t5 + 6 * S, 1);
  assert_true(b.buckets[(t5 / (5 * S)) % b.n] == 12.0);
  assert_true(b.buckets[(t5 / (5 * S) + 1) % b.n] == 1.0);
  kn_buckets_free(&b);
}

static void kn_reproduces_TestTimedFloat64BucketsManyReps(void **state) {
  (void)state;
  kn_buckets b = linear(60 * S, S);
  int64_t t = T0;
  for (int p = 0; p < 5; p++) {
    t += S;
    for (int k = 0; k < 5; k++)
      kn_buckets_record(&b, t, p + k);
  }
  assert_true(b.window_total == 100.0);
  assert_true(kn_buckets_average(&b, t) == 100.0 / 5);
  kn_buckets_free(&b);
  /* ...WithNonMonotonicalOrder */
  b = linear(60 * S, S);
  const int d[] = {0, 3, 2, 1, 4};
  for (int p = 0; p < 5; p++)
    for (int k = 0; k < 5; k++)
      kn_buckets_record(&b, T0 + d[p] * S, p + k);
  assert_true(b.window_total == 100.0);
  assert_true(kn_buckets_average(&b, T0 + 4 * S) == 100.0 / 5);
  kn_buckets_free(&b);
}

/* ------------------------------------------------------------------------------------------
 * Window semantics beyond the upstream vectors.
 * ------------------------------------------------------------------------------------------ */

/* A scenario's warm-up runs the autoscaler at negative times: a record there lands in the
 * window as it would a whole number of windows later (it once indexed before the buckets). */
static void kn_buckets_before_time_zero_average_as_later_ones(void **state) {
  (void)state;
  for (int agg = 0; agg < 2; agg++) {
    kn_buckets early, late;
    kn_aggregation a = agg ? KN_AGG_WEIGHTED_EXPONENTIAL : KN_AGG_LINEAR;
    kn_buckets_init(&early, 6 * S, S, a);
    kn_buckets_init(&late, 6 * S, S, a);
    for (int i = 0; i < 9; i++) {
      kn_buckets_record(&early, -30 * S + i * S + 300 * MS, i);
      kn_buckets_record(&late, 30 * S + i * S + 300 * MS, i);
    }
    double kept = 0;
    for (int64_t k = 0; k < early.n; k++)
      kept += early.buckets[k];
    assert_true(kept == early.window_total);
    assert_true(kn_buckets_average(&early, -20 * S) == kn_buckets_average(&late, 40 * S));
    assert_true(kn_buckets_average(&early, -25 * S) == kn_buckets_average(&late, 35 * S));
    kn_buckets_free(&early);
    kn_buckets_free(&late);
  }
}

static void kn_linear_average_floors_to_six_digits(void **state) {
  (void)state;
  kn_buckets b = linear(60 * S, S);
  kn_buckets_record(&b, T0, 1);
  kn_buckets_record(&b, T0 + 2 * S, 0);
  /* 1/3 floored to 6 digits; and a gap inside the data counts as 0 */
  assert_true(kn_buckets_average(&b, T0 + 2 * S) == floor(1e6 / 3.0) / 1e6);
  kn_buckets_free(&b);
}

static void kn_linear_average_leaves_out_time_after_the_last_write(void **state) {
  (void)state;
  kn_buckets b = linear(10 * S, S);
  kn_buckets_record(&b, T0, 6);
  /* Partial window since the first write: 3 s of silence do not dilute a single value. */
  assert_true(kn_buckets_average(&b, T0 + 3 * S) == 6.0);
  for (int i = 1; i < 10; i++)
    kn_buckets_record(&b, T0 + i * S, 6);
  /* Full window: 3 s of silence leave 7 buckets of 6 over 7. */
  assert_true(kn_buckets_average(&b, T0 + 12 * S) == 6.0);
  kn_buckets_free(&b);
}

static void kn_window_is_empty_only_after_more_than_a_window(void **state) {
  (void)state;
  kn_buckets b = linear(60 * S, S);
  assert_true(kn_buckets_empty(&b, 0));
  assert_true(kn_buckets_average(&b, 0) == 0.0);
  kn_buckets_record(&b, T0 + 500 * MS, 3);
  assert_false(kn_buckets_empty(&b, T0 + 60 * S + 999 * MS)); /* exactly a window: not empty */
  assert_true(kn_buckets_average(&b, T0 + 60 * S) == 0.0);    /* but averages 0 */
  assert_true(kn_buckets_empty(&b, T0 + 61 * S));
  kn_buckets_free(&b);
}

/* The weighted-exponential example of Knative's docs: concurrency [1 3 5 4 6 7 2 8 10 20] over
 * 10 s (newest last), a 10 s and a 3 s window. */
static void kn_weighted_average_matches_the_knative_example(void **state) {
  (void)state;
  kn_buckets st, pa;
  kn_buckets_init(&st, 10 * S, S, KN_AGG_WEIGHTED_EXPONENTIAL);
  kn_buckets_init(&pa, 3 * S, S, KN_AGG_WEIGHTED_EXPONENTIAL);
  const double conc[] = {1, 3, 5, 4, 6, 7, 2, 8, 10, 20};
  int64_t now = T0 + 300 * MS;
  for (int i = 0; i < 10; i++) {
    kn_buckets_record(&st, now + (i + 1) * S, conc[i]);
    kn_buckets_record(&pa, now + (i + 1) * S, conc[i]);
  }
  assert_float_equal(kn_buckets_average(&st, now + 10 * S), 15.430728028666296, 1e-9);
  assert_float_equal(kn_buckets_average(&pa, now + 10 * S), 19.530732247258655, 1e-9);
  kn_buckets_free(&st);
  kn_buckets_free(&pa);
}

static void kn_weighted_average_decays_and_ignores_the_first_write(void **state) {
  (void)state;
  kn_buckets w, l;
  kn_buckets_init(&w, 60 * S, S, KN_AGG_WEIGHTED_EXPONENTIAL);
  kn_buckets_init(&l, 60 * S, S, KN_AGG_LINEAR);
  assert_true(w.smoothing == 0.2); /* 60 buckets: 1-0.0001^(1/60) < minExponent */
  kn_buckets_record(&w, T0, 10);
  kn_buckets_record(&l, T0, 10);
  assert_float_equal(kn_buckets_average(&w, T0), 2.0, 1e-12);
  assert_true(kn_buckets_average(&l, T0) == 10.0);
  /* Two silent seconds later the weight is 0.2 * 0.8^2. */
  assert_float_equal(kn_buckets_average(&w, T0 + 2 * S), 10 * 0.2 * 0.8 * 0.8, 1e-12);
  kn_buckets_free(&w);
  kn_buckets_free(&l);
  kn_buckets_init(&w, 6 * S, S, KN_AGG_WEIGHTED_EXPONENTIAL);
  assert_float_equal(w.smoothing, 1 - pow(1e-4, 1 / 6.0), 1e-15);
  kn_buckets_free(&w);
}

static void kn_delay_window_keeps_the_largest_of_its_buckets(void **state) {
  (void)state;
  kn_maxwin w;
  kn_maxwin_init(&w, 10 * S, 2 * S); /* 5 buckets of 2 s */
  assert_int_equal(w.size, 5);
  kn_maxwin_record(&w, 0, 3);
  kn_maxwin_record(&w, 1 * S, 1); /* same bucket: the larger stays */
  assert_int_equal(kn_maxwin_current(&w), 3);
  kn_maxwin_record(&w, 2 * S, 7);
  kn_maxwin_record(&w, 4 * S, 2);
  assert_int_equal(kn_maxwin_current(&w), 7);
  kn_maxwin_record(&w, 10 * S, 1); /* index 5: 7 (index 1) is 4 back, still in */
  assert_int_equal(kn_maxwin_current(&w), 7);
  kn_maxwin_record(&w, 12 * S, 0); /* index 6: 7 leaves, 2 (index 2) is next */
  assert_int_equal(kn_maxwin_current(&w), 2);
  kn_maxwin_record(&w, 30 * S, 4);
  assert_int_equal(kn_maxwin_current(&w), 4);
  /* Many records in one bucket hold one candidate: the ring never overflows. */
  for (int32_t v = 9; v >= 0; v--)
    kn_maxwin_record(&w, 40 * S, v);
  assert_int_equal(w.length, 1);
  assert_int_equal(kn_maxwin_current(&w), 9);
  kn_maxwin_free(&w);
}

/* ------------------------------------------------------------------------------------------
 * Through the pipeline: kn_record every second, kn_scale every tick.
 * ------------------------------------------------------------------------------------------ */

typedef double (*load_fn)(int64_t t_s);

/* Record load(t) each second and scale each tick from `from` to `to` (seconds, inclusive);
 * returns the result at `to`. */
static kn_result run(kn_state *s, load_fn load, int32_t (*ready)(int64_t t_s), int64_t from,
                     int64_t to) {
  kn_result r;
  memset(&r, 0, sizeof r);
  for (int64_t t = from; t <= to; t++) {
    kn_record(s, t * S, load(t), 0);
    if (t % 2 == 0) kn_scale(s, ready(t), t * S, &r);
  }
  return r;
}

static int32_t one_ready(int64_t t_s) {
  (void)t_s;
  return 1;
}

/* 35 in flight, a burst of 350 from 100 s to 110 s. */
static double burst(int64_t t_s) { return t_s >= 100 && t_s < 110 ? 350 : 35; }

static void kn_panics_on_a_burst_and_leaves_a_stable_window_after_the_last(void **state) {
  (void)state;
  kn_params p = kn_params_default(); /* target 70, stable 60 s, panic 6 s, threshold 200 % */
  kn_spec sp;
  kn_spec_from_params(&p, &sp);
  kn_state s;
  kn_state_init(&s, &sp, 1, 0);
  kn_result r = run(&s, burst, one_ready, 0, 98);
  assert_false(r.panicking);
  assert_int_equal(r.desired, 1);
  r = run(&s, burst, one_ready, 99, 100);
  /* panic window (5*35 + 350)/6 = 87.5 -> 2 pods for 1 ready: 200 % */
  assert_true(r.observed_panic == 87.5);
  assert_true(r.over_threshold && r.panicking);
  assert_int_equal(r.desired, 2);
  r = run(&s, burst, one_ready, 101, 114);
  assert_true(r.over_threshold); /* the last tick over: (350 + 5*35)/6 */
  assert_int_equal(s.panic_time_us, 114 * S);
  assert_int_equal(r.max_panic_pods, 5);
  r = run(&s, burst, one_ready, 115, 174);
  assert_false(r.over_threshold);
  assert_true(r.panicking); /* 114 + 60 is not before 174 */
  assert_int_equal(r.desired_stable, 1);
  assert_int_equal(r.desired, 5); /* no scale-down in panic */
  r = run(&s, burst, one_ready, 175, 176);
  assert_false(r.panicking);
  assert_int_equal(r.desired, 1);
  kn_state_free(&s);
}

static void kn_scales_on_rps_when_the_metric_is_rps(void **state) {
  (void)state;
  kn_params p = kn_params_default();
  assert_true(kn_params_set(&p, "autoscaling.knative.dev/metric", "rps", NULL));
  kn_spec sp;
  kn_spec_from_params(&p, &sp);
  assert_true(sp.target_value == 200 * 0.7);
  kn_state s;
  kn_state_init(&s, &sp, 1, 0);
  kn_result r;
  for (int64_t t = 0; t <= 10; t++)
    kn_record(&s, t * S, 1, 300); /* concurrency 1, 300 rps */
  kn_scale(&s, 1, 10 * S, &r);
  assert_true(r.observed_stable == 300);
  assert_int_equal(r.dspc, 3);
  assert_int_equal(r.decider_desired, 3);
  kn_state_free(&s);
}

static void kn_rates_limit_each_tick_from_the_ready_pods(void **state) {
  (void)state;
  kn_params p = kn_params_default();
  assert_true(kn_params_set(&p, "max-scale-up-rate", "2", NULL));
  kn_spec sp;
  kn_spec_from_params(&p, &sp);
  kn_state s;
  kn_state_init(&s, &sp, 3, 0); /* starts in panic at 3 */
  kn_result r;
  kn_record(&s, 0, 7000, 0); /* wants 100 pods */
  kn_scale(&s, 3, 0, &r);
  assert_true(r.max_scale_up == 6 && r.max_scale_down == 1);
  assert_int_equal(r.desired, 6);
  kn_state_free(&s);
  /* Down: at most halving (max-scale-down-rate 2) without panic. */
  kn_state_init(&s, &sp, 1, 0);
  kn_record(&s, 0, 70, 0);
  kn_scale(&s, 10, 0, &r);
  assert_false(r.panicking);
  assert_true(r.max_scale_down == 5);
  assert_int_equal(r.desired, 5);
  kn_state_free(&s);
}

static double ten_s_of_280(int64_t t_s) { return t_s < 10 ? 280 : 0; }
static int32_t four_ready(int64_t t_s) {
  (void)t_s;
  return 4;
}

static void kn_scale_down_delay_holds_the_highest_decision(void **state) {
  (void)state;
  kn_params p = kn_params_default();
  assert_true(kn_params_set(&p, "stable-window", "6s", NULL)); /* panic window 1 s */
  assert_true(kn_params_set(&p, "scale-down-delay", "30s", NULL));
  assert_true(kn_params_set(&p, "max-scale-down-rate", "100", NULL));
  kn_spec sp;
  kn_spec_from_params(&p, &sp);
  kn_state s;
  kn_state_init(&s, &sp, 1, 0);
  assert_true(s.has_delay);
  assert_int_equal(s.delay.size, 15); /* 2 s buckets */
  /* The decisions without delay: 4 up to 10 s, then 2 (12 s), 1 (14 s), 0. */
  const struct {
    int64_t t;
    int32_t undelayed, desired;
  } want[] = {{10, 4, 4}, {12, 2, 4}, {14, 1, 4}, {16, 0, 4}, {38, 0, 4},
              {40, 0, 2}, {42, 0, 1}, {44, 0, 0}, {46, 0, 0}};
  int64_t from = 0;
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    kn_result r = run(&s, ten_s_of_280, four_ready, from, want[i].t);
    from = want[i].t + 1;
    if (r.panicking || r.undelayed != want[i].undelayed || r.decider_desired != want[i].desired)
      fail_msg("at %lld s: panic %d, undelayed %d, desired %d", (long long)want[i].t, r.panicking,
               r.undelayed, r.decider_desired);
    assert_true(r.delayed == (want[i].undelayed != want[i].desired));
  }
  kn_state_free(&s);
}

static void kn_activation_scale_raises_a_nonzero_decision(void **state) {
  (void)state;
  kn_params p = kn_params_default();
  assert_true(kn_params_set(&p, "autoscaling.knative.dev/activation-scale", "3", NULL));
  kn_spec sp;
  kn_spec_from_params(&p, &sp);
  kn_state s;
  kn_state_init(&s, &sp, 0, 0);
  kn_result r;
  kn_record(&s, 0, 1, 0);
  kn_scale(&s, 0, 0, &r);
  assert_int_equal(r.dspc, 1);
  assert_int_equal(r.desired_stable, 3);
  assert_int_equal(r.desired, 3);
  kn_state_free(&s);
}

/* ------------------------------------------------------------------------------------------
 * The reconciler: bounds, initial scale, scale to zero.
 * ------------------------------------------------------------------------------------------ */

static double early(int64_t t_s) { return t_s < 6 ? 1 : 0; }
static int32_t ready_from_10(int64_t t_s) { return t_s >= 10 ? 1 : 0; }

/* Stable window 6 s, no burst capacity (the activator leaves the path while serving): a request
 * in the first 6 s, the pod ready at 10 s. */
static void zero_setup(kn_state *s, bool scale_to_zero, const char *retention) {
  kn_params p = kn_params_default();
  assert_true(kn_params_set(&p, "stable-window", "6s", NULL));
  assert_true(kn_params_set(&p, "target-burst-capacity", "0", NULL));
  if (!scale_to_zero) assert_true(kn_params_set(&p, "enable-scale-to-zero", "false", NULL));
  if (retention)
    assert_true(kn_params_set(&p, "scale-to-zero-pod-retention-period", retention, NULL));
  assert_true(kn_params_check(&p, NULL));
  kn_spec sp;
  kn_spec_from_params(&p, &sp);
  kn_state_init(s, &sp, 0, 0);
}

static void kn_scales_to_zero_after_a_stable_window_active_then_the_grace_period(void **state) {
  (void)state;
  kn_state s;
  zero_setup(&s, true, NULL);
  kn_result r = run(&s, early, ready_from_10, 0, 8);
  assert_int_equal(r.active, KN_ACTIVATING);
  assert_true(r.apply && r.desired == 1);
  r = run(&s, early, ready_from_10, 9, 10);
  assert_int_equal(r.active, KN_ACTIVE);
  r = run(&s, early, ready_from_10, 11, 12);
  assert_int_equal(r.decider_desired, 0);
  assert_true(r.apply && r.desired == 1); /* active only 2 s: held at 1 */
  r = run(&s, early, ready_from_10, 13, 16);
  assert_false(r.apply); /* active 6 s: deactivated, replicas left as they are */
  assert_int_equal(r.active, KN_INACTIVE);
  assert_true(r.proxy);
  r = run(&s, early, ready_from_10, 17, 44);
  assert_false(r.apply); /* the activator has been in the path 28 s */
  r = run(&s, early, ready_from_10, 45, 46);
  assert_true(r.apply && r.desired == 0);
  kn_state_free(&s);
}

/* With the default burst capacity (211) one pod of 100 leaves the activator in the path from the
 * start, so the grace period counts from then, not from the deactivation. */
static void kn_grace_counts_from_when_the_activator_entered_the_path(void **state) {
  (void)state;
  kn_params p = kn_params_default();
  assert_true(kn_params_set(&p, "stable-window", "6s", NULL));
  kn_spec sp;
  kn_spec_from_params(&p, &sp);
  kn_state s;
  kn_state_init(&s, &sp, 0, 0);
  kn_result r = run(&s, early, ready_from_10, 0, 10);
  assert_true(r.proxy);
  assert_true(r.excess_burst < 0);
  r = run(&s, early, ready_from_10, 11, 16);
  assert_false(r.apply);
  assert_int_equal(r.active, KN_INACTIVE);
  r = run(&s, early, ready_from_10, 17, 28);
  assert_false(r.apply);
  r = run(&s, early, ready_from_10, 29, 30); /* in proxy mode since 0 s */
  assert_true(r.apply && r.desired == 0);
  kn_state_free(&s);
}

static void kn_pod_retention_delays_scale_to_zero(void **state) {
  (void)state;
  kn_state s;
  zero_setup(&s, true, "60s");
  kn_result r = run(&s, early, ready_from_10, 0, 74);
  assert_false(r.apply); /* inactive since 16 s: 58 s < 60 s */
  r = run(&s, early, ready_from_10, 75, 76);
  assert_true(r.apply && r.desired == 0);
  kn_state_free(&s);
}

static void kn_without_scale_to_zero_keeps_one_pod(void **state) {
  (void)state;
  kn_state s;
  zero_setup(&s, false, NULL);
  kn_result r = run(&s, early, ready_from_10, 0, 100);
  assert_int_equal(r.decider_desired, 0);
  assert_true(r.apply && r.desired == 1);
  assert_int_equal(r.active, KN_ACTIVE);
  kn_state_free(&s);
}

static double heavy(int64_t t_s) { return t_s < 20 ? 700 : 0; }
static int32_t ready_3_from_10(int64_t t_s) { return t_s >= 10 ? 3 : 1; }

static void kn_min_max_and_initial_scale_bound_the_decision(void **state) {
  (void)state;
  kn_params p = kn_params_default();
  assert_true(kn_params_set(&p, "autoscaling.knative.dev/min-scale", "2", NULL));
  assert_true(kn_params_set(&p, "autoscaling.knative.dev/max-scale", "4", NULL));
  assert_true(kn_params_set(&p, "autoscaling.knative.dev/initial-scale", "3", NULL));
  assert_true(kn_params_set(&p, "stable-window", "6s", NULL));
  assert_true(kn_params_set(&p, "max-scale-down-rate", "100", NULL));
  assert_true(kn_params_check(&p, NULL));
  kn_spec sp;
  kn_spec_from_params(&p, &sp);
  kn_state s;
  kn_state_init(&s, &sp, 1, 0);
  kn_result r = run(&s, heavy, ready_3_from_10, 0, 0);
  assert_int_equal(r.decider_desired, 10);
  assert_int_equal(r.desired, 4); /* max-scale */
  r = run(&s, heavy, ready_3_from_10, 1, 30);
  assert_int_equal(r.decider_desired, 0);
  assert_true(r.apply);
  assert_int_equal(r.desired, 2); /* min-scale; initial scale 3 was reached at 10 s */
  kn_state_free(&s);
  /* Before the initial scale is reached it is the floor. */
  kn_state_init(&s, &sp, 1, 0);
  r = run(&s, heavy, one_ready, 0, 30);
  assert_int_equal(r.desired, 3);
  kn_state_free(&s);
}

/* ------------------------------------------------------------------------------------------
 * Settings.
 * ------------------------------------------------------------------------------------------ */

static void kn_defaults_are_those_of_config_autoscaler(void **state) {
  (void)state;
  kn_params p = kn_params_default();
  assert_true(kn_params_check(&p, NULL));
  assert_true(p.stable_window_us == 60 * S && p.scale_down_delay_us == 0);
  assert_true(p.max_scale_up_rate == 1000 && p.max_scale_down_rate == 2);
  assert_true(p.target_burst_capacity == 211 && p.activator_capacity == 100);
  assert_true(p.scale_to_zero_grace_period_us == 30 * S && p.enable_scale_to_zero);
  kn_spec sp;
  kn_spec_from_params(&p, &sp);
  assert_true(sp.target_value == 70 && sp.total_value == 100);
  assert_true(sp.panic_threshold == 2.0);
  assert_int_equal(sp.panic_window_us, 6 * S);
  assert_int_equal(sp.activation_scale, 1);
  assert_int_equal(sp.initial_scale, 1);
  assert_int_equal(sp.activation_timeout_us, 610 * S);
}

static void kn_params_set_reads_go_durations(void **state) {
  (void)state;
  const struct {
    const char *v;
    bool ok;
    int64_t us;
  } cases[] = {
      {"60s", true, 60 * S},
      {"1m30s", true, 90 * S},
      {"1.5m", true, 90 * S},
      {"90000ms", true, 90 * S},
      {"+2m", true, 120 * S},
      {"1h", true, 3600 * S},
      {"0.1h", true, 360 * S},
      {"6s0ms", true, 6 * S},
      {"7000000us", true, 7 * S},
      {"60", false, 0},
      {"", false, 0},
      {"s", false, 0},
      {"1x", false, 0},
      {"5s", false, 0} /* < 6 s */,
      {"1.5s", false, 0} /* whole */,
      {"-60s", false, 0},
      {"61m", false, 0} /* > 1 h */,
      {" 60s", false, 0},
      {".s", false, 0},
      {"1e3s", false, 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    kn_params p = kn_params_default();
    ps_err e;
    bool ok = kn_params_set(&p, "stable-window", cases[i].v, &e);
    if (ok != cases[i].ok) fail_msg("stable-window \"%s\": got %d", cases[i].v, ok);
    assert_int_equal(p.stable_window_us, ok ? cases[i].us : 60 * S);
  }
  kn_params p = kn_params_default();
  assert_true(kn_params_set(&p, "scale-to-zero-grace-period", "1.5s", NULL));
  assert_int_equal(p.scale_to_zero_grace_period_us, 1500 * MS);
  assert_true(kn_params_set(&p, "scale-to-zero-grace-period", "2\xc2\xb5s", NULL)); /* µs */
  assert_int_equal(p.scale_to_zero_grace_period_us, 2);
  assert_false(kn_params_set(&p, "scale-to-zero-grace-period", "1500ns", NULL)); /* sub-µs */
  assert_false(kn_params_set(&p, "scale-to-zero-grace-period", "0s", NULL));     /* > 0 */
  assert_int_equal(p.scale_to_zero_grace_period_us, 2);
  assert_true(kn_params_set(&p, "scale-down-delay", "0", NULL));
  assert_false(kn_params_set(&p, "scale-down-delay", "99999999999999999999s", NULL));
}

/* The settings read numbers as Go does, through models/autoscalers/gosem.h, the one implementation:
 * Go's underscores and hex floats, underflow to 0, a duration in any unit that is whole
 * microseconds. */
static void kn_params_set_reads_numbers_as_go(void **state) {
  (void)state;
  kn_params p = kn_params_default();
  assert_true(kn_params_set(&p, "max-scale-up-rate", "1_000", NULL));
  assert_true(p.max_scale_up_rate == 1000);
  assert_true(kn_params_set(&p, "max-scale-up-rate", "0x1p4", NULL));
  assert_true(p.max_scale_up_rate == 16);
  assert_true(kn_params_set(&p, "stable-window", "60000000000ns", NULL));
  assert_int_equal(p.stable_window_us, 60000000);
  assert_true(kn_params_set(&p, "stable-window", "1m1s", NULL));
  assert_int_equal(p.stable_window_us, 61000000);
}

static void kn_params_set_refuses_bad_values_and_keeps_the_old(void **state) {
  (void)state;
  const struct {
    const char *key, *value;
  } bad[] = {
      {"max-scale-up-rate", "1"},
      {"max-scale-down-rate", "0.5"},
      {"max-scale-up-rate", "fast"},
      {"container-concurrency-target-percentage", "0"},
      {"container-concurrency-target-percentage", "101"},
      {"target-burst-capacity", "-2"},
      {"panic-window-percentage", "0.5"},
      {"activator-capacity", "0.5"},
      {"enable-scale-to-zero", "yes"},
      {"initial-scale", "-1"},
      {"initial-scale", "1.5"},
      {"containerConcurrency", "1001"},
      {"autoscaling.knative.dev/panic-threshold-percentage", "100"},
      {"autoscaling.knative.dev/target", "0"},
      {"autoscaling.knative.dev/target-utilization-percentage", "0.5"},
      {"autoscaling.knative.dev/activation-scale", "0"},
      {"autoscaling.knative.dev/metric", "cpu"},
      {"autoscaling.knative.dev/metric-aggregation-algorithm", "max"},
      {"autoscaling.knative.dev/scale-down-delay", "2h"},
      {"autoscaling.knative.dev/window", "1m0.5s"},
      {"window", "60s"}, /* the annotation needs its prefix */
      {"no-such-key", "1"},
      /* strconv.ParseFloat (models/autoscalers/gosem.h): hex needs a p exponent; no spaces, no Inf
       */
      {"max-scale-up-rate", "0x10"},
      {"max-scale-up-rate", " 10"},
      {"max-scale-up-rate", "Inf"},
      {"stable-window", "60000001ns"}, /* below the simulator's microsecond */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    kn_params p = kn_params_default(), before = p;
    ps_err e;
    e.msg[0] = '\0';
    if (kn_params_set(&p, bad[i].key, bad[i].value, &e))
      fail_msg("%s=%s accepted", bad[i].key, bad[i].value);
    assert_memory_equal(&p, &before, sizeof p);
    assert_non_null(strstr(e.msg, bad[i].key));
  }
}

static void kn_annotations_override_the_cluster_defaults(void **state) {
  (void)state;
  kn_params p = kn_params_default();
  assert_true(kn_params_set(&p, "container-concurrency-target-percentage", "80", NULL));
  assert_true(p.container_concurrency_target_fraction == 0.8);
  assert_true(kn_params_set(&p, "container-concurrency-target-percentage", "0.6", NULL));
  assert_true(p.container_concurrency_target_fraction == 0.6);
  assert_true(kn_params_set(&p, "autoscaling.knative.dev/window", "2m", NULL));
  assert_true(kn_params_set(&p, "autoscaling.knative.dev/panicWindowPercentage", "12.5", NULL));
  assert_true(kn_params_set(&p, "autoscaling.knative.dev/panic-threshold-percentage", "150", NULL));
  assert_true(kn_params_set(&p, "autoscaling.knative.dev/target", "10", NULL));
  assert_true(kn_params_set(&p, "autoscaling.knative.dev/target-burst-capacity", "-1", NULL));
  assert_true(kn_params_set(&p, "autoscaling.knative.dev/scale-down-delay", "1m", NULL));
  assert_true(kn_params_set(&p, "autoscaling.knative.dev/metric-aggregation-algorithm",
                            "weightedExponential", NULL));
  assert_true(kn_params_set(&p, "containerConcurrency", "5", NULL));
  kn_spec sp;
  kn_spec_from_params(&p, &sp);
  assert_int_equal(sp.stable_window_us, 120 * S);
  assert_int_equal(sp.panic_window_us, 15 * S);
  assert_true(sp.panic_threshold == 1.5);
  assert_true(sp.total_value == 5); /* min(target, containerConcurrency) */
  assert_true(sp.target_value == 5 * 0.6);
  assert_true(sp.target_burst_capacity == -1);
  assert_int_equal(sp.scale_down_delay_us, 60 * S);
  assert_int_equal(sp.aggregation, KN_AGG_WEIGHTED_EXPONENTIAL);
  /* target-utilization-percentage overrides the cluster fraction */
  assert_true(
      kn_params_set(&p, "autoscaling.knative.dev/target-utilization-percentage", "50", NULL));
  kn_spec_from_params(&p, &sp);
  assert_true(sp.target_value == 2.5);
}

static void kn_panic_window_is_rounded_to_a_second_and_at_least_one(void **state) {
  (void)state;
  const struct {
    const char *window, *pct;
    int64_t want_us;
  } cases[] = {
      {"60s", "10", 6 * S},
      {"15s", "10", 2 * S},
      {"6s", "10", 1 * S},
      {"6s", "1", 1 * S} /* 0.06 s */,
      {"1h", "100", 3600 * S},
      {"25s", "10", 3 * S} /* 2.5 s rounds half up */,
      {"7s", "7", 0 * S + 1 * S} /* 0.49 s */,
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    kn_params p = kn_params_default();
    assert_true(kn_params_set(&p, "stable-window", cases[i].window, NULL));
    assert_true(kn_params_set(&p, "panic-window-percentage", cases[i].pct, NULL));
    kn_spec sp;
    kn_spec_from_params(&p, &sp);
    if (sp.panic_window_us != cases[i].want_us)
      fail_msg("%s * %s%%: %lld us", cases[i].window, cases[i].pct, (long long)sp.panic_window_us);
  }
}

static void kn_params_check_refuses_contradictions(void **state) {
  (void)state;
  kn_params p = kn_params_default();
  ps_err e;
  assert_true(kn_params_set(&p, "initial-scale", "0", NULL));
  assert_false(kn_params_check(&p, &e));
  assert_true(kn_params_set(&p, "allow-zero-initial-scale", "true", NULL));
  assert_true(kn_params_check(&p, &e));
  assert_true(kn_params_set(&p, "autoscaling.knative.dev/min-scale", "5", NULL));
  assert_true(kn_params_set(&p, "max-scale", "3", NULL));
  assert_false(kn_params_check(&p, &e));
  assert_non_null(strstr(e.msg, "min-scale"));
  p = kn_params_default();
  assert_true(kn_params_set(&p, "container-concurrency-target-default", "0.01", NULL));
  assert_false(kn_params_check(&p, &e));
}

static void kn_sample_size_follows_the_population_mean_formula(void **state) {
  (void)state;
  const int32_t pods[] = {0, 1, 2, 3, 4, 10, 100, 1000};
  const int32_t want[] = {0, 1, 2, 3, 4, 7, 14, 16};
  for (size_t i = 0; i < sizeof pods / sizeof pods[0]; i++)
    assert_int_equal(kn_sample_size(pods[i]), want[i]);
  assert_true(kn_scrape_total(30, 7, 10) == 30.0 / 7 * 10);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(kn_reproduces_TestAutoscalerStableModeIncreaseWithConcurrencyDefault),
      cmocka_unit_test(kn_reproduces_TestAutoscalerStableModeIncreaseWithRPS),
      cmocka_unit_test(kn_reproduces_TestAutoscalerUnpanicAfterSlowIncrease),
      cmocka_unit_test(kn_reproduces_TestAutoscalerExtendPanicWindow),
      cmocka_unit_test(kn_reproduces_TestAutoscalerStableModeDecrease),
      cmocka_unit_test(kn_reproduces_TestAutoscalerStableModeNoTrafficScaleToZero),
      cmocka_unit_test(kn_reproduces_TestAutoscalerActivationScale),
      cmocka_unit_test(kn_reproduces_TestAutoscalerPanicModeExponentialTrackAndStabilize),
      cmocka_unit_test(kn_reproduces_TestAutoscalerScale),
      cmocka_unit_test(kn_reproduces_TestAutoscalerPanicThenUnPanicScaleDown),
      cmocka_unit_test(kn_reproduces_TestAutoscalerRateLimitScaleUp),
      cmocka_unit_test(kn_reproduces_TestAutoscalerRateLimitScaleDown),
      cmocka_unit_test(kn_reproduces_TestAutoscalerUseOnePodAsMinimumIfEndpointsNotFound),
      cmocka_unit_test(kn_reproduces_TestAutoscalerUpdateTarget),
      cmocka_unit_test(kn_reproduces_TestAutoscalerScaleDownDelay),
      cmocka_unit_test(kn_reproduces_TestAutoscalerScaleDownDelayNotReachable),
      cmocka_unit_test(kn_reproduces_TestAutoscalerScaleDownDelayZero),
      cmocka_unit_test(kn_reproduces_TestStartInPanicMode),
      cmocka_unit_test(kn_reproduces_TestAutoscalerNoDataNoAutoscale),
      cmocka_unit_test(kn_no_data_leaves_the_replicas_until_activation_times_out),
      cmocka_unit_test(kn_reproduces_TestAutoscalerMetricsWithRPS),
      cmocka_unit_test(kn_reproduces_TestTimedFloat64BucketsWindowAverage),
      cmocka_unit_test(kn_reproduces_TestDescendingRecord),
      cmocka_unit_test(kn_reproduces_TestTimedFloat64BucketsHoles),
      cmocka_unit_test(kn_reproduces_TestTimedFloat64BucketsSimple),
      cmocka_unit_test(kn_reproduces_TestTimedFloat64BucketsManyReps),
      cmocka_unit_test(kn_linear_average_floors_to_six_digits),
      cmocka_unit_test(kn_linear_average_leaves_out_time_after_the_last_write),
      cmocka_unit_test(kn_buckets_before_time_zero_average_as_later_ones),
      cmocka_unit_test(kn_window_is_empty_only_after_more_than_a_window),
      cmocka_unit_test(kn_weighted_average_matches_the_knative_example),
      cmocka_unit_test(kn_weighted_average_decays_and_ignores_the_first_write),
      cmocka_unit_test(kn_delay_window_keeps_the_largest_of_its_buckets),
      cmocka_unit_test(kn_panics_on_a_burst_and_leaves_a_stable_window_after_the_last),
      cmocka_unit_test(kn_scales_on_rps_when_the_metric_is_rps),
      cmocka_unit_test(kn_rates_limit_each_tick_from_the_ready_pods),
      cmocka_unit_test(kn_scale_down_delay_holds_the_highest_decision),
      cmocka_unit_test(kn_activation_scale_raises_a_nonzero_decision),
      cmocka_unit_test(kn_scales_to_zero_after_a_stable_window_active_then_the_grace_period),
      cmocka_unit_test(kn_grace_counts_from_when_the_activator_entered_the_path),
      cmocka_unit_test(kn_pod_retention_delays_scale_to_zero),
      cmocka_unit_test(kn_without_scale_to_zero_keeps_one_pod),
      cmocka_unit_test(kn_min_max_and_initial_scale_bound_the_decision),
      cmocka_unit_test(kn_defaults_are_those_of_config_autoscaler),
      cmocka_unit_test(kn_params_set_reads_go_durations),
      cmocka_unit_test(kn_params_set_reads_numbers_as_go),
      cmocka_unit_test(kn_params_set_refuses_bad_values_and_keeps_the_old),
      cmocka_unit_test(kn_annotations_override_the_cluster_defaults),
      cmocka_unit_test(kn_panic_window_is_rounded_to_a_second_and_at_least_one),
      cmocka_unit_test(kn_params_check_refuses_contradictions),
      cmocka_unit_test(kn_sample_size_follows_the_population_mean_formula),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
