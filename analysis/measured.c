#include "analysis/measured.h"

#include <assert.h>
#include <errno.h>
#include <gsl/gsl_sort.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "analysis/compare.h"
#include "analysis/csvr.h"
#include "analysis/plot.h"
#include "base/xalloc.h"

const char *const meas_metric_names[MEAS_NMETRICS] = {
    "sent",    "completed", "failed",    "e2e_mean",  "e2e_p50",
    "e2e_p90", "e2e_p99",   "pod_hours", "pods_mean", "pods_mae",
};

static char *path_join(const char *dir, const char *name) {
  size_t len = strlen(dir), n = len + strlen(name) + 2;
  char *s = xmalloc(n);
  snprintf(s, n, "%s%s%s", dir, len && dir[len - 1] == '/' ? "" : "/", name);
  return s;
}

/* ---- series ---- */

void meas_series_add(meas_series *s, double t_s, long pods) {
  assert(s->n == 0 || t_s >= s->t_s[s->n - 1]);
  if (s->n == s->cap) {
    s->cap = s->cap ? 2 * s->cap : 256;
    s->t_s = xrealloc(s->t_s, s->cap * sizeof *s->t_s);
    s->pods = xrealloc(s->pods, s->cap * sizeof *s->pods);
  }
  s->t_s[s->n] = t_s;
  s->pods[s->n++] = pods;
}

void meas_series_free(meas_series *s) {
  free(s->t_s);
  free(s->pods);
  *s = (meas_series){0};
}

double meas_series_integral(const meas_series *s, double t0_s, double t1_s) {
  double sum = 0;
  for (size_t i = 0; i + 1 < s->n; i++) {
    double a = fmax(s->t_s[i], t0_s), b = fmin(s->t_s[i + 1], t1_s);
    if (b > a) sum += (double)s->pods[i] * (b - a);
  }
  return sum;
}

/* The step function's value at t (the last sample at or before t); t within its samples. */
static long series_at(const meas_series *s, double t, size_t *hint) {
  while (*hint + 1 < s->n && s->t_s[*hint + 1] <= t)
    ++*hint;
  return s->pods[*hint];
}

/* Integral of |a(t) - b(t)| over [t0, t1], pod-seconds: both are constant between the union of
 * their sample times. */
static double series_abs_diff(const meas_series *a, const meas_series *b, double t0, double t1) {
  size_t ja = 0, jb = 0, hint_a = 0, hint_b = 0;
  while (ja < a->n && a->t_s[ja] <= t0)
    ja++;
  while (jb < b->n && b->t_s[jb] <= t0)
    jb++;
  double sum = 0, t = t0;
  while (t < t1) {
    double next_a = ja < a->n ? a->t_s[ja] : t1, next_b = jb < b->n ? b->t_s[jb] : t1;
    double next = fmin(fmin(next_a, next_b), t1);
    sum += fabs((double)(series_at(a, t, &hint_a) - series_at(b, t, &hint_b))) * (next - t);
    if (next == next_a) ja++;
    if (next == next_b) jb++;
    t = next;
  }
  return sum;
}

/* ---- strict CSV files of the measured-run format ---- */

enum { MAX_COLS = 4 };

/* A file whose header must be exactly the columns cols, in any order. */
typedef struct strict {
  const char *path;        /* the file, for messages */
  const char *const *cols; /* expected column names, NULL-terminated */
  size_t ncols;            /* entries of cols */
  size_t field[MAX_COLS];  /* index in a row of each expected column */
  bool header_seen;        /* the header has been read */
  long rows;               /* data rows read */
} strict;

static bool strict_header(strict *s, long line, char **f, size_t n, ps_err *err) {
  bool seen[MAX_COLS] = {false};
  for (size_t i = 0; i < n; i++) {
    size_t c = 0;
    while (c < s->ncols && strcmp(f[i], s->cols[c]) != 0)
      c++;
    if (c == s->ncols)
      return ps_fail(err, "%s:%ld: expected only the columns %s,%s,%s%s%s (any order), found '%s'",
                     s->path, line, s->cols[0], s->cols[1], s->cols[2], s->ncols > 3 ? "," : "",
                     s->ncols > 3 ? s->cols[3] : "", f[i]);
    if (seen[c])
      return ps_fail(err, "%s:%ld: expected each column once, found '%s' twice", s->path, line,
                     f[i]);
    seen[c] = true;
    s->field[c] = i;
  }
  for (size_t c = 0; c < s->ncols; c++)
    if (!seen[c])
      return ps_fail(err, "%s:%ld: expected a column '%s', found none", s->path, line, s->cols[c]);
  s->header_seen = true;
  return true;
}

/* Take one row: the header (*data false) or a data row of the header's width. */
static bool strict_take(strict *s, long line, char **f, size_t n, bool *data, ps_err *err) {
  *data = s->header_seen;
  if (!s->header_seen) return strict_header(s, line, f, n, err);
  if (n != s->ncols)
    return ps_fail(err, "%s:%ld: expected %zu fields as in the header, found %zu", s->path, line,
                   s->ncols, n);
  s->rows++;
  return true;
}

static const char *strict_field(const strict *s, char **f, size_t c) { return f[s->field[c]]; }

static bool strict_count(const strict *s, long line, char **f, size_t c, long *out, ps_err *err) {
  if (csvr_long(strict_field(s, f, c), out) && *out >= 0) return true;
  return ps_fail(err, "%s:%ld: %s: expected a whole number of at least 0, found '%s'", s->path,
                 line, s->cols[c], strict_field(s, f, c));
}

static bool strict_real(const strict *s, long line, char **f, size_t c, double *out, ps_err *err) {
  if (csvr_double(strict_field(s, f, c), out) && *out >= 0) return true;
  return ps_fail(err, "%s:%ld: %s: expected a number of at least 0, found '%s'", s->path, line,
                 s->cols[c], strict_field(s, f, c));
}

/* Read a whole file; a file without a header, or (when rows are needed) without rows, fails. */
static bool strict_read(strict *s, csvr_row_fn fn, void *ctx, bool need_rows, ps_err *err) {
  while (s->cols[s->ncols])
    s->ncols++;
  assert(s->ncols <= MAX_COLS && s->ncols >= 3);
  if (!csvr_read(s->path, fn, ctx, err)) return false;
  if (!s->header_seen)
    return ps_fail(err, "%s:1: expected a header line, found an empty file", s->path);
  if (need_rows && s->rows == 0)
    return ps_fail(err, "%s:2: expected at least one row, found none", s->path);
  return true;
}

/* ---- the measured set ---- */

typedef struct runs_reader {
  strict s;
  meas_set *set;
  long *lines; /* line of each policy's row in runs.csv */
} runs_reader;

static const char *const runs_cols[] = {"policy", "sent", "completed", NULL};
enum { RUN_POLICY, RUN_SENT, RUN_COMPLETED };

/* A policy name is also a directory name: one path component. */
static bool valid_policy_name(const char *name) {
  return *name && !strchr(name, '/') && strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

static bool on_run(void *ctx, long line, char **f, size_t n, ps_err *err) {
  runs_reader *r = ctx;
  bool data;
  if (!strict_take(&r->s, line, f, n, &data, err)) return false;
  if (!data) return true;
  const char *name = strict_field(&r->s, f, RUN_POLICY);
  if (!valid_policy_name(name))
    return ps_fail(err, "%s:%ld: policy: expected a directory name (not empty, no '/'), found '%s'",
                   r->s.path, line, name);
  long dup = meas_policy_index(r->set, name);
  if (dup >= 0)
    return ps_fail(err, "%s:%ld: policy: expected each policy once, found '%s' again (line %ld)",
                   r->s.path, line, name, r->lines[dup]);
  meas_policy p = {.e2e_mean_s = NAN, .e2e_p50_s = NAN, .e2e_p90_s = NAN, .e2e_p99_s = NAN};
  if (!strict_count(&r->s, line, f, RUN_SENT, &p.sent, err) ||
      !strict_count(&r->s, line, f, RUN_COMPLETED, &p.completed, err))
    return false;
  if (p.completed > p.sent)
    return ps_fail(err, "%s:%ld: completed: expected at most sent (%ld), found %ld", r->s.path,
                   line, p.sent, p.completed);
  p.failed = p.sent - p.completed;
  p.name = xstrdup(name);
  meas_set *set = r->set;
  set->policies = xrealloc(set->policies, (set->npolicies + 1) * sizeof *set->policies);
  r->lines = xrealloc(r->lines, (set->npolicies + 1) * sizeof *r->lines);
  r->lines[set->npolicies] = line;
  set->policies[set->npolicies++] = p;
  return true;
}

typedef struct policy_reader {
  strict s;
  meas_policy *p;
} policy_reader;

static const char *const requests_cols[] = {"batch", "send_s", "latency_s", "output_tokens", NULL};
enum { REQ_BATCH, REQ_SEND, REQ_LATENCY, REQ_TOKENS };

static bool on_request(void *ctx, long line, char **f, size_t n, ps_err *err) {
  policy_reader *r = ctx;
  bool data;
  if (!strict_take(&r->s, line, f, n, &data, err)) return false;
  if (!data) return true;
  long batch, tokens;
  double send_s, latency_s;
  if (!strict_count(&r->s, line, f, REQ_BATCH, &batch, err) ||
      !strict_real(&r->s, line, f, REQ_SEND, &send_s, err) ||
      !strict_real(&r->s, line, f, REQ_LATENCY, &latency_s, err) ||
      !strict_count(&r->s, line, f, REQ_TOKENS, &tokens, err))
    return false;
  sample_add(&r->p->e2e_s, latency_s);
  return true;
}

static const char *const pods_cols[] = {"t_s", "running", "pending", "init", NULL};
enum { POD_T, POD_RUNNING, POD_PENDING, POD_INIT };

static bool on_pods(void *ctx, long line, char **f, size_t n, ps_err *err) {
  policy_reader *r = ctx;
  bool data;
  if (!strict_take(&r->s, line, f, n, &data, err)) return false;
  if (!data) return true;
  double t_s;
  long count[3];
  if (!strict_real(&r->s, line, f, POD_T, &t_s, err)) return false;
  for (size_t c = POD_RUNNING; c <= POD_INIT; c++)
    if (!strict_count(&r->s, line, f, c, &count[c - POD_RUNNING], err)) return false;
  meas_series *s = &r->p->pods;
  if (s->n && t_s < s->t_s[s->n - 1])
    return ps_fail(err, "%s:%ld: t_s: expected at least %g (rows in time order), found '%s'",
                   r->s.path, line, s->t_s[s->n - 1], strict_field(&r->s, f, POD_T));
  meas_series_add(s, t_s, count[0] + count[1] + count[2]);
  return true;
}

/* The latency statistics of summary.csv (sim/run/run.c), from the sorted latencies. */
static void latency_stats(meas_policy *p) {
  sample *e = &p->e2e_s;
  p->e2e_mean_s = sample_mean(e);
  p->e2e_p50_s = sample_quantile(e, 0.50);
  p->e2e_p90_s = sample_quantile(e, 0.90);
  p->e2e_p99_s = sample_quantile(e, 0.99);
  if (e->n) gsl_sort(e->v, 1, e->n);
}

static bool read_policy(const char *dir, meas_policy *p, long runs_line, ps_err *err) {
  char *pdir = path_join(dir, p->name);
  char *req = path_join(pdir, "requests.csv"), *pods = path_join(pdir, "pods.csv");
  char *runs = path_join(dir, "runs.csv");
  policy_reader rq = {.s = {.path = req, .cols = requests_cols}, .p = p};
  policy_reader pd = {.s = {.path = pods, .cols = pods_cols}, .p = p};
  struct stat st;
  bool ok = true;
  if (stat(pdir, &st) != 0)
    ok = ps_fail(err, "%s:%ld: policy: expected a directory %s, found %s", runs, runs_line, pdir,
                 errno == ENOENT ? "none" : strerror(errno));
  else if (!S_ISDIR(st.st_mode))
    ok = ps_fail(err, "%s:%ld: policy: expected a directory %s, found a file", runs, runs_line,
                 pdir);
  ok = ok && strict_read(&rq.s, on_request, &rq, false, err);
  if (ok && rq.s.rows != p->completed)
    ok = ps_fail(err, "%s: expected %ld rows, the completed requests of %s:%ld, found %ld", req,
                 p->completed, runs, runs_line, rq.s.rows);
  ok = ok && strict_read(&pd.s, on_pods, &pd, true, err);
  if (ok) {
    latency_stats(p);
    p->pod_hours =
        meas_series_integral(&p->pods, p->pods.t_s[0], p->pods.t_s[p->pods.n - 1]) / 3600;
  }
  free(runs);
  free(req);
  free(pods);
  free(pdir);
  return ok;
}

static bool check_dir(const char *dir, const char *what, ps_err *err) {
  struct stat st;
  if (stat(dir, &st) != 0)
    return ps_fail(err, "%s: expected %s, found %s", dir, what, strerror(errno));
  if (!S_ISDIR(st.st_mode)) return ps_fail(err, "%s: expected %s, found a file", dir, what);
  return true;
}

bool meas_read(const char *dir, meas_set *set, ps_err *err) {
  *set = (meas_set){.dir = xstrdup(dir)};
  char *runs = path_join(dir, "runs.csv");
  runs_reader r = {.s = {.path = runs, .cols = runs_cols}, .set = set};
  bool ok = check_dir(dir, "a measured-run directory (docs/compare.md)", err) &&
            strict_read(&r.s, on_run, &r, true, err);
  for (size_t i = 0; ok && i < set->npolicies; i++)
    ok = read_policy(dir, &set->policies[i], r.lines[i], err);
  free(r.lines);
  free(runs);
  if (!ok) meas_set_free(set);
  return ok;
}

void meas_set_free(meas_set *set) {
  for (size_t i = 0; i < set->npolicies; i++) {
    free(set->policies[i].name);
    sample_free(&set->policies[i].e2e_s);
    meas_series_free(&set->policies[i].pods);
  }
  free(set->policies);
  free(set->dir);
  *set = (meas_set){0};
}

long meas_policy_index(const meas_set *set, const char *name) {
  for (size_t i = 0; i < set->npolicies; i++)
    if (strcmp(set->policies[i].name, name) == 0) return (long)i;
  return -1;
}

/* ---- a podscale run ---- */

static const char *const summary_metrics[] = {"requests",   "ok",        "timeout+failed",
                                              "e2e_mean_s", "e2e_p50_s", "e2e_p90_s",
                                              "e2e_p99_s",  "gpu_hours", NULL};

/* The figures of summary.csv's row for policy p; sizes are counts written as whole numbers. */
static void run_figures(const cmp_summary *s, size_t row, meas_policy *p) {
  double v[8];
  for (size_t m = 0; summary_metrics[m]; m++)
    v[m] = cmp_summary_value(s, row, summary_metrics[m]);
  p->sent = lround(v[0]);
  p->completed = lround(v[1]);
  p->failed = lround(v[2]);
  p->e2e_mean_s = v[3];
  p->e2e_p50_s = v[4];
  p->e2e_p90_s = v[5];
  p->e2e_p99_s = v[6];
  p->pod_hours = v[7];
}

/* Take the run's policy: its latencies (moved out of run) and its pods over time. */
static void run_policy(plot_policy *rp, meas_policy *p) {
  p->name = xstrdup(rp->name);
  p->e2e_s = rp->e2e_s;
  rp->e2e_s = (sample){0};
  for (size_t k = 0; k < rp->nsamples; k++)
    meas_series_add(&p->pods, rp->samples[k].time_s, rp->samples[k].pods);
}

bool meas_read_run(const char *dir, meas_set *set, ps_err *err) {
  *set = (meas_set){.dir = xstrdup(dir)};
  plot_run run;
  cmp_summary s;
  if (!plot_read(dir, false, &run, err)) {
    meas_set_free(set);
    return false;
  }
  bool loaded = cmp_summary_load(dir, &s, err), ok = loaded;
  for (size_t m = 0; ok && summary_metrics[m]; m++)
    if (!cmp_summary_has_metric(&s, summary_metrics[m]))
      ok = ps_fail(err, "%s:1: expected a column '%s' (docs/outputs.md), found none", s.path,
                   summary_metrics[m]);
  if (ok) {
    set->policies = xcalloc(run.npolicies, sizeof *set->policies);
    for (size_t i = 0; i < run.npolicies; i++) {
      meas_policy *p = &set->policies[set->npolicies++];
      run_policy(&run.policies[i], p);
      long row = cmp_summary_policy(&s, p->name);
      assert(row >= 0); /* plot_read takes its policies from the same summary.csv */
      run_figures(&s, (size_t)row, p);
    }
  }
  if (loaded) cmp_summary_free(&s);
  plot_run_free(&run);
  if (!ok) meas_set_free(set);
  return ok;
}

/* ---- comparing ---- */

static double rel_error(double meas, double sim) {
  if (isnan(meas) || isnan(sim)) return NAN;
  if (sim == meas) return 0;
  if (meas == 0) return copysign(INFINITY, sim);
  return sim / meas - 1;
}

static void policy_figures(const meas_policy *p, double *v) {
  v[MEAS_SENT] = (double)p->sent;
  v[MEAS_COMPLETED] = (double)p->completed;
  v[MEAS_FAILED] = (double)p->failed;
  v[MEAS_E2E_MEAN] = p->e2e_mean_s;
  v[MEAS_E2E_P50] = p->e2e_p50_s;
  v[MEAS_E2E_P90] = p->e2e_p90_s;
  v[MEAS_E2E_P99] = p->e2e_p99_s;
  v[MEAS_POD_HOURS] = p->pod_hours;
}

void meas_compare(const meas_policy *meas, const meas_policy *sim, meas_cmp *c) {
  policy_figures(meas, c->meas);
  policy_figures(sim, c->sim);
  c->meas[MEAS_PODS_MEAN] = c->sim[MEAS_PODS_MEAN] = NAN;
  c->meas[MEAS_PODS_MAE] = c->sim[MEAS_PODS_MAE] = NAN;
  c->t0_s = c->t1_s = NAN;
  const meas_series *a = &meas->pods, *b = &sim->pods;
  if (a->n && b->n) {
    double t0 = fmax(a->t_s[0], b->t_s[0]), t1 = fmin(a->t_s[a->n - 1], b->t_s[b->n - 1]);
    if (t1 > t0) {
      c->t0_s = t0;
      c->t1_s = t1;
      c->meas[MEAS_PODS_MEAN] = meas_series_integral(a, t0, t1) / (t1 - t0);
      c->sim[MEAS_PODS_MEAN] = meas_series_integral(b, t0, t1) / (t1 - t0);
      c->sim[MEAS_PODS_MAE] = series_abs_diff(a, b, t0, t1) / (t1 - t0);
    }
  }
  for (int m = 0; m < MEAS_NMETRICS; m++)
    c->rel[m] = rel_error(c->meas[m], c->sim[m]);
  /* The MAE relative to the measured mean: sim/meas - 1 would mean nothing for a difference. */
  c->rel[MEAS_PODS_MAE] = c->meas[MEAS_PODS_MEAN] > 0
                              ? c->sim[MEAS_PODS_MAE] / c->meas[MEAS_PODS_MEAN]
                              : rel_error(0, c->sim[MEAS_PODS_MAE]);
}

bool meas_beyond(const meas_cmp *c, meas_metric m, double tol) {
  assert(m < MEAS_NMETRICS);
  if (isnan(c->rel[m])) return !(isnan(c->meas[m]) && isnan(c->sim[m]));
  return fabs(c->rel[m]) > tol;
}

static int sign_of(double x) { return (x > 0) - (x < 0); }

size_t meas_pairs_alike(const double *a, const double *b, size_t n) {
  size_t alike = 0;
  for (size_t i = 0; i < n; i++)
    for (size_t j = i + 1; j < n; j++)
      alike += sign_of(a[j] - a[i]) == sign_of(b[j] - b[i]);
  return alike;
}
