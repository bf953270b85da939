/*
 * model: one model's optimizer loop (optimizer/model.h): the units every reported value is in,
 * the bounds a deployment's replicas put on the ILP, which profile a deployment uses, and the
 * outcome of each kind of round.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "optimizer/decision.h"
#include "optimizer/model.h"

#define US 1000000LL

/* A flat profile: every bucket sustains `tput` req/s; created at `created` (< 0: absent). */
static void flat(opt_profile *p, const char *gpu, double cost, double tput, double created) {
  char json[512];
  int n = snprintf(json, sizeof json,
                   "{\"gpu\": \"%s\", \"cost\": %g, \"tputs\": [[%g, %g], [%g, %g]], "
                   "\"indexes\": [[32, 128], [64, 256]]",
                   gpu, cost, tput, tput, tput, tput);
  if (created >= 0) n += snprintf(json + n, sizeof json - (size_t)n, ", \"created\": %g", created);
  snprintf(json + n, sizeof json - (size_t)n, "}");
  opt_err e;
  if (!opt_profile_parse(json, gpu, p, &e)) fail_msg("%s", e.msg);
}

/* The record of one 10 s interval ending at ts_s: n requests of 100 tokens in, 50 out. */
static void record(opt_trace *t, int64_t ts_s, int n) {
  opt_trace_init(t, ts_s);
  for (int i = 0; i < n; i++) {
    opt_trace_count_arrival(t);
    opt_trace_count_done(t, 100, 50);
  }
}

/* Rounds at 12, 22, ... s with `per10` requests per interval; the last round in *r. */
static void feed(opt_model *m, int rounds, int per10, opt_model_round *r) {
  for (int k = 1; k <= rounds; k++) {
    opt_trace t;
    record(&t, 10 * k, per10);
    opt_err e;
    if (!opt_model_round_run(m, (10 * k + 2) * US, &t, 1, false, r, &e)) fail_msg("%s", e.msg);
    opt_trace_free(&t);
  }
}

static opt_model *model_with(const opt_model_deployment *ds, int n) {
  opt_model *m = opt_model_new("m", NULL, NULL, NULL);
  for (int i = 0; i < n; i++) {
    opt_err e;
    if (!opt_model_add(m, &ds[i], &e)) fail_msg("%s", e.msg);
  }
  return m;
}

static void offer(opt_model *m, const char *name, const opt_profile *p) {
  bool taken;
  opt_err e;
  if (!opt_model_offer_profile(m, name, p, false, &taken, &e)) fail_msg("%s", e.msg);
}

/* AIBrix reports spec.replicas and min_replicas as raw pod counts next to ILP results in 1/100
 * GPU (reference section 5.3); here everything is in 1/100 GPU. */
static void every_value_is_in_hundredths_of_a_gpu(void **state) {
  (void)state;
  opt_model_deployment d = {.name = "ns/a", .min_replicas = 3, .replicas = 2};
  opt_model *m = model_with(&d, 1);
  assert_int_equal(opt_model_value(m, 0), 200); /* before the first round */
  opt_model_round r;
  assert_true(opt_model_round_run(m, 12 * US, NULL, 0, false, &r, NULL));
  assert_int_equal(r.action, OPT_ROUND_MINIMIZE);
  assert_int_equal(opt_model_value(m, 0), 300); /* min_replicas 3: 3 pods, not ceil(3/100) */
  opt_model_free(m);
}

/* 30 req/s (the first round's one-second span: 30 requests / 1 s) on 2 req/s pods needs 15
 * pods; the bounds cut and pad it. */
static void replicas_bound_the_ilp(void **state) {
  (void)state;
  opt_profile cheap, dear;
  flat(&cheap, "a", 1.0, 2.0, 1);
  flat(&dear, "b", 3.0, 2.0, 1);
  opt_model_deployment ds[] = {{.name = "ns/a", .max_replicas = 4},
                               {.name = "ns/b", .min_replicas = 1}};
  opt_model *m = model_with(ds, 2);
  offer(m, "ns/a", &cheap);
  offer(m, "ns/b", &dear);
  opt_model_round r;
  feed(m, 1, 30, &r);
  assert_int_equal(r.action, OPT_ROUND_OPTIMIZE);
  assert_true(opt_model_value(m, 0) <= 400); /* max 4 pods of the cheap type */
  assert_true(opt_model_value(m, 1) >= 100); /* at least 1 pod of the dear type */
  assert_int_equal(opt_model_value(m, 0) + opt_model_value(m, 1), 1500); /* the rest on b */
  assert_float_equal(r.uncovered_rate, 0, 1e-9);
  /* the decision records the bounds, so that a replay solves the same problem */
  opt_decision d;
  opt_err e;
  if (!opt_decision_parse(r.decision, "round", &d, &e)) fail_msg("%s", e.msg);
  assert_int_equal(d.deps[0].max_units, 400);
  assert_int_equal(d.deps[1].min_units, 100);
  const opt_profile *ps[] = {&cheap, &dear};
  opt_ilp_result again;
  assert_true(opt_decision_resolve(&d, ps, &again, &e));
  char why[512];
  if (!opt_decision_compare(&d, &again, why, sizeof why)) fail_msg("%s", why);
  opt_ilp_result_free(&again);
  opt_decision_free(&d);
  opt_model_free(m);
  opt_profile_free(&cheap);
  opt_profile_free(&dear);
}

/* 30 req/s that no profile can serve (tput 0 everywhere): left out and reported as uncovered by
 * default; charged as AIBrix charges it (1e6 units per req/s, 1e6 x 30 x 100) when asked, on the
 * cheapest deployment, while the other keeps what the ILP gave it. */
static void unservable_traffic_is_charged_as_aibrix_does_when_asked(void **state) {
  (void)state;
  opt_profile none, dear;
  flat(&none, "a", 1.0, 0.0, 1);
  flat(&dear, "b", 3.0, 0.0, 1);
  for (int on = 0; on < 2; on++) {
    opt_model_deployment ds[] = {{.name = "ns/b"}, {.name = "ns/a"}};
    opt_model *m = model_with(ds, 2);
    offer(m, "ns/b", &dear);
    offer(m, "ns/a", &none);
    opt_model_charge_unservable(m, on);
    opt_model_round r;
    feed(m, 1, 30, &r);
    assert_int_equal(r.action, OPT_ROUND_OPTIMIZE);
    assert_float_equal(r.uncovered_rate, 30, 1e-9);
    assert_int_equal(opt_model_value(m, 0), 0);
    assert_int_equal(opt_model_value(m, 1), on ? INT64_C(3000000000) : 0);
    opt_model_free(m);
  }
  opt_profile_free(&none);
  opt_profile_free(&dear);
}

/* A profile replaces the one in use when newer (greater "created"), or when forced. */
static void a_newer_profile_replaces_the_old_one(void **state) {
  (void)state;
  opt_model_deployment d = {.name = "ns/a"};
  opt_model *m = model_with(&d, 1);
  opt_profile p100, p50, p200, none;
  flat(&p100, "a", 1.0, 2.0, 100);
  flat(&p50, "a", 1.0, 4.0, 50);
  flat(&p200, "a", 1.0, 8.0, 200);
  flat(&none, "a", 1.0, 16.0, -1);
  const struct {
    const opt_profile *p;
    bool force, taken;
    double tput_after;
  } steps[] = {
      {&none, false, true, 16.0}, /* the first is always taken */
      {&p100, false, true, 2.0},  /* dated beats undated */
      {&p50, false, false, 2.0},  /* older: kept out */
      {&p100, false, false, 2.0}, /* same age: kept out */
      {&none, false, false, 2.0}, /* undated never replaces */
      {&p200, false, true, 8.0},  /* newer */
      {&p50, true, true, 4.0},    /* forced (GET /update_profile) */
  };
  for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
    bool taken;
    opt_err e;
    assert_true(opt_model_offer_profile(m, "ns/a", steps[i].p, steps[i].force, &taken, &e));
    if (taken != steps[i].taken) fail_msg("step %zu: taken %d", i, taken);
    assert_float_equal(opt_model_profile(m, 0)->tputs[0], steps[i].tput_after, 0);
  }
  opt_model_free(m);
  opt_profile_free(&p100);
  opt_profile_free(&p50);
  opt_profile_free(&p200);
  opt_profile_free(&none);
}

static void profiles_of_one_model_share_a_grid(void **state) {
  (void)state;
  opt_model_deployment ds[] = {{.name = "ns/a"}, {.name = "ns/b"}};
  opt_model *m = model_with(ds, 2);
  opt_profile a, b;
  flat(&a, "a", 1.0, 2.0, 1);
  opt_err e;
  assert_true(opt_profile_parse("{\"gpu\": \"b\", \"cost\": 1.0, \"tputs\": [[1.0]], "
                                "\"indexes\": [[32], [64]]}",
                                "b.json", &b, &e));
  offer(m, "ns/a", &a);
  bool taken;
  assert_false(opt_model_offer_profile(m, "ns/b", &b, false, &taken, &e));
  assert_false(taken);
  assert_non_null(strstr(e.msg, "ns/b"));
  assert_non_null(strstr(e.msg, "ns/a"));
  assert_false(opt_model_offer_profile(m, "ns/zz", &a, false, &taken, &e));
  assert_non_null(strstr(e.msg, "no deployment ns/zz"));
  opt_model_free(m);
  opt_profile_free(&a);
  opt_profile_free(&b);
}

/* All profiles of a model remade on a new grid are taken together; one alone is refused. */
static void a_model_moves_to_a_new_grid_with_all_its_profiles(void **state) {
  (void)state;
  opt_model_deployment ds[] = {{.name = "ns/a"}, {.name = "ns/b"}};
  opt_model *m = model_with(ds, 2);
  opt_profile a, b, a2, b2;
  flat(&a, "a", 1.0, 2.0, 1);
  flat(&b, "b", 1.0, 2.0, 1);
  opt_err e;
  assert_true(opt_profile_parse("{\"gpu\": \"a\", \"cost\": 1.0, \"tputs\": [[3.0]], "
                                "\"indexes\": [[32], [64]], \"created\": 5}",
                                "a2", &a2, &e));
  assert_true(opt_profile_parse("{\"gpu\": \"b\", \"cost\": 2.0, \"tputs\": [[4.0]], "
                                "\"indexes\": [[32], [64]], \"created\": 5}",
                                "b2", &b2, &e));
  const char *names[] = {"ns/a", "ns/b"};
  const opt_profile *first[] = {&a, &b};
  bool taken[2];
  assert_true(opt_model_offer_profiles(m, names, first, 2, false, taken, &e));
  assert_true(taken[0] && taken[1]);
  const opt_profile *only_a[] = {&a2, NULL}; /* a alone on the new grid: refused */
  assert_false(opt_model_offer_profiles(m, names, only_a, 2, false, taken, &e));
  assert_false(taken[0]);
  assert_non_null(strstr(e.msg, "not on the grid"));
  const opt_profile *both[] = {&a2, &b2}; /* both: taken together */
  assert_true(opt_model_offer_profiles(m, names, both, 2, false, taken, &e));
  assert_true(taken[0] && taken[1]);
  assert_int_equal(opt_model_profile(m, 0)->n_out, 1);
  assert_int_equal(opt_model_profile(m, 1)->n_out, 1);
  opt_model_free(m);
  opt_profile_free(&a);
  opt_profile_free(&b);
  opt_profile_free(&a2);
  opt_profile_free(&b2);
}

/* Load without any profile decides nothing; a deployment without a profile gets 0 when the
 * others are sized (upstream); removal takes a deployment out of the problem. */
static void rounds_without_profiles_and_removal(void **state) {
  (void)state;
  opt_model_deployment ds[] = {{.name = "ns/a", .replicas = 1}, {.name = "ns/b", .replicas = 1}};
  opt_model *m = model_with(ds, 2);
  opt_model_round r;
  feed(m, 1, 30, &r);
  assert_int_equal(r.action, OPT_ROUND_NO_PROFILE);
  assert_int_equal(opt_model_value(m, 0), 100);
  opt_profile a;
  flat(&a, "a", 1.0, 2.0, 1);
  offer(m, "ns/a", &a);
  opt_trace t;
  record(&t, 20, 30);
  assert_true(opt_model_round_run(m, 22 * US, &t, 1, false, &r, NULL));
  opt_trace_free(&t);
  assert_int_equal(r.action, OPT_ROUND_OPTIMIZE);
  assert_true(opt_model_value(m, 0) > 0);
  assert_int_equal(opt_model_value(m, 1), 0);
  assert_true(opt_model_remove(m, "ns/b"));
  assert_false(opt_model_remove(m, "ns/b"));
  assert_int_equal(opt_model_count(m), 1);
  assert_int_equal(opt_model_find(m, "ns/a"), 0);
  opt_model_deployment dup = {.name = "ns/a"};
  opt_err e;
  assert_false(opt_model_add(m, &dup, &e));
  assert_non_null(strstr(e.msg, "already"));
  opt_model_deployment bad = {.name = "ns/c", .min_replicas = 5, .max_replicas = 2};
  assert_false(opt_model_add(m, &bad, &e));
  assert_non_null(strstr(e.msg, "above max_replicas"));
  opt_model_free(m);
  opt_profile_free(&a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(every_value_is_in_hundredths_of_a_gpu),
      cmocka_unit_test(replicas_bound_the_ilp),
      cmocka_unit_test(unservable_traffic_is_charged_as_aibrix_does_when_asked),
      cmocka_unit_test(a_newer_profile_replaces_the_old_one),
      cmocka_unit_test(profiles_of_one_model_share_a_grid),
      cmocka_unit_test(a_model_moves_to_a_new_grid_with_all_its_profiles),
      cmocka_unit_test(rounds_without_profiles_and_removal),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
