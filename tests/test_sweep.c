/*
 * sweep: settings by JSON path, the grid, and the promises of docs/sweeps.md: the same bytes
 * whatever the number of threads, shards merged give the bytes of the whole sweep, and the
 * statistics are Student t intervals over the seeds.
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
#include <unistd.h>

#include "optimizer/profile.h"
#include "sim/run/sweep.h"

#define SCENARIO PODSCALE_SOURCE_DIR "/scenarios/aibrix-v100-metric-full.json"

static char tmp[256];

static int setup(void **state) {
  (void)state;
  snprintf(tmp, sizeof tmp, "/tmp/podscale-sweep-test-XXXXXX");
  return mkdtemp(tmp) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  char cmd[512];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
  return system(cmd) == 0 ? 0 : -1;
}

/* A path in the temporary directory (kept until the end of the test program). */
static char *dir(const char *name) {
  static char buf[64][512];
  static int k;
  assert_true(k < 64);
  char *p = buf[k++];
  snprintf(p, 512, "%s/%s", tmp, name);
  return p;
}

static void settings_split_on_top_level_commas(void **state) {
  (void)state;
  sweep_setting s;
  ps_err e;
  assert_true(sweep_setting_parse("a.b[1]=0.5,\"x,y\",[1,2],{\"k\":[3,4]},word", &s, &e));
  assert_string_equal(s.key, "a.b[1]");
  assert_int_equal(s.n, 5);
  assert_string_equal(s.values[0], "0.5");
  assert_string_equal(s.values[1], "\"x,y\"");
  assert_string_equal(s.values[2], "[1,2]");
  assert_string_equal(s.values[3], "{\"k\":[3,4]}");
  assert_string_equal(s.values[4], "word");
  sweep_setting_free(&s);
  assert_true(sweep_setting_parse("a[0].x,b=[1,\"s\"],[2,\"t\"]", &s, &e));
  assert_int_equal(s.n_paths, 2);
  assert_string_equal(s.paths[0], "a[0].x");
  assert_string_equal(s.paths[1], "b");
  assert_int_equal(s.n, 2);
  assert_string_equal(s.values[1], "[2,\"t\"]");
  sweep_setting_free(&s);
  static const char *const bad[] = {"novalue=", "=1,2", "noequals", "k=1,,2", "a,,b=[1,2]"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    if (sweep_setting_parse(bad[i], &s, &e)) fail_msg("accepted %s", bad[i]);
}

/* A sweep of the KPA and APA targets over 3 seeds. */
static int sweep_into(const char *out, int jobs, int shard, int shards) {
  sweep_setting set[2];
  ps_err e;
  assert_true(sweep_setting_parse("policies[1].spec.metricsSources[0].targetValue=\"0.5\",\"0.8\"",
                                  &set[0], &e));
  assert_true(sweep_setting_parse("workload.rate_scale=1,1.5", &set[1], &e));
  static const char *const pols[] = {"kpa", "apa", NULL};
  sweep_options o = {.scenario = SCENARIO,
                     .settings = set,
                     .n_settings = 2,
                     .seeds = 3,
                     .jobs = jobs,
                     .shard = shard,
                     .shards = shards,
                     .policies = pols,
                     .out_dir = out};
  int rc = sweep_run(&o, &e);
  if (rc) print_message("%s\n", e.msg);
  sweep_setting_free(&set[0]);
  sweep_setting_free(&set[1]);
  return rc;
}

static char *slurp(const char *d, const char *name) {
  char path[600];
  snprintf(path, sizeof path, "%s/%s", d, name);
  char *t = opt_read_text(path, NULL);
  if (!t) fail_msg("cannot read %s", path);
  return t;
}

static void same_file(const char *a, const char *b, const char *name) {
  char *x = slurp(a, name), *y = slurp(b, name);
  if (strcmp(x, y) != 0) fail_msg("%s differs between %s and %s", name, a, b);
  free(x);
  free(y);
}

static void results_do_not_depend_on_threads_or_shards(void **state) {
  (void)state;
  assert_int_equal(sweep_into(dir("j1"), 1, 0, 1), 0);
  assert_int_equal(sweep_into(dir("j2"), 2, 0, 1), 0);
  same_file(dir("j1"), dir("j2"), "runs.csv");
  same_file(dir("j1"), dir("j2"), "sweep.csv");
  same_file(dir("j1"), dir("j2"), "runs/r5/requests.csv");
  for (int i = 0; i < 3; i++) {
    char name[16];
    snprintf(name, sizeof name, "s%d", i);
    assert_int_equal(sweep_into(dir(name), 2, i, 3), 0);
  }
  const char *const shards[] = {dir("s2"), dir("s0"), dir("s1")}; /* any order */
  ps_err e;
  if (sweep_merge(shards, 3, dir("merged"), &e)) fail_msg("%s", e.msg);
  same_file(dir("j1"), dir("merged"), "runs.csv");
  same_file(dir("j1"), dir("merged"), "sweep.csv");
  same_file(dir("j1"), dir("merged"), "sweep.json");
  /* a shard missing, a shard twice, a shard of another sweep */
  assert_int_equal(sweep_merge(shards, 2, dir("m2"), &e), 2);
  assert_non_null(strstr(e.msg, "shard 1/3 is missing"));
  const char *const twice[] = {dir("s0"), dir("s0"), dir("s1"), dir("s2")};
  assert_int_equal(sweep_merge(twice, 4, dir("m3"), &e), 2);
  assert_non_null(strstr(e.msg, "given twice"));
  const char *const other[] = {dir("s0"), dir("j1")};
  assert_int_equal(sweep_merge(other, 2, dir("m4"), &e), 2);
  assert_non_null(strstr(e.msg, "not a shard of the same sweep"));
}

/* Linked keys move together: the three metric autoscalers' targets, each in its own unit. */
static void linked_keys_take_one_element_each(void **state) {
  (void)state;
  sweep_setting set;
  ps_err e;
  assert_true(sweep_setting_parse(
      "policies[0].spec.metricsSources[0].targetValue,policies[1].spec.metricsSources[0]."
      "targetValue=[\"50\",\"0.5\"],[\"80\",\"0.8\"]",
      &set, &e));
  static const char *const pols[] = {"hpa", "kpa", NULL};
  sweep_options o = {.scenario = SCENARIO,
                     .settings = &set,
                     .n_settings = 1,
                     .seeds = 1,
                     .jobs = 2,
                     .shards = 1,
                     .policies = pols,
                     .out_dir = dir("linked")};
  if (sweep_run(&o, &e)) fail_msg("%s", e.msg);
  sweep_setting_free(&set);
  char *sw = slurp(dir("linked"), "sweep.csv");
  assert_non_null(strstr(sw, "\n0,\"[\"\"50\"\",\"\"0.5\"\"]\",hpa,1,"));
  assert_non_null(strstr(sw, "\n1,\"[\"\"80\"\",\"\"0.8\"\"]\",kpa,1,"));
  free(sw);
}

/* sweep.csv's mean and interval for one point and policy, from runs.csv by hand. */
static void statistics_are_student_t_over_seeds(void **state) {
  (void)state;
  if (sweep_into(dir("st"), 2, 0, 1)) fail_msg("sweep failed");
  char *runs = slurp(dir("st"), "runs.csv");
  double cost[3];
  int n = 0;
  /* rows: run,point,seed,target,rate_scale,policy,requests,ok,timeout,failed,cost,... */
  for (char *line = strchr(runs, '\n') + 1; *line && n < 3; line = strchr(line, '\n') + 1) {
    int point;
    char policy[16];
    double c;
    if (sscanf(line, "%*d,%d,%*d,%*[^,],%*[^,],%15[^,],%*d,%*d,%*d,%*d,%lf", &point, policy, &c) ==
            3 &&
        point == 3 && !strcmp(policy, "apa"))
      cost[n++] = c;
  }
  assert_int_equal(n, 3);
  double mean = (cost[0] + cost[1] + cost[2]) / 3, ss = 0;
  for (int i = 0; i < 3; i++)
    ss += (cost[i] - mean) * (cost[i] - mean);
  double ci = 4.302652729911275 * sqrt(ss / 2) / sqrt(3); /* t(0.975, 2) */
  char *sw = slurp(dir("st"), "sweep.csv");
  assert_non_null(strstr(sw, "point,policies[1].spec.metricsSources[0].targetValue,"
                             "workload.rate_scale,policy,runs,cost_mean,cost_ci95,"));
  char *row = strstr(sw, "\n3,0.8,1.5,apa,3,");
  assert_non_null(row);
  double m2, c2;
  assert_int_equal(sscanf(row, "\n3,0.8,1.5,apa,3,%lf,%lf", &m2, &c2), 2);
  assert_float_equal(m2, mean, 1e-6);
  assert_float_equal(c2, ci, 1e-6);
  assert_true(c2 > 0); /* the seeds do differ */
  free(runs);
  free(sw);
}

static void bad_settings_stop_before_running(void **state) {
  (void)state;
  sweep_setting set;
  ps_err e;
  assert_true(sweep_setting_parse("policies[99].name=x", &set, &e));
  sweep_options o = {.scenario = SCENARIO,
                     .settings = &set,
                     .n_settings = 1,
                     .seeds = 1,
                     .jobs = 1,
                     .shards = 1,
                     .out_dir = dir("bad")};
  assert_int_equal(sweep_run(&o, &e), 2);
  assert_non_null(strstr(e.msg, "policies[99]: no such element"));
  sweep_setting_free(&set);
  assert_true(sweep_setting_parse("seed=\"x\"", &set, &e));
  o.settings = &set;
  assert_int_equal(sweep_run(&o, &e), 2);
  assert_non_null(strstr(e.msg, "sweep point 0 (seed=\"x\")"));
  sweep_setting_free(&set);
  assert_false(sweep_setting_parse("seed,name=[1,\"x\"],[2]", &set, &e));
  assert_non_null(strstr(e.msg, "an array of 2 values, one per key, found [2]"));
  FILE *fp = fopen(dir("bad/sweep.json"), "r");
  assert_null(fp); /* nothing written */
  /* A bad value at a later point of the grid (and in another shard) is found before anything
   * runs: no directory, no sweep.json, no finished run. */
  assert_true(sweep_setting_parse("seed=1,2,\"x\"", &set, &e));
  o.settings = &set;
  o.out_dir = dir("late");
  o.shards = 3; /* this shard runs point 0 only */
  assert_int_equal(sweep_run(&o, &e), 2);
  assert_non_null(strstr(e.msg, "sweep point 2 (seed=\"x\")"));
  assert_int_equal(access(dir("late"), F_OK), -1);
  sweep_setting_free(&set);
  assert_true(sweep_setting_parse("workload.rate_scale=1,-5", &set, &e));
  o.settings = &set;
  o.shards = 1;
  assert_int_equal(sweep_run(&o, &e), 2);
  assert_non_null(strstr(e.msg, "expected a number from 1e-06 to 1000000, found the number -5"));
  assert_int_equal(access(dir("late"), F_OK), -1);
  sweep_setting_free(&set);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(settings_split_on_top_level_commas),
      cmocka_unit_test(results_do_not_depend_on_threads_or_shards),
      cmocka_unit_test(statistics_are_student_t_over_seeds),
      cmocka_unit_test(linked_keys_take_one_element_each),
      cmocka_unit_test(bad_settings_stop_before_running),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
