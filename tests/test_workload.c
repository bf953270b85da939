#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>

#include "models/workload/workload.h"
#include "sim/engine/rng.h"

typedef struct streams {
  gsl_rng *a, *i, *o, *s;
} streams;

static wl_gen *gen_new(const wl_spec *sp, uint64_t seed, streams *st) {
  st->a = rng_stream(seed, "arrivals");
  st->i = rng_stream(seed, "input_tokens");
  st->o = rng_stream(seed, "output_tokens");
  st->s = rng_stream(seed, "service");
  return wl_gen_new(sp, st->a, st->i, st->o, st->s);
}

static void gen_free(wl_gen *g, streams *st) {
  wl_gen_free(g);
  gsl_rng_free(st->a);
  gsl_rng_free(st->i);
  gsl_rng_free(st->o);
  gsl_rng_free(st->s);
}

static wl_spec segments_spec(const wl_segment *seg, size_t n) {
  wl_spec sp = {.source = WL_SEGMENTS,
                .process = WL_POISSON,
                .cv = 1,
                .segments = seg,
                .nsegments = n,
                .rate_scale = 1,
                .time_scale = 1,
                .input_tokens = {.kind = DIST_CONSTANT, .a = 100},
                .output_tokens = {.kind = DIST_CONSTANT, .a = 10}};
  sp.duration_us = wl_spec_span_us(&sp);
  return sp;
}

/* Count arrivals per window of `window_s`, into counts[0..nwin). */
static uint64_t count_arrivals(const wl_spec *sp, uint64_t seed, double window_s, uint64_t *counts,
                               size_t nwin, double *gaps_cv) {
  streams st;
  wl_gen *g = gen_new(sp, seed, &st);
  wl_request r;
  uint64_t n = 0;
  int64_t last = -1;
  double sum = 0, sum2 = 0;
  uint64_t ngaps = 0;
  while (wl_gen_next(g, &r)) {
    size_t w = (size_t)((double)r.arrival_us * 1e-6 / window_s);
    if (w < nwin) counts[w]++;
    if (last >= 0) {
      double gap = (double)(r.arrival_us - last);
      sum += gap;
      sum2 += gap * gap;
      ngaps++;
    }
    assert_true(r.arrival_us >= last);
    assert_int_equal(r.id, n);
    last = r.arrival_us;
    n++;
  }
  if (gaps_cv && ngaps > 1) {
    double m = sum / (double)ngaps;
    *gaps_cv = sqrt(sum2 / (double)ngaps - m * m) / m;
  }
  gen_free(g, &st);
  return n;
}

/* |observed - expected| within 4 standard deviations of a Poisson count. */
static void assert_poisson_count(double observed, double expected) {
  assert_true(fabs(observed - expected) < 4 * sqrt(expected));
}

static void poisson_step_segments_have_their_rates(void **state) {
  (void)state;
  wl_segment seg[] = {{1000, 0.5, 0.5}, {1000, 2, 2}, {1000, 4, 4}, {1000, 5, 5}, {1000, 1, 1}};
  wl_spec sp = segments_spec(seg, 5);
  uint64_t counts[5] = {0};
  double cv = 0;
  uint64_t n = count_arrivals(&sp, 42, 1000, counts, 5, &cv);
  for (int i = 0; i < 5; i++)
    assert_poisson_count((double)counts[i], 1000 * seg[i].rate_rps);
  assert_poisson_count((double)n, wl_spec_expected_count(&sp));
}

static void linear_segment_ramps_to_its_end_rate(void **state) {
  (void)state;
  wl_segment seg[] = {{2000, 0, 10}};
  wl_spec sp = segments_spec(seg, 1);
  uint64_t counts[4] = {0};
  count_arrivals(&sp, 1, 500, counts, 4, NULL);
  /* rate 10 t / 2000 integrates to 1250 t^2/2000^2 ... per quarter: 625, 1875, 3125, 4375 */
  double expect[4] = {625, 1875, 3125, 4375};
  for (int i = 0; i < 4; i++)
    assert_poisson_count((double)counts[i], expect[i]);
  assert_true(fabs(wl_spec_expected_count(&sp) - 10000) < 1e-6);
}

static void gamma_arrivals_have_the_configured_cv_and_rate(void **state) {
  (void)state;
  wl_segment seg[] = {{20000, 2, 2}};
  wl_spec sp = segments_spec(seg, 1);
  sp.process = WL_GAMMA;
  sp.cv = 2;
  uint64_t counts[1] = {0};
  double cv = 0;
  uint64_t n = count_arrivals(&sp, 3, 20000, counts, 1, &cv);
  /* A gamma renewal count has variance cv^2 times the Poisson one. */
  assert_true(fabs((double)n - 40000) < 4 * 2 * sqrt(40000));
  assert_true(fabs(cv - 2) < 0.1);
}

static void rate_and_time_scale_change_rate_and_length(void **state) {
  (void)state;
  wl_segment seg[] = {{1000, 4, 4}};
  wl_spec sp = segments_spec(seg, 1);
  sp.time_scale = 2;
  sp.rate_scale = 3; /* rate 4*3/2 = 6 over 2000 s */
  sp.duration_us = wl_spec_span_us(&sp);
  assert_int_equal(sp.duration_us, 2000000000LL);
  uint64_t counts[1] = {0};
  assert_poisson_count((double)count_arrivals(&sp, 5, 2000, counts, 1, NULL), 12000);
}

static void count_file_gives_exact_counts_per_second(void **state) {
  (void)state;
  int32_t c[] = {0, 3, 0, 7, 1, 0, 12};
  wl_spec sp = {.source = WL_COUNTS,
                .counts = c,
                .ncounts = 7,
                .rate_scale = 1,
                .time_scale = 1,
                .input_tokens = {.kind = DIST_CONSTANT, .a = 1},
                .output_tokens = {.kind = DIST_CONSTANT, .a = 1}};
  sp.duration_us = wl_spec_span_us(&sp);
  uint64_t counts[7] = {0};
  count_arrivals(&sp, 11, 1, counts, 7, NULL);
  for (int i = 0; i < 7; i++)
    assert_int_equal(counts[i], c[i]);
  sp.rate_scale = 2;
  uint64_t doubled[7] = {0};
  count_arrivals(&sp, 11, 1, doubled, 7, NULL);
  for (int i = 0; i < 7; i++)
    assert_int_equal(doubled[i], 2 * c[i]);
}

static void trace_replays_times_and_tokens(void **state) {
  (void)state;
  wl_trace_rec t[] = {{0, 374, 44}, {4314479, 396, 109}, {4314479, 10, 0}, {9000000, 7, 3}};
  wl_spec sp = {.source = WL_TRACE,
                .trace = t,
                .ntrace = 4,
                .rate_scale = 1,
                .time_scale = 1,
                .input_tokens = {.kind = DIST_TRACE},
                .output_tokens = {.kind = DIST_TRACE},
                .max_output_tokens = 100};
  sp.duration_us = wl_spec_span_us(&sp);
  streams st;
  wl_gen *g = gen_new(&sp, 1, &st);
  wl_request r;
  for (int i = 0; i < 4; i++) {
    assert_true(wl_gen_next(g, &r));
    assert_int_equal(r.arrival_us, t[i].t_us);
    assert_int_equal(r.input_tokens, t[i].input_tokens);
    int32_t out = t[i].output_tokens < 1 ? 1 : t[i].output_tokens > 100 ? 100 : t[i].output_tokens;
    assert_int_equal(r.output_tokens, out); /* at least 1, capped at max_output_tokens */
  }
  assert_false(wl_gen_next(g, &r));
  gen_free(g, &st);
}

static void lognormal_tokens_match_mean_and_p99(void **state) {
  (void)state;
  wl_segment seg[] = {{20000, 10, 10}};
  wl_spec sp = segments_spec(seg, 1);
  assert_true(dist_lognormal_mean_p99(310, 960, &sp.input_tokens));
  streams st;
  wl_gen *g = gen_new(&sp, 17, &st);
  enum { CAP = 250000 };
  double *x = malloc(CAP * sizeof *x);
  size_t n = 0;
  wl_request r;
  while (n < CAP && wl_gen_next(g, &r))
    x[n++] = r.input_tokens;
  gsl_sort(x, 1, n);
  assert_true(fabs(gsl_stats_mean(x, 1, n) / 310 - 1) < 0.02);
  assert_true(fabs(gsl_stats_quantile_from_sorted_data(x, 1, n, 0.99) / 960 - 1) < 0.03);
  free(x);
  gen_free(g, &st);
}

/* The share of requests a context window cannot hold: exact over a trace (within the run's
 * duration), and from the length distributions within sampling error of the generator itself. */
static void share_over_a_context_window_matches_the_requests_drawn(void **state) {
  (void)state;
  wl_trace_rec t[] = {
      {0, 4000, 200}, {1000000, 100, 100}, {2000000, 3000, 2000}, {9000000, 9000, 1}};
  wl_spec tr = {.source = WL_TRACE,
                .trace = t,
                .ntrace = 4,
                .rate_scale = 1,
                .time_scale = 1,
                .input_tokens = {.kind = DIST_TRACE},
                .output_tokens = {.kind = DIST_TRACE}};
  tr.duration_us = wl_spec_span_us(&tr);
  assert_true(wl_spec_share_over(&tr, 4096) == 0.75); /* prompt + output: 4200, 5000, 9001 */
  tr.duration_us = 5000000;                           /* the last record is not in the run */
  assert_true(wl_spec_share_over(&tr, 4096) == 2.0 / 3);
  tr.max_output_tokens = 100; /* then vLLM checks prompt + max_tokens: 4100, 3100 */
  assert_true(wl_spec_share_over(&tr, 4096) == 1.0 / 3);

  wl_segment seg[] = {{20000, 10, 10}};
  wl_spec sp = segments_spec(seg, 1);
  assert_true(dist_lognormal_mean_p99(310, 960, &sp.input_tokens));
  assert_true(dist_lognormal_mean_p99(200, 1500, &sp.output_tokens));
  for (int cap = 0; cap <= 1; cap++) {
    sp.max_output_tokens = cap ? 1024 : 0;
    double want = wl_spec_share_over(&sp, 1500);
    streams st;
    wl_gen *g = gen_new(&sp, 5, &st);
    wl_request r;
    double n = 0, over = 0;
    while (wl_gen_next(g, &r)) {
      n++;
      int64_t asked = (int64_t)r.input_tokens + (cap ? sp.max_output_tokens : r.output_tokens);
      over += asked > 1500;
    }
    gen_free(g, &st);
    double got = over / n, sd = sqrt(want * (1 - want) / n);
    print_message("cap %d: share %.5f predicted, %.5f of %.0f drawn\n", cap, want, got, n);
    assert_true(want > 0.001 && fabs(got - want) < 4 * sd + 1e-3);
  }
}

static void same_seed_gives_identical_requests(void **state) {
  (void)state;
  wl_segment seg[] = {{100, 3, 3}};
  wl_spec sp = segments_spec(seg, 1);
  assert_true(dist_lognormal_mean_p99(100, 500, &sp.output_tokens));
  streams s1, s2, s3;
  wl_gen *a = gen_new(&sp, 8, &s1), *b = gen_new(&sp, 8, &s2), *c = gen_new(&sp, 9, &s3);
  wl_request ra, rb, rc;
  int same_as_other_seed = 0, n = 0;
  while (wl_gen_next(a, &ra)) {
    assert_true(wl_gen_next(b, &rb));
    assert_int_equal(ra.arrival_us, rb.arrival_us);
    assert_int_equal(ra.output_tokens, rb.output_tokens);
    assert_true(ra.service_u == rb.service_u);
    if (wl_gen_next(c, &rc) && rc.arrival_us == ra.arrival_us) same_as_other_seed++;
    n++;
  }
  assert_false(wl_gen_next(b, &rb));
  assert_true(n > 200);
  assert_true(same_as_other_seed < 3);
  gen_free(a, &s1);
  gen_free(b, &s2);
  gen_free(c, &s3);
}

static void lognormal_fit_rejects_impossible_tails(void **state) {
  (void)state;
  dist d;
  assert_false(dist_lognormal_mean_p99(100, 50, &d));   /* p99 below the mean */
  assert_false(dist_lognormal_mean_p99(100, 2000, &d)); /* ratio above exp(z^2/2) */
  assert_true(dist_lognormal_mean_p99(100, 1400, &d));
}

/* Output = min(natural length, max_output_tokens): the draws past the cap land exactly on it,
 * so the cap is an atom of the lengths with the share of natural lengths at or above it. */
static void output_cap_puts_longer_draws_exactly_at_the_cap(void **state) {
  (void)state;
  double natural[100];
  for (int i = 0; i < 100; i++)
    natural[i] = i < 90 ? 10 : 2048 + 100 * (i - 90); /* 10% at or past 2048 */
  dist_table *t = dist_table_samples(natural, 100);
  wl_segment seg[] = {{20000, 2, 2}};
  wl_spec sp = segments_spec(seg, 1);
  sp.output_tokens = dist_tabulated(t);
  sp.max_output_tokens = 2048;
  streams st;
  wl_gen *g = gen_new(&sp, 23, &st);
  wl_request r;
  int n = 0, at_cap = 0;
  while (wl_gen_next(g, &r)) {
    assert_true(r.output_tokens == 10 || r.output_tokens == 2048);
    at_cap += r.output_tokens == 2048;
    n++;
  }
  assert_true(n > 30000);
  assert_true(fabs((double)at_cap - 0.1 * n) < 4 * sqrt(0.1 * 0.9 * n));
  gen_free(g, &st);
  dist_table_free(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(poisson_step_segments_have_their_rates),
      cmocka_unit_test(linear_segment_ramps_to_its_end_rate),
      cmocka_unit_test(gamma_arrivals_have_the_configured_cv_and_rate),
      cmocka_unit_test(rate_and_time_scale_change_rate_and_length),
      cmocka_unit_test(count_file_gives_exact_counts_per_second),
      cmocka_unit_test(trace_replays_times_and_tokens),
      cmocka_unit_test(lognormal_tokens_match_mean_and_p99),
      cmocka_unit_test(share_over_a_context_window_matches_the_requests_drawn),
      cmocka_unit_test(same_seed_gives_identical_requests),
      cmocka_unit_test(lognormal_fit_rejects_impossible_tails),
      cmocka_unit_test(output_cap_puts_longer_draws_exactly_at_the_cap),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
