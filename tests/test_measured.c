/*
 * measured (analysis/measured.h): a hand-made measured set with known figures (pod-hours of a
 * step function, GSL percentiles), the strict reader's errors naming file and line, the
 * comparison of pods over time and of policy orders, and AIBrix's real V100 runs (set0) read
 * back: figures checked independently of podscale.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analysis/measured.h"
#include "fixtures.h"
#include "testutil.h"

/* DIR/NAME with text; NAME may be SUB/FILE, SUB is made. */
static void put(const char *dir, const char *name, const char *text) {
  char path[512], buf[600];
  const char *slash = strchr(name, '/');
  if (slash) {
    snprintf(path, sizeof path, "%s/%.*s", dir, (int)(slash - name), name);
    mkdir(path, 0755);
  }
  tu_write(dir, name, text, buf, sizeof buf);
}

/* Policy a: latencies 1, 2, 3, 10; pods 2 for 10 s, 4 for 20 s, 1 for 10 s (110 pod-s).
 * Policy b: nothing completed, one pod sample. */
static void write_tiny_set(const char *dir) {
  put(dir, "runs.csv", "policy,sent,completed\na,5,4\nb,3,0\n");
  put(dir, "a/requests.csv",
      "batch,send_s,latency_s,output_tokens\n0,0.5,3,10\n1,1.5,1,1\n2,2.0,10,2048\n3,2.5,2,7\n");
  put(dir, "a/pods.csv", "t_s,running,pending,init\n0,2,0,0\n10,2,1,1\n30,1,0,0\n40.0,1,0,0\n");
  put(dir, "b/requests.csv", "batch,send_s,latency_s,output_tokens\n");
  put(dir, "b/pods.csv", "init,pending,running,t_s\n0,0,3,5\n"); /* any column order */
}

static void tiny_set_has_known_figures(void **state) {
  const char *dir = ((const fx_dir *)*state)->dir;
  write_tiny_set(dir);
  meas_set s;
  ps_err err = {{0}};
  if (!meas_read(dir, &s, &err)) fail_msg("%s", err.msg);
  assert_int_equal(s.npolicies, 2);
  const meas_policy *a = &s.policies[0], *b = &s.policies[1];
  assert_string_equal(a->name, "a");
  assert_int_equal(a->sent, 5);
  assert_int_equal(a->completed, 4);
  assert_int_equal(a->failed, 1);
  assert_float_equal(a->e2e_mean_s, 4, 1e-12);
  assert_float_equal(a->e2e_p50_s, 2.5, 1e-12);  /* (n-1)q = 1.5: between 2 and 3 */
  assert_float_equal(a->e2e_p90_s, 7.9, 1e-12);  /* 2.7: 3 + 0.7 * 7 */
  assert_float_equal(a->e2e_p99_s, 9.79, 1e-12); /* 2.97: 3 + 0.97 * 7 */
  assert_float_equal(a->pod_hours, 110.0 / 3600, 1e-12);
  assert_int_equal(a->e2e_s.n, 4);
  assert_true(a->e2e_s.v[0] == 1 && a->e2e_s.v[3] == 10); /* sorted for the CDF */
  assert_int_equal(a->pods.n, 4);
  assert_int_equal(a->pods.pods[1], 4); /* running + pending + init */
  assert_int_equal(b->failed, 3);
  assert_true(isnan(b->e2e_mean_s) && isnan(b->e2e_p99_s));
  assert_int_equal(b->pods.pods[0], 3);
  assert_float_equal(b->pod_hours, 0, 0); /* one sample holds for no time */
  assert_int_equal(meas_policy_index(&s, "b"), 1);
  assert_int_equal(meas_policy_index(&s, "c"), -1);
  meas_set_free(&s);
}

static void integral_of_steps_clips_to_the_range(void **state) {
  (void)state;
  meas_series s = {0};
  meas_series_add(&s, 0, 2);
  meas_series_add(&s, 10, 4);
  meas_series_add(&s, 30, 1);
  meas_series_add(&s, 40, 1);
  assert_float_equal(meas_series_integral(&s, 0, 40), 110, 1e-12);
  assert_float_equal(meas_series_integral(&s, 5, 15), 2 * 5 + 4 * 5, 1e-12);
  assert_float_equal(meas_series_integral(&s, -100, 100), 110, 1e-12); /* not beyond samples */
  assert_float_equal(meas_series_integral(&s, 35, 35), 0, 0);
  meas_series_free(&s);
}

static void pods_over_time_compare_on_the_common_range(void **state) {
  (void)state;
  meas_policy m = {
      .sent = 10, .completed = 8, .failed = 2, .pod_hours = 1, .e2e_mean_s = 4, .e2e_p99_s = NAN};
  meas_policy s = {.sent = 10,
                   .completed = 10,
                   .failed = 0,
                   .pod_hours = 1.5,
                   .e2e_mean_s = 2,
                   .e2e_p99_s = NAN};
  const double mt[] = {0, 10, 30, 40}, st[] = {0, 20, 50};
  const long mp[] = {2, 4, 1, 1}, sp[] = {1, 3, 3};
  for (size_t i = 0; i < 4; i++)
    meas_series_add(&m.pods, mt[i], mp[i]);
  for (size_t i = 0; i < 3; i++)
    meas_series_add(&s.pods, st[i], sp[i]);
  meas_cmp c;
  meas_compare(&m, &s, &c);
  assert_float_equal(c.t0_s, 0, 0);
  assert_float_equal(c.t1_s, 40, 0);
  assert_float_equal(c.meas[MEAS_PODS_MEAN], 110.0 / 40, 1e-12);
  assert_float_equal(c.sim[MEAS_PODS_MEAN], 80.0 / 40, 1e-12);
  /* |2-1| 10 s + |4-1| 10 s + |4-3| 10 s + |1-3| 10 s = 70 pod-s */
  assert_float_equal(c.sim[MEAS_PODS_MAE], 70.0 / 40, 1e-12);
  assert_float_equal(c.rel[MEAS_PODS_MAE], 70.0 / 110, 1e-12);
  assert_float_equal(c.rel[MEAS_POD_HOURS], 0.5, 1e-12);
  assert_float_equal(c.rel[MEAS_E2E_MEAN], -0.5, 1e-12);
  assert_float_equal(c.rel[MEAS_FAILED], -1, 0);
  assert_true(isnan(c.rel[MEAS_E2E_P99])); /* missing on both sides */
  assert_false(meas_beyond(&c, MEAS_E2E_P99, 0));
  assert_true(meas_beyond(&c, MEAS_E2E_MEAN, 0.49));
  assert_false(meas_beyond(&c, MEAS_E2E_MEAN, 0.5)); /* the bound is allowed */
  assert_true(meas_beyond(&c, MEAS_FAILED, 0.99));
  meas_series_free(&m.pods);
  meas_series_free(&s.pods);
}

static void failed_against_a_measured_zero_is_infinitely_off(void **state) {
  (void)state;
  meas_policy m = {.failed = 0, .e2e_mean_s = NAN}, s = {.failed = 3, .e2e_mean_s = 1};
  meas_cmp c;
  meas_compare(&m, &s, &c);
  assert_true(isinf(c.rel[MEAS_FAILED]) && c.rel[MEAS_FAILED] > 0);
  assert_true(isnan(c.rel[MEAS_E2E_MEAN]));
  assert_true(meas_beyond(&c, MEAS_E2E_MEAN, 1e9)); /* missing on one side only */
  assert_true(isnan(c.t0_s));                       /* no pods on either side */
  assert_false(meas_beyond(&c, MEAS_PODS_MEAN, 0));
}

static void pairs_alike_count_ties_as_an_order(void **state) {
  (void)state;
  const double a[] = {9.2, 12.6, 16.4, 18.9}, same[] = {1, 2, 3, 4}, rev[] = {4, 3, 2, 1};
  const double tie[] = {5.07, 5.07, 5.07, 5.04};
  assert_int_equal(meas_pairs_alike(a, same, 4), 6);
  assert_int_equal(meas_pairs_alike(a, rev, 4), 0);
  assert_int_equal(meas_pairs_alike(a, tie, 4), 0);
  assert_int_equal(meas_pairs_alike(tie, tie, 4), 6);
  assert_int_equal(meas_pairs_alike(a, a, 1), 0);
}

/* Reading fails with a message that contains want (after DIR/). */
static void assert_read_fails(const char *dir, const char *want) {
  meas_set s;
  ps_err err = {{0}};
  assert_false(meas_read(dir, &s, &err));
  char full[1024];
  snprintf(full, sizeof full, "%s/%s", dir, want);
  if (!strstr(err.msg, full)) fail_msg("expected \"%s\" in: %s", full, err.msg);
}

/* One broken file of the tiny set, and the message it must give (after DIR/). */
static const struct {
  const char *file, *text, *want;
} broken[] = {
    {"a/pods.csv", "t_s,running,pending,init,node\n0,1,0,0,n1\n",
     "a/pods.csv:1: expected only the columns t_s,running,pending,init (any order), found 'node'"},
    {"a/pods.csv", "t_s,running,pending\n0,1,0\n",
     "a/pods.csv:1: expected a column 'init', found none"},
    {"a/pods.csv", "t_s,running,pending,init\n0,1,0,0\n1,one,0,0\n",
     "a/pods.csv:3: running: expected a whole number of at least 0, found 'one'"},
    {"a/pods.csv", "t_s,running,pending,init\n0,1,0,0\n1,1,-1,0\n",
     "a/pods.csv:3: pending: expected a whole number of at least 0, found '-1'"},
    {"a/pods.csv", "t_s,running,pending,init\n5,1,0,0\n4,1,0,0\n",
     "a/pods.csv:3: t_s: expected at least 5 (rows in time order), found '4'"},
    {"a/pods.csv", "t_s,running,pending,init\n",
     "a/pods.csv:2: expected at least one row, found none"},
    {"a/requests.csv", "batch,send_s,latency_s,output_tokens\n0,0.5,-3,10\n",
     "a/requests.csv:2: latency_s: expected a number of at least 0, found '-3'"},
    {"a/requests.csv", "batch,send_s,latency_s,output_tokens\n0,0.5,,10\n",
     "a/requests.csv:2: latency_s: expected a number of at least 0, found ''"},
    {"a/requests.csv", "batch,send_s,latency_s,output_tokens\n0,0.5,3\n",
     "a/requests.csv:2: expected 4 fields as in the header, found 3"},
    {"a/requests.csv", "batch,send_s,latency_s,output_tokens\n0,0.5,3,10\n",
     "a/requests.csv: expected 4 rows, the completed requests of "},
    {"runs.csv", "policy,sent,completed\na,5,4\nc,1,1\n",
     "runs.csv:3: policy: expected a directory "},
    {"runs.csv", "policy,sent,completed\na,5,4\na,5,4\n",
     "runs.csv:3: policy: expected each policy once, found 'a' again (line 2)"},
    {"runs.csv", "policy,sent,completed\na,3,4\n",
     "runs.csv:2: completed: expected at most sent (3), found 4"},
    {"runs.csv", "policy,sent,completed\n../a,5,4\n",
     "runs.csv:2: policy: expected a directory name"},
    {"runs.csv", "policy,sent,completed,sent\n",
     "runs.csv:1: expected each column once, found 'sent' twice"},
    {"runs.csv", "", "runs.csv:1: expected a header line, found an empty file"},
};

static void strict_reader_names_file_and_line(void **state) {
  const fx_dir *f = *state;
  for (size_t i = 0; i < sizeof broken / sizeof *broken; i++) {
    write_tiny_set(f->dir);
    put(f->dir, broken[i].file, broken[i].text);
    assert_read_fails(f->dir, broken[i].want);
  }
  char runs[600];
  snprintf(runs, sizeof runs, "%s/runs.csv", f->dir);
  unlink(runs);
  assert_read_fails(f->dir, "runs.csv: cannot open");
}

static void a_missing_set_directory_is_an_error_naming_it(void **state) {
  char path[600];
  snprintf(path, sizeof path, "%s/none", ((const fx_dir *)*state)->dir);
  meas_set s;
  ps_err err = {{0}};
  assert_false(meas_read(path, &s, &err));
  assert_non_null(strstr(err.msg, path));
  assert_non_null(strstr(err.msg, "expected a measured-run directory"));
}

/* A run directory that cannot be read leaves the set empty, whichever file fails. */
static void a_run_directory_that_fails_to_read_holds_nothing(void **state) {
  const char *dir = ((const fx_dir *)*state)->dir;
  meas_set s;
  ps_err err = {{0}};
  assert_false(meas_read_run(dir, &s, &err)); /* no files at all */
  assert_null(s.dir);
  put(dir, "summary.csv", "policy,cost,timeout,failed,e2e_mean_s,e2e_p99_s\np,0.1,0,0,1,1\n");
  put(dir, "requests.csv",
      "policy,id,arrival_s,input_tokens,output_tokens,deployment,pod,start_s,first_token_s,"
      "finish_s,ttft_s,tpot_s,e2e_s,status,preemptions\n"
      "p,0,1.0,10,10,d,0,1.0,1.1,2.0,0.1,0.1,1.0,ok,0\n");
  put(dir, "timeseries.csv",
      "policy,time_s,deployment,offered_rps,completed_rps,desired,pending,starting,ready,"
      "terminating,running,waiting,gateway_queue,kv_usage_mean,cost\n"
      "p,0.0,d,0,0,1,0,0,1,0,0,0,0,0,0\n");
  assert_false(meas_read_run(dir, &s, &err)); /* summary.csv lacks columns */
  assert_non_null(strstr(err.msg, "summary.csv:1: expected a column 'requests'"));
  assert_null(s.dir);
}

/* Figures of AIBrix's set0, checked with a separate script over the same files (sums of
 * latency_s / rows; pods integrated sample to sample). */
static void aibrix_set0_reads_back_its_measured_figures(void **state) {
  (void)state;
  meas_set s;
  ps_err err = {{0}};
  if (!meas_read(PODSCALE_SOURCE_DIR "/scenarios/data/aibrix-v100-runs/set0", &s, &err))
    fail_msg("%s", err.msg);
  assert_int_equal(s.npolicies, 4);
  long h = meas_policy_index(&s, "hpa"), k = meas_policy_index(&s, "kpa");
  assert_true(h >= 0 && k >= 0 && meas_policy_index(&s, "optimizer-kpa") >= 0);
  const meas_policy *hpa = &s.policies[h], *kpa = &s.policies[k];
  assert_int_equal(hpa->sent, 5024);
  assert_int_equal(hpa->completed, 4225);
  assert_int_equal(hpa->failed, 799);
  assert_float_equal(hpa->e2e_mean_s, 16.350743, 1e-6);
  assert_float_equal(hpa->e2e_p50_s, 0.82, 1e-9);
  assert_float_equal(hpa->e2e_p90_s, 72.282, 1e-9);
  assert_float_equal(hpa->e2e_p99_s, 110.2812, 1e-9);
  assert_float_equal(hpa->pod_hours, 2.007396, 1e-6);
  assert_int_equal(hpa->pods.n, 1489);
  assert_int_equal(kpa->completed, 4650);
  assert_float_equal(kpa->e2e_mean_s, 9.221751, 1e-6);
  assert_float_equal(kpa->pod_hours, 1.823758, 1e-6);
  meas_set_free(&s);
}

int main(void) {
#define T(f) cmocka_unit_test_setup_teardown(f, fx_dir_setup, fx_dir_teardown)
  const struct CMUnitTest tests[] = {
      T(tiny_set_has_known_figures),
      cmocka_unit_test(integral_of_steps_clips_to_the_range),
      cmocka_unit_test(pods_over_time_compare_on_the_common_range),
      cmocka_unit_test(failed_against_a_measured_zero_is_infinitely_off),
      cmocka_unit_test(pairs_alike_count_ties_as_an_order),
      T(strict_reader_names_file_and_line),
      T(a_missing_set_directory_is_an_error_naming_it),
      T(a_run_directory_that_fails_to_read_holds_nothing),
      cmocka_unit_test(aibrix_set0_reads_back_its_measured_figures),
  };
#undef T
  return cmocka_run_group_tests(tests, NULL, NULL);
}
