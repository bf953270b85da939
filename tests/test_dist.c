/*
 * dist tables: the empirical distribution of samples, quantile tables and histograms, drawn by
 * inverse CDF, keep their atoms exactly (a share of requests at exactly the client's cap), are
 * linear between knots, and have the exact mean.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdlib.h>

#include "models/workload/dist.h"

#define EPS 1e-12

/* 97 short outputs 1..97 and 3 that ran to the 2,048-token cap. */
static dist_table *capped_samples(void) {
  double s[100];
  for (int i = 0; i < 97; i++)
    s[i] = 97 - i; /* unsorted on purpose */
  s[97] = s[98] = s[99] = 2048;
  return dist_table_samples(s, 100);
}

static void empirical_keeps_the_atom_at_the_cap(void **state) {
  (void)state;
  dist_table *t = capped_samples();
  dist d = dist_tabulated(t);
  for (double u = 0.97; u < 1; u += 0.0007)
    assert_true(dist_quantile(&d, u) == 2048);
  assert_true(dist_quantile(&d, 0.9699) == 97);
  assert_true(dist_quantile(&d, 1 - 1e-12) == 2048);
  dist_table_free(t);
}

static void empirical_resamples_each_value_with_its_share(void **state) {
  (void)state;
  double s[] = {5, 1, 5, 5, 2};
  dist_table *t = dist_table_samples(s, 5);
  dist d = dist_tabulated(t);
  int count[6] = {0};
  const int n = 100000;
  for (int i = 0; i < n; i++) {
    double x = dist_quantile(&d, (i + 0.5) / n);
    assert_true(x == 1 || x == 2 || x == 5); /* never a value in between */
    count[(int)x]++;
  }
  assert_int_equal(count[1], n / 5);
  assert_int_equal(count[2], n / 5);
  assert_int_equal(count[5], 3 * n / 5);
  assert_int_equal(t->n, 6); /* one flat piece per distinct value */
  dist_table_free(t);
}

static void empirical_mean_is_the_sample_mean(void **state) {
  (void)state;
  dist_table *t = capped_samples();
  dist d = dist_tabulated(t);
  double want = (97.0 * 98 / 2 + 3 * 2048) / 100;
  assert_true(fabs(dist_mean(&d) - want) < EPS * want);
  dist_table_free(t);
}

/* The shape of AIBrix's V100 outputs: half at 1 token, a tail to an atom at the cap. */
static const double P[] = {0, 0.5, 0.59, 0.75, 0.9, 0.95, 0.97, 0.97, 1};
static const double X[] = {1, 1, 16, 115, 394, 753, 2047, 2048, 2048};

static void quantile_table_interpolates_between_points(void **state) {
  (void)state;
  dist_table *t = dist_table_points(P, X, 9);
  dist d = dist_tabulated(t);
  assert_true(dist_quantile(&d, 0.25) == 1);                  /* flat: an atom at 1 */
  assert_true(fabs(dist_quantile(&d, 0.545) - 8.5) < 1e-9);   /* halfway from 1 to 16 */
  assert_true(fabs(dist_quantile(&d, 0.825) - 254.5) < 1e-9); /* halfway from 115 to 394 */
  assert_true(fabs(dist_quantile(&d, 0.75) - 115) < 1e-9);    /* on a knot */
  assert_true(fabs(dist_quantile(&d, 0.96) - 1400) < 1e-9);   /* 753 .. 2047 */
  assert_true(dist_quantile(&d, 0.97) == 2048);               /* the jump */
  assert_true(dist_quantile(&d, 0.985) == 2048);              /* the atom, exactly */
  dist_table_free(t);
}

static void quantile_table_mean_is_the_area_under_the_quantile_function(void **state) {
  (void)state;
  dist_table *t = dist_table_points(P, X, 9);
  dist d = dist_tabulated(t);
  double want =
      0.5 * 1 + 0.09 * 8.5 + 0.16 * 65.5 + 0.15 * 254.5 + 0.05 * 573.5 + 0.02 * 1400 + 0.03 * 2048;
  assert_true(fabs(dist_mean(&d) - want) < 1e-9);
  /* Against a fine Riemann sum of the draws. */
  double sum = 0;
  const int n = 1000000;
  for (int i = 0; i < n; i++)
    sum += dist_quantile(&d, (i + 0.5) / n);
  assert_true(fabs(sum / n - want) < 1e-3);
  dist_table_free(t);
}

static void histogram_is_uniform_within_bins_with_atoms_where_lo_equals_hi(void **state) {
  (void)state;
  double lo[] = {0, 20, 2048}, hi[] = {10, 30, 2048}, w[] = {2, 1, 1};
  dist_table *t = dist_table_bins(lo, hi, w, 3);
  dist d = dist_tabulated(t);
  assert_true(fabs(dist_quantile(&d, 0.25) - 5) < 1e-9); /* half of the first bin's half */
  assert_true(dist_quantile(&d, 0.5) == 20);             /* the gap 10..20 is a jump */
  assert_true(fabs(dist_quantile(&d, 0.625) - 25) < 1e-9);
  assert_true(dist_quantile(&d, 0.75) == 2048);
  assert_true(dist_quantile(&d, 0.9999) == 2048);
  assert_true(fabs(dist_mean(&d) - (0.5 * 5 + 0.25 * 25 + 0.25 * 2048)) < 1e-9);
  dist_table_free(t);
}

static void one_sample_is_a_constant(void **state) {
  (void)state;
  double s[] = {42};
  dist_table *t = dist_table_samples(s, 1);
  dist d = dist_tabulated(t);
  assert_true(dist_quantile(&d, 1e-9) == 42 && dist_quantile(&d, 0.5) == 42);
  assert_true(dist_mean(&d) == 42);
  dist_table_free(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(empirical_keeps_the_atom_at_the_cap),
      cmocka_unit_test(empirical_resamples_each_value_with_its_share),
      cmocka_unit_test(empirical_mean_is_the_sample_mean),
      cmocka_unit_test(quantile_table_interpolates_between_points),
      cmocka_unit_test(quantile_table_mean_is_the_area_under_the_quantile_function),
      cmocka_unit_test(histogram_is_uniform_within_bins_with_atoms_where_lo_equals_hi),
      cmocka_unit_test(one_sample_is_a_constant),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
