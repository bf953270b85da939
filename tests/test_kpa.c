/*
 * The legacy AIBrix TimeWindow and KPA (v0.2.0 ... v0.4.1): the upstream unit-test vectors
 * (aggregation/window_test.go, scaler/kpa_test.go at v0.4.1), each in a test named after the
 * upstream test it reproduces, then Go's parsers, the annotations, panic timing, the scale-down
 * delay, activation scale, the controller's boundary checks and the GPU optimizer's metric.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "aibrix_vectors.h"

#include <math.h>
#include <string.h>

#include "models/autoscalers/gosem.h"
#include "models/autoscalers/kpa.h"
#include "models/autoscalers/window.h"

#define S 1000000LL                   /* one second in microseconds */
#define GO_ZERO_TIME (-62135596800LL) /* Go's time.Time{}.Unix(): the upstream tests' clock */
#define NONE (-1)                     /* a table cell that is not checked */

/* ------------------------------------------------------------------------------------------
 * aggregation/window_test.go. Its raw `window` tests record at explicit indices; a TimeWindow of
 * 5 s with 1 s granularity recording at index seconds is the same ring.
 * ------------------------------------------------------------------------------------------ */

typedef struct win_step {
  int64_t t_us;  /* when to record */
  double value;  /* what to record */
  char check;    /* after recording: 'M' max, 'm' min, 'b' both, 0 none */
  double expect; /* max (M) or min (m) */
  double expect_min;
} win_step;

static void run_window(int64_t duration_us, const win_step *steps, size_t n) {
  twin w;
  twin_init(&w, duration_us, S);
  for (size_t i = 0; i < n; i++) {
    const win_step *st = &steps[i];
    twin_record(&w, st->t_us, st->value);
    double got;
    if (st->check == 'M' || st->check == 'b') {
      assert_true(twin_max(&w, &got));
      assert_double_exact(got, st->expect);
    }
    if (st->check == 'm') {
      assert_true(twin_min(&w, &got));
      assert_double_exact(got, st->expect);
    }
    if (st->check == 'b') {
      assert_true(twin_min(&w, &got));
      assert_double_exact(got, st->expect_min);
    }
  }
  twin_free(&w);
}

static void twin_reproduces_TestWindow(void **state) {
  (void)state;
  const win_step steps[] = {
      {0 * S, 0, 0, 0, 0},   {1 * S, 1, 0, 0, 0},   {2 * S, 2, 0, 0, 0},   {3 * S, 3, 0, 0, 0},
      {4 * S, 4, 'b', 4, 0}, {6 * S, 6, 'm', 2, 0}, {8 * S, 8, 'm', 4, 0},
  };
  run_window(5 * S, steps, sizeof steps / sizeof steps[0]);
}

static void twin_reproduces_TestWindowWithExpiredData(void **state) {
  (void)state;
  const win_step steps[] = {
      {0 * S, 5, 0, 0, 0},   {1 * S, 6, 0, 0, 0},       {2 * S, 7, 0, 0, 0},
      {3 * S, 8, 0, 0, 0},   {4 * S, 9, 0, 0, 0},       {10 * S, 10, 0, 0, 0},
      {11 * S, 11, 0, 0, 0}, {12 * S, 12, 'b', 12, 10}, {15 * S, 15, 0, 0, 0},
      {16 * S, 16, 0, 0, 0}, {17 * S, 17, 'b', 17, 15},
  };
  run_window(5 * S, steps, sizeof steps / sizeof steps[0]);
}

/* Recorded from Go's zero time, whose Unix seconds are negative: indices floor, not truncate. */
static void twin_reproduces_TestTimeWindow(void **state) {
  (void)state;
  const int64_t z = GO_ZERO_TIME * S;
  const win_step steps[] = {
      {z + 0 * S, 0, 0, 0, 0},   {z + 1 * S, 1, 0, 0, 0},   {z + 2 * S, 2, 0, 0, 0},
      {z + 3 * S, 3, 0, 0, 0},   {z + 4 * S, 4, 'M', 4, 0}, {z + 8 * S, 8, 'm', 4, 0},
      {z + 9 * S, 9, 'm', 8, 0},
  };
  run_window(5 * S, steps, sizeof steps / sizeof steps[0]);
}

/* time.Now() has a fraction of a second: the +500 ms record may fall in the same second or the
 * next; both keep the earlier, larger count. */
static void twin_reproduces_TestDelayWindow(void **state) {
  (void)state;
  const int64_t nows[] = {10000 * S, 10000 * S + 200000, 10000 * S + 700000, 10000 * S + 999999};
  for (size_t i = 0; i < sizeof nows / sizeof nows[0]; i++) {
    const win_step steps[] = {{nows[i], 10, 0, 0, 0}, {nows[i] + 500000, 9, 'M', 10, 0}};
    run_window(10 * S, steps, 2);
  }
}

/* Go's Unix() floors, so does the index: -0.5 s is in second -1, not 0. */
static void twin_indexes_floor_the_time_also_before_zero(void **state) {
  (void)state;
  twin w;
  twin_init(&w, 1 * S, S);
  twin_record(&w, -S / 2, 1);
  assert_int_equal(twin_at(&w, 0).index, -1);
  twin_record(&w, S / 5, 2); /* index 0: the index -1 entry is a full window old */
  assert_int_equal(twin_len(&w), 1);
  assert_double_exact(twin_at(&w, 0).value, 2);
  twin_free(&w);
}

static void twin_keeps_a_second_sample_in_the_same_second_as_its_own_entry(void **state) {
  (void)state;
  twin w;
  twin_init(&w, 10 * S, S);
  twin_record(&w, 5 * S, 10);
  twin_record(&w, 5 * S + 900000, 20);
  assert_int_equal(twin_len(&w), 2);
  double avg;
  assert_true(twin_avg(&w, &avg));
  assert_double_exact(avg, 15);
  assert_int_equal(twin_at(&w, 0).index, 5);
  assert_int_equal(twin_at(&w, 1).index, 5);
  twin_free(&w);
}

static void twin_drops_a_sample_when_the_ring_is_full(void **state) {
  (void)state;
  twin w;
  twin_init(&w, 3 * S, S);
  twin_record(&w, 0, 1);
  twin_record(&w, 0, 2);
  twin_record(&w, 1 * S, 3);
  twin_record(&w, 2 * S, 4); /* nothing expired (index 2 - 3 < 0), ring full: dropped */
  assert_int_equal(twin_len(&w), 3);
  double max;
  assert_true(twin_max(&w, &max));
  assert_double_exact(max, 3);
  twin_record(&w, 3 * S, 5); /* evicts both index-0 entries, keeps this one */
  assert_int_equal(twin_len(&w), 2);
  assert_double_exact(twin_at(&w, 0).value, 3);
  assert_double_exact(twin_at(&w, 1).value, 5);
  twin_free(&w);
}

static void twin_evicts_an_entry_exactly_n_granules_old_and_only_on_record(void **state) {
  (void)state;
  twin w;
  twin_init(&w, 60 * S, S);
  for (int t = 0; t <= 50; t += 10)
    twin_record(&w, t * S, t);
  assert_int_equal(twin_len(&w), 6);
  double avg;
  assert_true(twin_avg(&w, &avg));
  assert_double_exact(avg, 25);
  twin_record(&w, 60 * S, 60); /* index 0 <= 60 - 60: out */
  assert_int_equal(twin_len(&w), 6);
  assert_double_exact(twin_at(&w, 0).value, 10);
  assert_true(twin_avg(&w, &avg)); /* reading much later changes nothing */
  assert_double_exact(avg, 35);
  twin_free(&w);
}

static void twin_size_is_the_ceiling_of_duration_over_granularity(void **state) {
  (void)state;
  twin w;
  twin_init(&w, 2500000, S); /* 2.5 s -> 3 entries */
  assert_int_equal(w.size, 3);
  twin_free(&w);
  twin_init(&w, 0, S); /* 0 s: never holds anything */
  twin_record(&w, 0, 1);
  double v = -1;
  assert_false(twin_avg(&w, &v));
  assert_false(twin_max(&w, &v));
  assert_false(twin_min(&w, &v));
  assert_double_exact(v, -1);
  twin_free(&w);
  twin_init(&w, 20 * S, 2 * S); /* whole-second granularity above 1 s */
  twin_record(&w, 0, 1);
  twin_record(&w, 19 * S, 2); /* index 9 */
  twin_record(&w, 21 * S, 3); /* index 10: index 0 <= 10 - 10 goes */
  assert_int_equal(twin_len(&w), 2);
  twin_free(&w);
}

static void twin_grows_its_ring_up_to_n_entries(void **state) {
  (void)state;
  twin w;
  twin_init(&w, 1800 * S, S);
  for (int t = 0; t < 1800; t++)
    twin_record(&w, t * S, t);
  assert_int_equal(twin_len(&w), 1800);
  for (int t = 1800; t < 2000; t++)
    twin_record(&w, t * S, t);
  assert_int_equal(twin_len(&w), 1800);
  double min, max;
  assert_true(twin_min(&w, &min));
  assert_true(twin_max(&w, &max));
  assert_double_exact(min, 200);
  assert_double_exact(max, 1999);
  assert_int_equal(twin_at(&w, 0).index, 200);
  twin_free(&w);
}

/* ------------------------------------------------------------------------------------------
 * scaler/kpa_test.go at v0.4.1
 * ------------------------------------------------------------------------------------------ */

/* The spec of TestKpaScale; the scaler starts in panic with maxPanicPods 5. */
static void kpa_scale_reproduces_TestKpaScale(void **state) {
  (void)state;
  kpa_params p = kpa_params_default(10);
  p.total = 500;
  p.activation_scale = 2;
  /* time.Now(): a whole second, and a fraction of one (the indices floor the same way) */
  const int64_t nows[] = {10000 * S, 10000 * S + 700000};
  for (size_t i = 0; i < 2; i++) {
    int64_t now = nows[i];
    kpa_state s;
    kpa_state_init(&s, &p, 5, now);
    const double values[] = {10, 11, 12, 13, 14, 100};
    for (int k = 0; k < 6; k++)
      kpa_record(&s, now - (60 - 10 * k) * S, values[k]);
    kpa_result r;
    assert_true(kpa_scale(&s, 5, now, &r));
    assert_int_equal(r.desired, 10);
    assert_double_exact(r.stable, 160.0 / 6);
    assert_double_exact(r.panic, 100);
    assert_double_exact(r.dspc, 3);
    assert_double_exact(r.dppc, 10);
    assert_double_exact(r.max_scale_up, 10);
    assert_double_exact(r.max_scale_down, 2);
    assert_true(r.over_threshold);
    assert_true(r.panicking);
    assert_int_equal(r.max_panic_pods, 10);
    assert_int_equal(r.ebc, 2398); /* floor(5 * 500 - 2 - 100) */
    kpa_state_free(&s);
  }
}

typedef struct kpa2_step {
  int64_t ts_s;       /* seconds after Unix 10000 */
  double value;       /* the tick's sum */
  int32_t desired;    /* expected DesiredPodCount; the next ready count */
  bool panic;         /* InPanicMode() after Scale */
  int64_t panic_at_s; /* expected panicTime (seconds after 10000), or NONE */
  double delay_max;   /* expected delayWindow.Max(), or NONE */
  double stable;      /* expected stable average, or NONE */
  double panic_avg;   /* expected panic average, or NONE */
} kpa2_step;

/* Annotations stable-window 30s, panic-window 10s, scale-down-delay 20s; target "50";
 * NewKpaAutoscaler(5, pa, Unix 10000); each step records, scales, and feeds the result back as
 * the ready count. The averages are those of upstream's kpa_test.go. */
static void kpa_scale_reproduces_TestKpaScale2(void **state) {
  (void)state;
  kpa_params p = kpa_params_default(50);
  assert_true(kpa_params_set(&p, KPA_KEY_STABLE_WINDOW, "30s", NULL));
  assert_true(kpa_params_set(&p, KPA_KEY_PANIC_WINDOW, "10s", NULL));
  assert_true(kpa_params_set(&p, KPA_KEY_SCALE_DOWN_DELAY, "20s", NULL));
  const int64_t t0 = 10000 * S;
  const kpa2_step steps[] = {
      {0, 10, 5, true, NONE, NONE, NONE, NONE},
      {10, 10, 5, true, NONE, NONE, NONE, NONE},
      {20, 10, 5, true, NONE, NONE, NONE, NONE},
      {30, 10, 5, true, NONE, 5, NONE, NONE}, /* panicTime + 30 s is not before now */
      {40, 10, 5, false, NONE, 5, NONE, NONE},
      {50, 10, 2, false, NONE, 2, NONE, NONE},
      {60, 150, 2, false, NONE, NONE, 170.0 / 3, 150},
      {70, 150, 3, false, NONE, NONE, 310.0 / 3, 150},
      {80, 300, 6, true, 80, NONE, 200, 300},
      {90, 600, 12, true, 90, NONE, 350, 600},
      {100, 300, 12, true, 90, NONE, 400, 300},
  };
  kpa_state s;
  kpa_state_init(&s, &p, 5, t0);
  int32_t ready = 5;
  for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
    const kpa2_step *st = &steps[i];
    int64_t ts = t0 + st->ts_s * S;
    kpa_record(&s, ts, st->value);
    kpa_result r;
    assert_true(kpa_scale(&s, ready, ts, &r));
    assert_int_equal(r.desired, st->desired);
    assert_int_equal(s.panicking, st->panic);
    assert_int_equal(r.panicking, st->panic);
    if (st->panic_at_s != NONE) assert_int_equal(s.panic_time_us, t0 + st->panic_at_s * S);
    double max;
    if (st->delay_max != NONE) {
      assert_true(twin_max(&s.delay, &max));
      assert_double_exact(max, st->delay_max);
    }
    if (st->stable != NONE) assert_double_exact(r.stable, st->stable);
    if (st->panic_avg != NONE) assert_double_exact(r.panic, st->panic_avg);
    if (st->ts_s == 40) {
      /* TimeWindow(granularity=1s, window=window(size=2, values=[{10030, 5.00}, {10040,
       * 2.00}])) */
      assert_int_equal(twin_len(&s.delay), 2);
      assert_int_equal(twin_at(&s.delay, 0).index, 10030);
      assert_double_exact(twin_at(&s.delay, 0).value, 5);
      assert_int_equal(twin_at(&s.delay, 1).index, 10040);
      assert_double_exact(twin_at(&s.delay, 1).value, 2);
    }
    ready = r.desired;
  }
  kpa_state_free(&s);
}

static void kpa_params_set_reproduces_TestKpaUpdateContext(void **state) {
  (void)state;
  kpa_params p = kpa_params_default(1);
  const char *kv[][2] = {
      {KPA_KEY_MAX_SCALE_UP_RATE, "32.1"},     {KPA_KEY_MAX_SCALE_DOWN_RATE, "12.3"},
      {KPA_KEY_TARGET_BURST_CAPACITY, "45.6"}, {KPA_KEY_ACTIVATION_SCALE, "3"},
      {KPA_KEY_PANIC_THRESHOLD, "2.5"},        {KPA_KEY_STABLE_WINDOW, "60s"},
      {KPA_KEY_PANIC_WINDOW, "50s"},           {KPA_KEY_SCALE_DOWN_DELAY, "30s"},
  };
  for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++) {
    ps_err e;
    if (!kpa_params_set(&p, kv[i][0], kv[i][1], &e)) fail_msg("%s", e.msg);
  }
  assert_double_exact(p.max_scale_up_rate, 32.1);
  assert_double_exact(p.max_scale_down_rate, 12.3);
  assert_double_exact(p.target_burst_capacity, 45.6);
  assert_int_equal(p.activation_scale, 3);
  assert_double_exact(p.panic_threshold, 2.5);
  assert_int_equal(p.stable_window_us, 60 * S);
  assert_int_equal(p.panic_window_us, 50 * S);
  assert_int_equal(p.scale_down_delay_us, 30 * S);
}

/* ------------------------------------------------------------------------------------------
 * Go's parsers and the annotations
 * ------------------------------------------------------------------------------------------ */

static void kpa_parses_durations_as_go_time_ParseDuration(void **state) {
  (void)state;
  const struct {
    const char *s;
    int64_t ns;
  } ok[] = {
      {"0", 0},
      {"+0", 0},
      {"-0", 0},
      {"0s", 0},
      {"30s", 30000000000LL},
      {"3m", 180000000000LL},
      {"1h30m", 5400000000000LL},
      {"1h", 3600000000000LL},
      {"1.5h", 5400000000000LL},
      {".5s", 500000000LL},
      {"1.s", 1000000000LL},
      {"500ms", 500000000LL},
      {"-2m", -120000000000LL},
      {"+5s", 5000000000LL},
      {"1us", 1000},
      {"1\xc2\xb5s", 1000},
      {"1\xce\xbcs", 1000},
      {"7ns", 7},
      {"2h45m30.5s", 9930500000000LL},
      {"1m1m", 120000000000LL},
      {"0.000000001s", 1},
      {"9223372036854775807ns", INT64_MAX},
      {"-9223372036854775808ns", INT64_MIN},
      {"2562047h", 2562047LL * 3600000000000LL},
  };
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    int64_t ns = 12345;
    if (!go_parse_duration(ok[i].s, &ns)) fail_msg("rejected \"%s\"", ok[i].s);
    if (ns != ok[i].ns) fail_msg("\"%s\" -> %lld", ok[i].s, (long long)ns);
  }
  const char *bad[] = {
      "",         "s",    "1",    "30", "1x",   "1 s",  " 1s",    "1s ",
      ".s",       "-",    "+",    "1S", "1sec", "--1s", "1.2.3s", "9223372036854775808ns",
      "2562048h", "1e3s", "0x10s"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int64_t ns = 12345;
    if (go_parse_duration(bad[i], &ns)) fail_msg("accepted \"%s\"", bad[i]);
    assert_int_equal(ns, 12345);
  }
}

static void kpa_parses_floats_as_go_strconv_ParseFloat(void **state) {
  (void)state;
  const struct {
    const char *s;
    double v;
  } ok[] = {
      {"2", 2},       {"2.5", 2.5},  {"-1", -1},          {"+.5", 0.5},
      {"1.", 1},      {"1e3", 1000}, {"1E-2", 0.01},      {"0x1p-2", 0.25},
      {"0X1.8P1", 3}, {"0x_1p0", 1}, {"1_000.5", 1000.5}, {"1e-400", 0},
      {"007", 7},     {"0.1", 0.1},
  };
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    double v = -12345;
    if (!go_parse_float(ok[i].s, &v)) fail_msg("rejected \"%s\"", ok[i].s);
    assert_double_exact(v, ok[i].v);
  }
  double v;
  assert_true(go_parse_float("inf", &v) && isinf(v) && v > 0);
  assert_true(go_parse_float("-Inf", &v) && isinf(v) && v < 0);
  assert_true(go_parse_float("+INFINITY", &v) && isinf(v) && v > 0);
  assert_true(go_parse_float("NaN", &v) && isnan(v));
  const char *bad[] = {"",   " 2",  "2 ",     "1e",   ".",     "e5",    "0x1.8", "1__0",
                       "_1", "1_",  "nan(1)", "+nan", "infin", "1e400", "2,5",   "0b1",
                       "0x", "1e+", "--1",    "0x1p", "1.5.",  "abc"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    v = -12345;
    if (go_parse_float(bad[i], &v)) fail_msg("accepted \"%s\"", bad[i]);
    assert_double_exact(v, -12345);
  }
}

static void kpa_parses_ints_as_go_strconv_ParseInt_base10_32bit(void **state) {
  (void)state;
  const struct {
    const char *s;
    int32_t v;
  } ok[] = {{"3", 3},
            {"+3", 3},
            {"-3", -3},
            {"007", 7},
            {"0", 0},
            {"2147483647", INT32_MAX},
            {"-2147483648", INT32_MIN}};
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    int32_t v = -5;
    if (!go_parse_int32(ok[i].s, &v)) fail_msg("rejected \"%s\"", ok[i].s);
    assert_int_equal(v, ok[i].v);
  }
  const char *bad[] = {"",
                       "+",
                       "-",
                       "3.0",
                       "1_0",
                       "2147483648",
                       " 3",
                       "3 ",
                       "0x10",
                       "-2147483649",
                       "99999999999999999999",
                       "+-3"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int32_t v = -5;
    if (go_parse_int32(bad[i], &v)) fail_msg("accepted \"%s\"", bad[i]);
    assert_int_equal(v, -5);
  }
}

static bool same_params(const kpa_params *a, const kpa_params *b) {
  return a->target == b->target && a->total == b->total &&
         a->max_scale_up_rate == b->max_scale_up_rate &&
         a->max_scale_down_rate == b->max_scale_down_rate &&
         a->target_burst_capacity == b->target_burst_capacity &&
         a->activation_scale == b->activation_scale && a->panic_threshold == b->panic_threshold &&
         a->stable_window_us == b->stable_window_us && a->panic_window_us == b->panic_window_us &&
         a->scale_down_delay_us == b->scale_down_delay_us;
}

static void kpa_params_default_are_the_legacy_defaults(void **state) {
  (void)state;
  kpa_params p = kpa_params_default(0.7);
  assert_double_exact(p.target, 0.7);
  assert_double_exact(p.total, 100);
  assert_double_exact(p.max_scale_up_rate, 2);
  assert_double_exact(p.max_scale_down_rate, 2);
  assert_double_exact(p.target_burst_capacity, 2);
  assert_int_equal(p.activation_scale, 1);
  assert_double_exact(p.panic_threshold, 2);
  assert_int_equal(p.stable_window_us, 60 * S);
  assert_int_equal(p.panic_window_us, 10 * S);
  assert_int_equal(p.scale_down_delay_us, 30 * 60 * S);
  assert_true(kpa_params_check(&p, NULL));
}

static void kpa_params_set_refuses_bad_values_and_unknown_keys_without_change(void **state) {
  (void)state;
  const char *kv[][2] = {
      {KPA_KEY_SCALE_DOWN_DELAY, "3 m"},
      {KPA_KEY_SCALE_DOWN_DELAY, "180"},
      {KPA_KEY_SCALE_DOWN_DELAY, "-1s"}, /* upstream: "ScaleDownDelay must be positive" */
      {KPA_KEY_STABLE_WINDOW, "-60s"},   /* upstream: a negative ring size, a crash */
      {KPA_KEY_PANIC_WINDOW, "ten"},
      {KPA_KEY_ACTIVATION_SCALE, "2.0"},
      {KPA_KEY_PANIC_THRESHOLD, "200%"},
      {KPA_KEY_MAX_SCALE_UP_RATE, ""},
      {"autoscaling.aibrix.ai/scale-down-delay", "3m"}, /* the kpa. prefix is required */
      {"apa.autoscaling.aibrix.ai/window", "30s"},
      {"kpa.autoscaling.aibrix.ai/max-scale-up-rate", "3"},
  };
  for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++) {
    kpa_params p = kpa_params_default(5), before = p;
    ps_err e = {{0}};
    if (kpa_params_set(&p, kv[i][0], kv[i][1], &e)) fail_msg("accepted %s=%s", kv[i][0], kv[i][1]);
    assert_true(same_params(&p, &before));
    assert_true(strlen(e.msg) > 0);
    assert_non_null(strstr(e.msg, kv[i][0]));
  }
  assert_true(kpa_annotation_known(KPA_KEY_SCALE_DOWN_DELAY));
  assert_true(kpa_annotation_known(KPA_KEY_MAX_SCALE_DOWN_RATE));
  assert_false(kpa_annotation_known("autoscaling.aibrix.ai/scale-down-delay"));
  assert_false(kpa_annotation_known("apa.autoscaling.aibrix.ai/up-fluctuation-tolerance"));
}

static void kpa_params_set_takes_durations_to_microseconds_rounding_up(void **state) {
  (void)state;
  kpa_params p = kpa_params_default(5);
  assert_true(kpa_params_set(&p, KPA_KEY_SCALE_DOWN_DELAY, "3m", NULL));
  assert_int_equal(p.scale_down_delay_us, 180 * S);
  assert_true(kpa_params_set(&p, KPA_KEY_SCALE_DOWN_DELAY, "1h30m", NULL));
  assert_int_equal(p.scale_down_delay_us, 5400 * S);
  assert_true(kpa_params_set(&p, KPA_KEY_SCALE_DOWN_DELAY, "0s", NULL));
  assert_int_equal(p.scale_down_delay_us, 0);
  assert_true(kpa_params_set(&p, KPA_KEY_SCALE_DOWN_DELAY, "1ns", NULL));
  assert_int_equal(p.scale_down_delay_us, 1);
  assert_true(kpa_params_set(&p, KPA_KEY_PANIC_WINDOW, "1500ns", NULL));
  assert_int_equal(p.panic_window_us, 2);
  assert_true(kpa_params_set(&p, KPA_KEY_STABLE_WINDOW, "2.5s", NULL));
  assert_int_equal(p.stable_window_us, 2500000);
  assert_true(kpa_params_set(&p, KPA_KEY_ACTIVATION_SCALE, "-4", NULL)); /* upstream takes it */
  assert_int_equal(p.activation_scale, -4);
  p.panic_window_us = -1;
  ps_err e;
  assert_false(kpa_params_check(&p, &e));
}

/* ------------------------------------------------------------------------------------------
 * Decision behaviour
 * ------------------------------------------------------------------------------------------ */

/* A KPA that never panics on its own: threshold out of reach, no delay. */
static kpa_params calm_params(double target) {
  kpa_params p = kpa_params_default(target);
  p.panic_threshold = 1000;
  p.scale_down_delay_us = 0;
  return p;
}

static kpa_result record_and_scale(kpa_state *s, int64_t t, double value, int32_t ready) {
  kpa_record(s, t, value);
  kpa_result r;
  assert_true(kpa_scale(s, ready, t, &r));
  return r;
}

static void kpa_starts_in_panic_only_above_one_replica(void **state) {
  (void)state;
  kpa_params p = kpa_params_default(10);
  for (int32_t current = 0; current <= 3; current++) {
    kpa_state s;
    kpa_state_init(&s, &p, current, 77 * S);
    assert_int_equal(s.panicking, current > 1);
    assert_int_equal(s.max_panic_pods, current);
    if (current > 1) assert_int_equal(s.panic_time_us, 77 * S);
    kpa_state_free(&s);
  }
}

/* Panic is entered at dppc / ready >= threshold (inclusive), with dppc before the limits. */
static void kpa_enters_panic_at_the_threshold_inclusive(void **state) {
  (void)state;
  kpa_params p = kpa_params_default(10);
  p.scale_down_delay_us = 0;
  const struct {
    double value;
    int32_t ready;
    bool over;
  } cases[] = {
      {40, 2, true},  /* dppc 4 / 2 = 2 */
      {31, 2, true},  /* ceil(3.1) = 4 */
      {30, 2, false}, /* 3 / 2 */
      {100, 1, true}, /* dppc 10 is above the scale-up limit 2, still counts in full */
      {20, 0, true},  /* 2 / max(1, 0) */
      {10, 0, false}, /* 1 / 1 */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    kpa_state s;
    kpa_state_init(&s, &p, 1, 0);
    kpa_result r = record_and_scale(&s, 10 * S, cases[i].value, cases[i].ready);
    assert_int_equal(r.over_threshold, cases[i].over);
    assert_int_equal(r.panicking, cases[i].over);
    if (cases[i].over) assert_int_equal(s.panic_time_us, 10 * S);
    kpa_state_free(&s);
  }
}

/* Panic ends on the first decision strictly more than a stable window after the last time the
 * threshold was crossed; max panic pods goes back to 0. */
static void kpa_stays_in_panic_until_strictly_after_stable_window_since_last_trigger(void **state) {
  (void)state;
  kpa_params p = kpa_params_default(10);
  p.scale_down_delay_us = 0;
  kpa_state s;
  kpa_state_init(&s, &p, 1, 0);
  kpa_result r = record_and_scale(&s, 0, 40, 1); /* dppc 4 / 1: panic, desired min(4, 2) = 2 */
  assert_true(r.panicking);
  assert_int_equal(r.desired, 2);
  r = record_and_scale(&s, 10 * S, 40, 2); /* 4 / 2: extends, panic time 10 s */
  assert_true(r.panicking);
  assert_int_equal(s.panic_time_us, 10 * S);
  assert_int_equal(r.desired, 4);
  for (int64_t t = 20; t <= 70; t += 10) {
    r = record_and_scale(&s, t * S, 10, 4); /* 1 / 4: under the threshold */
    assert_false(r.over_threshold);
    assert_true(r.panicking);
    assert_int_equal(r.desired, 4); /* the stable count alone would be 2 by t = 70 */
  }
  r = record_and_scale(&s, 70 * S + 1, 10, 4); /* 10 s + 60 s < 70 s + 1 us */
  assert_false(r.panicking);
  assert_int_equal(r.max_panic_pods, 0);
  assert_int_equal(r.desired, 2); /* stable: ceil(avg / 10) = 2 here, scale-down limit 2 */
  kpa_state_free(&s);
}

static void kpa_never_scales_down_while_panicking(void **state) {
  (void)state;
  kpa_params p = kpa_params_default(10);
  p.scale_down_delay_us = 0;
  kpa_state s;
  kpa_state_init(&s, &p, 8, 0); /* starts in panic holding 8 */
  kpa_result r = record_and_scale(&s, 0, 10, 8);
  assert_true(r.panicking);
  assert_int_equal(r.desired_stable, 4); /* dspc 1, scale-down limit 4 */
  assert_int_equal(r.desired, 8);
  r = record_and_scale(&s, 10 * S, 120, 8); /* dppc 12 / 8 < 2: no trigger, but a higher count */
  assert_false(r.over_threshold);
  assert_true(r.panicking);
  assert_int_equal(r.desired, 12);
  assert_int_equal(r.max_panic_pods, 12);
  r = record_and_scale(&s, 20 * S, 10, 12); /* stable and panic counts both 6 now */
  assert_int_equal(r.desired_stable, 6);
  assert_int_equal(r.desired_panic, 6);
  assert_int_equal(r.desired, 12);
  kpa_state_free(&s);
}

/* The result is the largest of the scale-down delay: a drop shows only when the last higher
 * result is a full delay old (N = delay / 1 s entries, the oldest evicted at index <= now - N). */
static void kpa_scale_down_delay_holds_the_largest_result_of_the_delay(void **state) {
  (void)state;
  kpa_params p = calm_params(10);
  p.stable_window_us = 10 * S; /* stable = the latest sample */
  assert_true(kpa_params_set(&p, KPA_KEY_SCALE_DOWN_DELAY, "3m", NULL));
  kpa_state s;
  kpa_state_init(&s, &p, 1, 0);
  kpa_result r = record_and_scale(&s, 0, 40, 4);
  assert_int_equal(r.desired, 4);
  for (int64_t t = 10; t < 180; t += 10) {
    r = record_and_scale(&s, t * S, 10, 4);
    assert_int_equal(r.undelayed, 2);
    assert_int_equal(r.desired, 4);
  }
  r = record_and_scale(&s, 180 * S, 10, 4);
  assert_int_equal(r.desired, 2);
  kpa_state_free(&s);

  /* "0s" turns the delay window off: the drop is immediate */
  assert_true(kpa_params_set(&p, KPA_KEY_SCALE_DOWN_DELAY, "0s", NULL));
  kpa_state_init(&s, &p, 1, 0);
  assert_false(s.has_delay);
  record_and_scale(&s, 0, 40, 4);
  r = record_and_scale(&s, 10 * S, 10, 4);
  assert_int_equal(r.desired, 2);
  kpa_state_free(&s);
}

static void kpa_default_scale_down_delay_is_thirty_minutes(void **state) {
  (void)state;
  kpa_params p = kpa_params_default(10);
  p.panic_threshold = 1000;
  p.stable_window_us = 10 * S;
  kpa_state s;
  kpa_state_init(&s, &p, 1, 0);
  record_and_scale(&s, 0, 40, 4);
  kpa_result r = record_and_scale(&s, 1790 * S, 10, 4);
  assert_int_equal(r.desired, 4);
  r = record_and_scale(&s, 1800 * S, 10, 4);
  assert_int_equal(r.desired, 2);
  kpa_state_free(&s);
}

static void kpa_activation_scale_lifts_small_nonzero_counts_only(void **state) {
  (void)state;
  const struct {
    int32_t activation;
    double value;
    int32_t ready;
    int32_t desired;
  } cases[] = {
      {3, 10, 2, 3}, /* dspc 1 -> 3 */
      {3, 0, 1, 0},  /* 0 stays 0: scale to zero is kept */
      {3, 50, 4, 5}, /* 5 is above 3 */
      {1, 10, 2, 1}, /* activation 1: nothing */
      {2, 10, 0, 2}, /* ready 0: the scale-up limit 1 first, then lifted to 2 */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    kpa_params p = calm_params(10);
    p.activation_scale = cases[i].activation;
    kpa_state s;
    kpa_state_init(&s, &p, 1, 0);
    kpa_result r = record_and_scale(&s, 0, cases[i].value, cases[i].ready);
    assert_int_equal(r.desired, cases[i].desired);
    kpa_state_free(&s);
  }
}

static void kpa_limits_follow_ready_pods_with_one_as_the_scale_up_floor(void **state) {
  (void)state;
  const struct {
    int32_t ready;
    double up, down;
  } cases[] = {{0, 1, 0}, {-3, 1, 0}, {1, 2, 0}, {5, 10, 2}, {9, 18, 4}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    kpa_params p = calm_params(10);
    kpa_state s;
    kpa_state_init(&s, &p, 1, 0);
    kpa_result r = record_and_scale(&s, 0, 1000, cases[i].ready);
    assert_double_exact(r.max_scale_up, cases[i].up);
    assert_double_exact(r.max_scale_down, cases[i].down);
    assert_int_equal(r.desired, (int32_t)cases[i].up);
    kpa_state_free(&s);
  }
}

static void kpa_without_samples_gives_no_decision_and_keeps_its_state(void **state) {
  (void)state;
  kpa_params p = kpa_params_default(10);
  kpa_state s;
  kpa_state_init(&s, &p, 3, 0);
  kpa_result r;
  assert_false(kpa_scale(&s, 3, 10 * S, &r));
  assert_false(r.valid);
  assert_true(s.panicking);
  assert_int_equal(s.max_panic_pods, 3);
  assert_int_equal(twin_len(&s.delay), 0);
  /* no active pod: the KPA records nothing, so still no decision */
  assert_false(kpa_record_pods(&s, 10 * S, NULL, 0));
  assert_false(kpa_scale(&s, 3, 10 * S, &r));
  const double pods[] = {0.25, 0.5, 0.125};
  assert_true(kpa_record_pods(&s, 20 * S, pods, 3));
  assert_true(kpa_scale(&s, 3, 20 * S, &r));
  assert_double_exact(r.stable, 0.875);
  assert_double_exact(r.panic, 0.875);
  kpa_state_free(&s);
}

static void kpa_excess_burst_capacity_follows_target_burst_capacity(void **state) {
  (void)state;
  const struct {
    double tbc;
    int32_t ebc;
  } cases[] = {{0, 0}, {-1, -1}, {2, 400 - 2 - 35}, {10.5, (int32_t)floor(400 - 10.5 - 35)}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    kpa_params p = calm_params(10);
    p.target_burst_capacity = cases[i].tbc;
    kpa_state s;
    kpa_state_init(&s, &p, 1, 0);
    kpa_result r = record_and_scale(&s, 0, 35, 4);
    assert_int_equal(r.ebc, cases[i].ebc);
    kpa_state_free(&s);
  }
}

static void kpa_state_update_keeps_windows_and_delay(void **state) {
  (void)state;
  kpa_params p = kpa_params_default(10);
  kpa_state s;
  kpa_state_init(&s, &p, 1, 0);
  kpa_params q = kpa_params_default(20);
  q.stable_window_us = 5 * S;
  q.panic_window_us = 1 * S;
  q.scale_down_delay_us = 0;
  q.max_scale_up_rate = 3;
  kpa_state_update(&s, &q);
  assert_double_exact(s.params.target, 20);
  assert_double_exact(s.params.max_scale_up_rate, 3);
  assert_int_equal(s.params.stable_window_us, 60 * S);
  assert_int_equal(s.params.panic_window_us, 10 * S);
  assert_int_equal(s.params.scale_down_delay_us, 30 * 60 * S);
  assert_true(s.has_delay);
  kpa_state_free(&s);
}

/* ------------------------------------------------------------------------------------------
 * The legacy controller's boundary checks
 * ------------------------------------------------------------------------------------------ */

static void aibrix_legacy_check_goes_to_the_bounds_before_the_algorithm(void **state) {
  (void)state;
  const struct {
    int32_t current, min, max;
    aibrix_legacy_gate gate;
    int32_t desired;
  } cases[] = {
      {0, 1, 5, AIBRIX_LEGACY_DISABLED, 0}, {0, 0, 5, AIBRIX_LEGACY_RUN, -7},
      {6, 1, 5, AIBRIX_LEGACY_TO_MAX, 5},   {1, 2, 5, AIBRIX_LEGACY_TO_MIN, 2},
      {3, 1, 5, AIBRIX_LEGACY_RUN, -7},     {5, 5, 5, AIBRIX_LEGACY_RUN, -7},
      {4, 5, 3, AIBRIX_LEGACY_TO_MAX, 3}, /* max is checked before min */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int32_t desired = -7;
    assert_int_equal(aibrix_legacy_check(cases[i].current, cases[i].min, cases[i].max, &desired),
                     cases[i].gate);
    assert_int_equal(desired, cases[i].desired);
  }
}

static void aibrix_legacy_bound_clamps_after_the_algorithm(void **state) {
  (void)state;
  const struct {
    int32_t min, max, result, bounded;
  } cases[] = {
      {1, 8, 4, 4},  {1, 8, 12, 8}, {1, 8, 0, 1},
      {0, 8, 0, 0},  {0, 8, -3, 0},               /* a negative result counts as 0 */
      {2, 8, -3, 2}, {5, 3, 4, 3},  {5, 3, 1, 5}, /* min > max: max first */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    assert_int_equal(aibrix_legacy_bound(cases[i].min, cases[i].max, cases[i].result),
                     cases[i].bounded);
}

/* ------------------------------------------------------------------------------------------
 * The GPU optimizer's metric (section 2.2): vllm:deployment_replicas, targetValue 100,
 * scale-down-delay 0s; the optimizer's value is the tick's sample.
 * ------------------------------------------------------------------------------------------ */

static kpa_params optimizer_params(void) {
  kpa_params p = kpa_params_default(100);
  assert_true(kpa_params_set(&p, KPA_KEY_SCALE_DOWN_DELAY, "0s", NULL));
  return p;
}

/* One legacy reconcile: record, boundary checks, algorithm, bounds; returns the new replicas. */
static int32_t legacy_tick(kpa_state *s, int64_t t, double value, int32_t current, int32_t ready,
                           int32_t min, int32_t max) {
  kpa_record(s, t, value);
  int32_t desired = current;
  if (aibrix_legacy_check(current, min, max, &desired) != AIBRIX_LEGACY_RUN) return desired;
  kpa_result r;
  if (!kpa_scale(s, ready, t, &r)) return current;
  return aibrix_legacy_bound(min, max, r.desired);
}

static void kpa_with_optimizer_metric_asks_for_ceil_of_value_over_100(void **state) {
  (void)state;
  const struct {
    double value;
    int32_t min;
    int32_t pods;
  } cases[] = {
      {100, 1, 1}, {101, 1, 2}, {237, 1, 3},
      {250, 1, 3}, {800, 1, 8}, {0, 1, 1}, /* ceil(0) = 0, raised to minReplicas */
      {0, 0, 0},                           /* with minReplicas 0 it goes to zero */
      {2, 1, 1}, /* the optimizer's raw min_replicas 2 (not x100): still one pod */
  };
  kpa_params p = optimizer_params();
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    /* from the steady count, and from one replica: ten minutes of the same value */
    int32_t steady = (int32_t)ceil(cases[i].value / 100);
    int32_t starts[] = {steady > cases[i].min ? steady : cases[i].min, 1};
    for (int k = 0; k < 2; k++) {
      int32_t current = starts[k];
      kpa_state s;
      kpa_state_init(&s, &p, current, 0);
      for (int64_t t = 0; t <= 600; t += 10)
        current = legacy_tick(&s, t * S, cases[i].value, current, current, cases[i].min, 8);
      if (current != cases[i].pods)
        fail_msg("value %g from %d: %d replicas, expected %d", cases[i].value, starts[k], current,
                 cases[i].pods);
      kpa_state_free(&s);
    }
  }
}

/* The worked example of section 2.2: min 1, max 8, value 100 for 60 s then 400, pods ready at
 * once: 1 until t = 50; 2 at t = 60 (panic, limited by 2 x 1 ready); 4 from t = 70, in panic
 * until t = 140; the stable average reaches 400 at t = 110. */
static void kpa_reproduces_the_optimizer_worked_example(void **state) {
  (void)state;
  kpa_params p = optimizer_params();
  kpa_state s;
  kpa_state_init(&s, &p, 1, 0);
  int32_t current = 1;
  for (int64_t t = 0; t <= 200; t += 10) {
    double value = t < 60 ? 100 : 400;
    current = legacy_tick(&s, t * S, value, current, current, 1, 8);
    int32_t want = t < 60 ? 1 : t == 60 ? 2 : 4;
    if (current != want) fail_msg("t=%lld: %d replicas, expected %d", (long long)t, current, want);
    assert_int_equal(s.panicking, t >= 60 && t < 140);
    if (t == 110) {
      double avg;
      assert_true(twin_avg(&s.stable, &avg));
      assert_double_exact(avg, 400);
    }
  }
  kpa_state_free(&s);
}

/* metrics/client_test.go (v0.4.1): the URL of a `domain` metric source. */
static void kpa_domain_url_reproduces_client_test(void **state) {
  (void)state;
  static const struct {
    const char *protocol, *endpoint;
    int32_t port;
    const char *path, *url;
  } cases[] = {
      {"http", "example.com", 0, "/metrics", "http://example.com/metrics"},
      {"http", "example.com:8080", 0, "/metrics", "http://example.com:8080/metrics"},
      {"https", "example.com", 8000, "metrics", "https://example.com:8000/metrics"},
      {"https", "example.com:8080", 8000, "metrics", "https://example.com:8080/metrics"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char url[128];
    assert_true(kpa_domain_url(cases[i].protocol, cases[i].endpoint, cases[i].port, cases[i].path,
                               url, sizeof url));
    assert_string_equal(url, cases[i].url);
  }
  char small[8];
  assert_false(kpa_domain_url("http", "example.com", 0, "m", small, sizeof small));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(twin_reproduces_TestWindow),
      cmocka_unit_test(twin_reproduces_TestWindowWithExpiredData),
      cmocka_unit_test(twin_reproduces_TestTimeWindow),
      cmocka_unit_test(twin_reproduces_TestDelayWindow),
      cmocka_unit_test(twin_indexes_floor_the_time_also_before_zero),
      cmocka_unit_test(twin_keeps_a_second_sample_in_the_same_second_as_its_own_entry),
      cmocka_unit_test(twin_drops_a_sample_when_the_ring_is_full),
      cmocka_unit_test(twin_evicts_an_entry_exactly_n_granules_old_and_only_on_record),
      cmocka_unit_test(twin_size_is_the_ceiling_of_duration_over_granularity),
      cmocka_unit_test(twin_grows_its_ring_up_to_n_entries),
      cmocka_unit_test(kpa_scale_reproduces_TestKpaScale),
      cmocka_unit_test(kpa_scale_reproduces_TestKpaScale2),
      cmocka_unit_test(kpa_params_set_reproduces_TestKpaUpdateContext),
      cmocka_unit_test(kpa_parses_durations_as_go_time_ParseDuration),
      cmocka_unit_test(kpa_parses_floats_as_go_strconv_ParseFloat),
      cmocka_unit_test(kpa_parses_ints_as_go_strconv_ParseInt_base10_32bit),
      cmocka_unit_test(kpa_params_default_are_the_legacy_defaults),
      cmocka_unit_test(kpa_params_set_refuses_bad_values_and_unknown_keys_without_change),
      cmocka_unit_test(kpa_params_set_takes_durations_to_microseconds_rounding_up),
      cmocka_unit_test(kpa_starts_in_panic_only_above_one_replica),
      cmocka_unit_test(kpa_enters_panic_at_the_threshold_inclusive),
      cmocka_unit_test(kpa_stays_in_panic_until_strictly_after_stable_window_since_last_trigger),
      cmocka_unit_test(kpa_never_scales_down_while_panicking),
      cmocka_unit_test(kpa_scale_down_delay_holds_the_largest_result_of_the_delay),
      cmocka_unit_test(kpa_default_scale_down_delay_is_thirty_minutes),
      cmocka_unit_test(kpa_activation_scale_lifts_small_nonzero_counts_only),
      cmocka_unit_test(kpa_limits_follow_ready_pods_with_one_as_the_scale_up_floor),
      cmocka_unit_test(kpa_without_samples_gives_no_decision_and_keeps_its_state),
      cmocka_unit_test(kpa_excess_burst_capacity_follows_target_burst_capacity),
      cmocka_unit_test(kpa_state_update_keeps_windows_and_delay),
      cmocka_unit_test(aibrix_legacy_check_goes_to_the_bounds_before_the_algorithm),
      cmocka_unit_test(aibrix_legacy_bound_clamps_after_the_algorithm),
      cmocka_unit_test(kpa_with_optimizer_metric_asks_for_ceil_of_value_over_100),
      cmocka_unit_test(kpa_reproduces_the_optimizer_worked_example),
      cmocka_unit_test(kpa_domain_url_reproduces_client_test),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
