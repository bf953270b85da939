/*
 * cluster: how pods leave and join routing as a real cluster does it (sim/run/cluster.h): a gateway
 * that keeps routing to pods being deleted, the preStop hook that polls for an idle pod, the
 * grace period that kills what is still running, and the warm-up before the client starts.
 * Each test runs a small scenario of slot pods (exact service times) through cluster_run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdlib.h>

#include "sim/run/cluster.h"
#include "testutil.h"

#define FIXED_ONE "{\"name\": \"p\", \"type\": \"fixed\", \"replicas\": 1, \"initial_replicas\": 2}"
/* A KPA on the slot pods' busy fraction that wants one pod once its stable window is full (70 s,
 * with requests of every length used here in flight). */
#define KPA_ONE                                                                                    \
  "{\"name\": \"p\", \"type\": \"kpa\", \"initial_replicas\": 2, \"spec\": {\"minReplicas\": 1, "  \
  "\"maxReplicas\": 2, \"metricsSources\": [{\"metricSourceType\": \"pod\", \"targetMetric\": "    \
  "\"gpu_cache_usage_perc\", \"targetValue\": \"0.9\"}]}, \"annotations\": "                       \
  "{\"kpa.autoscaling.aibrix.ai/scale-down-delay\": \"0s\"}}"

/* Two pods serve from time 0 and `policy` soon wants one, so the newer one is deleted. One
 * request a second (Poisson), each holding one of 100 slots for `service_s`, round-robin. */
static void load_two_to_one(scenario *sc, const char *policy, double service_s,
                            const char *router_extra, const char *deployment_extra,
                            const char *top_extra) {
  char dir[64], path[256], text[2048];
  tu_tmpdir(dir);
  snprintf(text, sizeof text,
           "{\"seed\": 3, %s \"workload\": {\"arrivals\": {\"type\": \"segments\", \"segments\": "
           "[{\"duration_s\": 100, \"rate\": 1}]}, \"input_tokens\": {\"dist\": \"constant\", "
           "\"value\": 10}, \"output_tokens\": {\"dist\": \"constant\", \"value\": 10}}, "
           "\"gpus\": [{\"name\": \"G\", \"price_per_hour\": 1}], \"deployments\": [{\"name\": "
           "\"d\", \"gpu\": \"G\", \"startup_s\": 0, \"termination_grace_s\": 30 %s, \"model\": "
           "{\"type\": \"slots\", \"slots\": 100, \"service_s\": {\"dist\": \"constant\", "
           "\"value\": %g}}}], \"router\": {\"policy\": \"round-robin\" %s}, "
           "\"policies\": [%s]}",
           top_extra, deployment_extra, service_s, router_extra, policy);
  tu_write(dir, "s.json", text, path, sizeof path);
  ps_err err;
  bool ok = scenario_load(path, sc, &err);
  if (!ok) fprintf(stderr, "%s\n", err.msg);
  assert_true(ok);
  tu_rmrf(dir);
}

typedef struct tally {
  int on_second;          /* requests routed to the deleted pod (index 1) */
  int failed_on_second;   /* of those, failed (killed at the end of the grace period) */
  int64_t last_on_second; /* arrival of the last request routed there, us */
  int64_t first_decision; /* time of the first policy evaluation, us */
  int ready_at_zero;      /* ready pods in the sample at time 0 */
  int64_t down_us;        /* the policy's scale-down decision, us */
} tally;

static void on_request(void *ctx, const request *r, uint32_t dep) {
  (void)dep;
  tally *t = ctx;
  if (r->pod != 1) return;
  t->on_second++;
  t->failed_on_second += r->status == RQ_FAILED;
  if (r->arrival_us > t->last_on_second) t->last_on_second = r->arrival_us;
}

static void on_decision(void *ctx, const cluster_decision *d) {
  tally *t = ctx;
  if (t->first_decision == INT64_MAX) t->first_decision = d->time_us;
  if (d->desired < d->current && t->down_us == INT64_MAX) t->down_us = d->time_us;
}

static void on_sample(void *ctx, const cluster_sample *s) {
  tally *t = ctx;
  if (s->time_us == 0) t->ready_at_zero = s->ready;
}

static tally run(const scenario *sc, cluster_result *res) {
  tally t = {
      .last_on_second = -1, .first_decision = INT64_MAX, .ready_at_zero = -1, .down_us = INT64_MAX};
  cluster_hooks h = {
      .ctx = &t, .request = on_request, .decision = on_decision, .sample = on_sample};
  cluster_run(sc, 0, sc->seed, &h, res);
  return t;
}

typedef struct tally_pair {
  tally t;
  cluster_result res;
} tally_pair;

static tally_pair run_with(const char *policy, double service_s, const char *router_extra,
                           const char *deployment_extra, const char *top_extra) {
  scenario sc;
  load_two_to_one(&sc, policy, service_s, router_extra, deployment_extra, top_extra);
  tally_pair p;
  p.t = run(&sc, &p.res);
  scenario_free(&sc);
  return p;
}

#define ROUTE_TERMINATING ", \"route_terminating\": true"
#define POLL_5S ", \"prestop_poll_s\": 5"

/* Deleted with requests of 50 s in flight: by default no new request reaches it, and those it
 * has that cannot finish within the 30 s grace period are killed when it ends. */
static void a_deleted_pod_leaves_routing_at_once_by_default(void **state) {
  (void)state;
  tally_pair p = run_with(KPA_ONE, 50, "", "", "");
  assert_int_equal(p.res.scale_downs, 1);
  assert_true(p.t.down_us > 0 && p.t.down_us < 100000000);
  assert_true(p.t.last_on_second < p.t.down_us);
  assert_true(p.t.failed_on_second > 0);
  assert_true(p.t.failed_on_second < p.t.on_second);
}

/* AIBrix's gateway as measured (vLLM logs show new prompts on pods being deleted up to their
 * end): the pod keeps getting every other request until the grace period kills them all. */
static void a_gateway_that_routes_to_terminating_pods_loses_their_requests(void **state) {
  (void)state;
  tally_pair base = run_with(KPA_ONE, 50, "", "", "");
  tally_pair p = run_with(KPA_ONE, 50, ROUTE_TERMINATING, "", "");
  assert_int_equal(p.res.scale_downs, 1);
  assert_int_equal(p.t.down_us, base.t.down_us);
  assert_true(p.t.last_on_second > p.t.down_us + 20000000); /* routed on after the deletion */
  assert_true(p.t.on_second >= base.t.on_second + 10);      /* half of 30 s of arrivals more */
  /* What was routed after the deletion fails; what finished before is the same. */
  assert_int_equal(p.t.on_second - p.t.failed_on_second,
                   base.t.on_second - base.t.failed_on_second);
}

/* Requests of 2.5 s leave the routed, terminating pod idle now and then: without a hook it
 * stops the first instant it is idle; a preStop hook that looks every 5 s keeps it (and routes
 * to it) until a look finds it idle. Nothing it had is lost either way. */
static void prestop_polling_stops_an_idle_pod_at_its_next_look(void **state) {
  (void)state;
  tally_pair now = run_with(KPA_ONE, 2.5, ROUTE_TERMINATING, "", "");
  tally_pair polled = run_with(KPA_ONE, 2.5, ROUTE_TERMINATING, POLL_5S, "");
  assert_int_equal(now.res.scale_downs, 1);
  assert_int_equal(polled.res.scale_downs, 1);
  assert_true(polled.t.on_second > now.t.on_second);
  assert_true(polled.t.last_on_second > now.t.last_on_second);
  assert_int_equal(now.t.failed_on_second, 0);
  assert_int_equal(polled.t.failed_on_second, 0);
  assert_true(polled.res.gpu_hours > now.res.gpu_hours);
}

/* The experiment protocol of AIBrix's runs: the autoscaler is applied and the deployment
 * restarted warmup_s before the client starts; its pods turn Ready at 0 and are billed from 0. */
static void warmup_runs_the_policy_before_time_zero_and_bills_from_zero(void **state) {
  (void)state;
  tally_pair cold = run_with(FIXED_ONE, 0.5, "", "", "");
  tally_pair warm = run_with(FIXED_ONE, 0.5, "", "", "\"warmup_s\": 40,");
  assert_int_equal(cold.t.first_decision, 0);
  assert_int_equal(warm.t.first_decision, -40000000);
  /* The fixed policy deleted a pod during the warm-up: one pod Ready at 0, and the bill (from
   * 0) is the same as without a warm-up. */
  assert_int_equal(warm.t.ready_at_zero, 1);
  assert_true(fabs(cold.res.gpu_hours - warm.res.gpu_hours) < 1e-9);
  /* A KPA sees no Ready pod, so no data, during the warm-up: two pods at 0. */
  tally_pair kpa = run_with(KPA_ONE, 0.5, "", "", "\"warmup_s\": 40,");
  assert_int_equal(kpa.t.first_decision, -40000000);
  assert_int_equal(kpa.t.ready_at_zero, 2);
}

typedef struct lost {
  uint64_t ids[1000]; /* requests that failed before reaching a pod */
  int n;
} lost;

static void on_lost(void *ctx, const request *r, uint32_t dep) {
  (void)dep;
  lost *l = ctx;
  if (r->status == RQ_FAILED && r->pod < 0 && l->n < 1000) l->ids[l->n++] = r->id;
}

/* The client's connection errors (set0 loses about 3% of requests while nothing is overloaded
 * or scaled down): the same requests, a share near the rate, under every policy. */
static void client_errors_lose_the_same_requests_under_every_policy(void **state) {
  (void)state;
  char dir[64], path[256];
  tu_tmpdir(dir);
  tu_write(dir, "s.json",
           "{\"seed\": 9, \"workload\": {\"arrivals\": {\"type\": \"segments\", \"segments\": "
           "[{\"duration_s\": 500, \"rate\": 2}]}, \"input_tokens\": {\"dist\": \"constant\", "
           "\"value\": 10}, \"output_tokens\": {\"dist\": \"constant\", \"value\": 10}}, "
           "\"gpus\": [{\"name\": \"G\", \"price_per_hour\": 1}], \"deployments\": [{\"name\": "
           "\"d\", \"gpu\": \"G\", \"startup_s\": 0, \"model\": {\"type\": \"slots\", \"slots\": "
           "4, \"service_s\": {\"dist\": \"exponential\", \"mean\": 1}}}], \"client\": "
           "{\"error_rate\": 0.1}, \"policies\": [{\"name\": \"one\", \"type\": \"fixed\", "
           "\"replicas\": 1}, {\"name\": \"two\", \"type\": \"fixed\", \"replicas\": 2}]}",
           path, sizeof path);
  scenario sc;
  ps_err err;
  assert_true(scenario_load(path, &sc, &err));
  static lost l[2];
  for (uint32_t i = 0; i < 2; i++) {
    l[i].n = 0;
    cluster_hooks h = {.ctx = &l[i], .request = on_lost};
    cluster_result res;
    cluster_run(&sc, i, sc.seed, &h, &res);
    /* About 1,000 arrivals: 10% lost, within four standard deviations. */
    double n = (double)res.requests, sd = sqrt(n * 0.1 * 0.9);
    assert_true(fabs(l[i].n - n * 0.1) < 4 * sd);
  }
  assert_int_equal(l[0].n, l[1].n);
  assert_memory_equal(l[0].ids, l[1].ids, (size_t)l[0].n * sizeof l[0].ids[0]);
  scenario_free(&sc);
  tu_rmrf(dir);
}

typedef struct outcomes {
  int ok, timeout;
  bool timeouts_at_deadline; /* every timeout is reported exactly timeout_s after arrival */
} outcomes;

static void on_outcome(void *ctx, const request *r, uint32_t dep) {
  (void)dep;
  outcomes *o = ctx;
  o->ok += r->status == RQ_OK;
  if (r->status != RQ_TIMEOUT) return;
  o->timeout++;
  if (r->finish_us - r->arrival_us != 4000000) o->timeouts_at_deadline = false;
}

/* An overloaded one-slot pod (3 s requests, one every 2 s on average) and a 4 s client timeout.
 * When the timeout reaches the engine, the request is dropped and frees its slot; when it does
 * not (vLLM behind AIBrix's gateway in the V100 runs), the pod serves it to the end for nobody,
 * and fewer requests complete. Either way the client sees its timeout at 4 s, once. */
static void a_timeout_the_engine_never_hears_of_wastes_its_capacity(void **state) {
  (void)state;
  outcomes o[2];
  for (int k = 0; k < 2; k++) {
    char dir[64], path[256], text[1536];
    tu_tmpdir(dir);
    snprintf(text, sizeof text,
             "{\"seed\": 4, \"workload\": {\"arrivals\": {\"type\": \"segments\", "
             "\"segments\": [{\"duration_s\": 400, \"rate\": 0.5}]}, \"input_tokens\": "
             "{\"dist\": \"constant\", \"value\": 10}, \"output_tokens\": {\"dist\": "
             "\"constant\", \"value\": 10}}, \"gpus\": [{\"name\": \"G\", \"price_per_hour\": "
             "1}], \"deployments\": [{\"name\": \"d\", \"gpu\": \"G\", \"startup_s\": 0, "
             "\"model\": {\"type\": \"slots\", \"slots\": 1, \"service_s\": {\"dist\": "
             "\"constant\", \"value\": 3}}}], \"client\": {\"timeout_s\": 4, "
             "\"timeout_cancels\": %s}, \"policies\": [{\"name\": \"p\", \"type\": \"fixed\", "
             "\"replicas\": 1}]}",
             k ? "false" : "true");
    tu_write(dir, "s.json", text, path, sizeof path);
    scenario sc;
    ps_err err;
    assert_true(scenario_load(path, &sc, &err));
    o[k] = (outcomes){.timeouts_at_deadline = true};
    cluster_hooks h = {.ctx = &o[k], .request = on_outcome};
    cluster_result res;
    cluster_run(&sc, 0, sc.seed, &h, &res);
    assert_int_equal(o[k].ok + o[k].timeout, (int)res.requests);
    assert_true(o[k].timeouts_at_deadline);
    scenario_free(&sc);
    tu_rmrf(dir);
  }
  assert_true(o[0].timeout > 20);
  assert_true(o[1].ok < o[0].ok - 10);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(a_deleted_pod_leaves_routing_at_once_by_default),
      cmocka_unit_test(a_gateway_that_routes_to_terminating_pods_loses_their_requests),
      cmocka_unit_test(prestop_polling_stops_an_idle_pod_at_its_next_look),
      cmocka_unit_test(warmup_runs_the_policy_before_time_zero_and_bills_from_zero),
      cmocka_unit_test(client_errors_lose_the_same_requests_under_every_policy),
      cmocka_unit_test(a_timeout_the_engine_never_hears_of_wastes_its_capacity),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
