#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/stats.h"
#include "sim/engine/rng.h"

static void quantiles_equal_gsl_on_sorted_data(void **state) {
  (void)state;
  gsl_rng *r = rng_stream(5, "stats-test");
  size_t sizes[] = {1, 2, 3, 10, 101, 1000, 99999};
  double qs[] = {0, 0.01, 0.5, 0.9, 0.99, 0.999, 1};
  for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
    size_t n = sizes[k];
    double *ref = malloc(n * sizeof *ref);
    for (size_t i = 0; i < n; i++)
      ref[i] = floor(gsl_rng_uniform(r) * 50); /* many ties */
    for (size_t j = 0; j < sizeof qs / sizeof *qs; j++) {
      sample s = {0};
      for (size_t i = 0; i < n; i++)
        sample_add(&s, ref[i]);
      double *sorted = malloc(n * sizeof *sorted);
      memcpy(sorted, ref, n * sizeof *sorted);
      gsl_sort(sorted, 1, n);
      double want = gsl_stats_quantile_from_sorted_data(sorted, 1, n, qs[j]);
      assert_true(sample_quantile(&s, qs[j]) == want);
      free(sorted);
      sample_free(&s);
    }
    free(ref);
  }
  gsl_rng_free(r);
}

static void empty_sample_has_no_statistics(void **state) {
  (void)state;
  sample s = {0};
  assert_true(isnan(sample_mean(&s)));
  assert_true(isnan(sample_quantile(&s, 0.5)));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(quantiles_equal_gsl_on_sorted_data),
      cmocka_unit_test(empty_sample_has_no_statistics),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
