#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <gsl/gsl_statistics_double.h>
#include <math.h>

#include "sim/engine/rng.h"

static void same_seed_and_name_give_the_same_stream(void **state) {
  (void)state;
  gsl_rng *a = rng_stream(42, "arrivals"), *b = rng_stream(42, "arrivals");
  for (int i = 0; i < 1000; i++)
    assert_int_equal(gsl_rng_get(a), gsl_rng_get(b));
  gsl_rng_free(a);
  gsl_rng_free(b);
}

static void seed_is_a_fixed_function_of_seed_and_name(void **state) {
  (void)state;
  /* Changing the hash would silently change every published result. */
  assert_true(rng_stream_seed(42, "arrivals") == rng_stream_seed(42, "arrivals"));
  assert_true(rng_stream_seed(42, "arrivals") != rng_stream_seed(43, "arrivals"));
  assert_true(rng_stream_seed(42, "arrivals") != rng_stream_seed(42, "service"));
  assert_true(rng_stream_seed(0, "") != 0);
  /* The values themselves: a change here changes every run's random numbers. */
  assert_true(rng_stream_seed(42, "arrivals") == 9471748584471044716ULL);
  gsl_rng *r = rng_stream(42, "arrivals");
  assert_int_equal(gsl_rng_get(r), 1113646500UL);
  gsl_rng_free(r);
}

static void different_names_give_uncorrelated_streams(void **state) {
  (void)state;
  enum { N = 100000 };
  static double x[N], y[N], z[N];
  gsl_rng *a = rng_stream(42, "arrivals"), *b = rng_stream(42, "service"),
          *c = rng_stream(43, "arrivals");
  for (int i = 0; i < N; i++) {
    x[i] = gsl_rng_uniform(a);
    y[i] = gsl_rng_uniform(b);
    z[i] = gsl_rng_uniform(c);
  }
  /* |r| of independent uniforms has sd 1/sqrt(N) = 0.0032; 5 sd is a generous bound. */
  assert_true(fabs(gsl_stats_correlation(x, 1, y, 1, N)) < 0.016);
  assert_true(fabs(gsl_stats_correlation(x, 1, z, 1, N)) < 0.016);
  assert_true(fabs(gsl_stats_mean(x, 1, N) - 0.5) < 0.005);
  gsl_rng_free(a);
  gsl_rng_free(b);
  gsl_rng_free(c);
}

static void drawing_from_one_stream_does_not_shift_another(void **state) {
  (void)state;
  gsl_rng *a1 = rng_stream(9, "a"), *b1 = rng_stream(9, "b");
  unsigned long ref[10];
  for (int i = 0; i < 10; i++)
    ref[i] = gsl_rng_get(b1);
  for (int i = 0; i < 12345; i++)
    gsl_rng_get(a1);
  gsl_rng *b2 = rng_stream(9, "b");
  for (int i = 0; i < 10; i++)
    assert_int_equal(gsl_rng_get(b2), ref[i]);
  gsl_rng_free(a1);
  gsl_rng_free(b1);
  gsl_rng_free(b2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(same_seed_and_name_give_the_same_stream),
      cmocka_unit_test(seed_is_a_fixed_function_of_seed_and_name),
      cmocka_unit_test(different_names_give_uncorrelated_streams),
      cmocka_unit_test(drawing_from_one_stream_does_not_shift_another),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
