#include "analysis/compare.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "analysis/csvr.h"
#include "base/xalloc.h"

/* ---- reading ---- */

typedef struct reading {
  cmp_summary *s;
  size_t cap;     /* rows allocated in s->policies and s->values */
  long *lines;    /* line of each policy's row, for duplicate messages */
  bool seen_head; /* the header has been read */
} reading;

static long column_index(const cmp_summary *s, const char *name, size_t len) {
  for (size_t i = 0; i < s->ncolumns; i++)
    if (strlen(s->columns[i]) == len && !strncmp(s->columns[i], name, len)) return (long)i;
  return -1;
}

static bool read_header(reading *r, long line, char **fields, size_t n, ps_err *err) {
  cmp_summary *s = r->s;
  s->columns = xcalloc(n, sizeof *s->columns);
  for (size_t i = 0; i < n; i++) {
    if (column_index(s, fields[i], strlen(fields[i])) >= 0)
      return ps_fail(err, "%s:%ld: column '%s' appears twice in the header", s->path, line,
                     fields[i]);
    s->columns[s->ncolumns++] = xstrdup(fields[i]);
  }
  long p = column_index(s, "policy", strlen("policy"));
  if (p < 0)
    return ps_fail(err, "%s:%ld: expected a header with a 'policy' column, found '%s'%s", s->path,
                   line, n ? fields[0] : "", n > 1 ? ",..." : "");
  s->policy_col = (size_t)p;
  r->seen_head = true;
  return true;
}

static bool read_row(void *ctx, long line, char **fields, size_t n, ps_err *err) {
  reading *r = ctx;
  cmp_summary *s = r->s;
  if (!r->seen_head) return read_header(r, line, fields, n, err);
  if (n != s->ncolumns)
    return ps_fail(err, "%s:%ld: expected %zu fields as in the header, found %zu", s->path, line,
                   s->ncolumns, n);
  const char *name = fields[s->policy_col];
  if (!*name)
    return ps_fail(err, "%s:%ld: expected a policy name, found an empty field", s->path, line);
  long dup = cmp_summary_policy(s, name);
  if (dup >= 0)
    return ps_fail(err, "%s:%ld: policy '%s' appears twice (first on line %ld)", s->path, line,
                   name, r->lines[dup]);
  if (s->npolicies == r->cap) {
    r->cap = r->cap ? 2 * r->cap : 8;
    s->policies = xrealloc(s->policies, r->cap * sizeof *s->policies);
    s->values = xrealloc(s->values, r->cap * s->ncolumns * sizeof *s->values);
    r->lines = xrealloc(r->lines, r->cap * sizeof *r->lines);
  }
  double *v = s->values + s->npolicies * s->ncolumns;
  for (size_t i = 0; i < n; i++) {
    v[i] = NAN;
    if (i == s->policy_col || !*fields[i]) continue;
    /* every figure of a summary (counts, costs, times, shares) is at least 0 */
    if (!csvr_double(fields[i], &v[i]) || v[i] < 0)
      return ps_fail(err,
                     "%s:%ld: column '%s': expected a number of at least 0 or an empty field, "
                     "found '%s'",
                     s->path, line, s->columns[i], fields[i]);
  }
  r->lines[s->npolicies] = line;
  s->policies[s->npolicies++] = xstrdup(name);
  return true;
}

bool cmp_summary_read(const char *path, cmp_summary *s, ps_err *err) {
  *s = (cmp_summary){.path = xstrdup(path)};
  reading r = {.s = s};
  bool ok = csvr_read(path, read_row, &r, err);
  if (ok && !r.seen_head) ok = ps_fail(err, "%s: empty file, expected a header line", path);
  free(r.lines);
  if (!ok) cmp_summary_free(s);
  return ok;
}

bool cmp_summary_load(const char *dir, cmp_summary *s, ps_err *err) {
  struct stat st;
  if (stat(dir, &st) != 0) return ps_fail(err, "%s: cannot open: %s", dir, strerror(errno));
  if (!S_ISDIR(st.st_mode))
    return ps_fail(err, "%s: expected a podscale run output directory, found a file", dir);
  size_t n = strlen(dir) + sizeof "/summary.csv";
  char *path = xmalloc(n);
  snprintf(path, n, "%s/summary.csv", dir);
  bool ok = true;
  if (stat(path, &st) != 0)
    ok = ps_fail(err, "%s: no summary.csv (expected the output directory of podscale run)", dir);
  else
    ok = cmp_summary_read(path, s, err);
  free(path);
  return ok;
}

void cmp_summary_free(cmp_summary *s) {
  for (size_t i = 0; i < s->ncolumns; i++)
    free(s->columns[i]);
  for (size_t i = 0; i < s->npolicies; i++)
    free(s->policies[i]);
  free(s->columns);
  free(s->policies);
  free(s->values);
  free(s->path);
  *s = (cmp_summary){0};
}

long cmp_summary_policy(const cmp_summary *s, const char *policy) {
  for (size_t i = 0; i < s->npolicies; i++)
    if (!strcmp(s->policies[i], policy)) return (long)i;
  return -1;
}

/* Visit the columns of a metric ("a+b+c"); false at the first that is missing or the policy
 * column. With row >= 0, *sum gets their sum for that row. */
static bool metric_columns(const cmp_summary *s, const char *metric, long row, double *sum) {
  double total = 0;
  for (const char *p = metric;;) {
    size_t len = strcspn(p, "+");
    long c = column_index(s, p, len);
    if (len == 0 || c < 0 || (size_t)c == s->policy_col) return false;
    if (row >= 0) total += s->values[(size_t)row * s->ncolumns + (size_t)c];
    if (!p[len]) break;
    p += len + 1;
  }
  if (sum) *sum = total;
  return true;
}

bool cmp_summary_has_metric(const cmp_summary *s, const char *metric) {
  return metric_columns(s, metric, -1, NULL);
}

double cmp_summary_value(const cmp_summary *s, size_t row, const char *metric) {
  assert(row < s->npolicies);
  double v;
  bool ok = metric_columns(s, metric, (long)row, &v);
  assert(ok);
  (void)ok;
  return v;
}

/* ---- differences ---- */

cmp_diff cmp_diff_of(double a, double b) {
  if (isnan(a) || isnan(b)) return (cmp_diff){NAN, NAN};
  double d = b - a;
  if (d == 0) return (cmp_diff){0, 0};
  if (a == 0) return (cmp_diff){d, copysign(INFINITY, d)};
  return (cmp_diff){d, d / fabs(a)};
}

bool cmp_drifted(double a, double b, double tol) {
  if (isnan(a) || isnan(b)) return isnan(a) != isnan(b);
  return fabs(b - a) > tol * fmax(fabs(a), fabs(b));
}

/* ---- the table ---- */

static size_t table_cell(const cmp_table *t, size_t policy, size_t run) {
  assert(policy < t->npolicies && run < t->nruns);
  return policy * t->nruns + run;
}

double cmp_table_value(const cmp_table *t, size_t policy, size_t run, size_t metric) {
  assert(metric < t->nmetrics);
  return t->values[table_cell(t, policy, run) * t->nmetrics + metric];
}

bool cmp_table_present(const cmp_table *t, size_t policy, size_t run) {
  return t->present[table_cell(t, policy, run)];
}

static long table_policy(const cmp_table *t, const char *name) {
  for (size_t i = 0; i < t->npolicies; i++)
    if (!strcmp(t->policies[i], name)) return (long)i;
  return -1;
}

bool cmp_table_make(const cmp_summary *runs, size_t nruns, const char *const *metrics,
                    size_t nmetrics, cmp_table *t, ps_err *err) {
  *t = (cmp_table){.nruns = nruns};
  size_t total = 0;
  for (size_t r = 0; r < nruns; r++) {
    for (size_t m = 0; m < nmetrics; m++)
      if (!cmp_summary_has_metric(&runs[r], metrics[m]))
        return ps_fail(err, "%s: no column for the metric '%s'", runs[r].path, metrics[m]);
    total += runs[r].npolicies;
  }
  t->policies = xcalloc(total, sizeof *t->policies);
  for (size_t r = 0; r < nruns; r++)
    for (size_t i = 0; i < runs[r].npolicies; i++)
      if (table_policy(t, runs[r].policies[i]) < 0)
        t->policies[t->npolicies++] = xstrdup(runs[r].policies[i]);
  t->nmetrics = nmetrics;
  t->metrics = xcalloc(nmetrics, sizeof *t->metrics);
  for (size_t m = 0; m < nmetrics; m++)
    t->metrics[m] = xstrdup(metrics[m]);
  size_t cells = t->npolicies * nruns;
  t->present = xcalloc(cells, sizeof *t->present);
  t->values = xcalloc(cells * nmetrics, sizeof *t->values);
  for (size_t p = 0; p < t->npolicies; p++)
    for (size_t r = 0; r < nruns; r++) {
      size_t c = table_cell(t, p, r);
      long row = cmp_summary_policy(&runs[r], t->policies[p]);
      t->present[c] = row >= 0;
      for (size_t m = 0; m < nmetrics; m++)
        t->values[c * nmetrics + m] =
            row >= 0 ? cmp_summary_value(&runs[r], (size_t)row, metrics[m]) : NAN;
    }
  return true;
}

void cmp_table_free(cmp_table *t) {
  for (size_t i = 0; i < t->npolicies; i++)
    free(t->policies[i]);
  for (size_t i = 0; i < t->nmetrics; i++)
    free(t->metrics[i]);
  free(t->policies);
  free(t->metrics);
  free(t->values);
  free(t->present);
  *t = (cmp_table){0};
}

static void drift_add(cmp_drift **d, size_t *n, size_t *cap, cmp_drift x) {
  if (*n == *cap) {
    *cap = *cap ? 2 * *cap : 16;
    *d = xrealloc(*d, *cap * sizeof **d);
  }
  (*d)[(*n)++] = x;
}

cmp_drift *cmp_table_drifts(const cmp_table *t, double tol, size_t *n) {
  cmp_drift *d = NULL;
  size_t cap = 0;
  *n = 0;
  for (size_t r = 1; r < t->nruns; r++)
    for (size_t p = 0; p < t->npolicies; p++) {
      if (!cmp_table_present(t, p, 0)) continue;
      if (!cmp_table_present(t, p, r)) {
        drift_add(&d, n, &cap, (cmp_drift){r, p, -1, NAN, NAN});
        continue;
      }
      for (size_t m = 0; m < t->nmetrics; m++) {
        double a = cmp_table_value(t, p, 0, m), b = cmp_table_value(t, p, r, m);
        if (cmp_drifted(a, b, tol)) drift_add(&d, n, &cap, (cmp_drift){r, p, (long)m, a, b});
      }
    }
  return d;
}
