/*
 * compare (analysis/compare.h): summaries read by header name, differences and drifts of runs
 * from the baseline, errors that name the file and line; then `podscale compare` end to end on
 * real runs of scenarios/aibrix-v100.json ($PODSCALE_BIN, started with posix_spawn).
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

#include "analysis/compare.h"
#include "analysis/rundigest.h"
#include "fixtures.h"
#include "testutil.h"

static const char header[] =
    "policy,requests,ok,timeout,failed,cost,gpu_hours,e2e_mean_s,e2e_p50_s,e2e_p90_s,e2e_p99_s,"
    "ttft_mean_s,ttft_p99_s,tpot_mean_s,slo_attainment,scale_ups,scale_downs,peak_pods\n";

static int setup(void **state) {
  char *dir = malloc(64);
  if (!dir) return -1;
  tu_tmpdir(dir);
  *state = dir;
  return 0;
}

static int teardown(void **state) {
  tu_rmrf(*state);
  free(*state);
  return 0;
}

/* DIR/SUB/summary.csv with this text; returns DIR/SUB in buf. */
static const char *write_run(const char *dir, const char *sub, const char *text, char *buf,
                             size_t n) {
  snprintf(buf, n, "%s/%s", dir, sub);
  assert_int_equal(mkdir(buf, 0755), 0);
  char path[600]; /* buf, '/' and "summary.csv" */
  tu_write(buf, "summary.csv", text, path, sizeof path);
  return buf;
}

static void load(const char *dir, const char *sub, const char *text, cmp_summary *s) {
  char path[512];
  ps_err err = {{0}};
  if (!cmp_summary_load(write_run(dir, sub, text, path, sizeof path), s, &err)) {
    print_error("%s\n", err.msg);
    fail();
  }
}

/* The error of loading this text, in err. */
static void load_fails(const char *dir, const char *sub, const char *text, ps_err *err) {
  char path[512];
  cmp_summary s;
  *err = (ps_err){{0}};
  assert_false(cmp_summary_load(write_run(dir, sub, text, path, sizeof path), &s, err));
  assert_true(err->msg[0] != '\0');
}

/* ---- differences ---- */

/* Per-file digests tell which outputs of two runs differ; a file a run did not write is 0. */
static void run_digests_name_the_files_that_differ(void **state) {
  const char *dir = *state;
  char a[128], b[128], path[256];
  snprintf(a, sizeof a, "%s/a", dir);
  snprintf(b, sizeof b, "%s/b", dir);
  mkdir(a, 0755);
  mkdir(b, 0755);
  tu_write(a, "summary.csv", "policy,cost\nkpa,1\n", path, sizeof path);
  tu_write(b, "summary.csv", "policy,cost\nkpa,1\n", path, sizeof path);
  tu_write(a, "decisions.csv", "x\n1\n", path, sizeof path);
  tu_write(b, "decisions.csv", "x\n2\n", path, sizeof path);
  tu_write(a, "optimizer.jsonl", "", path, sizeof path); /* empty: written, not absent */
  run_digest da = run_digest_of(a), db = run_digest_of(b);
  assert_true(da.file[0] != 0 && da.file[0] == db.file[0]);
  assert_true(da.file[1] == 0 && db.file[1] == 0); /* requests.csv: absent in both */
  assert_true(da.file[4] != 0 && db.file[4] == 0);
  unsigned diff = run_digest_diff(&da, &db);
  assert_int_equal(diff, (1u << 3) | (1u << 4));
  char buf[160];
  assert_string_equal(run_digest_list(diff, buf, sizeof buf), "decisions.csv and optimizer.jsonl");
  assert_string_equal(
      run_digest_list(0x1f, buf, sizeof buf),
      "summary.csv, requests.csv, timeseries.csv, decisions.csv and optimizer.jsonl");
  assert_int_equal(run_digest_diff(&da, &da), 0);
}

static void relative_difference_of_zero_and_zero_is_zero(void **state) {
  (void)state;
  cmp_diff d = cmp_diff_of(0, 0);
  assert_true(d.abs == 0 && d.rel == 0);
  assert_false(cmp_drifted(0, 0, 0));
  assert_false(cmp_drifted(0, -0.0, 1e-12));
}

static void relative_difference_is_of_the_baseline(void **state) {
  (void)state;
  cmp_diff d = cmp_diff_of(2, 3);
  assert_float_equal(d.abs, 1, 1e-15);
  assert_float_equal(d.rel, 0.5, 1e-15);
  d = cmp_diff_of(-2, -3); /* 50% lower, whatever the sign of the values */
  assert_float_equal(d.rel, -0.5, 1e-15);
  d = cmp_diff_of(0, 4); /* no finite relative difference from a zero baseline */
  assert_true(isinf(d.rel) && d.rel > 0);
  assert_true(cmp_drifted(0, 4, 0.5));
  d = cmp_diff_of(1, NAN);
  assert_true(isnan(d.abs) && isnan(d.rel));
}

static void drift_is_relative_to_the_larger_magnitude_and_strict(void **state) {
  (void)state;
  assert_false(cmp_drifted(100, 105, 0.05)); /* 5 > 0.05 * 105 is false */
  assert_false(cmp_drifted(95, 100, 0.05));  /* 5 > 5 is false: the bound is allowed */
  assert_true(cmp_drifted(95, 100.1, 0.05));
  assert_true(cmp_drifted(100, 94, 0.05));
  assert_false(cmp_drifted(1.041001, 1.041001, 0));
  assert_true(cmp_drifted(1.041001, 1.041002, 1e-9));
}

static void missing_values_drift_only_on_one_side(void **state) {
  (void)state;
  assert_false(cmp_drifted(NAN, NAN, 0));
  assert_true(cmp_drifted(NAN, 1, 10));
  assert_true(cmp_drifted(1, NAN, 10));
}

/* ---- summaries ---- */

static void columns_are_read_by_name_whatever_their_order(void **state) {
  const char *dir = *state;
  cmp_summary a, b;
  load(dir, "a", "policy,cost,peak_pods,timeout,failed\nhpa,1.5,2,3,4\nkpa,2.5,3,0,0\n", &a);
  load(dir, "b", "failed,timeout,peak_pods,policy,cost\n4,3,2,hpa,1.5\n0,0,3,kpa,2.5\n", &b);
  assert_int_equal(b.policy_col, 3);
  assert_int_equal(cmp_summary_policy(&b, "kpa"), 1);
  assert_float_equal(cmp_summary_value(&b, 0, "cost"), 1.5, 0);
  assert_float_equal(cmp_summary_value(&b, 0, "timeout+failed"), 7, 0);
  const char *metrics[] = {"cost", "peak_pods", "timeout+failed"};
  cmp_summary runs[] = {a, b};
  cmp_table t;
  ps_err err;
  assert_true(cmp_table_make(runs, 2, metrics, 3, &t, &err));
  for (size_t p = 0; p < 2; p++)
    for (size_t m = 0; m < 3; m++)
      assert_float_equal(cmp_table_value(&t, p, 1, m), cmp_table_value(&t, p, 0, m), 0);
  size_t n = 99;
  cmp_drift *d = cmp_table_drifts(&t, 0, &n);
  assert_int_equal(n, 0);
  assert_null(d);
  cmp_table_free(&t);
  cmp_summary_free(&a);
  cmp_summary_free(&b);
}

static void metrics_name_existing_columns_or_their_sums(void **state) {
  cmp_summary s;
  load(*state, "a", "policy,timeout,failed,e2e_p99_s\nhpa,1,2,\n", &s);
  assert_true(cmp_summary_has_metric(&s, "timeout+failed"));
  assert_true(cmp_summary_has_metric(&s, "failed"));
  assert_false(cmp_summary_has_metric(&s, "policy"));
  assert_false(cmp_summary_has_metric(&s, "cost"));
  assert_false(cmp_summary_has_metric(&s, "timeout+"));
  assert_false(cmp_summary_has_metric(&s, "fail"));
  assert_true(isnan(cmp_summary_value(&s, 0, "e2e_p99_s"))); /* an empty field is missing */
  assert_true(isnan(cmp_summary_value(&s, 0, "failed+e2e_p99_s")));
  cmp_summary_free(&s);
}

static void a_real_summary_reads(void **state) {
  char text[1024];
  snprintf(text, sizeof text, "%s%s", header,
           "hpa,2497,2497,0,0,1.041001,0.419759,5.067454,2.959203,11.452280,35.064976,0.091839,"
           "0.280446,0.034917,1.000000,0,0,1\n");
  cmp_summary s;
  load(*state, "a", text, &s);
  assert_int_equal(s.ncolumns, 18);
  assert_int_equal(s.npolicies, 1);
  assert_string_equal(s.policies[0], "hpa");
  assert_float_equal(cmp_summary_value(&s, 0, "e2e_p99_s"), 35.064976, 0);
  assert_float_equal(cmp_summary_value(&s, 0, "peak_pods"), 1, 0);
  cmp_summary_free(&s);
}

/* ---- alignment and drifts ---- */

static void baseline_policy_missing_from_a_run_is_a_drift(void **state) {
  const char *dir = *state;
  cmp_summary runs[2];
  load(dir, "a", "policy,cost\nhpa,1\nkpa,2\n", &runs[0]);
  load(dir, "b", "policy,cost\nnew,5\nhpa,1\n", &runs[1]);
  const char *metrics[] = {"cost"};
  cmp_table t;
  ps_err err;
  assert_true(cmp_table_make(runs, 2, metrics, 1, &t, &err));
  assert_int_equal(t.npolicies, 3); /* the baseline's order, then the new one */
  assert_string_equal(t.policies[0], "hpa");
  assert_string_equal(t.policies[1], "kpa");
  assert_string_equal(t.policies[2], "new");
  assert_true(cmp_table_present(&t, 1, 0));
  assert_false(cmp_table_present(&t, 1, 1));
  assert_false(cmp_table_present(&t, 2, 0));
  assert_true(isnan(cmp_table_value(&t, 1, 1, 0)));
  size_t n;
  cmp_drift *d = cmp_table_drifts(&t, 1e9, &n); /* any tolerance: absence is not a number */
  assert_int_equal(n, 1);                       /* kpa absent; "new" is not a drift */
  assert_int_equal(d[0].run, 1);
  assert_int_equal(d[0].policy, 1);
  assert_int_equal(d[0].metric, -1);
  free(d);
  cmp_table_free(&t);
  cmp_summary_free(&runs[0]);
  cmp_summary_free(&runs[1]);
}

static void drifts_are_listed_by_run_policy_and_metric(void **state) {
  const char *dir = *state;
  cmp_summary runs[3];
  load(dir, "a", "policy,cost,peak_pods\nhpa,1.0,2\nkpa,0,0\n", &runs[0]);
  load(dir, "b", "policy,cost,peak_pods\nhpa,1.2,2\nkpa,0,0\n", &runs[1]);
  load(dir, "c", "policy,peak_pods,cost\nkpa,1,0\nhpa,3,1.04\n", &runs[2]);
  const char *metrics[] = {"cost", "peak_pods"};
  cmp_table t;
  ps_err err;
  assert_true(cmp_table_make(runs, 3, metrics, 2, &t, &err));
  size_t n;
  cmp_drift *d = cmp_table_drifts(&t, 0.05, &n);
  assert_int_equal(n, 3);
  /* b: hpa cost 1.0 -> 1.2 */
  assert_int_equal(d[0].run, 1);
  assert_int_equal(d[0].policy, 0);
  assert_int_equal(d[0].metric, 0);
  assert_float_equal(d[0].a, 1.0, 0);
  assert_float_equal(d[0].b, 1.2, 0);
  /* c: hpa peak_pods 2 -> 3 (its cost is within 5%), then kpa peak_pods 0 -> 1 */
  assert_int_equal(d[1].run, 2);
  assert_int_equal(d[1].policy, 0);
  assert_int_equal(d[1].metric, 1);
  assert_int_equal(d[2].run, 2);
  assert_int_equal(d[2].policy, 1);
  assert_int_equal(d[2].metric, 1);
  assert_float_equal(d[2].a, 0, 0);
  assert_float_equal(d[2].b, 1, 0);
  free(d);
  d = cmp_table_drifts(&t, 0.99, &n); /* 99%: only 0 -> 1 goes beyond */
  assert_int_equal(n, 1);
  assert_int_equal(d[0].policy, 1);
  free(d);
  cmp_table_free(&t);
  for (int i = 0; i < 3; i++)
    cmp_summary_free(&runs[i]);
}

static void a_metric_missing_from_a_later_run_names_its_file(void **state) {
  const char *dir = *state;
  cmp_summary runs[2];
  load(dir, "a", "policy,cost,peak_pods\nhpa,1,2\n", &runs[0]);
  load(dir, "b", "policy,cost\nhpa,1\n", &runs[1]);
  const char *metrics[] = {"cost", "peak_pods"};
  cmp_table t;
  ps_err err = {{0}};
  assert_false(cmp_table_make(runs, 2, metrics, 2, &t, &err));
  assert_contains(err.msg, "/b/summary.csv");
  assert_contains(err.msg, "peak_pods");
  cmp_summary_free(&runs[0]);
  cmp_summary_free(&runs[1]);
}

/* ---- bad files ---- */

static void malformed_files_are_errors_naming_file_and_line(void **state) {
  const char *dir = *state;
  ps_err err;
  load_fails(dir, "fields", "policy,cost\nhpa,1\nkpa,2,3\n", &err);
  assert_contains(err.msg, "/fields/summary.csv:3:");
  assert_contains(err.msg, "expected 2 fields");
  load_fails(dir, "number", "policy,cost\nhpa,1\nkpa,cheap\n", &err);
  assert_contains(err.msg, "/number/summary.csv:3:");
  assert_contains(err.msg, "'cheap'");
  load_fails(dir, "twice", "policy,cost\nhpa,1\nhpa,2\n", &err);
  assert_contains(err.msg, "/twice/summary.csv:3:");
  assert_contains(err.msg, "first on line 2");
  load_fails(dir, "nopolicy", "name,cost\nhpa,1\n", &err);
  assert_contains(err.msg, "/nopolicy/summary.csv:1:");
  load_fails(dir, "quote", "policy,cost\n\"hpa,1\n", &err);
  assert_contains(err.msg, "/quote/summary.csv");
  load_fails(dir, "empty", "", &err);
  assert_contains(err.msg, "/empty/summary.csv: empty");
  load_fails(dir, "negative", "policy,failed\nhpa,-3\n", &err);
  assert_contains(err.msg,
                  "/negative/summary.csv:2: column 'failed': expected a number of at least 0");
}

static void a_directory_without_summary_is_an_error_naming_it(void **state) {
  const char *dir = *state;
  char path[512];
  cmp_summary s;
  ps_err err = {{0}};
  assert_false(cmp_summary_load(dir, &s, &err));
  assert_contains(err.msg, dir);
  assert_contains(err.msg, "no summary.csv");
  snprintf(path, sizeof path, "%s/nowhere", dir);
  assert_false(cmp_summary_load(path, &s, &err));
  assert_contains(err.msg, path);
}

/* ---- the binary ---- */

typedef struct proc {
  int status;
  char *out, *err; /* what it wrote on stdout and stderr */
} proc;

static void proc_free(proc *p) {
  free(p->out);
  free(p->err);
}

/* Run podscale with args (NULL-terminated, without argv[0]); its output passes through dir. */
static proc podscale(const char *dir, const char *const *args) {
  proc p = {0};
  p.status = fx_run_podscale(dir, args, &p.out, &p.err);
  return p;
}

#define assert_exit(p, want)                                                                       \
  do {                                                                                             \
    if ((p).status != (want)) {                                                                    \
      print_error("exit status %d, expected %d; stdout:\n%s\nstderr:\n%s\n", (p).status, (want),   \
                  (p).out, (p).err);                                                               \
      fail();                                                                                      \
    }                                                                                              \
  } while (0)

static void run_scenario(const char *dir, const char *out, const char *seed) {
  const char *scenario = PODSCALE_SOURCE_DIR "/scenarios/aibrix-v100.json";
  proc p = seed ? podscale(dir, (const char *const[]){"run", scenario, "-o", out, "-q", "--seed",
                                                      seed, NULL})
                : podscale(dir, (const char *const[]){"run", scenario, "-o", out, "-q", NULL});
  assert_exit(p, 0);
  proc_free(&p);
}

static void compare_checks_real_runs_end_to_end(void **state) {
  const char *dir = *state;
  char a[256], again[256], seeded[256];
  snprintf(a, sizeof a, "%s/a", dir);
  snprintf(again, sizeof again, "%s/again", dir);
  snprintf(seeded, sizeof seeded, "%s/seed7", dir);
  run_scenario(dir, a, NULL);
  run_scenario(dir, again, NULL);
  run_scenario(dir, seeded, "7");

  /* The same run twice: identical, even at a tolerance of 1e-9. */
  proc p = podscale(dir, (const char *const[]){"compare", a, again, "--check", "1e-9", NULL});
  assert_exit(p, 0);
  assert_contains(p.out, "A: ");
  assert_contains(p.out, "(baseline)");
  assert_contains(p.out, "optimizer-kpa");
  assert_contains(p.out, "timeout+failed");
  assert_contains(p.out, "(=)");
  assert_contains(p.out, "no difference beyond relative tolerance 1e-09");
  /* and the note that the two runs' outputs are the same, byte for byte */
  assert_contains(p.err, "podscale: note: compare: ");
  assert_contains(p.err, "has the same outputs as");
  assert_contains(p.err, "byte for byte");
  proc_free(&p);

  /* Another seed: other arrivals, so the costs and latencies drift. */
  p = podscale(dir, (const char *const[]){"compare", a, seeded, "--check", "1e-9", NULL});
  assert_exit(p, 1);
  char want[512];
  snprintf(want, sizeof want, "%s: hpa: e2e_mean_s: ", seeded);
  assert_contains(p.err, want);
  assert_contains(p.err, " -> ");
  assert_contains(p.err, "podscale: compare: ");
  assert_null(strstr(p.err, "note: compare")); /* they differ: no note */
  assert_contains(p.out, "%)");
  proc_free(&p);

  /* Without --check, differences are shown but the status is 0. */
  p = podscale(dir, (const char *const[]){"compare", a, seeded, a, "--metrics", "cost,ok", NULL});
  assert_exit(p, 0);
  assert_contains(p.out, "C: ");
  assert_contains(p.out, "cost");
  proc_free(&p);
}

static void compare_rejects_bad_input_with_status_2(void **state) {
  const char *dir = *state;
  char a[256], b[256];
  write_run(dir, "a", "policy,cost\nhpa,1\n", a, sizeof a);
  write_run(dir, "b", "policy,cost\nhpa,1\n", b, sizeof b);

  proc p = podscale(dir, (const char *const[]){"compare", a, NULL});
  assert_exit(p, 2);
  assert_contains(p.err, "podscale: compare: expected at least two run directories");
  proc_free(&p);

  p = podscale(dir, (const char *const[]){"compare", a, dir, NULL});
  assert_exit(p, 2);
  assert_contains(p.err, "podscale: compare: ");
  assert_contains(p.err, "no summary.csv");
  proc_free(&p);

  p = podscale(dir, (const char *const[]){"compare", a, b, "--metrics", "cost,speed", NULL});
  assert_exit(p, 2);
  assert_contains(p.err, "unknown metric 'speed'");
  assert_contains(p.err, "(cost)"); /* the valid names, from the baseline's header */
  proc_free(&p);

  p = podscale(dir, (const char *const[]){"compare", a, b, "--check", "five", NULL});
  assert_exit(p, 2);
  proc_free(&p);

  p = podscale(dir,
               (const char *const[]){"compare", a, b, "--metrics", "cost", "--check", "0", NULL});
  assert_exit(p, 0);
  proc_free(&p);

  p = podscale(dir, (const char *const[]){"compare", "--help", NULL});
  assert_exit(p, 0);
  assert_contains(p.out, "usage: podscale compare");
  proc_free(&p);
}

/* ---- --measured ---- */

/* DIR/run: a podscale run of policies a and x; DIR/set: measured a (and b with both_sides
 * false). Measured a: sent 5, completed 4, mean 4 s, 110 pod-s over 0-40 s; simulated a: mean
 * 5 s (+25%), 0.0375 pod-hours (+22.7%), the other latency figures equal. */
static void write_measured_fixture(const char *dir, bool both_sides) {
  char run[256], set[256], path[400];
  snprintf(run, sizeof run, "%s/run", dir);
  write_run(dir, "run",
            "policy,requests,ok,timeout,failed,cost,gpu_hours,e2e_mean_s,e2e_p50_s,e2e_p90_s,"
            "e2e_p99_s\n"
            "a,5,4,1,0,0.1,0.0375,5,2.5,7.9,9.79\nx,5,5,0,0,0.1,0.01,1,1,1,1\n",
            run, sizeof run);
  tu_write(run, "requests.csv",
           "policy,status,e2e_s\na,ok,1\na,ok,2\na,ok,7\na,ok,10\na,timeout,\nx,ok,1\n", path,
           sizeof path);
  tu_write(run, "timeseries.csv",
           "policy,time_s,offered_rps,completed_rps,pending,starting,ready,terminating,cost\n"
           "a,0,0,0,0,1,0,0,0\na,20,1,1,0,0,3,0,0.05\na,50,1,1,0,0,2,1,0.1\n"
           "x,0,0,0,0,0,1,0,0\nx,50,1,1,0,0,1,0,0.1\n",
           path, sizeof path);
  snprintf(set, sizeof set, "%s/set", dir);
  assert_int_equal(mkdir(set, 0755), 0);
  tu_write(set, "runs.csv",
           both_sides ? "policy,sent,completed\na,5,4\n" : "policy,sent,completed\na,5,4\nb,1,0\n",
           path, sizeof path);
  const char *policies[] = {"a", both_sides ? NULL : "b"};
  for (size_t i = 0; i < 2 && policies[i]; i++)
    assert_int_equal(
        tu_write_measured_policy(
            set, policies[i],
            i ? "batch,send_s,latency_s,output_tokens\n"
              : "batch,send_s,latency_s,output_tokens\n0,0.5,3,10\n1,1.5,1,1\n2,2,10,9\n3,3,2,7\n",
            "t_s,running,pending,init\n0,2,0,0\n10,2,1,1\n30,1,0,0\n40,1,0,0\n"),
        0);
}

static void compare_measured_prints_each_metric_and_checks_tolerances(void **state) {
  const char *dir = *state;
  write_measured_fixture(dir, true);
  char run[256], set[256];
  snprintf(run, sizeof run, "%s/run", dir);
  snprintf(set, sizeof set, "%s/set", dir);
  proc p = podscale(dir, (const char *const[]){"compare", run, "--measured", set, NULL});
  assert_exit(p, 0);
  assert_contains(p.out, "measured:  ");
  assert_contains(p.out,
                  "policy          metric     unit        measured  simulated  sim/meas-1\n"
                  "a               sent       requests           5          5       +0.0%\n"
                  "                completed  requests           4          4       +0.0%\n"
                  "                failed     requests           1          1       +0.0%\n"
                  "                e2e_mean   s               4.00       5.00      +25.0%\n");
  assert_contains(p.out, "pod_hours  hours          0.031      0.037      +22.7%\n");
  /* pods over 0-40 s: measured 2, 4, 1 (110 pod-s); simulated 1 then 3 (80 pod-s); the
   * differences 1, 3, 1, 2 for 10 s each (70 pod-s) */
  assert_contains(p.out, "e2e_p90    s               7.90       7.90       +0.0%\n");
  assert_contains(p.out, "pods_mean  pods           2.750      2.000      -27.3%\n");
  assert_contains(p.out, "pods_mae   pods               -      1.750      +63.6%\n");
  assert_contains(p.out, "0.0-40.0 s for every policy");
  assert_contains(p.out, "only simulated (not measured): x");
  assert_string_equal(p.err, "");
  proc_free(&p);

  p = podscale(dir, (const char *const[]){"compare", run, "--measured", set, "--check",
                                          "e2e_mean=0.25,pod_hours=0.23,failed=0", NULL});
  assert_exit(p, 0);
  assert_contains(p.out, "no difference beyond the tolerances (e2e_mean=0.25,pod_hours=0.23,"
                         "failed=0)");
  proc_free(&p);

  p = podscale(dir, (const char *const[]){"compare", run, "--measured", set, "--check",
                                          "e2e_mean=0.2,e2e_p50=0", NULL});
  assert_exit(p, 1);
  char want[512];
  snprintf(want, sizeof want, "%s: a: e2e_mean: 4 -> 5 (+25.0%%), beyond 0.2\n", run);
  assert_contains(p.err, want);
  assert_contains(p.err, "podscale: compare: 1 difference beyond the tolerances");
  proc_free(&p);
}

static void compare_measured_reports_one_sided_policies(void **state) {
  const char *dir = *state;
  write_measured_fixture(dir, false);
  char run[256], set[256], want[600];
  snprintf(run, sizeof run, "%s/run", dir);
  snprintf(set, sizeof set, "%s/set", dir);
  proc p = podscale(
      dir, (const char *const[]){"compare", run, "--measured", set, "--check", "10", NULL});
  assert_exit(p, 1); /* a measured policy the run lacks fails the check */
  assert_contains(p.out, "only measured (not in the run): b\n");
  assert_contains(p.out, "only simulated (not measured): x\n");
  snprintf(want, sizeof want, "%s: b: missing (%s has it)\n", run, set);
  assert_contains(p.err, want);
  proc_free(&p);
}

static void compare_measured_rejects_bad_input_with_status_2(void **state) {
  const char *dir = *state;
  write_measured_fixture(dir, true);
  char run[256], set[256], path[400], want[600];
  snprintf(run, sizeof run, "%s/run", dir);
  snprintf(set, sizeof set, "%s/set", dir);
  snprintf(path, sizeof path, "%s/a", set);
  tu_write(path, "pods.csv", "t_s,running,pending,init\n0,2,0,0\n10,2,x,1\n", want, sizeof want);
  proc p = podscale(dir, (const char *const[]){"compare", run, "--measured", set, NULL});
  assert_exit(p, 2);
  snprintf(want, sizeof want,
           "podscale: compare: %s/a/pods.csv:3: pending: expected a whole number of at least 0, "
           "found 'x'\n",
           set);
  assert_string_equal(p.err, want);
  assert_string_equal(p.out, ""); /* nothing printed for bad input */
  proc_free(&p);

  p = podscale(dir,
               (const char *const[]){"compare", run, "--measured", set, "--check", "e2e=1", NULL});
  assert_exit(p, 2);
  assert_contains(p.err, "--check: expected TOL or METRIC=TOL");
  proc_free(&p);
  p = podscale(dir, (const char *const[]){"compare", run, run, "--measured", set, NULL});
  assert_exit(p, 2);
  assert_contains(p.err, "--measured: expected one run directory");
  proc_free(&p);
}

static void compare_measured_aibrix_set0_with_a_real_run(void **state) {
  const char *dir = *state;
  char run[256];
  snprintf(run, sizeof run, "%s/run", dir);
  run_scenario(dir, run, NULL);
  proc p = podscale(dir, (const char *const[]){
                             "compare", run, "--measured",
                             PODSCALE_SOURCE_DIR "/scenarios/data/aibrix-v100-runs/set0", NULL});
  assert_exit(p, 0);
  assert_contains(p.out, "hpa             sent       requests        5024");
  assert_contains(p.out, "                e2e_mean   s               16.4");
  assert_contains(p.out, "                pod_hours  hours          2.007");
  assert_contains(p.out, "policies by e2e_mean, lowest first:\n"
                         "  measured:  kpa 9.22 < apa 12.6 < hpa 16.4 < optimizer-kpa 18.9\n");
  assert_contains(p.out, "policies by pod_hours, lowest first:\n"
                         "  measured:  apa 1.143 < optimizer-kpa 1.518 < kpa 1.824 < hpa 2.007\n");
  proc_free(&p);
}

int main(void) {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(run_digests_name_the_files_that_differ, setup, teardown),
      cmocka_unit_test(relative_difference_of_zero_and_zero_is_zero),
      cmocka_unit_test(relative_difference_is_of_the_baseline),
      cmocka_unit_test(drift_is_relative_to_the_larger_magnitude_and_strict),
      cmocka_unit_test(missing_values_drift_only_on_one_side),
      T(columns_are_read_by_name_whatever_their_order),
      T(metrics_name_existing_columns_or_their_sums),
      T(a_real_summary_reads),
      T(baseline_policy_missing_from_a_run_is_a_drift),
      T(drifts_are_listed_by_run_policy_and_metric),
      T(a_metric_missing_from_a_later_run_names_its_file),
      T(malformed_files_are_errors_naming_file_and_line),
      T(a_directory_without_summary_is_an_error_naming_it),
      T(compare_rejects_bad_input_with_status_2),
      T(compare_checks_real_runs_end_to_end),
      T(compare_measured_prints_each_metric_and_checks_tolerances),
      T(compare_measured_reports_one_sided_policies),
      T(compare_measured_rejects_bad_input_with_status_2),
      T(compare_measured_aibrix_set0_with_a_real_run),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
