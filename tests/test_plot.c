/*
 * plot: CDF downsampling, the aggregation of a run's CSV files into per-policy series, the
 * files written next to the image, and `podscale plot` end to end (PNG and SVG of a real run
 * of scenarios/aibrix-v100.json, gnuplot missing from PATH, bad input).
 *
 * Small CSV files are written into a mkdtemp directory that each test removes. The end-to-end
 * tests run $PODSCALE_BIN with posix_spawn and are skipped when gnuplot is not on PATH.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analysis/plot.h"
#include "fixtures.h"
#include "testutil.h"

static void write_file(const fx_dir *f, const char *name, const char *text) {
  char path[256];
  tu_write(f->dir, name, text, path, sizeof path);
}

static bool exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

/* ---- plot_cdf ---- */

static void cdf_keeps_every_value_when_there_are_few(void **state) {
  (void)state;
  const double v[] = {0.5, 1, 1, 2, 8};
  double x[10], frac[10];
  size_t m = plot_cdf(v, 5, 10, x, frac);
  assert_int_equal(m, 5);
  for (size_t k = 0; k < 5; k++) {
    assert_true(x[k] == v[k]);
    assert_true(fabs(frac[k] - (double)(k + 1) / 5) < 1e-12);
  }
}

static void cdf_of_no_values_has_no_point(void **state) {
  (void)state;
  double x[2], frac[2];
  assert_int_equal(plot_cdf(NULL, 0, 2, x, frac), 0);
}

static void cdf_of_a_million_values_is_2000_quantiles_with_min_and_max(void **state) {
  (void)state;
  enum { N = 1000000 };
  double *v = malloc(N * sizeof *v);
  assert_non_null(v);
  for (size_t i = 0; i < N; i++)
    v[i] = (double)i; /* value = rank */
  double x[PLOT_CDF_POINTS], frac[PLOT_CDF_POINTS];
  size_t m = plot_cdf(v, N, PLOT_CDF_POINTS, x, frac);
  assert_int_equal(m, PLOT_CDF_POINTS);
  assert_true(x[0] == 0 && x[m - 1] == N - 1);
  assert_true(frac[0] == 1.0 / N && frac[m - 1] == 1.0);
  double step = (double)(N - 1) / (PLOT_CDF_POINTS - 1);
  for (size_t k = 0; k < m; k++) {
    assert_true(fabs(x[k] - (double)k * step) <= 0.5); /* evenly spaced in rank */
    assert_true(frac[k] == (x[k] + 1) / N);            /* fraction of values <= x */
    if (k) assert_true(x[k] > x[k - 1] && frac[k] > frac[k - 1]);
  }
  free(v);
}

static void cdf_one_more_value_than_points(void **state) {
  (void)state;
  const double v[] = {1, 2, 3};
  double x[2], frac[2];
  assert_int_equal(plot_cdf(v, 3, 2, x, frac), 2);
  assert_true(x[0] == 1 && x[1] == 3);
  assert_true(frac[1] == 1.0);
}

/* ---- plot_add_sample ---- */

static void samples_of_one_time_sum_deployments_but_not_offered_load(void **state) {
  (void)state;
  plot_policy p = {0};
  plot_sample a = {.time_s = 10, .offered_rps = 4, .completed_rps = 1, .pods = 2, .cost = 0.5};
  plot_sample b = {.time_s = 10, .offered_rps = 4, .completed_rps = 2, .pods = 3, .cost = 0.25};
  plot_sample c = {.time_s = 20, .offered_rps = 1, .completed_rps = 0, .pods = 1, .cost = 1};
  plot_sample early = {.time_s = 15};
  assert_true(plot_add_sample(&p, &a));
  assert_true(plot_add_sample(&p, &b));
  assert_true(plot_add_sample(&p, &c));
  assert_false(plot_add_sample(&p, &early));
  assert_int_equal(p.nsamples, 2);
  assert_true(p.samples[0].offered_rps == 4);
  assert_true(p.samples[0].completed_rps == 3);
  assert_int_equal(p.samples[0].pods, 5);
  assert_true(p.samples[0].cost == 0.75);
  assert_true(p.samples[1].time_s == 20 && p.samples[1].pods == 1);
  free(p.samples);
}

/* ---- plot_read on small files ---- */

/* The header lines of requests.csv and timeseries.csv, as `podscale run` writes them. */
#define REQUESTS_HEADER                                                                            \
  "policy,id,arrival_s,input_tokens,output_tokens,deployment,pod,start_s,first_token_s,"           \
  "finish_s,ttft_s,tpot_s,e2e_s,status,preemptions\n"
#define TIMESERIES_HEADER                                                                          \
  "policy,time_s,deployment,offered_rps,completed_rps,desired,pending,starting,ready,"             \
  "terminating,running,waiting,gateway_queue,kv_usage_mean,cost\n"

static const char summary_csv[] =
    "policy,requests,ok,timeout,failed,cost,gpu_hours,e2e_mean_s,e2e_p50_s,e2e_p90_s,e2e_p99_s,"
    "ttft_mean_s,ttft_p99_s,tpot_mean_s,slo_attainment,scale_ups,scale_downs,peak_pods\n"
    "fast,4,3,1,0,2.500000,1.0,2.000000,2.0,3.0,3.900000,0.1,0.2,0.01,0.75,1,0,2\n"
    "\"all, lost\",2,0,1,1,0.100000,0.1,,,,,,,,0.000000,0,0,1\n";

static const char requests_csv[] =
    REQUESTS_HEADER "fast,1,1.0,10,10,d1,0,1.0,1.1,4.0,0.1,0.3,3.000000,ok,0\n"
                    "fast,0,0.5,10,10,d1,0,0.5,0.6,1.5,0.1,0.1,1.000000,ok,0\n"
                    "fast,2,2.0,10,10,d2,1,2.0,2.1,4.0,0.1,0.2,2.000000,ok,0\n"
                    "fast,3,3.0,10,10,,,,,123.0,,,,timeout,0\n"
                    "\"all, lost\",0,0.5,10,10,,,,,120.5,,,,timeout,0\n"
                    "\"all, lost\",1,1.0,10,10,d1,0,1.0,,50.0,,,,failed,0\n";

static const char timeseries_csv[] = TIMESERIES_HEADER
    "fast,0.000000,d1,0.000000,0.000000,1,0,1,0,0,0,0,0,0.000000,0.000000\n"
    "fast,0.000000,d2,0.000000,0.000000,1,1,0,0,0,0,0,0,0.000000,0.000000\n"
    "fast,10.000000,d1,0.400000,0.100000,1,0,0,1,1,0,0,0,0.000000,1.000000\n"
    "fast,10.000000,d2,0.400000,0.200000,1,0,0,2,0,0,0,0,0.000000,1.500000\n"
    "\"all, lost\",0.000000,d1,0.000000,0.000000,1,0,0,1,0,0,0,0,0.000000,0.000000\n";

static const char decisions_csv[] =
    "policy,time_s,deployment,autoscaler,current,ready,metric,value,stable,panic,panic_mode,"
    "recommendation,desired,reason\n"
    "fast,0.000000,d1,kpa/aibrix-legacy,1,0,vllm:deployment_replicas,100.000000,100,100,0,1,1,"
    "stable window\n"
    "fast,2.000000,d1,gpu-optimizer,1,,vllm:deployment_replicas,250.000000,,,,,1,\"optimize: 1 "
    "req/s, cost 1/h\"\n"
    "fast,10.000000,d1,kpa/aibrix-legacy,1,1,vllm:deployment_replicas,250.000000,250,250,0,3,3,"
    "stable window\n"
    "fast,10.000000,d2,fixed,1,1,,,,,,,1,fixed: hold\n"
    "fast,12.000000,d1,gpu-optimizer,3,,vllm:deployment_replicas,,,,,,3,no data\n"
    "\"all, lost\",0.000000,d1,fixed,1,1,,,,,,,1,fixed: hold\n";

static void write_run(const fx_dir *f) {
  write_file(f, "summary.csv", summary_csv);
  write_file(f, "requests.csv", requests_csv);
  write_file(f, "timeseries.csv", timeseries_csv);
  write_file(f, "decisions.csv", decisions_csv);
}

static void read_keeps_ok_e2e_sorted_and_sums_deployments(void **state) {
  fx_dir *f = *state;
  write_run(f);
  plot_run run;
  ps_err err = {{0}};
  if (!plot_read(f->dir, true, &run, &err)) {
    print_error("%s\n", err.msg);
    fail();
  }
  assert_int_equal(run.npolicies, 2);
  plot_policy *fast = &run.policies[0], *lost = &run.policies[1];
  assert_string_equal(fast->name, "fast");
  assert_string_equal(lost->name, "all, lost");

  /* summary.csv: failed = timeout + failed; an empty statistic is NAN */
  assert_int_equal(fast->failed, 1);
  assert_true(fast->cost == 2.5 && fast->e2e_mean_s == 2 && fast->e2e_p99_s == 3.9);
  assert_int_equal(lost->failed, 2);
  assert_true(isnan(lost->e2e_mean_s) && isnan(lost->e2e_p99_s));

  /* requests.csv: the ok rows only, sorted */
  assert_int_equal(fast->e2e_s.n, 3);
  assert_true(fast->e2e_s.v[0] == 1 && fast->e2e_s.v[1] == 2 && fast->e2e_s.v[2] == 3);
  assert_int_equal(lost->e2e_s.n, 0);

  /* timeseries.csv: one sample per time, pods of every state and deployment */
  assert_int_equal(fast->nsamples, 2);
  assert_int_equal(fast->samples[0].pods, 2);
  assert_int_equal(fast->samples[1].pods, 4);
  assert_true(fabs(fast->samples[1].completed_rps - 0.3) < 1e-12);
  assert_true(fast->samples[1].offered_rps == 0.4);
  assert_true(fast->samples[1].cost == 2.5);
  assert_int_equal(lost->nsamples, 1);

  /* decisions.csv: desired per deployment, optimizer value / 100, empty values skipped */
  assert_int_equal(fast->ntracks, 3);
  assert_string_equal(fast->tracks[0].deployment, "d1");
  assert_int_equal(fast->tracks[0].kind, PLOT_TRACK_DESIRED);
  assert_int_equal(fast->tracks[0].n, 2);
  assert_true(fast->tracks[0].y[0] == 1 && fast->tracks[0].y[1] == 3);
  assert_int_equal(fast->tracks[1].kind, PLOT_TRACK_OPTIMIZER);
  assert_int_equal(fast->tracks[1].n, 1);
  assert_true(fast->tracks[1].t_s[0] == 2 && fast->tracks[1].y[0] == 2.5);
  assert_string_equal(fast->tracks[2].deployment, "d2");
  assert_int_equal(lost->ntracks, 1);
  plot_run_free(&run);
}

static void read_without_timeline_ignores_decisions(void **state) {
  fx_dir *f = *state;
  write_run(f);
  write_file(f, "decisions.csv", "not,a,decisions,file\n");
  plot_run run;
  assert_true(plot_read(f->dir, false, &run, NULL));
  assert_int_equal(run.policies[0].ntracks, 0);
  plot_run_free(&run);
}

/* plot_read fails with a message that contains want. */
static void assert_read_fails(fx_dir *f, const char *want) {
  plot_run run;
  ps_err err = {{0}};
  if (plot_read(f->dir, true, &run, &err)) {
    plot_run_free(&run);
    print_error("expected plot_read to fail with \"%s\"\n", want);
    fail();
  }
  assert_contains(err.msg, want);
}

static void read_rejects_a_policy_not_in_summary_naming_file_and_line(void **state) {
  fx_dir *f = *state;
  write_run(f);
  write_file(f, "timeseries.csv",
             TIMESERIES_HEADER "fast,0.000000,d1,0,0,1,0,1,0,0,0,0,0,0,0\n"
                               "slow,0.000000,d1,0,0,1,0,1,0,0,0,0,0,0,0\n");
  char want[256];
  snprintf(want, sizeof want,
           "%s/timeseries.csv:3: policy: expected a policy of %s/summary.csv, "
           "found 'slow'",
           f->dir, f->dir);
  assert_read_fails(f, want);
}

static void read_rejects_a_bad_number_naming_file_line_and_column(void **state) {
  fx_dir *f = *state;
  write_run(f);
  write_file(f, "requests.csv",
             REQUESTS_HEADER "fast,1,1.0,10,10,d1,0,1.0,1.1,4.0,0.1,0.3,3.000000,ok,0\n"
                             "fast,0,0.5,10,10,d1,0,0.5,0.6,1.5,0.1,0.1,1.5s,ok,0\n");
  char want[256];
  snprintf(want, sizeof want, "%s/requests.csv:3: e2e_s: expected a number, found '1.5s'", f->dir);
  assert_read_fails(f, want);
}

static void read_rejects_a_short_row(void **state) {
  fx_dir *f = *state;
  write_run(f);
  write_file(f, "summary.csv",
             "policy,timeout,failed,cost,e2e_mean_s,e2e_p99_s\nfast,0,0,1,2,3\nshort,0\n");
  char want[256];
  snprintf(want, sizeof want, "%s/summary.csv:3: expected 6 fields as in the header, found 2",
           f->dir);
  assert_read_fails(f, want);
}

static void read_rejects_a_missing_column(void **state) {
  fx_dir *f = *state;
  write_run(f);
  write_file(f, "summary.csv", "policy,timeout,failed,e2e_mean_s,e2e_p99_s\nfast,0,0,2,3\n");
  assert_read_fails(f, "summary.csv:1: expected a header with a column 'cost'");
}

static void read_rejects_an_unbalanced_quote(void **state) {
  fx_dir *f = *state;
  write_run(f);
  write_file(f, "requests.csv",
             REQUESTS_HEADER "fast,1,1.0,10,10,d1,0,1.0,1.1,4.0,0.1,0.3,3.000000,ok,\"0\n"
                             "fast,0,0.5,10,10,d1,0,0.5,0.6,1.5,0.1,0.1,1.0,ok,0\n");
  assert_read_fails(f, "requests.csv:2: expected one row per line, found a quoted field over 2 "
                       "lines");
}

static void read_rejects_a_missing_file_and_directory(void **state) {
  fx_dir *f = *state;
  write_run(f);
  char path[256];
  snprintf(path, sizeof path, "%s/requests.csv", f->dir);
  assert_int_equal(unlink(path), 0);
  assert_read_fails(f, "requests.csv: cannot open: No such file or directory");
  plot_run run;
  ps_err err;
  snprintf(path, sizeof path, "%s/nowhere", f->dir);
  assert_false(plot_read(path, false, &run, &err));
  assert_contains(err.msg, "nowhere: expected a podscale run output directory");
}

static void read_rejects_an_empty_summary(void **state) {
  fx_dir *f = *state;
  write_run(f);
  write_file(f, "summary.csv", "policy,timeout,failed,cost,e2e_mean_s,e2e_p99_s\n");
  assert_read_fails(f, "summary.csv:2: expected one row per policy, found none");
}

/* ---- names and files ---- */

static void format_is_chosen_by_the_extension(void **state) {
  (void)state;
  plot_format fmt;
  assert_true(plot_format_of("out/x.png", &fmt) && fmt == PLOT_PNG);
  assert_true(plot_format_of("X.SVG", &fmt) && fmt == PLOT_SVG);
  assert_true(plot_format_of("a.b/c.svg", &fmt) && fmt == PLOT_SVG);
  assert_false(plot_format_of("x.pdf", &fmt));
  assert_false(plot_format_of("png", &fmt));
  assert_false(plot_format_of("dir/.png", &fmt));
  assert_false(plot_format_of("x.png/y", &fmt));
}

/* An optimizer value far above the replicas (unservable traffic, charged as AIBrix does) is cut
 * at twice the highest replica count, and the subplot says so; a modest one sets the scale. */
static void timeline_cuts_optimizer_values_far_above_the_replicas(void **state) {
  fx_dir *f = *state;
  write_file(f, "summary.csv", summary_csv);
  write_file(f, "requests.csv", requests_csv);
  write_file(f, "timeseries.csv", timeseries_csv);
  for (int huge = 0; huge <= 1; huge++) {
    char csv[2048];
    snprintf(csv, sizeof csv,
             "policy,time_s,deployment,autoscaler,current,ready,metric,value,stable,panic,"
             "panic_mode,recommendation,desired,reason\n"
             "fast,0.000000,d1,kpa/aibrix-legacy,1,1,vllm:deployment_replicas,100,100,100,0,1,3,"
             "stable window\n"
             "fast,2.000000,d1,gpu-optimizer,1,,vllm:deployment_replicas,%s,,,,,1,\"optimize\"\n",
             huge ? "44321700" : "500");
    write_file(f, "decisions.csv", csv);
    plot_run run;
    assert_true(plot_read(f->dir, true, &run, NULL));
    char *text = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&text, &len);
    plot_script_timeline(fp, &run, PLOT_PNG, "t", "t.png");
    fclose(fp);
    plot_run_free(&run);
    if (huge) {
      assert_contains(text, "set yrange [0:7]\n"); /* twice the 3 replicas, plus 1 */
      assert_contains(text, "optimizer GPUs above 7 cut (up to 443217: unservable traffic)");
    } else {
      assert_contains(text, "set yrange [0:6]\n"); /* the optimizer's 5 GPUs, plus 1 */
      assert_null(strstr(text, " cut "));
    }
    free(text);
  }
}

static void write_figure_keeps_script_and_data_and_no_temporary_file(void **state) {
  fx_dir *f = *state;
  write_run(f);
  plot_run run;
  assert_true(plot_read(f->dir, true, &run, NULL));
  char image[256], timage[256], script[256], tscript[256];
  snprintf(image, sizeof image, "%s/new/fig.svg", f->dir);
  snprintf(timage, sizeof timage, "%s/new/fig-timeline.svg", f->dir);
  ps_err err = {{0}};
  assert_true(plot_write_figure(&run, image, script, sizeof script, &err));
  assert_true(plot_write_timeline(&run, timage, tscript, sizeof tscript, &err));
  plot_run_free(&run);

  char want[256];
  snprintf(want, sizeof want, "%s/new/fig.gp", f->dir);
  assert_string_equal(script, want);
  snprintf(want, sizeof want, "%s/new/fig-timeline.gp", f->dir);
  assert_string_equal(tscript, want);
  static const char *const files[] = {"fig.gp",       "fig-cdf.dat",     "fig-series.dat",
                                      "fig-bars.dat", "fig-timeline.gp", "fig-timeline.dat"};
  size_t nfiles = 0;
  snprintf(want, sizeof want, "%s/new", f->dir);
  DIR *d = opendir(want);
  assert_non_null(d);
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    bool known = false;
    for (size_t k = 0; k < sizeof files / sizeof *files; k++)
      known = known || !strcmp(e->d_name, files[k]);
    if (!known) {
      print_error("unexpected file %s\n", e->d_name);
      fail();
    }
    nfiles++;
  }
  closedir(d);
  assert_int_equal(nfiles, sizeof files / sizeof *files);

  char *gp = tu_slurp(script, NULL);
  assert_non_null(gp);
  assert_contains(gp, "set terminal svg");
  assert_contains(gp, "here.'fig-cdf.dat'");
  assert_contains(gp, "title 'fast'");
  assert_contains(gp, "title 'all, lost'");
  assert_contains(gp, "no ok requests: all, lost");
  assert_contains(gp, "out = here.'fig.svg'");
  free(gp);
  snprintf(want, sizeof want, "%s/new/fig-cdf.dat", f->dir);
  char *cdf = tu_slurp(want, NULL);
  assert_non_null(cdf);
  assert_contains(cdf, "# index 0: policy fast, 3 ok requests\n1.000000 0.333333\n");
  assert_contains(cdf, "# index 1: policy all, lost, 0 ok requests\n? ?\n");
  free(cdf);
  snprintf(want, sizeof want, "%s/new/fig-timeline.dat", f->dir);
  char *tl = tu_slurp(want, NULL);
  assert_non_null(tl);
  assert_contains(tl, "deployment d1, optimizer value / 100\n2.000000 2.500000\n");
  free(tl);
}

/* ---- podscale plot, end to end ---- */

/* podscale with args (NULL-terminated); the exit status must be want. */
#define assert_podscale(f, env, want, ...)                                                         \
  do {                                                                                             \
    int rc_ = fx_dir_run((f), (const char *const[]){fx_podscale(), __VA_ARGS__, NULL}, (env));     \
    if (rc_ != (want)) {                                                                           \
      print_error("exit status %d, expected %d; stderr:\n%s\n", rc_, (want), (f)->stderr_text);    \
      fail();                                                                                      \
    }                                                                                              \
  } while (0)

/* DIR/run: the outputs of scenarios/aibrix-v100.json (four policies). */
static void run_aibrix_v100(fx_dir *f, char *out, size_t n) {
  snprintf(out, n, "%s/run", f->dir);
  assert_podscale(f, NULL, 0, "run", PODSCALE_SOURCE_DIR "/scenarios/aibrix-v100.json", "-o", out,
                  "-q");
}

/* Every policy name of DIR/summary.csv must be in text. */
static void assert_names_every_policy(const char *dir, const char *text) {
  char path[256];
  snprintf(path, sizeof path, "%s/summary.csv", dir);
  char *summary = tu_slurp(path, NULL);
  assert_non_null(summary);
  int policies = 0;
  for (char *line = strchr(summary, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
    char name[128];
    size_t len = strcspn(line + 1, ",");
    assert_true(len > 0 && len < sizeof name);
    memcpy(name, line + 1, len);
    name[len] = '\0';
    assert_contains(text, name);
    policies++;
  }
  assert_int_equal(policies, 4);
  free(summary);
}

static unsigned long be32(const unsigned char *p) {
  return (unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 | (unsigned long)p[2] << 8 | p[3];
}

/* A PNG of at least 800x600 pixels and 20 KB. */
static void assert_png(const char *path) {
  size_t len;
  char *png = tu_slurp(path, &len);
  if (!png) {
    print_error("%s: no such file\n", path);
    fail();
  }
  const unsigned char *b = (const unsigned char *)png;
  assert_true(len > 20 * 1024);
  assert_memory_equal(b, "\x89PNG\r\n\x1a\n", 8);
  assert_memory_equal(b + 12, "IHDR", 4);
  assert_true(be32(b + 16) >= 800);
  assert_true(be32(b + 20) >= 600);
  free(png);
}

static void skip_without_gnuplot(void) {
  if (!plot_have_gnuplot()) {
    print_message("gnuplot is not on PATH: skipped (sudo apt-get install gnuplot-nox)\n");
    skip();
  }
}

static void png_of_aibrix_v100_names_every_policy(void **state) {
  skip_without_gnuplot();
  fx_dir *f = *state;
  char dir[256], path[300];
  run_aibrix_v100(f, dir, sizeof dir);
  assert_podscale(f, NULL, 0, "plot", dir, "--timeline");
  assert_string_equal(f->stderr_text, ""); /* gnuplot had nothing to warn about */
  snprintf(path, sizeof path, "%s/plot.png", dir);
  assert_contains(f->stdout_text, path);
  assert_png(path);
  snprintf(path, sizeof path, "%s/plot-timeline.png", dir);
  assert_png(path);
  snprintf(path, sizeof path, "%s/plot.gp", dir);
  char *gp = tu_slurp(path, NULL);
  assert_non_null(gp);
  assert_contains(gp, "set terminal pngcairo");
  assert_names_every_policy(dir, gp);
  free(gp);
  snprintf(path, sizeof path, "%s/plot-timeline.gp", dir);
  gp = tu_slurp(path, NULL);
  assert_non_null(gp);
  assert_names_every_policy(dir, gp);
  free(gp);

  /* The kept script draws again from another directory, without podscale. */
  snprintf(path, sizeof path, "%s/plot.png", dir);
  assert_int_equal(unlink(path), 0);
  char script[300];
  snprintf(script, sizeof script, "%s/plot.gp", dir);
  assert_int_equal(fx_dir_run(f, (const char *const[]){"gnuplot", script, NULL}, NULL), 0);
  assert_string_equal(f->stderr_text, "");
  assert_png(path);
}

static void svg_of_aibrix_v100_names_every_policy(void **state) {
  skip_without_gnuplot();
  fx_dir *f = *state;
  char dir[256], path[300];
  run_aibrix_v100(f, dir, sizeof dir);
  snprintf(path, sizeof path, "%s/figs/cmp.svg", f->dir);
  assert_podscale(f, NULL, 0, "plot", dir, "-o", path);
  size_t len;
  char *svg = tu_slurp(path, &len);
  assert_non_null(svg);
  assert_true(!strncmp(svg, "<?xml", 5) || !strncmp(svg, "<svg", 4));
  assert_contains(svg, "</svg>");
  assert_true(len > 20 * 1024);
  assert_names_every_policy(dir, svg);
  free(svg);
  snprintf(path, sizeof path, "%s/figs/cmp.gp", f->dir);
  assert_true(exists(path));
  snprintf(path, sizeof path, "%s/figs/cmp-timeline.svg", f->dir);
  assert_false(exists(path)); /* only with --timeline */
  /* --title replaces the default title, which names the directory */
  snprintf(path, sizeof path, "%s/figs/titled.svg", f->dir);
  assert_podscale(f, NULL, 0, "plot", dir, "-o", path, "--title", "Targets at 70 %");
  svg = tu_slurp(path, &len);
  assert_non_null(svg);
  assert_contains(svg, "Targets at 70 %");
  assert_null(strstr(svg, "podscale run"));
  free(svg);
}

static void missing_gnuplot_exits_1_with_the_install_hint_and_keeps_the_script(void **state) {
  fx_dir *f = *state;
  char dir[256], empty[256], path_env[300], path[300];
  write_run(f);
  snprintf(dir, sizeof dir, "%s", f->dir);
  snprintf(empty, sizeof empty, "%s/empty", f->dir);
  assert_int_equal(mkdir(empty, 0755), 0);
  snprintf(path_env, sizeof path_env, "PATH=%s", empty);
  char *env[] = {path_env, NULL};
  snprintf(path, sizeof path, "%s/plot.png", dir);
  write_file(f, "plot.png", "an image of an earlier run");
  assert_podscale(f, env, 1, "plot", dir, "--timeline");
  assert_contains(f->stderr_text, "podscale: plot: gnuplot is not installed; install it with: "
                                  "sudo apt-get install gnuplot-nox\n");
  assert_contains(f->stderr_text, "plot.gp");
  assert_contains(f->stderr_text, "plot-timeline.gp");
  assert_false(exists(path)); /* no image that looks finished */
  snprintf(path, sizeof path, "%s/plot.gp", dir);
  assert_true(exists(path));
  snprintf(path, sizeof path, "%s/plot-timeline.gp", dir);
  assert_true(exists(path));
}

static void bad_input_exits_2_naming_the_file_and_line(void **state) {
  fx_dir *f = *state;
  char dir[256], msg[512];
  snprintf(dir, sizeof dir, "%s/none", f->dir);
  assert_podscale(f, NULL, 2, "plot", dir);
  assert_contains(f->stderr_text, "none: expected a podscale run output directory");

  write_run(f);
  write_file(f, "timeseries.csv",
             TIMESERIES_HEADER "fast,0.000000,d1,0,0,1,0,1,0,0,0,0,0,0,0\n"
                               "fast,10.000000,d1,0,0,1,-1,1,0,0,0,0,0,0,0\n");
  assert_podscale(f, NULL, 2, "plot", f->dir);
  snprintf(msg, sizeof msg,
           "podscale: plot: %s/timeseries.csv:3: pending: expected a whole number of at least 0, "
           "found '-1'\n",
           f->dir);
  assert_string_equal(f->stderr_text, msg);
  snprintf(msg, sizeof msg, "%s/plot.gp", f->dir);
  assert_false(exists(msg)); /* nothing is written for bad input */

  assert_podscale(f, NULL, 2, "plot", f->dir, "-o", "fig.jpg");
  assert_contains(f->stderr_text, "expected an image name ending in .png or .svg, found "
                                  "'fig.jpg'");
  assert_podscale(f, NULL, 2, "plot");
  assert_contains(f->stderr_text, "Try 'podscale plot --help'.");
  assert_podscale(f, NULL, 0, "plot", "--help");
  assert_contains(f->stdout_text, "usage: podscale plot DIR");
}

/* DIR/set: measured runs of "fast" (latencies 0.5, 1, 2; pods 3 then 5) and of "gone", a policy
 * the run does not have. */
static void write_measured_set(const fx_dir *f, char *set, size_t n) {
  snprintf(set, n, "%s/set", f->dir);
  char path[400];
  assert_int_equal(mkdir(set, 0755), 0);
  tu_write(set, "runs.csv", "policy,sent,completed\nfast,4,3\ngone,1,0\n", path, sizeof path);
  const char *pods = "t_s,running,pending,init\n0,3,0,0\n12,3,1,1\n";
  assert_int_equal(
      tu_write_measured_policy(set, "fast",
                               "batch,send_s,latency_s,output_tokens\n0,0,2,5\n1,1,0.5,"
                               "1\n2,2,1,3\n",
                               pods),
      0);
  assert_int_equal(
      tu_write_measured_policy(set, "gone", "batch,send_s,latency_s,output_tokens\n", pods), 0);
}

static void measured_runs_are_drawn_under_the_run(void **state) {
  skip_without_gnuplot();
  fx_dir *f = *state;
  char set[256], path[300];
  write_run(f);
  write_measured_set(f, set, sizeof set);
  assert_podscale(f, NULL, 0, "plot", f->dir, "--measured", set);
  assert_contains(f->stderr_text, "podscale: plot: measured policy 'gone' is not in ");
  snprintf(path, sizeof path, "%s/plot.png", f->dir);
  assert_png(path);
  snprintf(path, sizeof path, "%s/plot.gp", f->dir);
  char *gp = tu_slurp(path, NULL);
  assert_non_null(gp);
  assert_contains(gp, " vs measured ");
  assert_contains(gp, "'measured (wide, pale)'");
  /* blocks 2 (the refs of policy 0) in (a) and (c), under the run's own, in its colour */
  assert_contains(gp, "cdf index 2 using 1:2 with lines lc rgb '#881f77b4' lw 7");
  assert_contains(gp, "series index 2 using ($1/tunit):4 with steps lc rgb '#881f77b4'");
  assert_null(strstr(gp, "index 3 using")); /* "all, lost" has no measured run */
  free(gp);
  snprintf(path, sizeof path, "%s/plot-cdf.dat", f->dir);
  char *cdf = tu_slurp(path, NULL);
  assert_contains(cdf, "# index 2: policy fast, measured in ");
  assert_contains(cdf, "3 completed requests\n0.500000 0.333333\n1.000000 0.666667\n"
                       "2.000000 1.000000\n");
  free(cdf);
  snprintf(path, sizeof path, "%s/plot-series.dat", f->dir);
  char *series = tu_slurp(path, NULL);
  assert_contains(series, "0.000000 ? ? 3 ?\n12.000000 ? ? 5 ?\n");
  free(series);
}

static void bad_measured_runs_exit_2_and_write_nothing(void **state) {
  fx_dir *f = *state;
  char set[256], path[400], msg[600];
  write_run(f);
  write_measured_set(f, set, sizeof set);
  tu_write(set, "runs.csv", "policy,sent,completed,region\nfast,4,3,eu\n", path, sizeof path);
  assert_podscale(f, NULL, 2, "plot", f->dir, "--measured", set);
  snprintf(msg, sizeof msg,
           "podscale: plot: %s/runs.csv:1: expected only the columns policy,sent,completed (any "
           "order), found 'region'\n",
           set);
  assert_string_equal(f->stderr_text, msg);
  snprintf(path, sizeof path, "%s/plot.gp", f->dir);
  assert_false(exists(path));
}

int main(void) {
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_dir_setup, fx_dir_teardown)
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(cdf_keeps_every_value_when_there_are_few),
      cmocka_unit_test(cdf_of_no_values_has_no_point),
      cmocka_unit_test(cdf_of_a_million_values_is_2000_quantiles_with_min_and_max),
      cmocka_unit_test(cdf_one_more_value_than_points),
      cmocka_unit_test(samples_of_one_time_sum_deployments_but_not_offered_load),
      T(read_keeps_ok_e2e_sorted_and_sums_deployments),
      T(read_without_timeline_ignores_decisions),
      T(timeline_cuts_optimizer_values_far_above_the_replicas),
      T(read_rejects_a_policy_not_in_summary_naming_file_and_line),
      T(read_rejects_a_bad_number_naming_file_line_and_column),
      T(read_rejects_a_short_row),
      T(read_rejects_a_missing_column),
      T(read_rejects_an_unbalanced_quote),
      T(read_rejects_a_missing_file_and_directory),
      T(read_rejects_an_empty_summary),
      cmocka_unit_test(format_is_chosen_by_the_extension),
      T(write_figure_keeps_script_and_data_and_no_temporary_file),
      T(png_of_aibrix_v100_names_every_policy),
      T(svg_of_aibrix_v100_names_every_policy),
      T(missing_gnuplot_exits_1_with_the_install_hint_and_keeps_the_script),
      T(bad_input_exits_2_naming_the_file_and_line),
      T(measured_runs_are_drawn_under_the_run),
      T(bad_measured_runs_exit_2_and_write_nothing),
  };
#undef T
  return cmocka_run_group_tests(tests, NULL, NULL);
}
