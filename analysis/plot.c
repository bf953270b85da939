#include "analysis/plot.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <gsl/gsl_sort.h>
#include <math.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "analysis/csvr.h"
#include "analysis/outfile.h"
#include "base/xalloc.h"

extern char **environ;

static char *concat(const char *a, const char *b) {
  size_t n = strlen(a) + strlen(b) + 1;
  char *s = xmalloc(n);
  snprintf(s, n, "%s%s", a, b);
  return s;
}

/* dir/name, without doubling a trailing slash of dir. */
static char *path_join(const char *dir, const char *name) {
  size_t n = strlen(dir);
  while (n > 1 && dir[n - 1] == '/')
    n--;
  size_t len = n + strlen(name) + 2;
  char *s = xmalloc(len);
  snprintf(s, len, "%.*s/%s", (int)n, dir, name);
  return s;
}

/* ---- reading the run's CSV files ---- */

enum { TABLE_MAX_COLS = 10 };

/* The columns a reader wants from one CSV file, found by name in its header. */
typedef struct table {
  const char *path;           /* the file, for messages */
  const char *const *want;    /* wanted column names, NULL-terminated */
  size_t col[TABLE_MAX_COLS]; /* index in a row of each wanted column */
  size_t nfields;             /* fields of the header: every row has as many */
  bool header_seen;           /* the header has been read */
} table;

typedef struct reader {
  table t;
  plot_run *run;
  plot_policy *last; /* the previous row's policy: rows come grouped by policy */
} reader;

/* Take one row: the header sets the columns (*data false), every other row must match it. */
static bool table_take(table *t, long line, char **f, size_t n, bool *data, ps_err *err) {
  *data = t->header_seen;
  /* podscale writes no line break inside a field: one that spans lines is an unbalanced quote
   * that would swallow the rows after it (libcsv accepts it up to the end of the file). */
  long breaks = 0;
  for (size_t i = 0; i < n; i++)
    for (const char *c = strchr(f[i], '\n'); c; c = strchr(c + 1, '\n'))
      breaks++;
  if (breaks) {
    /* At the end of the file the field also holds the last line's own line break. */
    long last = n && f[n - 1][0] && f[n - 1][strlen(f[n - 1]) - 1] == '\n';
    return ps_fail(err, "%s:%ld: expected one row per line, found a quoted field over %ld lines",
                   t->path, line - breaks + last, breaks + 1 - last);
  }
  if (t->header_seen) {
    if (n != t->nfields)
      return ps_fail(err, "%s:%ld: expected %zu fields as in the header, found %zu", t->path, line,
                     t->nfields, n);
    return true;
  }
  for (size_t w = 0; t->want[w]; w++) {
    assert(w < TABLE_MAX_COLS);
    size_t i = 0;
    while (i < n && strcmp(f[i], t->want[w]) != 0)
      i++;
    if (i == n)
      return ps_fail(err,
                     "%s:%ld: expected a header with a column '%s' (docs/outputs.md), found "
                     "'%s%s'",
                     t->path, line, t->want[w], n ? f[0] : "", n > 1 ? ",..." : "");
    t->col[w] = i;
  }
  t->nfields = n;
  t->header_seen = true;
  return true;
}

static const char *field(const table *t, char **f, size_t w) { return f[t->col[w]]; }

static bool field_num(const table *t, long line, char **f, size_t w, double *out, ps_err *err) {
  if (csvr_double(field(t, f, w), out)) return true;
  return ps_fail(err, "%s:%ld: %s: expected a number, found '%s'", t->path, line, t->want[w],
                 field(t, f, w));
}

/* A number, or NAN for an empty field (a statistic over no requests, no sample). */
static bool field_num_or_empty(const table *t, long line, char **f, size_t w, double *out,
                               ps_err *err) {
  if (!field(t, f, w)[0]) {
    *out = NAN;
    return true;
  }
  return field_num(t, line, f, w, out, err);
}

static bool field_count(const table *t, long line, char **f, size_t w, long *out, ps_err *err) {
  if (csvr_long(field(t, f, w), out) && *out >= 0) return true;
  return ps_fail(err, "%s:%ld: %s: expected a whole number of at least 0, found '%s'", t->path,
                 line, t->want[w], field(t, f, w));
}

/* The policy a row names: one of summary.csv's. */
static plot_policy *row_policy(reader *r, long line, const char *name, ps_err *err) {
  if (r->last && strcmp(r->last->name, name) == 0) return r->last;
  for (size_t i = 0; i < r->run->npolicies; i++)
    if (strcmp(r->run->policies[i].name, name) == 0) return r->last = &r->run->policies[i];
  char *summary = path_join(r->run->dir, "summary.csv");
  ps_fail(err, "%s:%ld: policy: expected a policy of %s, found '%s'", r->t.path, line, summary,
          name);
  free(summary);
  return NULL;
}

static const char *const summary_cols[] = {"policy",     "cost",      "timeout", "failed",
                                           "e2e_mean_s", "e2e_p99_s", NULL};
enum { S_POLICY, S_COST, S_TIMEOUT, S_FAILED, S_E2E_MEAN, S_E2E_P99 };

static bool on_summary(void *ctx, long line, char **f, size_t n, ps_err *err) {
  reader *r = ctx;
  bool data;
  if (!table_take(&r->t, line, f, n, &data, err)) return false;
  if (!data) return true;
  const char *name = field(&r->t, f, S_POLICY);
  for (size_t i = 0; i < r->run->npolicies; i++)
    if (strcmp(r->run->policies[i].name, name) == 0)
      return ps_fail(err, "%s:%ld: policy: expected each policy once, found '%s' again", r->t.path,
                     line, name);
  plot_policy p = {0};
  long timeout, failed;
  if (!field_num(&r->t, line, f, S_COST, &p.cost, err) ||
      !field_count(&r->t, line, f, S_TIMEOUT, &timeout, err) ||
      !field_count(&r->t, line, f, S_FAILED, &failed, err) ||
      !field_num_or_empty(&r->t, line, f, S_E2E_MEAN, &p.e2e_mean_s, err) ||
      !field_num_or_empty(&r->t, line, f, S_E2E_P99, &p.e2e_p99_s, err))
    return false;
  p.failed = timeout + failed;
  p.name = xstrdup(name);
  plot_run *run = r->run;
  run->policies = xrealloc(run->policies, (run->npolicies + 1) * sizeof *run->policies);
  run->policies[run->npolicies++] = p;
  return true;
}

static const char *const requests_cols[] = {"policy", "status", "e2e_s", NULL};
enum { R_POLICY, R_STATUS, R_E2E };

static bool on_request(void *ctx, long line, char **f, size_t n, ps_err *err) {
  reader *r = ctx;
  bool data;
  if (!table_take(&r->t, line, f, n, &data, err)) return false;
  if (!data) return true;
  plot_policy *p = row_policy(r, line, field(&r->t, f, R_POLICY), err);
  if (!p) return false;
  if (strcmp(field(&r->t, f, R_STATUS), "ok") != 0) return true;
  double e2e;
  if (!field_num(&r->t, line, f, R_E2E, &e2e, err)) return false;
  sample_add(&p->e2e_s, e2e);
  return true;
}

static const char *const timeseries_cols[] = {"policy",  "time_s",   "offered_rps", "completed_rps",
                                              "pending", "starting", "ready",       "terminating",
                                              "cost",    NULL};
enum {
  T_POLICY,
  T_TIME,
  T_OFFERED,
  T_COMPLETED,
  T_PENDING,
  T_STARTING,
  T_READY,
  T_TERMINATING,
  T_COST
};

static bool on_timeseries(void *ctx, long line, char **f, size_t n, ps_err *err) {
  reader *r = ctx;
  bool data;
  if (!table_take(&r->t, line, f, n, &data, err)) return false;
  if (!data) return true;
  plot_policy *p = row_policy(r, line, field(&r->t, f, T_POLICY), err);
  if (!p) return false;
  plot_sample s;
  long pods[4];
  for (size_t w = T_PENDING; w <= T_TERMINATING; w++)
    if (!field_count(&r->t, line, f, w, &pods[w - T_PENDING], err)) return false;
  if (!field_num(&r->t, line, f, T_TIME, &s.time_s, err) ||
      !field_num(&r->t, line, f, T_OFFERED, &s.offered_rps, err) ||
      !field_num(&r->t, line, f, T_COMPLETED, &s.completed_rps, err) ||
      !field_num(&r->t, line, f, T_COST, &s.cost, err))
    return false;
  s.pods = pods[0] + pods[1] + pods[2] + pods[3];
  if (!plot_add_sample(p, &s))
    return ps_fail(err, "%s:%ld: time_s: expected at least %.6f (rows in time order), found '%s'",
                   r->t.path, line, p->samples[p->nsamples - 1].time_s, field(&r->t, f, T_TIME));
  return true;
}

static const char *const decisions_cols[] = {"policy", "time_s",  "deployment", "autoscaler",
                                             "value",  "desired", NULL};
enum { D_POLICY, D_TIME, D_DEPLOYMENT, D_AUTOSCALER, D_VALUE, D_DESIRED };

static plot_track *policy_track(plot_policy *p, const char *deployment, plot_track_kind kind) {
  for (size_t i = 0; i < p->ntracks; i++)
    if (p->tracks[i].kind == kind && strcmp(p->tracks[i].deployment, deployment) == 0)
      return &p->tracks[i];
  p->tracks = xrealloc(p->tracks, (p->ntracks + 1) * sizeof *p->tracks);
  p->tracks[p->ntracks] = (plot_track){.deployment = xstrdup(deployment), .kind = kind};
  return &p->tracks[p->ntracks++];
}

static void track_add(plot_track *t, double t_s, double y) {
  if (t->n == t->cap) {
    t->cap = t->cap ? 2 * t->cap : 64;
    t->t_s = xrealloc(t->t_s, t->cap * sizeof *t->t_s);
    t->y = xrealloc(t->y, t->cap * sizeof *t->y);
  }
  t->t_s[t->n] = t_s;
  t->y[t->n++] = y;
}

static bool on_decision(void *ctx, long line, char **f, size_t n, ps_err *err) {
  reader *r = ctx;
  bool data;
  if (!table_take(&r->t, line, f, n, &data, err)) return false;
  if (!data) return true;
  plot_policy *p = row_policy(r, line, field(&r->t, f, D_POLICY), err);
  if (!p) return false;
  double t_s, y;
  if (!field_num(&r->t, line, f, D_TIME, &t_s, err)) return false;
  bool optimizer = strcmp(field(&r->t, f, D_AUTOSCALER), "gpu-optimizer") == 0;
  /* The optimizer publishes vllm:deployment_replicas in 1/100 GPU (docs/outputs.md). */
  size_t w = optimizer ? D_VALUE : D_DESIRED;
  if (!field_num_or_empty(&r->t, line, f, w, &y, err)) return false;
  if (isnan(y)) return true; /* no value this time */
  track_add(policy_track(p, field(&r->t, f, D_DEPLOYMENT),
                         optimizer ? PLOT_TRACK_OPTIMIZER : PLOT_TRACK_DESIRED),
            t_s, optimizer ? y / 100 : y);
  return true;
}

static bool read_table(plot_run *run, const char *name, const char *const *cols, csvr_row_fn fn,
                       ps_err *err) {
  char *path = path_join(run->dir, name);
  reader r = {.t = {.path = path, .want = cols}, .run = run};
  bool ok = csvr_read(path, fn, &r, err);
  if (ok && !r.t.header_seen)
    ok = ps_fail(err, "%s:1: expected a header line, found an empty file", path);
  free(path);
  return ok;
}

bool plot_read(const char *dir, bool timeline, plot_run *run, ps_err *err) {
  *run = (plot_run){.dir = xstrdup(dir)};
  struct stat st;
  bool ok = true;
  if (stat(dir, &st) != 0)
    ok = ps_fail(err, "%s: expected a podscale run output directory, found %s", dir,
                 strerror(errno));
  else if (!S_ISDIR(st.st_mode))
    ok = ps_fail(err, "%s: expected a podscale run output directory, found a file", dir);
  ok = ok && read_table(run, "summary.csv", summary_cols, on_summary, err);
  if (ok && run->npolicies == 0) {
    char *path = path_join(dir, "summary.csv");
    ok = ps_fail(err, "%s:2: expected one row per policy, found none", path);
    free(path);
  }
  ok = ok && read_table(run, "requests.csv", requests_cols, on_request, err) &&
       read_table(run, "timeseries.csv", timeseries_cols, on_timeseries, err) &&
       (!timeline || read_table(run, "decisions.csv", decisions_cols, on_decision, err));
  if (!ok) {
    plot_run_free(run);
    return false;
  }
  for (size_t i = 0; i < run->npolicies; i++) {
    sample *e = &run->policies[i].e2e_s;
    if (e->n) gsl_sort(e->v, 1, e->n);
  }
  return true;
}

void plot_run_free(plot_run *run) {
  for (size_t i = 0; i < run->npolicies; i++) {
    plot_policy *p = &run->policies[i];
    free(p->name);
    sample_free(&p->e2e_s);
    free(p->samples);
    for (size_t k = 0; k < p->ntracks; k++) {
      free(p->tracks[k].deployment);
      free(p->tracks[k].t_s);
      free(p->tracks[k].y);
    }
    free(p->tracks);
  }
  free(run->policies);
  free(run->dir);
  *run = (plot_run){0};
}

bool plot_add_sample(plot_policy *p, const plot_sample *row) {
  plot_sample *last = p->nsamples ? &p->samples[p->nsamples - 1] : NULL;
  if (last && row->time_s == last->time_s) {
    /* offered_rps is the gateway's, the same in every deployment's row: not summed. */
    last->completed_rps += row->completed_rps;
    last->pods += row->pods;
    last->cost += row->cost;
    return true;
  }
  if (last && row->time_s < last->time_s) return false;
  if (p->nsamples == p->capsamples) {
    p->capsamples = p->capsamples ? 2 * p->capsamples : 256;
    p->samples = xrealloc(p->samples, p->capsamples * sizeof *p->samples);
  }
  p->samples[p->nsamples++] = *row;
  return true;
}

size_t plot_cdf(const double *sorted, size_t n, size_t max_points, double *x, double *frac) {
  assert(max_points >= 2);
  size_t m = n <= max_points ? n : max_points;
  for (size_t k = 0; k < m; k++) {
    /* rank k (n-1) / (m-1), rounded to the nearest: 0 and n-1 included */
    size_t r = m == n ? k : (k * (n - 1) + (m - 1) / 2) / (m - 1);
    x[k] = sorted[r];
    frac[k] = (double)(r + 1) / (double)n;
  }
  return m;
}

/* ---- names of the files next to the image ---- */

bool plot_format_of(const char *image, plot_format *fmt) {
  const char *base = strrchr(image, '/');
  base = base ? base + 1 : image;
  const char *dot = strrchr(base, '.');
  if (!dot || dot == base) return false;
  if (strcasecmp(dot, ".png") == 0)
    *fmt = PLOT_PNG;
  else if (strcasecmp(dot, ".svg") == 0)
    *fmt = PLOT_SVG;
  else
    return false;
  return true;
}

/* An image name split into its directory ("." when it has none), file name and stem. */
typedef struct names {
  char *dir;       /* directory of the image */
  char *file;      /* its file name: plot.png */
  char *stem;      /* the file name without its extension: plot */
  plot_format fmt; /* by the extension */
} names;

static void names_of(const char *image, names *nm) {
  bool known = plot_format_of(image, &nm->fmt);
  assert(known); /* callers check the name first */
  (void)known;
  const char *slash = strrchr(image, '/');
  if (!slash)
    nm->dir = xstrdup(".");
  else if (slash == image)
    nm->dir = xstrdup("/");
  else
    nm->dir = strndup(image, (size_t)(slash - image));
  xcheck(nm->dir, 1);
  nm->file = xstrdup(slash ? slash + 1 : image);
  nm->stem = xstrdup(nm->file);
  *strrchr(nm->stem, '.') = '\0';
}

static void names_free(names *nm) {
  free(nm->dir);
  free(nm->file);
  free(nm->stem);
}

/* ---- data files ---- */

/* A name inside a comment or a quoted string: a control character would end the line. */
static void put_name(FILE *fp, const char *s) {
  for (; *s; s++)
    fputc((unsigned char)*s < ' ' ? '?' : *s, fp);
}

static void put_num(FILE *fp, double v) {
  if (isnan(v))
    fputs(" ?", fp);
  else
    fprintf(fp, " %.6f", v);
}

/* Data blocks are separated by two blank lines: gnuplot's `index N` selects block N. */
static void block_header(FILE *fp, size_t index, const char *policy) {
  fprintf(fp, "%s# index %zu: policy ", index ? "\n\n" : "", index);
  put_name(fp, policy);
}

static void write_cdf(FILE *fp, const plot_run *run) {
  double *x = xmalloc(PLOT_CDF_POINTS * sizeof *x);
  double *frac = xmalloc(PLOT_CDF_POINTS * sizeof *frac);
  fprintf(fp,
          "# E2E latency CDF of ok requests (requests.csv e2e_s), one block per policy.\n"
          "# Columns: e2e_s, fraction of the policy's ok requests with an E2E up to e2e_s.\n"
          "# At most %d points per policy: order statistics evenly spaced in rank.\n",
          PLOT_CDF_POINTS);
  for (size_t i = 0; i < run->npolicies; i++) {
    const plot_policy *p = &run->policies[i];
    size_t m = plot_cdf(p->e2e_s.v, p->e2e_s.n, PLOT_CDF_POINTS, x, frac);
    block_header(fp, i, p->name);
    fprintf(fp, ", %zu ok requests\n", p->e2e_s.n);
    for (size_t k = 0; k < m; k++)
      fprintf(fp, "%.6f %.6f\n", x[k], frac[k]);
    if (!m) fputs("? ?\n", fp); /* keeps the block, and so the numbering of the next ones */
  }
  for (size_t i = 0; run->ref_dir && i < run->npolicies; i++) {
    const plot_ref *r = &run->policies[i].ref;
    size_t m = plot_cdf(r->e2e_s, r->ne2e, PLOT_CDF_POINTS, x, frac);
    block_header(fp, run->npolicies + i, run->policies[i].name);
    fprintf(fp, ", measured in %s, %zu completed requests\n", run->ref_dir, r->ne2e);
    for (size_t k = 0; k < m; k++)
      fprintf(fp, "%.6f %.6f\n", x[k], frac[k]);
    if (!m) fputs("? ?\n", fp);
  }
  free(x);
  free(frac);
}

static void write_series(FILE *fp, const plot_run *run) {
  fputs("# timeseries.csv per policy and sample time, summed over deployments; one block per\n"
        "# policy. Columns: time_s, offered_rps (gateway-wide), completed_rps, pods alive\n"
        "# (pending + starting + ready + terminating), accumulated cost in dollars.\n",
        fp);
  for (size_t i = 0; i < run->npolicies; i++) {
    const plot_policy *p = &run->policies[i];
    block_header(fp, i, p->name);
    fputc('\n', fp);
    for (size_t k = 0; k < p->nsamples; k++) {
      const plot_sample *s = &p->samples[k];
      fprintf(fp, "%.6f %.6f %.6f %ld %.6f\n", s->time_s, s->offered_rps, s->completed_rps, s->pods,
              s->cost);
    }
    if (!p->nsamples) fputs("? ? ? ? ?\n", fp);
  }
  /* The refs' pods in column 4 too, so that one `using` draws either. */
  for (size_t i = 0; run->ref_dir && i < run->npolicies; i++) {
    const plot_ref *r = &run->policies[i].ref;
    block_header(fp, run->npolicies + i, run->policies[i].name);
    fprintf(fp, ", measured in %s: time_s ? ? pods ?\n", run->ref_dir);
    for (size_t k = 0; k < r->npods; k++)
      fprintf(fp, "%.6f ? ? %ld ?\n", r->t_s[k], r->pods[k]);
    if (!r->npods) fputs("? ? ? ? ?\n", fp);
  }
}

static void write_bars(FILE *fp, const plot_run *run) {
  fputs("# summary.csv, one row per policy. Columns: policy index, e2e_mean_s, e2e_p99_s,\n"
        "# cost in dollars, failed requests (timeout + failed); ? = no ok request.\n",
        fp);
  for (size_t i = 0; i < run->npolicies; i++) {
    fprintf(fp, "# %zu = ", i);
    put_name(fp, run->policies[i].name);
    fputc('\n', fp);
  }
  for (size_t i = 0; i < run->npolicies; i++) {
    const plot_policy *p = &run->policies[i];
    fprintf(fp, "%zu", i);
    put_num(fp, p->e2e_mean_s);
    put_num(fp, p->e2e_p99_s);
    put_num(fp, p->cost);
    fprintf(fp, " %ld\n", p->failed);
  }
}

static void write_timeline(FILE *fp, const plot_run *run) {
  fputs("# decisions.csv: one block per policy, deployment and kind of decision, in the order\n"
        "# of the script's plot commands. Columns: time_s, desired replicas, or the GPUs the\n"
        "# GPU optimizer asks for (its value / 100).\n",
        fp);
  size_t index = 0;
  for (size_t i = 0; i < run->npolicies; i++) {
    const plot_policy *p = &run->policies[i];
    for (size_t k = 0; k < p->ntracks; k++, index++) {
      const plot_track *t = &p->tracks[k];
      block_header(fp, index, p->name);
      fputs(", deployment ", fp);
      put_name(fp, t->deployment);
      fputs(t->kind == PLOT_TRACK_DESIRED ? ", desired replicas\n" : ", optimizer value / 100\n",
            fp);
      for (size_t j = 0; j < t->n; j++)
        fprintf(fp, "%.6f %.6f\n", t->t_s[j], t->y[j]);
    }
  }
  if (!index) fputs("? ?\n", fp);
}

/* ---- gnuplot scripts ---- */

/* Policies: Tableau 10, hues that stay apart for the common colour-vision deficiencies. */
static const char *const policy_colours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                             "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
/* Deployments in the timeline: ColorBrewer Dark2, so they are not mistaken for policies. */
static const char *const deployment_colours[] = {"#1b9e77", "#d95f02", "#7570b3", "#e7298a",
                                                 "#66a61e", "#e6ab02", "#a6761d", "#666666"};
enum {
  NPOLICY_COLOURS = sizeof policy_colours / sizeof *policy_colours,
  NDEPLOYMENT_COLOURS = sizeof deployment_colours / sizeof *deployment_colours,
};

/* A gnuplot single-quoted string: '' is a quote, nothing else is special. */
static void gp_str(FILE *fp, const char *s) {
  fputc('\'', fp);
  for (; *s; s++) {
    if (*s == '\'') fputc('\'', fp);
    fputc((unsigned char)*s < ' ' ? '?' : *s, fp);
  }
  fputc('\'', fp);
}

static void gp_str2(FILE *fp, const char *a, const char *b) {
  char *s = concat(a, b);
  gp_str(fp, s);
  free(s);
}

/* The time axis in seconds, minutes or hours, whichever keeps its numbers short. */
typedef struct time_axis {
  double div;       /* seconds per unit */
  const char *unit; /* "s", "min", "h" */
} time_axis;

static time_axis time_axis_for(double tmax_s) {
  if (tmax_s >= 3 * 3600) return (time_axis){3600, "h"};
  if (tmax_s >= 600) return (time_axis){60, "min"};
  return (time_axis){1, "s"};
}

static void script_time_axis(FILE *fp, double tmax_s) {
  time_axis ta = time_axis_for(tmax_s);
  fprintf(fp, "tunit = %g  # seconds per unit of the time axis\n", ta.div);
  fprintf(fp, "set xrange [0:%.6f/tunit]\n", tmax_s > 0 ? tmax_s : 1);
  fprintf(fp, "tlabel = 'time (%s)'\n", ta.unit);
}

static void script_preamble(FILE *fp, plot_format fmt, const char *image, int width, int height) {
  /* Paths are relative to the script, found through ARG0 (the script's name as gnuplot got
   * it), so `gnuplot DIR/x.gp` works from any directory. */
  fputs("here = ''\n"
        "i = strlen(ARG0)\n"
        "while (i > 0 && ARG0[i:i] ne '/') { i = i - 1 }\n"
        "if (i > 0) { here = ARG0[1:i] }\n"
        "if (!exists('out')) { out = here.",
        fp);
  gp_str(fp, image);
  fputs(" }\n\n", fp);
  fprintf(fp, "set terminal %s size %d,%d %snoenhanced font 'Sans,11' background rgb 'white'\n",
          fmt == PLOT_PNG ? "pngcairo" : "svg", width, height, fmt == PLOT_SVG ? "dynamic " : "");
  fputs("set output out\n"
        "set datafile missing '?'\n"
        "set grid lc rgb '#d0d0d0'\n"
        "set border lc rgb '#404040'\n"
        "set key noautotitle\n",
        fp);
}

/* Linetype i+1 is policy i: its colour and a dash pattern, and a width that decreases with i,
 * so that policies whose lines coincide all stay visible. */
static void script_policy_linetypes(FILE *fp, const plot_run *run) {
  fputs("\n# One colour and dash pattern per policy, the same in every panel.\n", fp);
  for (size_t i = 0; i < run->npolicies; i++) {
    double lw = 1.5 + 1.5 * (double)(run->npolicies - 1 - i) / (double)run->npolicies;
    fprintf(fp, "set linetype %zu lc rgb '%s' lw %.2f dt %zu  # ", i + 1,
            policy_colours[i % NPOLICY_COLOURS], lw, i % 5 + 1);
    put_name(fp, run->policies[i].name);
    fputc('\n', fp);
  }
}

/* What the script needs to know of the data to choose ranges. */
typedef struct figure_stats {
  double tmax_s;     /* last sample time over all policies, s */
  double e2e_min_s;  /* smallest E2E over all policies, s; NAN when there is none */
  double e2e_max_s;  /* largest E2E, s */
  long pods_max;     /* most pods alive */
  double cost_max;   /* largest accumulated cost, dollars */
  double load_max;   /* largest offered rate (the first policy's: all see the same), req/s */
  double bar_max[4]; /* largest mean E2E, P99 E2E, cost, failed */
} figure_stats;

/* Widen the E2E range of fs (NAN while empty) to hold the n sorted values v. */
static void widen_e2e(figure_stats *fs, const double *v, size_t n) {
  if (!n) return;
  fs->e2e_min_s = isnan(fs->e2e_min_s) || v[0] < fs->e2e_min_s ? v[0] : fs->e2e_min_s;
  fs->e2e_max_s = isnan(fs->e2e_max_s) || v[n - 1] > fs->e2e_max_s ? v[n - 1] : fs->e2e_max_s;
}

static figure_stats figure_stats_of(const plot_run *run) {
  figure_stats fs = {.e2e_min_s = NAN, .e2e_max_s = NAN};
  for (size_t i = 0; i < run->npolicies; i++) {
    const plot_policy *p = &run->policies[i];
    const plot_ref *r = &p->ref;
    widen_e2e(&fs, p->e2e_s.v, p->e2e_s.n);
    widen_e2e(&fs, r->e2e_s, r->ne2e);
    for (size_t k = 0; k < p->nsamples; k++) {
      const plot_sample *s = &p->samples[k];
      fs.tmax_s = fmax(fs.tmax_s, s->time_s);
      fs.pods_max = s->pods > fs.pods_max ? s->pods : fs.pods_max;
      fs.cost_max = fmax(fs.cost_max, s->cost);
      if (i == 0) fs.load_max = fmax(fs.load_max, s->offered_rps);
    }
    for (size_t k = 0; k < r->npods; k++) {
      fs.tmax_s = fmax(fs.tmax_s, r->t_s[k]);
      fs.pods_max = r->pods[k] > fs.pods_max ? r->pods[k] : fs.pods_max;
    }
    double bars[4] = {p->e2e_mean_s, p->e2e_p99_s, p->cost, (double)p->failed};
    for (int b = 0; b < 4; b++)
      if (!isnan(bars[b])) fs.bar_max[b] = fmax(fs.bar_max[b], bars[b]);
  }
  return fs;
}

/* Main figure layout, in fractions of the canvas: a legend strip under the title, two rows of
 * two line panels, a row of four bar panels. */
#define ROW1_Y 0.615
#define ROW2_Y 0.300
#define ROW_H 0.300

/* Place and label one panel; xlabel is a gnuplot expression (a quoted string or a variable). */
static void script_panel(FILE *fp, const char *comment, double x, double y, double w, double h,
                         const char *title, const char *xlabel, const char *ylabel) {
  fprintf(fp, "\n# %s\nset origin %.3f, %.3f\nset size %.3f, %.3f\nset title ", comment, x, y, w,
          h);
  gp_str(fp, title);
  fprintf(fp, " font ',12'\nset xlabel %s\nset ylabel ", xlabel);
  gp_str(fp, ylabel);
  fputc('\n', fp);
}

/* The y range of a panel whose values start at 0: autoscaled above, or [0:1] when every value
 * is 0 (gnuplot warns about an empty range otherwise). */
static void script_yrange(FILE *fp, double max) {
  fputs(max > 0 ? "set yrange [0:*]\n" : "set yrange [0:1]\n", fp);
}

/* One legend for every panel, centred in a strip under the title. */
static void script_legend(FILE *fp, const plot_run *run) {
  fputs("\n# The legend of every panel\n"
        "set origin 0, 0.925\nset size 1, 0.04\n"
        "unset border\nunset tics\nunset grid\nset xrange [0:1]\nset yrange [0:1]\n"
        "set key at screen 0.5, 0.945 center center horizontal reverse Left nobox samplen 5 "
        "width 2\n"
        "plot NaN",
        fp);
  for (size_t i = 0; i < run->npolicies; i++) {
    fprintf(fp, ", \\\n  NaN with lines lt %zu title ", i + 1);
    gp_str(fp, run->policies[i].name);
  }
  if (run->ref_dir)
    fputs(", \\\n  NaN with lines lc rgb '#88808080' lw 7 title 'measured (wide, pale)'", fp);
  fputs("\nunset key\nset border\nset tics\nset grid\n", fp);
}

/* The refs' lines of a panel, drawn first (under the run's): each policy's colour, half
 * transparent and wide. `using` selects the columns of `data`'s blocks npolicies + i. */
static void script_ref_lines(FILE *fp, const plot_run *run, const char *data, const char *using,
                             const char *with) {
  for (size_t i = 0; run->ref_dir && i < run->npolicies; i++) {
    const plot_ref *r = &run->policies[i].ref;
    if (!r->ne2e && !r->npods) continue;
    fprintf(fp, ", \\\n  %s index %zu using %s with %s lc rgb '#88%s' lw 7 dt 1", data,
            run->npolicies + i, using, with, policy_colours[i % NPOLICY_COLOURS] + 1);
  }
}

static void script_cdf(FILE *fp, const plot_run *run, const figure_stats *fs) {
  bool any = !isnan(fs->e2e_min_s);
  bool logx = any && fs->e2e_min_s > 0;
  script_panel(fp, "(a) latency CDF, from requests.csv e2e_s of ok requests", 0, ROW1_Y, 0.5, ROW_H,
               "(a) End-to-end latency of ok requests (CDF)",
               logx ? "'E2E latency (s, log scale)'" : "'E2E latency (s)'",
               "fraction of ok requests");
  if (logx) fputs("set logscale x\nset format x '%g'\n", fp);
  if (!any)
    fputs("set xrange [0:1]\n", fp);
  else if (fs->e2e_min_s == fs->e2e_max_s)
    fprintf(fp, "set xrange [%.6f:%.6f]\n", logx ? fs->e2e_min_s / 2 : fs->e2e_min_s - 1,
            fs->e2e_max_s * 2 + 1);
  else
    fputs("set xrange [*:*]\n", fp);
  /* Policies without an ok request have no curve: say so in the panel. */
  char *missing = NULL;
  for (size_t i = 0; i < run->npolicies; i++) {
    if (run->policies[i].e2e_s.n) continue;
    char *m = concat(missing ? missing : "no ok requests:", missing ? ", " : " ");
    free(missing);
    missing = concat(m, run->policies[i].name);
    free(m);
  }
  if (missing) {
    fputs("set label 1 ", fp);
    gp_str(fp, missing);
    fputs(" at graph 0.02, 0.95 left\n", fp);
    free(missing);
  }
  fputs("set yrange [0:1]\nset ytics 0.1\nplot NaN", fp);
  script_ref_lines(fp, run, "cdf", "1:2", "lines");
  for (size_t i = 0; i < run->npolicies; i++)
    if (run->policies[i].e2e_s.n)
      fprintf(fp, ", \\\n  cdf index %zu using 1:2 with lines lt %zu", i, i + 1);
  fputs("\nunset logscale x\nunset label 1\nset format x '% h'\nset ytics autofreq\n", fp);
}

static void script_time_panels(FILE *fp, const plot_run *run, const figure_stats *fs) {
  fputc('\n', fp);
  script_time_axis(fp, fs->tmax_s);

  script_panel(fp,
               "(b) load, from timeseries.csv offered_rps (gateway-wide, the same for every "
               "policy)",
               0.5, ROW1_Y, 0.5, ROW_H, "(b) Offered load (the same arrivals for every policy)",
               "tlabel", "requests per second");
  script_yrange(fp, fs->load_max);
  /* Column 3 is completed_rps: `series index N using ($1/tunit):3 with lines lt N+1` draws
   * what policy N served. */
  fputs("plot series index 0 using ($1/tunit):2 with filledcurves y1=0 fc rgb '#202020' "
        "fs transparent solid 0.12, \\\n"
        "  series index 0 using ($1/tunit):2 with lines lc rgb '#202020' lw 1.5 dt 1\n",
        fp);

  script_panel(fp, "(c) pods alive = pending + starting + ready + terminating, from timeseries.csv",
               0, ROW2_Y, 0.5, ROW_H, "(c) Pods alive (pending + starting + ready + terminating)",
               "tlabel", "pods");
  if (fs->pods_max <= 12)
    fprintf(fp, "set yrange [0:%ld]\nset ytics 1\n", fs->pods_max + 1);
  else
    fputs("set yrange [0:*]\n", fp);
  fputs("plot NaN", fp);
  script_ref_lines(fp, run, "series", "($1/tunit):4", "steps");
  for (size_t i = 0; i < run->npolicies; i++)
    fprintf(fp, ", \\\n  series index %zu using ($1/tunit):4 with steps lt %zu", i, i + 1);
  fputs("\nset ytics autofreq\n", fp);

  script_panel(fp, "(d) accumulated cost, from timeseries.csv cost", 0.5, ROW2_Y, 0.5, ROW_H,
               "(d) Accumulated cost", "tlabel", "cost ($)");
  script_yrange(fp, fs->cost_max);
  fputs("plot NaN", fp);
  for (size_t i = 0; i < run->npolicies; i++)
    fprintf(fp, ", \\\n  series index %zu using ($1/tunit):5 with lines lt %zu", i, i + 1);
  fputc('\n', fp);
}

static void script_bars(FILE *fp, const plot_run *run, const figure_stats *fs) {
  static const struct {
    const char *title, *ylabel, *label;
  } bars[4] = {
      {"(e) Mean E2E latency", "seconds", "%.2f"},
      {"(e) P99 E2E latency", "seconds", "%.2f"},
      {"(e) Total cost", "dollars", "$%.2f"},
      {"(e) Failed requests (timeout + failed)", "requests", "%.0f"},
  };
  fputs("\n# (e) bars from summary.csv: e2e_mean_s, e2e_p99_s, cost, timeout + failed\n"
        "set style fill solid 0.85 border lc rgb '#404040'\n"
        "set boxwidth 0.7\n"
        "unset grid\n"
        "set grid ytics lc rgb '#d0d0d0'\n"
        "set xlabel ''\n",
        fp);
  fprintf(fp, "set xrange [-0.6:%zu.4]\n", run->npolicies - 1);
  fputs("set xtics rotate by 30 right nomirror (", fp);
  for (size_t i = 0; i < run->npolicies; i++) {
    fputs(i ? ", " : "", fp);
    gp_str(fp, run->policies[i].name);
    fprintf(fp, " %zu", i);
  }
  fputs(")\nset offsets 0, 0, graph 0.15, 0\n", fp);
  for (int b = 0; b < 4; b++) {
    fprintf(fp, "set origin %.3f, 0.0\nset size 0.25, %.3f\nset title ", 0.25 * b, ROW_H - 0.01);
    gp_str(fp, bars[b].title);
    fputs(" font ',12'\nset ylabel ", fp);
    gp_str(fp, bars[b].ylabel);
    fputc('\n', fp);
    script_yrange(fp, fs->bar_max[b]);
    fprintf(fp,
            "plot bars using 1:%d:($1+1) with boxes lc variable, \\\n"
            "  bars using 1:%d:(sprintf('%s', $%d)) with labels offset 0,0.8 font ',10'\n",
            b + 2, b + 2, bars[b].label, b + 2);
  }
}

static void script_header(FILE *fp, const char *what, const plot_run *run) {
  fprintf(fp, "# podscale plot: %s of the run in ", what);
  put_name(fp, run->dir);
  fputs(".\n# Draw it again (after editing, if you like) with `gnuplot THIS_FILE` from any\n"
        "# directory; another output name: gnuplot -e \"out='other.png'\" THIS_FILE.\n",
        fp);
}

void plot_script_figure(FILE *fp, const plot_run *run, plot_format fmt, const char *stem,
                        const char *image) {
  assert(run->npolicies > 0);
  figure_stats fs = figure_stats_of(run);
  script_header(fp, "the autoscaler comparison", run);
  fputs("# Data next to it, one block (gnuplot index) per policy:", fp);
  for (size_t i = 0; i < run->npolicies; i++) {
    fprintf(fp, "%s %zu = ", i ? "," : "", i);
    put_name(fp, run->policies[i].name);
  }
  fputs(".\n\n", fp);
  script_preamble(fp, fmt, image, 1600, 1300);
  static const char *const data[3][2] = {
      {"cdf", "-cdf.dat"}, {"series", "-series.dat"}, {"bars", "-bars.dat"}};
  for (int k = 0; k < 3; k++) {
    fprintf(fp, "%s = here.", data[k][0]);
    gp_str2(fp, stem, data[k][1]);
    fputc('\n', fp);
  }
  script_policy_linetypes(fp, run);
  fputs("\nset lmargin 10\nset rmargin 3\nset multiplot title ", fp);
  if (run->title) {
    gp_str(fp, run->title);
  } else {
    char *title = concat("Autoscaler comparison: podscale run ", run->dir);
    char *vs = run->ref_dir ? concat(title, " vs measured ") : NULL;
    gp_str2(fp, vs ? vs : title, vs ? run->ref_dir : "");
    free(vs);
    free(title);
  }
  fputs(" font ',14'\n", fp);
  script_legend(fp, run);
  script_cdf(fp, run, &fs);
  script_time_panels(fp, run, &fs);
  script_bars(fp, run, &fs);
  fputs("\nunset multiplot\n", fp);
}

/* The distinct deployments of the timeline, in order of first appearance. */
static size_t timeline_deployments(const plot_run *run, const char **out, size_t max) {
  size_t n = 0;
  for (size_t i = 0; i < run->npolicies; i++)
    for (size_t k = 0; k < run->policies[i].ntracks; k++) {
      const char *d = run->policies[i].tracks[k].deployment;
      size_t j = 0;
      while (j < n && strcmp(out[j], d) != 0)
        j++;
      if (j == n && n < max) out[n++] = d;
    }
  return n;
}

static size_t index_of(const char **list, size_t n, const char *name) {
  size_t i = 0;
  while (i < n && strcmp(list[i], name) != 0)
    i++;
  return i;
}

void plot_script_timeline(FILE *fp, const plot_run *run, plot_format fmt, const char *stem,
                          const char *image) {
  assert(run->npolicies > 0);
  enum { MAX_DEPLOYMENTS = 256 };
  const char *deps[MAX_DEPLOYMENTS];
  size_t ndeps = timeline_deployments(run, deps, MAX_DEPLOYMENTS);
  double tmax = 0, ydesired = 0, yopt = 0;
  for (size_t i = 0; i < run->npolicies; i++)
    for (size_t k = 0; k < run->policies[i].ntracks; k++) {
      const plot_track *t = &run->policies[i].tracks[k];
      for (size_t j = 0; j < t->n; j++) {
        tmax = fmax(tmax, t->t_s[j]);
        if (t->kind == PLOT_TRACK_DESIRED)
          ydesired = fmax(ydesired, t->y[j]);
        else
          yopt = fmax(yopt, t->y[j]);
      }
    }
  /* The replicas set the scale. The optimizer's value may be far above them: AIBrix charges
   * traffic no profile can serve as a huge number of GPUs. It is cut at twice the replicas. */
  double ymax = ydesired > 0 ? fmax(ydesired, fmin(yopt, 2 * ydesired)) : yopt;
  size_t np = run->npolicies;
  int height = 80 + 260 * (int)(np < 100 ? np : 100);

  script_header(fp, "the autoscaler decisions (decisions.csv)", run);
  fputs("# One subplot per policy: each deployment's desired replicas (solid steps) and, for\n"
        "# the GPU optimizer, its value / 100 (dashed steps): the GPUs it asks for.\n\n",
        fp);
  script_preamble(fp, fmt, image, 1600, height < 600 ? 600 : height);
  fputs("decisions = here.", fp);
  gp_str2(fp, stem, ".dat");
  fputs("\n\n# Colours: one per deployment when there are several, else the policy's colour\n", fp);
  for (size_t d = 0; ndeps > 1 && d < ndeps; d++) {
    fprintf(fp, "set linetype %zu lc rgb '%s' lw 2 dt 1  # ", d + 1,
            deployment_colours[d % NDEPLOYMENT_COLOURS]);
    put_name(fp, deps[d]);
    fputc('\n', fp);
  }
  script_time_axis(fp, tmax);
  fprintf(fp, "set yrange [0:%g]\n", ymax > 0 ? ceil(ymax) + 1 : 1);
  if (ymax <= 12) fputs("set ytics 1\n", fp);
  fputs("set ylabel 'replicas or GPUs'\n"
        "set key at screen 0.715, graph 1 left top Left reverse\n"
        "set lmargin at screen 0.06\n"
        "set rmargin at screen 0.70\n"
        "set multiplot title ",
        fp);
  if (run->title)
    gp_str2(fp, "Autoscaler decisions: ", run->title);
  else
    gp_str2(fp, "Autoscaler decisions: podscale run ", run->dir);
  fprintf(fp, " font ',14' layout %zu,1\n", np);
  size_t index = 0;
  for (size_t i = 0; i < np; i++) {
    const plot_policy *p = &run->policies[i];
    const char *colour = policy_colours[i % NPOLICY_COLOURS];
    fputs("\nset title ", fp);
    gp_str(fp, p->name);
    fprintf(fp, " font ',12' tc rgb '%s'\n", colour);
    fputs(i == np - 1 ? "set xlabel tlabel\n" : "set xlabel ''\n", fp);
    fputs(p->ntracks ? "unset label 1\n" : "set label 1 'no decisions' at graph 0.5, 0.5 center\n",
          fp);
    double cut = 0;
    for (size_t k = 0; k < p->ntracks; k++)
      for (size_t j = 0; j < p->tracks[k].n; j++)
        if (p->tracks[k].kind != PLOT_TRACK_DESIRED && p->tracks[k].y[j] > ceil(ymax) + 1)
          cut = fmax(cut, p->tracks[k].y[j]);
    if (cut > 0)
      fprintf(fp,
              "set label 2 'optimizer GPUs above %g cut (up to %.6g: unservable traffic)' at "
              "graph 0.99, 0.93 right\n",
              ceil(ymax) + 1, cut);
    else
      fputs("unset label 2\n", fp);
    fputs("plot NaN", fp);
    for (size_t k = 0; k < p->ntracks; k++, index++) {
      const plot_track *t = &p->tracks[k];
      fprintf(fp, ", \\\n  decisions index %zu using ($1/tunit):2 with steps ", index);
      if (ndeps > 1)
        fprintf(fp, "lt %zu", index_of(deps, ndeps, t->deployment) + 1);
      else
        fprintf(fp, "lc rgb '%s'", colour);
      bool desired = t->kind == PLOT_TRACK_DESIRED;
      fputs(desired ? " lw 2 dt 1 title " : " lw 1.5 dt 2 title ", fp);
      char *key = concat(
          ndeps > 1 ? t->deployment : "",
          desired ? (ndeps > 1 ? ": desired replicas" : "desired replicas")
                  : (ndeps > 1 ? ": optimizer GPUs (value/100)" : "optimizer GPUs (value/100)"));
      gp_str(fp, key);
      free(key);
    }
    fputc('\n', fp);
  }
  fputs("\nunset multiplot\n", fp);
}

/* ---- writing the files ---- */

typedef void (*data_fn)(FILE *fp, const plot_run *run);

/* Write the data files and the script, each under a temporary name, then rename them all
 * (the script last) once every one is complete. */
static bool write_files(const plot_run *run, const char *image, const char *const *suffixes,
                        const data_fn *fns, size_t ndata, bool timeline, char *script, size_t n,
                        ps_err *err) {
  enum { MAX_FILES = 4 };
  assert(ndata < MAX_FILES);
  names nm;
  names_of(image, &nm);
  outfile f[MAX_FILES] = {{0}};
  bool ok = outfile_mkdirs(nm.dir, err);
  for (size_t k = 0; ok && k <= ndata; k++) {
    char *name = concat(nm.stem, k < ndata ? suffixes[k] : ".gp");
    ok = outfile_open(&f[k], nm.dir, name, err);
    free(name);
  }
  if (ok) {
    for (size_t k = 0; k < ndata; k++)
      fns[k](f[k].fp, run);
    if (timeline)
      plot_script_timeline(f[ndata].fp, run, nm.fmt, nm.stem, nm.file);
    else
      plot_script_figure(f[ndata].fp, run, nm.fmt, nm.stem, nm.file);
  }
  for (size_t k = 0; ok && k <= ndata; k++)
    ok = outfile_commit(&f[k], err);
  for (size_t k = 0; k <= ndata; k++)
    outfile_abort(&f[k]); /* nothing for a committed file */
  /* The script's path is the image's with .gp for its extension. */
  snprintf(script, n, "%.*s.gp", (int)(strrchr(image, '.') - image), image);
  names_free(&nm);
  return ok;
}

bool plot_write_figure(const plot_run *run, const char *image, char *script, size_t n,
                       ps_err *err) {
  static const char *const suffixes[] = {"-cdf.dat", "-series.dat", "-bars.dat"};
  static const data_fn fns[] = {write_cdf, write_series, write_bars};
  return write_files(run, image, suffixes, fns, 3, false, script, n, err);
}

bool plot_write_timeline(const plot_run *run, const char *image, char *script, size_t n,
                         ps_err *err) {
  static const char *const suffixes[] = {".dat"};
  static const data_fn fns[] = {write_timeline};
  return write_files(run, image, suffixes, fns, 1, true, script, n, err);
}

/* ---- running gnuplot ---- */

bool plot_have_gnuplot(void) {
  const char *path = getenv("PATH");
  if (!path) return false;
  char *dirs = xstrdup(path);
  bool found = false;
  char *save = NULL;
  for (char *d = strtok_r(dirs, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
    char *exe = path_join(d, "gnuplot");
    struct stat st;
    found = stat(exe, &st) == 0 && S_ISREG(st.st_mode) && access(exe, X_OK) == 0;
    free(exe);
  }
  free(dirs);
  return found;
}

/* Everything until end of file on fd, NUL-terminated. */
static char *read_all(int fd) {
  size_t n = 0, cap = 4096;
  char *s = xmalloc(cap);
  for (;;) {
    ssize_t got = read(fd, s + n, cap - n - 1);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    n += (size_t)got;
    if (n + 1 == cap) s = xrealloc(s, cap *= 2);
  }
  s[n] = '\0';
  return s;
}

/* Run `gnuplot -e "out='tmp'" script`, stdin and stdout on /dev/null, stderr into *errtext.
 * Returns its exit status, or -1 with *spawn_errno when it could not be started. */
static int run_gnuplot(const char *script, const char *tmp, char **errtext, int *spawn_errno) {
  size_t len = 2 * strlen(tmp) + 8;
  char *assign = xmalloc(len);
  char *a = assign + snprintf(assign, len, "out='");
  for (const char *s = tmp; *s; s++) {
    if (*s == '\'') *a++ = '\'';
    *a++ = *s;
  }
  strcpy(a, "'");
  char prog[] = "gnuplot", opt[] = "-e";
  char *argv[] = {prog, opt, assign, (char *)script, NULL};
  *errtext = NULL;
  *spawn_errno = 0;
  int fds[2];
  if (pipe(fds) != 0) {
    *spawn_errno = errno;
    free(assign);
    return -1;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
  posix_spawn_file_actions_addclose(&fa, fds[0]);
  posix_spawn_file_actions_addclose(&fa, fds[1]);
  pid_t pid;
  int rc = posix_spawnp(&pid, "gnuplot", &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  free(assign);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    *spawn_errno = rc;
    return -1;
  }
  *errtext = read_all(fds[0]);
  close(fds[0]);
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) {
      *spawn_errno = errno;
      return -1;
    }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

plot_status plot_render(const char *script, const char *image, void (*warn)(const char *line),
                        ps_err *err) {
  names nm;
  names_of(image, &nm);
  char suffix[32];
  snprintf(suffix, sizeof suffix, ".tmp.%ld", (long)getpid());
  char *hidden = concat(".", nm.file), *tmpname = concat(hidden, suffix);
  char *tmp = path_join(nm.dir, tmpname); /* as analysis/outfile.h names its files */
  free(hidden);
  free(tmpname);
  names_free(&nm);

  char *errtext;
  int spawn_errno;
  int rc = run_gnuplot(script, tmp, &errtext, &spawn_errno);
  plot_status st = PLOT_FAILED;
  struct stat sb;
  if (rc < 0 && spawn_errno == ENOENT) {
    st = PLOT_NO_GNUPLOT;
  } else if (rc < 0) {
    ps_fail(err, "cannot run gnuplot: %s", strerror(spawn_errno));
  } else if (rc != 0) {
    size_t n = strlen(errtext);
    while (n && (errtext[n - 1] == '\n' || errtext[n - 1] == ' '))
      errtext[--n] = '\0';
    ps_fail(err, "gnuplot %s exited with status %d%s%s", script, rc, n ? ":\n" : "", errtext);
  } else if (stat(tmp, &sb) != 0 || sb.st_size == 0) {
    ps_fail(err, "gnuplot %s exited with status 0 but drew nothing into %s", script, tmp);
  } else if (rename(tmp, image) != 0) {
    ps_fail(err, "%s: cannot rename to %s: %s", tmp, image, strerror(errno));
  } else {
    st = PLOT_OK;
  }
  if (st == PLOT_OK && warn) {
    char *save = NULL;
    for (char *line = strtok_r(errtext, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
      if (line[strspn(line, " \t")]) warn(line);
  }
  if (st != PLOT_OK) unlink(tmp);
  free(errtext);
  free(tmp);
  return st;
}
