/*
 * The slot pod as the simulator's validation model: unit behaviour of the pod, then M/M/c
 * through the whole pipeline (workload, gateway, router, pod, engine) against Erlang C.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdlib.h>

#include "analysis/stats.h"
#include "models/pods/slotpod.h"
#include "sim/run/cluster.h"
#include "testutil.h"

typedef struct done_log {
  request *r[16];
  int64_t t[16];
  int n;
} done_log;

static void log_done(void *ctx, request *r, int64_t t, rq_status status) {
  assert_int_equal(status, RQ_OK);
  done_log *d = ctx;
  d->r[d->n] = r;
  d->t[d->n++] = t;
}

static request mkreq(uint64_t id, double u, int32_t out) {
  return (request){.id = id,
                   .service_u = u,
                   .output_tokens = out,
                   .start_us = -1,
                   .first_token_us = -1,
                   .finish_us = -1,
                   .pod = 0};
}

static void slots_serve_fifo_and_queue_the_rest(void **state) {
  (void)state;
  slotpod_config cfg = {2, {.kind = DIST_CONSTANT, .a = 10}}; /* 10 s each */
  pod_model p = slotpod_new(&cfg);
  request r[3] = {mkreq(0, 0.5, 10), mkreq(1, 0.5, 10), mkreq(2, 0.5, 1)};
  for (int i = 0; i < 3; i++)
    p.ops->submit(p.self, &r[i], i * 1000000LL, log_done, NULL);
  pod_gauges g;
  p.ops->gauges(p.self, &g);
  assert_int_equal(g.running, 2);
  assert_int_equal(g.waiting, 1);
  assert_true(g.kv_usage == 1.0);
  assert_int_equal(p.ops->next_us(p.self), 10000000);
  done_log d = {0};
  p.ops->advance(p.self, 10000000, log_done, &d);
  assert_int_equal(d.n, 1);
  assert_ptr_equal(d.r[0], &r[0]);
  assert_int_equal(r[0].first_token_us, 1000000); /* 10 s over 10 tokens */
  assert_int_equal(r[2].start_us, 10000000);      /* the queued one starts when a slot frees */
  p.ops->advance(p.self, 100000000, log_done, &d);
  assert_int_equal(d.n, 3);
  assert_int_equal(r[1].finish_us, 11000000);
  assert_int_equal(r[2].finish_us, 20000000);
  assert_int_equal(p.ops->next_us(p.self), INT64_MAX);
  p.ops->free(p.self);
}

static void cancel_frees_a_slot_for_the_next_request(void **state) {
  (void)state;
  slotpod_config cfg = {1, {.kind = DIST_EXPONENTIAL, .a = 1}};
  pod_model p = slotpod_new(&cfg);
  request a = mkreq(0, 0.5, 1), b = mkreq(1, 0.25, 1), c = mkreq(2, 0.5, 1);
  p.ops->submit(p.self, &a, 0, log_done, NULL);
  p.ops->submit(p.self, &b, 0, log_done, NULL);
  p.ops->submit(p.self, &c, 0, log_done, NULL);
  p.ops->cancel(p.self, &c, 5);  /* queued: just leaves */
  p.ops->cancel(p.self, &a, 10); /* running: b starts at 10 */
  assert_int_equal(b.start_us, 10);
  pod_gauges g;
  p.ops->gauges(p.self, &g);
  assert_int_equal(g.running, 1);
  assert_int_equal(g.waiting, 0);
  /* exponential quantile: -ln(1 - 0.25) s */
  assert_int_equal(p.ops->next_us(p.self), 10 + llround(-log(0.75) * 1e6));
  p.ops->free(p.self);
}

/* ---- M/M/c against Erlang C ---- */

typedef struct wait_acc {
  double sum;
  uint64_t n;
} wait_acc;

static void add_wait(void *ctx, const request *r, uint32_t dep) {
  (void)dep;
  wait_acc *w = ctx;
  if (r->status != RQ_OK) return;
  w->sum += (double)(r->start_us - r->arrival_us) * 1e-6;
  w->n++;
}

/* Mean wait of M/M/c with service mean 1 s, through the whole simulator. */
static double simulated_mmc_wait(unsigned c, double rho, double customers, uint64_t seed) {
  char dir[64], path[128], text[2048];
  tu_tmpdir(dir);
  double lambda = rho * c;
  snprintf(text, sizeof text,
           "{\"seed\": %llu, \"drain_s\": 100000,"
           " \"workload\": {\"arrivals\": {\"type\": \"segments\", \"segments\": [{\"duration_s\": "
           "%.0f, \"rate\": %.17g}]},"
           "  \"input_tokens\": {\"dist\": \"constant\", \"value\": 1}, \"output_tokens\": "
           "{\"dist\": \"constant\", \"value\": 1}},"
           " \"gpus\": [{\"name\": \"G\", \"price_per_hour\": 1}],"
           " \"deployments\": [{\"name\": \"d\", \"gpu\": \"G\", \"startup_s\": 0, \"model\": "
           "{\"type\": \"slots\", "
           "\"slots\": %u,"
           "   \"service_s\": {\"dist\": \"exponential\", \"mean\": 1}}}],"
           " \"policies\": [{\"name\": \"one\", \"type\": \"fixed\", \"replicas\": 1}],"
           " \"output\": {\"interval_s\": 3600}}",
           (unsigned long long)seed, customers / lambda, lambda, c);
  tu_write(dir, "mmc.json", text, path, sizeof path);
  scenario sc;
  ps_err err;
  assert_true(scenario_load(path, &sc, &err));
  wait_acc w = {0};
  cluster_hooks h = {.ctx = &w, .request = add_wait};
  cluster_result res;
  cluster_run(&sc, 0, sc.seed, &h, &res);
  assert_true(w.n > 0.99 * customers);
  scenario_free(&sc);
  tu_rmrf(dir);
  return w.sum / (double)w.n;
}

static void check_erlang(unsigned c, double rho, double customers) {
  double sim = simulated_mmc_wait(c, rho, customers, 2026);
  double theory = mmc_mean_wait(c, rho * c, 1.0);
  double err = sim / theory - 1;
  print_message(
      "M/M/%u rho %.1f: simulated Wq %.4f s, Erlang C %.4f s, error %+.2f%% (%.0f customers)\n", c,
      rho, sim, theory, 100 * err, customers);
  assert_true(fabs(err) < 0.02);
}

/* Customer counts: the standard error of the mean wait grows like 1/(1-rho)^2, so the busier
 * systems need far more customers for the 2% bound to be a real test, not a lucky draw. The
 * counts give a relative standard error below 0.6% in each case (see docs/validation.md). */
static void mm1_wait_matches_erlang_c_at_rho_0_5(void **s) {
  (void)s;
  check_erlang(1, 0.5, 2e6);
}
static void mm1_wait_matches_erlang_c_at_rho_0_8(void **s) {
  (void)s;
  check_erlang(1, 0.8, 4e6);
}
static void mm1_wait_matches_erlang_c_at_rho_0_9(void **s) {
  (void)s;
  check_erlang(1, 0.9, 1.2e7);
}
static void mm4_wait_matches_erlang_c_at_rho_0_5(void **s) {
  (void)s;
  check_erlang(4, 0.5, 2e6);
}
static void mm4_wait_matches_erlang_c_at_rho_0_8(void **s) {
  (void)s;
  check_erlang(4, 0.8, 4e6);
}
static void mm4_wait_matches_erlang_c_at_rho_0_9(void **s) {
  (void)s;
  check_erlang(4, 0.9, 1.2e7);
}

static void erlang_c_matches_known_values(void **state) {
  (void)state;
  /* M/M/1: P(wait) = rho; Wq = rho / (mu - lambda). */
  assert_true(fabs(erlang_c(1, 0.9) - 0.9) < 1e-12);
  assert_true(fabs(mmc_mean_wait(1, 0.9, 1) - 9.0) < 1e-9);
  /* M/M/2, a = 1: C = 1/3, Wq = C / (2 - 1) */
  assert_true(fabs(erlang_c(2, 1.0) - 1.0 / 3) < 1e-12);
  /* M/M/4, a = 3.2: textbook value 0.5964 */
  assert_true(fabs(erlang_c(4, 3.2) - 0.59643) < 1e-4);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(slots_serve_fifo_and_queue_the_rest),
      cmocka_unit_test(cancel_frees_a_slot_for_the_next_request),
      cmocka_unit_test(erlang_c_matches_known_values),
      cmocka_unit_test(mm1_wait_matches_erlang_c_at_rho_0_5),
      cmocka_unit_test(mm1_wait_matches_erlang_c_at_rho_0_8),
      cmocka_unit_test(mm1_wait_matches_erlang_c_at_rho_0_9),
      cmocka_unit_test(mm4_wait_matches_erlang_c_at_rho_0_5),
      cmocka_unit_test(mm4_wait_matches_erlang_c_at_rho_0_8),
      cmocka_unit_test(mm4_wait_matches_erlang_c_at_rho_0_9),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
