/* models/pods/router: the gateway's choice of pod, and the tie rule that keeps it
 * deterministic. Linked against podscale_models alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <gsl/gsl_rng.h>

#include "models/pods/router.h"

/* Fewest requests wins; among equals, the first candidate (the oldest pod: candidates are in
 * creation order), never the last or a random one. */
static void least_request_ties_go_to_the_oldest_pod(void **state) {
  (void)state;
  router rt = {.kind = ROUTER_LEAST_REQUEST};
  const struct {
    uint32_t load[5];
    uint32_t n, want;
  } cases[] = {
      {{3, 1, 1, 2}, 4, 1}, /* tie between 1 and 2: the older */
      {{0, 0, 0}, 3, 0},    /* all equal: the oldest */
      {{7}, 1, 0},          /* one candidate */
      {{4, 4, 2, 9, 2}, 5, 2},
      {{9, 8, 7, 6, 5}, 5, 4}, /* strictly fewer at the end */
      {{UINT32_MAX, UINT32_MAX - 1}, 2, 1},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    assert_int_equal(router_pick(&rt, cases[i].load, cases[i].n), cases[i].want);
}

static void round_robin_cycles_in_creation_order(void **state) {
  (void)state;
  router rt = {.kind = ROUTER_ROUND_ROBIN};
  uint32_t load[4] = {9, 0, 9, 0}; /* ignored */
  const uint32_t want[] = {0, 1, 2, 0, 1, 2};
  for (int i = 0; i < 6; i++)
    assert_int_equal(router_pick(&rt, load, 3), want[i]);
  assert_int_equal(router_pick(&rt, load, 4), 2); /* the 7th choice among four pods */
}

static void random_is_uniform_over_the_candidates(void **state) {
  (void)state;
  gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(g, 7);
  router rt = {.kind = ROUTER_RANDOM, .rng = g};
  uint32_t load[4] = {0}, count[4] = {0};
  enum { N = 40000 };
  for (int i = 0; i < N; i++) {
    uint32_t k = router_pick(&rt, load, 4);
    assert_true(k < 4);
    count[k]++;
  }
  for (int k = 0; k < 4; k++) /* 10,000 expected, sd 87: 5 sd */
    assert_true(count[k] > N / 4 - 435 && count[k] < N / 4 + 435);
  gsl_rng_free(g);
}

static void kinds_parse_by_their_scenario_names(void **state) {
  (void)state;
  router_kind k;
  const char *names[] = {"random", "round-robin", "least-request"};
  for (int i = 0; i < 3; i++) {
    assert_true(router_kind_parse(names[i], &k));
    assert_string_equal(router_kind_name(k), names[i]);
  }
  assert_false(router_kind_parse("least_request", &k));
  assert_false(router_kind_parse("", &k));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(least_request_ties_go_to_the_oldest_pod),
      cmocka_unit_test(round_robin_cycles_in_creation_order),
      cmocka_unit_test(random_is_uniform_over_the_candidates),
      cmocka_unit_test(kinds_parse_by_their_scenario_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
