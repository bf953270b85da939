/* Pod lifecycle: time from getting a GPU to Ready, and its use by the engine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>

#include "models/pods/lifecycle.h"
#include "sim/engine/rng.h"
#include "sim/run/cluster.h"
#include "testutil.h"

#define S INT64_C(1000000)

static void constant_startup_is_ready_exactly_then(void **state) {
  (void)state;
  lifecycle_config c = lifecycle_constant(150 * S);
  assert_int_equal(lifecycle_ready_after_us(&c, 0.3, 0.9), 150 * S);
  c = lifecycle_constant(0);
  assert_int_equal(lifecycle_ready_after_us(&c, 0.3, 0.9), 0);
}

static void ready_at_the_first_probe_after_the_server_is_up(void **state) {
  (void)state;
  lifecycle_config c = {.init_s = {.kind = DIST_CONSTANT, .a = 20},
                        .load_s = {.kind = DIST_CONSTANT, .a = 60},
                        .probe_delay_us = 120 * S,
                        .probe_period_us = 5 * S};
  /* loaded 80 s after scheduling, before the first probe at 20 + 120 */
  assert_int_equal(lifecycle_ready_after_us(&c, 0.5, 0.5), 140 * S);
  /* loaded at 20 + 131 = 151 s: probes at 140, 145, 150, 155 */
  c.load_s.a = 131;
  assert_int_equal(lifecycle_ready_after_us(&c, 0.5, 0.5), 155 * S);
  /* a probe exactly when the server comes up succeeds */
  c.load_s.a = 130;
  assert_int_equal(lifecycle_ready_after_us(&c, 0.5, 0.5), 150 * S);
}

static void default_lifecycle_takes_two_to_three_minutes(void **state) {
  (void)state;
  lifecycle_config c = lifecycle_default();
  int64_t median = lifecycle_ready_after_us(&c, 0.5, 0.5);
  int64_t tail = lifecycle_ready_after_us(&c, 0.99, 0.99);
  assert_true(median >= 120 * S && median <= 150 * S);
  assert_true(tail > 180 * S && tail < 300 * S);
}

static void uniform_at_is_a_fixed_function_of_its_arguments(void **state) {
  (void)state;
  double u = rng_uniform_at(1, "lifecycle", 7, 0);
  assert_true(u == 0.21652613039685348); /* pinned: a change shifts every start-up */
  assert_true(u != rng_uniform_at(1, "lifecycle", 7, 1));
  assert_true(u != rng_uniform_at(1, "lifecycle", 8, 0));
  assert_true(u != rng_uniform_at(2, "lifecycle", 7, 0));
  double sum = 0;
  for (uint64_t i = 0; i < 100000; i++)
    sum += rng_uniform_at(3, "x", i, 0);
  assert_true(fabs(sum / 100000 - 0.5) < 0.005);
}

typedef struct first_start {
  int64_t first_start_us; /* earliest service start of any request */
} first_start;

static void on_request(void *ctx, const request *r, uint32_t dep) {
  (void)dep;
  first_start *f = ctx;
  if (r->start_us >= 0 && (f->first_start_us < 0 || r->start_us < f->first_start_us))
    f->first_start_us = r->start_us;
}

/* Requests that arrive before any pod is Ready wait in the gateway; the first starts when the
 * first pod turns Ready, which is the same instant under every policy. */
static void requests_wait_for_the_first_ready_pod(void **state) {
  (void)state;
  char d[64], path[128];
  tu_tmpdir(d);
  tu_write(
      d, "s.json",
      "{\"seed\": 4, \"workload\": {\"arrivals\": {\"type\": \"segments\", \"segments\": "
      "[{\"duration_s\": 600, \"rate\": 1}]}, \"input_tokens\": {\"dist\": \"constant\", "
      "\"value\": 1}, \"output_tokens\": {\"dist\": \"constant\", \"value\": 1}}, \"gpus\": "
      "[{\"name\": \"G\", \"price_per_hour\": 1}], \"deployments\": [{\"name\": \"d\", "
      "\"gpu\": \"G\", \"model\": {\"type\": \"slots\", \"slots\": 4, \"service_s\": "
      "{\"dist\": \"constant\", \"value\": 1}}}], \"policies\": [{\"name\": \"one\", \"type\": "
      "\"fixed\", \"replicas\": 1, \"initial_replicas\": 0}, {\"name\": \"three\", "
      "\"type\": \"fixed\", \"replicas\": 3, \"initial_replicas\": 0}]}",
      path, sizeof path);
  scenario sc;
  ps_err err;
  assert_true(scenario_load(path, &sc, &err));
  lifecycle_config lc = lifecycle_default();
  int64_t first_ready = INT64_MAX;
  for (uint64_t k = 0; k < 3; k++) { /* pods 0..2 of deployment 0 */
    int64_t t = lifecycle_ready_after_us(&lc, rng_uniform_at(sc.seed, "lifecycle", k, 0),
                                         rng_uniform_at(sc.seed, "lifecycle", k, 1));
    if (k == 0) assert_true(t >= 120 * S);
    if (t < first_ready) first_ready = t;
    if (k == 0) {
      first_start f = {-1};
      cluster_hooks h = {.ctx = &f, .request = on_request};
      cluster_result res;
      cluster_run(&sc, 0, sc.seed, &h, &res);
      assert_int_equal(f.first_start_us, t); /* one pod: it starts serving when Ready */
    }
  }
  first_start f = {-1};
  cluster_hooks h = {.ctx = &f, .request = on_request};
  cluster_result res;
  cluster_run(&sc, 1, sc.seed, &h, &res);
  assert_int_equal(f.first_start_us, first_ready); /* three pods: the first Ready one */
  scenario_free(&sc);
  tu_rmrf(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(constant_startup_is_ready_exactly_then),
      cmocka_unit_test(ready_at_the_first_probe_after_the_server_is_up),
      cmocka_unit_test(default_lifecycle_takes_two_to_three_minutes),
      cmocka_unit_test(uniform_at_is_a_fixed_function_of_its_arguments),
      cmocka_unit_test(requests_wait_for_the_first_ready_pod),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
