#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <gsl/gsl_statistics_double.h>
#include <math.h>

#include "sim/engine/rng.h"

/* The streams themselves, pinned: each (seed, name)'s seed and first draws. A change to the hash,
 * the mixing or the generator changes every run's random numbers and every published result,
 * so it must show here first. */
static void streams_are_a_fixed_function_of_seed_and_name(void **state) {
  (void)state;
  static const struct {
    uint64_t seed;
    const char *name;
    uint64_t stream_seed;
    unsigned long first[3];
  } pins[] = {
      {42ULL, "arrivals", 9471748584471044716ULL, {1113646500UL, 1565715304UL, 1354595850UL}},
      {42ULL, "service", 557461769542314894ULL, {2351900618UL, 777614342UL, 486085463UL}},
      {43ULL, "arrivals", 9669175114320246531ULL, {3550452046UL, 3233249692UL, 2027904024UL}},
      {0ULL, "", 6566800829925814604ULL, {2563847135UL, 2310607013UL, 3159489057UL}},
      {1ULL, "input_tokens", 15068188681399158777ULL, {3143980116UL, 1117327245UL, 3972136160UL}},
      {UINT64_MAX, "router", 11569133295398033405ULL, {3034639393UL, 1731373386UL, 4078910395UL}},
  };
  for (size_t i = 0; i < sizeof pins / sizeof pins[0]; i++) {
    assert_true(rng_stream_seed(pins[i].seed, pins[i].name) == pins[i].stream_seed);
    gsl_rng *r = rng_stream(pins[i].seed, pins[i].name);
    for (int k = 0; k < 3; k++)
      assert_int_equal(gsl_rng_get(r), pins[i].first[k]);
    gsl_rng_free(r);
  }
  /* The counter-based draws (one value per (name, i, j), no stream state). */
  assert_true(rng_uniform_at(1, "lifecycle", 0, 0) == 0.82743365709917138);
  assert_true(rng_uniform_at(1, "lifecycle", 3, 1) == 0.63241803181338407);
  assert_true(rng_uniform_at(7, "router", 123456, 0) == 0.7651851759802033);
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
      cmocka_unit_test(streams_are_a_fixed_function_of_seed_and_name),
      cmocka_unit_test(different_names_give_uncorrelated_streams),
      cmocka_unit_test(drawing_from_one_stream_does_not_shift_another),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
