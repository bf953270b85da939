/*
 * libFuzzer target: the files of a run directory and of a measured set, as `podscale compare`
 * and `podscale plot` read them, must never crash their readers. The first byte chooses what
 * the rest is, its parts split at NUL bytes:
 *   0: a summary.csv (analysis/compare.h cmp_summary_read), set beside itself in a table;
 *   1: summary.csv, requests.csv, timeseries.csv and decisions.csv of a run directory
 *      (analysis/measured.h meas_read_run, analysis/plot.h plot_read);
 *   2: runs.csv, and requests.csv and pods.csv of the policy "a" of a measured set
 *      (analysis/measured.h meas_read).
 */
#include "analysis/compare.h"
#include "analysis/measured.h"
#include "analysis/plot.h"
#include "fuzz_util.h"

static void summary(const uint8_t *data, size_t size) {
  cmp_summary s;
  ps_err err;
  if (!cmp_summary_read(fz_put("summary.csv", data, size), &s, &err)) return;
  const cmp_summary runs[2] = {s, s};
  const char *metrics[4];
  size_t n = 0;
  for (size_t i = 0; i < s.ncolumns && n < 4; i++)
    if (i != s.policy_col) metrics[n++] = s.columns[i];
  cmp_table t;
  if (cmp_table_make(runs, 2, metrics, n, &t, &err)) {
    size_t ndrifts;
    free(cmp_table_drifts(&t, 0.05, &ndrifts));
    cmp_table_free(&t);
  }
  cmp_summary_free(&s);
}

static void run_dir(const uint8_t *data, size_t size) {
  static const char *const names[] = {"run/summary.csv", "run/requests.csv", "run/timeseries.csv",
                                      "run/decisions.csv"};
  fz_put_parts(data, size, names, 4);
  meas_set m;
  ps_err err;
  if (meas_read_run(fz_path("run"), &m, &err)) meas_set_free(&m);
  plot_run p;
  if (plot_read(fz_path("run"), true, &p, &err)) plot_run_free(&p);
}

static void measured_set(const uint8_t *data, size_t size) {
  static const char *const names[] = {"set/runs.csv", "set/a/requests.csv", "set/a/pods.csv"};
  fz_put_parts(data, size, names, 3);
  meas_set m;
  ps_err err;
  if (meas_read(fz_path("set"), &m, &err)) {
    meas_cmp c;
    meas_compare(&m.policies[0], &m.policies[m.npolicies - 1], &c);
    meas_set_free(&m);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  switch (data[0] % 3) {
  case 0: summary(data + 1, size - 1); break;
  case 1: run_dir(data + 1, size - 1); break;
  case 2: measured_set(data + 1, size - 1); break;
  }
  return 0;
}
