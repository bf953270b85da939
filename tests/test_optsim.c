/*
 * The optimizer-based KPA in the simulator: the gateway's records, the monitor, the ILP and a
 * legacy KPA reading vllm:deployment_replicas with targetValue 100, end to end on a scenario;
 * and the scenario errors around it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/run/cluster.h"
#include "sim/scenario/scenario.h"
#include "testutil.h"

#define PROFILES PODSCALE_SOURCE_DIR "/tests/data/profiles/"

/* One slots deployment (8 slots, 1 s service), constant tokens (in 100, out 50), `rate` req/s
 * for 600 s with nearly regular gaps (gamma, cv 0.01), profile flat-2rps.json (2 req/s per pod
 * in every bucket), and the optimizer KPA. */
static void write_scenario(const char *dir, double rate, const char *extra_policy_keys,
                           const char *optimizer, char *path, size_t n) {
  char text[4096];
  snprintf(text, sizeof text,
           "{\"seed\": 3, \"workload\": {\"arrivals\": {\"type\": \"segments\", \"segments\": "
           "[{\"duration_s\": 600, \"rate\": %g}], \"process\": \"gamma\", \"cv\": 0.01}, "
           "\"input_tokens\": {\"dist\": \"constant\", "
           "\"value\": 100}, \"output_tokens\": {\"dist\": \"constant\", \"value\": 50}}, "
           "\"gpus\": [{\"name\": \"G\", \"price_per_hour\": 1, \"count\": 8}], \"deployments\": "
           "[{\"name\": \"d\", \"gpu\": \"G\", \"startup_s\": 30, \"model\": {\"type\": \"slots\", "
           "\"slots\": 8, \"service_s\": {\"dist\": \"constant\", \"value\": 1}}}], "
           "\"policies\": [{\"name\": \"opt\", \"type\": \"kpa\", %s\"spec\": {\"maxReplicas\": 8, "
           "\"metricsSources\": [{\"metricSourceType\": \"domain\", \"endpoint\": \"o:8080\", "
           "\"path\": \"/metrics/default/d\", \"targetMetric\": \"vllm:deployment_replicas\", "
           "\"targetValue\": \"100\"}]}%s}]%s}",
           rate, extra_policy_keys,
           strstr(extra_policy_keys, "variant")
               ? ""
               : ", \"annotations\": {\"kpa.autoscaling.aibrix.ai/scale-down-delay\": \"0s\"}",
           optimizer);
  tu_write(dir, "s.json", text, path, n);
}

typedef struct seen {
  int rounds;             /* optimizer rows */
  int64_t first_solve;    /* time of the first "optimize" round, -1 none */
  double units_at_580;    /* what the optimizer served at its round at 582 s */
  int32_t desired_at_590; /* spec.replicas after the KPA's evaluation at 590 s */
} seen;

static void on_decision(void *ctx, const cluster_decision *d) {
  seen *s = ctx;
  if (d->optimizer) {
    s->rounds++;
    if (s->first_solve < 0 && !strncmp(d->d->reason, "optimize", 8)) s->first_solve = d->time_us;
    if (d->time_us == 582000000) s->units_at_580 = d->d->value;
  } else if (d->time_us == 590000000) {
    s->desired_at_590 = d->desired;
  }
}

/* Run the scenario twice (it must give the same rows) and report what was seen. */
static seen run_twice(const char *path) {
  scenario sc;
  ps_err err;
  if (!scenario_load(path, &sc, &err)) fail_msg("%s", err.msg);
  seen s[2];
  cluster_result res[2];
  for (int i = 0; i < 2; i++) {
    s[i] = (seen){.first_solve = -1, .units_at_580 = -1, .desired_at_590 = -1};
    cluster_hooks h = {.ctx = &s[i], .decision = on_decision};
    cluster_run(&sc, 0, sc.seed, &h, &res[i]);
  }
  assert_int_equal(s[0].rounds, s[1].rounds);
  assert_int_equal(s[0].first_solve, s[1].first_solve);
  assert_true(s[0].units_at_580 == s[1].units_at_580);
  assert_true(res[0].cost == res[1].cost);
  scenario_free(&sc);
  return s[0];
}

/* Pods that each serve 2 req/s by their profile. The monitor's rate is the points in its window
 * over the window's span, and the span of N records 10 s apart is (N - 1) x 10 s (upstream's
 * under-count, kept): with the 180-240 s window, N = 18..24 records, the rate is r N / (N - 1),
 * the ILP asks for ceil(100 x rate / 2) units, and the KPA (targetValue 100) makes
 * ceil(units / 100) pods. 3 req/s: 3.13..3.18 req/s, 157..159 units, 2 pods; 7 req/s:
 * 7.30..7.41 req/s, 366..371 units, 4 pods. */
static void optimizer_kpa_sizes_by_the_profile(void **state) {
  (void)state;
  static const struct {
    double rate;
    double units_lo, units_hi;
    int32_t pods;
  } cases[] = {{3, 157, 159, 2}, {7, 366, 371, 4}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char dir[64], path[128];
    tu_tmpdir(dir);
    write_scenario(dir, cases[i].rate, "",
                   ", \"optimizer\": {\"profiles\": {\"d\": \"" PROFILES "flat-2rps.json\"}}", path,
                   sizeof path);
    seen s = run_twice(path);
    assert_true(s.rounds >= 55); /* every 10 s, 2 s after each interval, until the run ends */
    assert_int_equal(s.first_solve, 12000000); /* the first record is read at 12 s */
    if (s.units_at_580 < cases[i].units_lo || s.units_at_580 > cases[i].units_hi)
      fail_msg("%g req/s: units %g", cases[i].rate, s.units_at_580);
    assert_int_equal(s.desired_at_590, cases[i].pods);
    tu_rmrf(dir);
  }
}

static void assert_load_fails(double rate, const char *policy_keys, const char *optimizer,
                              const char *says) {
  char dir[64], path[128];
  tu_tmpdir(dir);
  write_scenario(dir, rate, policy_keys, optimizer, path, sizeof path);
  scenario sc;
  ps_err err = {{0}};
  if (scenario_load(path, &sc, &err)) {
    scenario_free(&sc);
    fail_msg("loaded; expected an error saying \"%s\"", says);
  }
  if (!strstr(err.msg, says)) fail_msg("message \"%s\" lacks \"%s\"", err.msg, says);
  assert_non_null(strstr(err.msg, path));
  tu_rmrf(dir);
}

static void optimizer_scenario_errors_are_clear(void **state) {
  (void)state;
  /* The KPA reads an optimizer the scenario does not have. */
  assert_load_fails(3, "", "", "add an \"optimizer\" section");
  /* AIBrix v0.5+ cannot read it. */
  assert_load_fails(3, "\"variant\": \"aibrix-v0.5\", ",
                    ", \"optimizer\": {\"profiles\": {\"d\": \"" PROFILES "flat-2rps.json\"}}",
                    "legacy KPA only");
  /* A slots deployment has no benchmark to make a profile from. */
  assert_load_fails(3, "", ", \"optimizer\": {\"slo\": {\"e2e_s\": 100}}",
                    "give it a profile file");
  /* A profile that is not there. */
  assert_load_fails(3, "", ", \"optimizer\": {\"profiles\": {\"d\": \"" PROFILES "nope.json\"}}",
                    "optimizer.profiles.d");
  /* An unknown deployment, and a percentile gen_profile does not have. */
  assert_load_fails(3, "", ", \"optimizer\": {\"profiles\": {\"x\": \"p.json\"}}",
                    "optimizer.profiles.x");
  assert_load_fails(3, "", ", \"optimizer\": {\"slo\": {\"percentile\": 95}}", "0, 50, 90 or 99");
}

/* A generated profile is made on the grid of the scenario's profile file (AIBrix's shipped
 * A100 profile: outputs 4..512, prompts 128..2048), so the two solve together. */
static void generated_profiles_take_the_grid_of_the_profile_files(void **state) {
  (void)state;
  char dir[64], path[128], text[4096];
  tu_tmpdir(dir);
  snprintf(text, sizeof text,
           "{\"workload\": {\"arrivals\": {\"type\": \"segments\", \"segments\": "
           "[{\"duration_s\": 60, \"rate\": 1}]}, \"input_tokens\": {\"dist\": \"constant\", "
           "\"value\": 100}, \"output_tokens\": {\"dist\": \"constant\", \"value\": 50}}, "
           "\"gpus\": [{\"name\": \"A100-80GB\"}, {\"name\": \"A40-48GB\"}], \"deployments\": "
           "[{\"name\": \"a100\", \"gpu\": \"A100-80GB\", \"model\": {\"type\": \"llm\", "
           "\"llm\": \"llama-2-7b\"}}, {\"name\": \"a40\", \"gpu\": \"A40-48GB\", \"model\": "
           "{\"type\": \"llm\", \"llm\": \"llama-2-7b\"}}], \"policies\": [{\"name\": \"f\", "
           "\"type\": \"fixed\", \"replicas\": 1}], \"optimizer\": {\"slo\": {\"e2e_s\": 5, "
           "\"percentile\": 99}, \"profiles\": {\"a100\": \"" PODSCALE_SOURCE_DIR
           "/tests/data/aibrix-profiles/simulator-llama2-7b-a100.json\"}}}");
  tu_write(dir, "s.json", text, path, sizeof path);
  scenario sc;
  ps_err err;
  if (!scenario_load(path, &sc, &err)) fail_msg("%s", err.msg);
  const opt_profile *file = &sc.optimizer.profiles[0], *made = &sc.optimizer.profiles[1];
  assert_int_equal(made->n_out, file->n_out);
  assert_int_equal(made->n_in, file->n_in);
  assert_int_equal(made->in_tokens[0], 128);
  assert_int_equal(made->out_tokens[made->n_out - 1], 512);
  scenario_free(&sc);
  tu_rmrf(dir);
}

/* Requests a deployment's context cannot hold are warned of at load, per deployment, with the
 * share and the count; a workload that fits loads without a warning. */
static void loads_warn_of_requests_longer_than_the_context(void **state) {
  (void)state;
  for (int fits = 0; fits <= 1; fits++) {
    char dir[64], path[128], text[2048];
    tu_tmpdir(dir);
    snprintf(text, sizeof text,
             "{\"workload\": {\"arrivals\": {\"type\": \"segments\", \"segments\": "
             "[{\"duration_s\": 100, \"rate\": 1}]}, \"input_tokens\": {\"dist\": "
             "\"constant\", \"value\": %d}, \"output_tokens\": {\"dist\": \"constant\", "
             "\"value\": 2000}}, \"gpus\": [{\"name\": \"A100-80GB\"}], \"deployments\": "
             "[{\"name\": \"a\", \"gpu\": \"A100-80GB\", \"model\": {\"type\": \"llm\", "
             "\"llm\": \"llama-2-7b\"}}], \"policies\": [{\"name\": \"f\", \"type\": "
             "\"fixed\", \"replicas\": 1}]}",
             fits ? 100 : 3000);
    tu_write(dir, "s.json", text, path, sizeof path);
    scenario sc;
    ps_err err;
    if (!scenario_load(path, &sc, &err)) fail_msg("%s", err.msg);
    if (fits) {
      assert_int_equal(sc.nwarnings, 0);
    } else {
      assert_int_equal(sc.nwarnings, 1);
      assert_non_null(strstr(sc.warnings[0], "workload: about 100% of requests (100 of 100) have "
                                             "prompt + output above deployments[0] (a)'s "
                                             "max_model_len 4096"));
    }
    scenario_free(&sc);
    tu_rmrf(dir);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(optimizer_kpa_sizes_by_the_profile),
      cmocka_unit_test(optimizer_scenario_errors_are_clear),
      cmocka_unit_test(generated_profiles_take_the_grid_of_the_profile_files),
      cmocka_unit_test(loads_warn_of_requests_longer_than_the_context),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
