/*
 * run: output files, their columns, determinism (same scenario and seed give byte-identical
 * files, in one thread or two at once) and common random numbers across policies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "analysis/csvw.h"
#include "analysis/outfile.h"
#include "sim/run/cluster.h"
#include "sim/run/run.h"
#include "testutil.h"

static const char *scenario_path(void) { return PODSCALE_SOURCE_DIR "/scenarios/default.json"; }

static const char *const csv_files[] = {"requests.csv", "timeseries.csv", "decisions.csv",
                                        "summary.csv"};

static void run_into(const char *scenario_file, const char *dir, uint64_t seed_delta) {
  scenario sc;
  ps_err err;
  assert_true(scenario_load(scenario_file, &sc, &err));
  run_options opt = {.out_dir = dir, .seed = sc.seed + seed_delta};
  run_totals tot;
  bool ok = run_scenario(&sc, &opt, &tot, &err);
  if (!ok) fprintf(stderr, "%s\n", err.msg);
  assert_true(ok);
  assert_true(tot.events > 0);
  scenario_free(&sc);
}

static void assert_same_file(const char *a_dir, const char *b_dir, const char *name) {
  char a[256], b[256];
  snprintf(a, sizeof a, "%s/%s", a_dir, name);
  snprintf(b, sizeof b, "%s/%s", b_dir, name);
  size_t na, nb;
  char *x = tu_slurp(a, &na), *y = tu_slurp(b, &nb);
  assert_non_null(x);
  assert_non_null(y);
  assert_true(na > 0);
  assert_int_equal(na, nb);
  assert_memory_equal(x, y, na);
  free(x);
  free(y);
}

/* run.json with its wall-clock fields removed. */
static char *run_json_without_wall_time(const char *dir) {
  char p[256];
  snprintf(p, sizeof p, "%s/run.json", dir);
  char *s = tu_slurp(p, NULL);
  assert_non_null(s);
  char *out = malloc(strlen(s) + 1), *o = out;
  for (char *line = strtok(s, "\n"); line; line = strtok(NULL, "\n"))
    if (!strstr(line, "wall_time_s")) o += sprintf(o, "%s\n", line);
  free(s);
  return out;
}

static void same_scenario_and_seed_give_byte_identical_outputs(void **state) {
  (void)state;
  char a[64], b[64];
  tu_tmpdir(a);
  tu_tmpdir(b);
  run_into(scenario_path(), a, 0);
  run_into(scenario_path(), b, 0);
  for (int i = 0; i < 4; i++)
    assert_same_file(a, b, csv_files[i]);
  char *ja = run_json_without_wall_time(a), *jb = run_json_without_wall_time(b);
  assert_string_equal(ja, jb);
  free(ja);
  free(jb);
  tu_rmrf(a);
  tu_rmrf(b);
}

static void another_seed_gives_other_requests(void **state) {
  (void)state;
  char a[64], b[64];
  tu_tmpdir(a);
  tu_tmpdir(b);
  run_into(scenario_path(), a, 0);
  run_into(scenario_path(), b, 1);
  char pa[256], pb[256];
  snprintf(pa, sizeof pa, "%s/summary.csv", a);
  snprintf(pb, sizeof pb, "%s/summary.csv", b);
  char *x = tu_slurp(pa, NULL), *y = tu_slurp(pb, NULL);
  assert_string_not_equal(x, y);
  free(x);
  free(y);
  tu_rmrf(a);
  tu_rmrf(b);
}

static void *thread_run(void *dir) {
  run_into(scenario_path(), dir, 0);
  return NULL;
}

static void two_runs_in_two_threads_do_not_interfere(void **state) {
  (void)state;
  char ref[64], a[64], b[64];
  tu_tmpdir(ref);
  tu_tmpdir(a);
  tu_tmpdir(b);
  run_into(scenario_path(), ref, 0);
  pthread_t ta, tb;
  assert_int_equal(pthread_create(&ta, NULL, thread_run, a), 0);
  assert_int_equal(pthread_create(&tb, NULL, thread_run, b), 0);
  pthread_join(ta, NULL);
  pthread_join(tb, NULL);
  for (int i = 0; i < 4; i++) {
    assert_same_file(ref, a, csv_files[i]);
    assert_same_file(ref, b, csv_files[i]);
  }
  tu_rmrf(ref);
  tu_rmrf(a);
  tu_rmrf(b);
}

static void assert_header(const char *dir, const char *file, const char *expected) {
  char p[256];
  snprintf(p, sizeof p, "%s/%s", dir, file);
  char *s = tu_slurp(p, NULL);
  assert_non_null(s);
  *strchr(s, '\n') = '\0';
  assert_string_equal(s, expected);
  free(s);
}

static void output_columns_are_pinned(void **state) {
  (void)state;
  char d[64];
  tu_tmpdir(d);
  run_into(scenario_path(), d, 0);
  /* The stable interface: changing a column is a breaking change (docs/outputs.md). */
  assert_header(
      d, "requests.csv",
      "policy,id,arrival_s,input_tokens,output_tokens,deployment,pod,start_s,first_token_s,"
      "finish_s,ttft_s,tpot_s,e2e_s,status,preemptions,reason");
  assert_header(d, "timeseries.csv",
                "policy,time_s,deployment,offered_rps,completed_rps,desired,pending,starting,ready,"
                "terminating,running,waiting,gateway_queue,kv_usage_mean,cost");
  assert_header(d, "decisions.csv",
                "policy,time_s,deployment,autoscaler,current,ready,metric,value,stable,panic,"
                "panic_mode,recommendation,desired,reason");
  assert_header(d, "summary.csv",
                "policy,requests,ok,timeout,failed,cost,gpu_hours,e2e_mean_s,e2e_p50_s,e2e_p90_s,"
                "e2e_p99_s,ttft_mean_s,ttft_p99_s,tpot_mean_s,slo_attainment,scale_ups,scale_downs,"
                "peak_pods");
  assert_int_equal(csvw_columns(run_requests_columns), 16);
  /* Every data row has as many fields as the header. */
  for (int i = 0; i < 4; i++) {
    char p[256];
    snprintf(p, sizeof p, "%s/%s", d, csv_files[i]);
    char *s = tu_slurp(p, NULL);
    int fields = -1, line = 0;
    for (char *l = strtok(s, "\n"); l; l = strtok(NULL, "\n"), line++) {
      int n = 1;
      for (char *c = l; *c; c++)
        n += *c == ',';
      if (fields < 0) fields = n;
      assert_int_equal(n, fields);
    }
    assert_true(line > 1);
    free(s);
  }
  /* No temporary file is left behind. */
  DIR *dir = opendir(d);
  struct dirent *e;
  int files = 0;
  while ((e = readdir(dir))) {
    if (e->d_name[0] == '.' && strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
      fail_msg("left %s", e->d_name);
    files += e->d_name[0] != '.';
  }
  closedir(dir);
  assert_int_equal(files, 5);
  tu_rmrf(d);
}

/* Every policy of a scenario gets the same requests: same ids, arrival times and tokens. */
static void policies_see_identical_arrivals(void **state) {
  (void)state;
  char d[64];
  tu_tmpdir(d);
  run_into(scenario_path(), d, 0);
  char p[256];
  snprintf(p, sizeof p, "%s/requests.csv", d);
  char *s = tu_slurp(p, NULL);
  enum { MAXR = 20000 };
  static const char *names[3] = {"fixed-1", "fixed-2", "fixed-4"};
  char **rows[3]; /* rows[policy][id] = "arrival,input,output" */
  int n[3] = {0, 0, 0};
  for (int k = 0; k < 3; k++)
    rows[k] = calloc(MAXR, sizeof(char *));
  strtok(s, "\n"); /* header */
  for (char *l = strtok(NULL, "\n"); l; l = strtok(NULL, "\n")) {
    char *comma = strchr(l, ',');
    *comma = '\0';
    int k = 0;
    while (k < 3 && strcmp(l, names[k]))
      k++;
    assert_true(k < 3);
    long id = strtol(comma + 1, &comma, 10);
    assert_true(id >= 0 && id < MAXR && rows[k][id] == NULL);
    char *f = comma + 1, *end = f;
    for (int commas = 0; *end && commas < 3; end++)
      commas += *end == ',';
    rows[k][id] = strndup(f, (size_t)(end - f));
    n[k]++;
  }
  assert_true(n[0] > 1000);
  for (int k = 1; k < 3; k++) {
    assert_int_equal(n[k], n[0]);
    for (int id = 0; id < n[0]; id++) {
      assert_non_null(rows[k][id]);
      assert_string_equal(rows[k][id], rows[0][id]);
    }
  }
  for (int k = 0; k < 3; k++) {
    for (int i = 0; i < MAXR; i++)
      free(rows[k][i]);
    free(rows[k]);
  }
  free(s);
  tu_rmrf(d);
}

/* A small scenario text with one policy, for cases the default scenario does not reach. */
static const char *small_scenario(char *dir, const char *output, double timeout_s, char *path,
                                  size_t n) {
  char text[2048];
  snprintf(text, sizeof text,
           "{\"seed\": 5, \"workload\": {\"arrivals\": {\"type\": \"segments\", \"segments\": "
           "[{\"duration_s\": 120, \"rate\": 3}]}, \"input_tokens\": {\"dist\": \"constant\", "
           "\"value\": 10}, \"output_tokens\": {\"dist\": \"constant\", \"value\": 50}}, "
           "\"gpus\": [{\"name\": \"G\", \"price_per_hour\": 1}], \"deployments\": [{\"name\": "
           "\"d\", \"gpu\": \"G\", \"startup_s\": 0, \"model\": {\"type\": \"slots\", \"slots\": "
           "2, \"service_s\": "
           "{\"dist\": \"exponential\", \"mean\": 1}}}], \"client\": {\"timeout_s\": %g}, "
           "\"policies\": [{\"name\": \"p\", \"type\": \"fixed\", \"replicas\": 1}], "
           "\"output\": %s}",
           timeout_s, output);
  return tu_write(dir, "small.json", text, path, n);
}

static void requests_false_removes_a_stale_requests_csv(void **state) {
  (void)state;
  char d[64], sc[256], out[128], stale[256];
  tu_tmpdir(d);
  small_scenario(d, "{\"requests\": false}", 0, sc, sizeof sc);
  snprintf(out, sizeof out, "%s/out", d);
  run_into(sc, out, 0);
  snprintf(stale, sizeof stale, "%s/requests.csv", out);
  assert_null(tu_slurp(stale, NULL));
  FILE *fp = fopen(stale, "w");
  fputs("from an earlier run\n", fp);
  fclose(fp);
  run_into(sc, out, 0);
  assert_null(tu_slurp(stale, NULL));
  tu_rmrf(d);
}

/* Timed-out requests (an overloaded pod, timeout 2 s) never show a first token after they
 * ended, and the timeseries ends with exactly one sample per instant. */
static void ended_requests_have_consistent_times_and_samples_are_unique(void **state) {
  (void)state;
  char d[64], sc[256], out[128], p[256];
  tu_tmpdir(d);
  small_scenario(d, "{\"interval_s\": 1}", 2, sc, sizeof sc);
  snprintf(out, sizeof out, "%s/out", d);
  run_into(sc, out, 0);
  snprintf(p, sizeof p, "%s/requests.csv", out);
  char *s = tu_slurp(p, NULL);
  int timeouts = 0;
  strtok(s, "\n");
  for (char *l = strtok(NULL, "\n"); l; l = strtok(NULL, "\n")) {
    char *f[17] = {0};
    int n = 0;
    for (char *c = l; n < 17; c++) {
      f[n++] = c;
      if (!(c = strchr(c, ','))) break;
      *c = '\0';
    }
    assert_int_equal(n, 16);
    if (*f[8]) assert_true(atof(f[8]) <= atof(f[9])); /* first_token_s <= finish_s */
    timeouts += !strcmp(f[13], "timeout");
    /* every request that did not end ok says why, and only those */
    assert_int_equal(strcmp(f[13], "ok") == 0, *f[15] == '\0');
    if (!strcmp(f[13], "timeout")) assert_string_equal(f[15], "client_timeout");
  }
  assert_true(timeouts > 100);
  free(s);
  snprintf(p, sizeof p, "%s/timeseries.csv", out);
  s = tu_slurp(p, NULL);
  double last = -1;
  strtok(s, "\n");
  for (char *l = strtok(NULL, "\n"); l; l = strtok(NULL, "\n")) {
    double t = atof(strchr(l, ',') + 1);
    assert_true(t > last);
    last = t;
  }
  free(s);
  tu_rmrf(d);
}

/* A run killed while writing leaves .NAME.tmp.PID; the next run into the directory removes the
 * ones of processes that are gone, and keeps those of live ones (a concurrent writer). */
static void a_run_removes_temporary_files_of_dead_processes(void **state) {
  (void)state;
  char d[64], sc[256], out[128], dead[256], live[256];
  tu_tmpdir(d);
  small_scenario(d, "{}", 0, sc, sizeof sc);
  snprintf(out, sizeof out, "%s/out", d);
  assert_int_equal(mkdir(out, 0755), 0);
  pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, NULL, 0); /* its PID now names no process */
  snprintf(dead, sizeof dead, "%s/.summary.csv.tmp.%ld", out, (long)child);
  snprintf(live, sizeof live, "%s/.summary.csv.tmp.%ld", out, (long)getppid());
  fclose(fopen(dead, "w"));
  fclose(fopen(live, "w"));
  run_into(sc, out, 0);
  assert_int_equal(access(dead, F_OK), -1);
  assert_int_equal(access(live, F_OK), 0);
  tu_rmrf(d);
}

/* Every file podscale writes goes through outfile_open, which takes a plain file name only:
 * nothing is created for "..", a path, a control character, non-UTF-8 or an overlong name, and
 * the longest name a scenario may give (200 bytes) fits with an extension. */
static void output_files_take_plain_names_only(void **state) {
  (void)state;
  char d[64], sub[128], longest[OUTFILE_NAME_MAX + 8], overlong[OUTFILE_FILE_MAX + 2];
  tu_tmpdir(d);
  snprintf(sub, sizeof sub, "%s/sub", d);
  assert_int_equal(mkdir(sub, 0755), 0);
  memset(overlong, 'x', sizeof overlong - 1);
  overlong[sizeof overlong - 1] = '\0';
  const char *const bad[] = {"",     ".",    "..",    "../escape.json", "a/b",
                             "a\\b", "a\nb", "a\xff", overlong};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    outfile f;
    ps_err err;
    assert_false(outfile_open(&f, sub, bad[i], &err));
    assert_non_null(strstr(err.msg, "cannot write a file named"));
    assert_null(f.fp);
  }
  DIR *dir = opendir(sub);
  int entries = 0;
  for (struct dirent *e; (e = readdir(dir));)
    entries += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
  closedir(dir);
  assert_int_equal(entries, 0);
  char escaped[128];
  snprintf(escaped, sizeof escaped, "%s/escape.json", d);
  assert_int_equal(access(escaped, F_OK), -1);
  memset(longest, 'n', OUTFILE_NAME_MAX);
  strcpy(longest + OUTFILE_NAME_MAX, ".json");
  assert_true(outfile_name_ok("n", NULL));
  outfile f;
  ps_err err;
  assert_true(outfile_open(&f, sub, longest, &err));
  assert_true(outfile_commit(&f, &err));
  tu_rmrf(d);
}

static void autoscaler_runs_are_byte_identical_too(void **state) {
  (void)state;
  char a[64], b[64];
  tu_tmpdir(a);
  tu_tmpdir(b);
  const char *path = PODSCALE_SOURCE_DIR "/scenarios/aibrix-v100-metric-full.json";
  run_into(path, a, 0);
  run_into(path, b, 0);
  for (int i = 0; i < 4; i++)
    assert_same_file(a, b, csv_files[i]);
  /* With the GPU optimizer: its decision log and profiles too. */
  path = PODSCALE_SOURCE_DIR "/scenarios/aibrix-v100.json";
  run_into(path, a, 0);
  run_into(path, b, 0);
  for (int i = 0; i < 4; i++)
    assert_same_file(a, b, csv_files[i]);
  assert_same_file(a, b, "optimizer.jsonl");
  assert_same_file(a, b, "profiles/deepseek-llm-7b-chat.json");
  tu_rmrf(a);
  tu_rmrf(b);
}

typedef struct first_moves {
  int64_t first_up_us; /* the first evaluation that raised spec.replicas, -1 none */
  int32_t peak;        /* largest spec.replicas set */
} first_moves;

static void on_move(void *ctx, const cluster_decision *d) {
  first_moves *m = ctx;
  if (d->desired > d->current && m->first_up_us < 0) m->first_up_us = d->time_us;
  if (d->desired > m->peak) m->peak = d->desired;
}

/* The full-rate AIBrix V100 scenario (docs/autoscalers.md): the generations react to the same
 * ramp at different times and the v0.5+ APA runs away; the half-rate one never needs a second
 * pod. Qualitative checks of the engine and the algorithms together. */
static void autoscalers_react_differently_to_the_same_ramp(void **state) {
  (void)state;
  scenario sc;
  ps_err err;
  assert_true(
      scenario_load(PODSCALE_SOURCE_DIR "/scenarios/aibrix-v100-metric-full.json", &sc, &err));
  first_moves m[16];
  assert_true(sc.npolicies <= 16);
  for (uint32_t i = 0; i < sc.npolicies; i++) {
    m[i] = (first_moves){-1, 0};
    cluster_hooks h = {.ctx = &m[i], .decision = on_move};
    cluster_result res;
    cluster_run(&sc, i, sc.seed, &h, &res);
    assert_true(m[i].first_up_us > 0); /* every policy scales up on the ramp */
    assert_int_equal(res.peak_pods, m[i].peak);
  }
  int kpa = scenario_policy_index(&sc, "kpa"), kpa5 = scenario_policy_index(&sc, "kpa-v0.5"),
      apa = scenario_policy_index(&sc, "apa"), apa5 = scenario_policy_index(&sc, "apa-v0.5"),
      kn = scenario_policy_index(&sc, "kpa-knative");
  assert_true(kpa >= 0 && kpa5 >= 0 && apa >= 0 && apa5 >= 0 && kn >= 0);
  assert_true(m[kpa].first_up_us < m[apa].first_up_us);  /* panic beats the 60 s average */
  assert_true(m[kpa].first_up_us < m[kpa5].first_up_us); /* 60 s sum vs 180 s mean */
  assert_true(m[kn].first_up_us < m[kpa5].first_up_us);
  assert_true(m[apa5].peak > m[apa].peak); /* spec.replicas times a lagging ratio */
  scenario_free(&sc);

  assert_true(scenario_load(PODSCALE_SOURCE_DIR "/scenarios/aibrix-v100-metric.json", &sc, &err));
  for (uint32_t i = 0; i < sc.npolicies; i++) {
    first_moves h1 = {-1, 0};
    cluster_hooks h = {.ctx = &h1, .decision = on_move};
    cluster_result res;
    cluster_run(&sc, i, sc.seed, &h, &res);
    assert_int_equal(res.peak_pods, 1);
  }
  scenario_free(&sc);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(same_scenario_and_seed_give_byte_identical_outputs),
      cmocka_unit_test(another_seed_gives_other_requests),
      cmocka_unit_test(two_runs_in_two_threads_do_not_interfere),
      cmocka_unit_test(output_columns_are_pinned),
      cmocka_unit_test(policies_see_identical_arrivals),
      cmocka_unit_test(requests_false_removes_a_stale_requests_csv),
      cmocka_unit_test(ended_requests_have_consistent_times_and_samples_are_unique),
      cmocka_unit_test(a_run_removes_temporary_files_of_dead_processes),
      cmocka_unit_test(output_files_take_plain_names_only),
      cmocka_unit_test(autoscaler_runs_are_byte_identical_too),
      cmocka_unit_test(autoscalers_react_differently_to_the_same_ramp),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
