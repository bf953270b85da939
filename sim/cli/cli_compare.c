/* `podscale compare`: the summaries of several run directories side by side, with each run's
 * difference from the first, and a drift check for CI (analysis/compare.h; docs/compare.md).
 * With --measured, one run beside runs measured on a real cluster (analysis/measured.h): the
 * same command, since it shares the number formats, the --check convention and the exit
 * statuses. */
#include <float.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/compare.h"
#include "analysis/measured.h"
#include "analysis/rundigest.h"
#include "base/xalloc.h"
#include "sim/cli/cli.h"

static const char compare_help[] =
    "usage: podscale compare DIR_A DIR_B [DIR...] [--check TOLERANCE] [--metrics LIST]\n"
    "       podscale compare RUN_DIR --measured MEASURED_DIR [--check TOLERANCES]\n"
    "\n"
    "Print the summary.csv of several `podscale run` output directories side by side: one row\n"
    "per policy, and for each metric the value in DIR_A (the baseline) and the value in every\n"
    "other directory with its difference from DIR_A, absolute and relative.\n"
    "\n"
    "  --check TOL     exit 1 if a value differs from DIR_A's by more than TOL relative\n"
    "                  (|b-a| > TOL*max(|a|,|b|)), or a policy of DIR_A is missing; every\n"
    "                  difference is listed on stderr (0.05 is 5%)\n"
    "  --metrics LIST  comma-separated summary.csv columns to show and check (a sum of columns\n"
    "                  is written with '+'); default: cost,e2e_mean_s,e2e_p99_s,ttft_p99_s,\n"
    "                  timeout+failed,slo_attainment,peak_pods\n"
    "  --measured DIR  compare RUN_DIR with runs measured on a cluster (docs/compare.md,\n"
    "                  \"Measured-run format\"), policy by policy: sent, completed, failed,\n"
    "                  e2e_mean, e2e_p50, e2e_p90, e2e_p99, pod_hours, pods_mean, pods_mae,\n"
    "                  each measured, simulated and sim/meas - 1; then the order of the\n"
    "                  policies by e2e_mean and by pod_hours on each side. --check then takes\n"
    "                  TOL for every metric or METRIC=TOL,... (e2e_mean=0.25,pod_hours=0.2)\n"
    "                  and exits 1 when |sim/meas - 1| > TOL or a measured policy is missing\n"
    "\n"
    "exit status: 0 ok (no drift), 1 drift found by --check, 2 bad input\n"
    "docs: docs/compare.md\n";

static const char default_metrics[] =
    "cost,e2e_mean_s,e2e_p99_s,ttft_p99_s,timeout+failed,slo_attainment,peak_pods";

/* How a metric's numbers are written; chosen from its name, then from its values. */
typedef enum cmp_style {
  STYLE_MONEY,    /* dollars: 3 decimals */
  STYLE_SECONDS,  /* 3 significant digits */
  STYLE_FRACTION, /* 0-1: 4 decimals */
  STYLE_COUNT,    /* whole numbers */
  STYLE_REAL,     /* anything else: 3 decimals */
} cmp_style;

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n >= k && !strcmp(s + n - k, suffix);
}

static cmp_style metric_style(const cmp_table *t, size_t m) {
  const char *name = t->metrics[m];
  if (strstr(name, "cost")) return STYLE_MONEY;
  if (ends_with(name, "_s")) return STYLE_SECONDS;
  if (!strcmp(name, "slo_attainment")) return STYLE_FRACTION;
  for (size_t p = 0; p < t->npolicies; p++)
    for (size_t r = 0; r < t->nruns; r++) {
      double v = cmp_table_value(t, p, r, m);
      if (!isnan(v) && (v != floor(v) || fabs(v) > 1e15)) return STYLE_REAL;
    }
  return STYLE_COUNT;
}

/* Decimals that show 3 significant digits of x, from 0 to 6. */
static int sig3_decimals(double x) {
  if (x == 0) return 0;
  int d = 2 - (int)floor(log10(fabs(x)));
  return d < 0 ? 0 : d > 6 ? 6 : d;
}

/* A value, or with sign a difference; a difference too small for the style's decimals gets 3
 * significant digits rather than showing as +0.000. */
static void format_number(char *buf, size_t n, double x, cmp_style style, bool sign) {
  int decimals = style == STYLE_MONEY || style == STYLE_REAL ? 3
                 : style == STYLE_FRACTION                   ? 4
                 : style == STYLE_SECONDS                    ? sig3_decimals(x)
                                                             : 0;
  if (sign && style != STYLE_COUNT && fabs(x) < 0.5 * pow(10, -decimals))
    decimals = sig3_decimals(x);
  snprintf(buf, n, sign ? "%+.*f" : "%.*f", decimals, x);
}

/* A relative difference as a percentage, with more digits when it is under 0.1%. */
static void format_percent(char *buf, size_t n, double rel) {
  double pct = 100 * rel;
  if (isinf(pct))
    snprintf(buf, n, "%cinf%%", pct > 0 ? '+' : '-');
  else if (pct == 0 || fabs(pct) >= 0.1)
    snprintf(buf, n, "%+.1f%%", pct);
  else
    snprintf(buf, n, "%+.2g%%", pct);
}

/* Spreadsheet labels for the runs: A..Z, AA, AB, ... */
static void run_label(size_t i, char buf[16]) {
  char tmp[16];
  size_t n = 0;
  for (size_t k = i + 1; k > 0 && n < sizeof tmp - 1; k = (k - 1) / 26)
    tmp[n++] = (char)('A' + (k - 1) % 26);
  for (size_t j = 0; j < n; j++)
    buf[j] = tmp[n - 1 - j];
  buf[n] = '\0';
}

enum { CELL = 80 }; /* bytes of a cell's text: two numbers of under 32 and punctuation */

/* The text of every cell, and the widths that align them. */
typedef struct layout {
  char *value;    /* [policy][run][metric][CELL]: the number, "-" or "n/a" */
  char *diff;     /* [policy][run][metric][CELL]: "(+abs, +rel%)", "(=)" or "" */
  size_t *wvalue; /* [run][metric]: width of the value part */
  size_t *wdiff;  /* [run][metric]: width of the diff part (0 for the baseline) */
  size_t wpolicy; /* width of the policy column */
} layout;

static size_t cell_at(const cmp_table *t, size_t p, size_t r, size_t m) {
  return ((p * t->nruns + r) * t->nmetrics + m) * CELL;
}

static void fill_cell(const cmp_table *t, cmp_style style, size_t p, size_t r, size_t m,
                      char *value, char *diff) {
  diff[0] = '\0';
  if (!cmp_table_present(t, p, r)) {
    strcpy(value, "-");
    return;
  }
  double b = cmp_table_value(t, p, r, m);
  if (isnan(b)) {
    strcpy(value, "n/a");
    return;
  }
  format_number(value, CELL, b, style, false);
  if (r == 0 || !cmp_table_present(t, p, 0)) return;
  cmp_diff d = cmp_diff_of(cmp_table_value(t, p, 0, m), b);
  if (isnan(d.abs)) return;
  if (d.abs == 0) {
    strcpy(diff, "(=)");
    return;
  }
  char abs[32], rel[32];
  format_number(abs, sizeof abs, d.abs, style, true);
  format_percent(rel, sizeof rel, d.rel);
  snprintf(diff, CELL, "(%s, %s)", abs, rel);
}

static void layout_make(const cmp_table *t, layout *l) {
  size_t cells = t->npolicies * t->nruns * t->nmetrics;
  l->value = xcalloc(cells, CELL);
  l->diff = xcalloc(cells, CELL);
  l->wvalue = xcalloc(t->nruns * t->nmetrics, sizeof *l->wvalue);
  l->wdiff = xcalloc(t->nruns * t->nmetrics, sizeof *l->wdiff);
  l->wpolicy = strlen("policy");
  for (size_t p = 0; p < t->npolicies; p++)
    if (strlen(t->policies[p]) > l->wpolicy) l->wpolicy = strlen(t->policies[p]);
  for (size_t m = 0; m < t->nmetrics; m++) {
    cmp_style style = metric_style(t, m);
    for (size_t r = 0; r < t->nruns; r++) {
      char label[16];
      run_label(r, label);
      size_t *wv = &l->wvalue[r * t->nmetrics + m], *wd = &l->wdiff[r * t->nmetrics + m];
      *wv = strlen(label);
      for (size_t p = 0; p < t->npolicies; p++) {
        char *value = l->value + cell_at(t, p, r, m), *diff = l->diff + cell_at(t, p, r, m);
        fill_cell(t, style, p, r, m, value, diff);
        if (strlen(value) > *wv) *wv = strlen(value);
        if (strlen(diff) > *wd) *wd = strlen(diff);
      }
    }
  }
}

static void layout_free(layout *l) {
  free(l->value);
  free(l->diff);
  free(l->wvalue);
  free(l->wdiff);
}

static size_t column_width(const cmp_table *t, const layout *l, size_t r, size_t m) {
  size_t wd = l->wdiff[r * t->nmetrics + m];
  return l->wvalue[r * t->nmetrics + m] + (wd ? 1 + wd : 0);
}

/* Width of a metric's group of columns: its runs, two spaces apart, or its name if longer. */
static size_t group_width(const cmp_table *t, const layout *l, size_t m) {
  size_t w = 0;
  for (size_t r = 0; r < t->nruns; r++)
    w += column_width(t, l, r, m) + (r ? 2 : 0);
  return w > strlen(t->metrics[m]) ? w : strlen(t->metrics[m]);
}

/* One table line; trailing spaces are cut. */
static void print_line(char *line, size_t len) {
  while (len > 0 && line[len - 1] == ' ')
    len--;
  printf("%.*s\n", (int)len, line);
}

static void print_table(const cmp_table *t, const layout *l, char *const *dirs) {
  for (size_t r = 0; r < t->nruns; r++) {
    char label[16];
    run_label(r, label);
    printf("%s: %s%s\n", label, dirs[r], r == 0 ? " (baseline)" : "");
  }
  printf("\n");
  size_t width = l->wpolicy;
  for (size_t m = 0; m < t->nmetrics; m++)
    width += 3 + group_width(t, l, m);
  char *line = xmalloc(width + 1);
  /* Two header lines (metrics, then run labels), then one line per policy. */
  for (long row = -2; row < (long)t->npolicies; row++) {
    size_t at = (size_t)snprintf(line, width + 1, "%-*s", (int)l->wpolicy,
                                 row == -2   ? "policy"
                                 : row == -1 ? ""
                                             : t->policies[row]);
    for (size_t m = 0; m < t->nmetrics; m++) {
      size_t start = at + 3, gw = group_width(t, l, m);
      memset(line + at, ' ', 3 + gw);
      at = start;
      if (row == -2) memcpy(line + at, t->metrics[m], strlen(t->metrics[m]));
      for (size_t r = 0; row != -2 && r < t->nruns; r++) {
        size_t wv = l->wvalue[r * t->nmetrics + m];
        char label[16];
        run_label(r, label);
        const char *value = row == -1 ? label : l->value + cell_at(t, (size_t)row, r, m);
        const char *diff = row == -1 ? "" : l->diff + cell_at(t, (size_t)row, r, m);
        memcpy(line + at + wv - strlen(value), value, strlen(value));
        if (*diff) memcpy(line + at + wv + 1, diff, strlen(diff));
        at += column_width(t, l, r, m) + 2;
      }
      at = start + gw;
    }
    print_line(line, at);
  }
  free(line);
}

/* Directories whose outputs are those of the baseline, byte for byte or in every figure of
 * summary.csv: whatever made them differ changed nothing (said on stderr). */
static void note_unchanged(char *const *dirs, int n) {
  run_digest base = run_digest_of(dirs[0]);
  for (int i = 1; i < n; i++) {
    run_digest d = run_digest_of(dirs[i]);
    unsigned diff = run_digest_diff(&base, &d);
    char files[160];
    if (diff == 0)
      fprintf(stderr,
              "podscale: note: compare: %s has the same outputs as %s, byte for byte (%s): "
              "whatever differs between the two runs changed nothing\n",
              dirs[i], dirs[0], run_digest_list((1u << RUN_DIGEST_FILES) - 1, files, sizeof files));
    else if (!(diff & 1u))
      fprintf(stderr, "podscale: note: compare: %s has the same summary.csv as %s; only %s %s\n",
              dirs[i], dirs[0], run_digest_list(diff, files, sizeof files),
              (diff & (diff - 1)) ? "differ" : "differs");
  }
}

/* `DIR: policy: metric: a -> b (+x%)` for every drift; returns how many. */
static size_t report_drifts(const cmp_table *t, char *const *dirs, double tol) {
  size_t n;
  cmp_drift *d = cmp_table_drifts(t, tol, &n);
  for (size_t i = 0; i < n; i++) {
    const char *dir = dirs[d[i].run], *policy = t->policies[d[i].policy];
    if (d[i].metric < 0) {
      fprintf(stderr, "%s: %s: missing (%s has it)\n", dir, policy, dirs[0]);
      continue;
    }
    char a[32] = "n/a", b[32] = "n/a", rel[32] = "";
    if (!isnan(d[i].a)) snprintf(a, sizeof a, "%.15g", d[i].a);
    if (!isnan(d[i].b)) snprintf(b, sizeof b, "%.15g", d[i].b);
    cmp_diff df = cmp_diff_of(d[i].a, d[i].b);
    if (!isnan(df.rel)) {
      rel[0] = ' ', rel[1] = '(';
      format_percent(rel + 2, sizeof rel - 3, df.rel);
      strcat(rel, ")");
    }
    fprintf(stderr, "%s: %s: %s: %s -> %s%s\n", dir, policy, t->metrics[d[i].metric], a, b, rel);
  }
  free(d);
  return n;
}

/* The end of --check after n differences were listed: a line on stderr and status 1, or a line
 * on stdout saying there was none. */
static int check_status(size_t n, const char *what) {
  if (n) {
    fprintf(stderr, "podscale: compare: %zu difference%s beyond %s\n", n, n == 1 ? "" : "s", what);
    return EXIT_RUNTIME;
  }
  printf("\nno difference beyond %s\n", what);
  return EXIT_OK;
}

/* Split a comma-separated list in place; false on an empty item. */
static bool split_metrics(char *list, char **items, size_t *n) {
  *n = 0;
  for (char *p = list;; p++) {
    items[(*n)++] = p;
    p += strcspn(p, ",");
    bool last = !*p;
    *p = '\0';
    if (!*items[*n - 1]) return false;
    if (last) return true;
  }
}

static char *valid_metrics(const cmp_summary *s) {
  size_t n = 1;
  for (size_t i = 0; i < s->ncolumns; i++)
    n += strlen(s->columns[i]) + 2;
  char *text = xcalloc(n, 1);
  for (size_t i = 0; i < s->ncolumns; i++)
    if (i != s->policy_col) {
      if (*text) strcat(text, ", ");
      strcat(text, s->columns[i]);
    }
  return text;
}

/* ---- --measured: one run beside measured runs ---- */

static const cmp_style measured_styles[MEAS_NMETRICS] = {
    STYLE_COUNT,   STYLE_COUNT,   STYLE_COUNT, STYLE_SECONDS, STYLE_SECONDS,
    STYLE_SECONDS, STYLE_SECONDS, STYLE_REAL,  STYLE_REAL,    STYLE_REAL,
};
static const char *const measured_units[MEAS_NMETRICS] = {
    "requests", "requests", "requests", "s", "s", "s", "s", "hours", "pods", "pods",
};

/* The tolerance of each metric; NAN where none is asked. */
typedef struct tolerances {
  double tol[MEAS_NMETRICS];
  bool any; /* at least one is set */
} tolerances;

/* "TOL" for every metric, or "METRIC=TOL,..."; false after a usage error. */
static bool parse_tolerances(const char *arg, tolerances *t) {
  double all;
  for (int m = 0; m < MEAS_NMETRICS; m++)
    t->tol[m] = NAN;
  t->any = true;
  if (cli_real(arg, 0, DBL_MAX, &all)) {
    for (int m = 0; m < MEAS_NMETRICS; m++)
      t->tol[m] = all;
    return true;
  }
  char *list = xstrdup(arg), *save = NULL;
  bool ok = *list != '\0';
  for (char *item = strtok_r(list, ",", &save); ok && item; item = strtok_r(NULL, ",", &save)) {
    char *eq = strchr(item, '=');
    int m = 0;
    if (eq) *eq = '\0';
    while (m < MEAS_NMETRICS && strcmp(item, meas_metric_names[m]) != 0)
      m++;
    ok = eq && m < MEAS_NMETRICS && cli_real(eq + 1, 0, DBL_MAX, &t->tol[m]);
    if (!ok)
      cli_usage_error("compare: --check: expected TOL or METRIC=TOL,... with TOL >= 0 and METRIC "
                      "one of sent, completed, failed, e2e_mean, e2e_p50, e2e_p90, e2e_p99, "
                      "pod_hours, pods_mean, pods_mae; found '%s'",
                      arg);
  }
  free(list);
  return ok;
}

/* A value of metric m, or "-" when missing. */
static void format_measured(char *buf, size_t n, double v, meas_metric m) {
  if (isnan(v))
    snprintf(buf, n, "-");
  else
    format_number(buf, n, v, measured_styles[m], false);
}

static void print_measured_header(const char *run, const char *measured) {
  printf("measured:  %s\nsimulated: %s\n\n", measured, run);
  printf("%-15s %-10s %-9s %10s %10s %11s\n", "policy", "metric", "unit", "measured", "simulated",
         "sim/meas-1");
}

static void print_measured_policy(const char *name, const meas_cmp *c) {
  for (int m = 0; m < MEAS_NMETRICS; m++) {
    char meas[CELL], sim[CELL], rel[CELL] = "-";
    format_measured(meas, sizeof meas, c->meas[m], (meas_metric)m);
    format_measured(sim, sizeof sim, c->sim[m], (meas_metric)m);
    /* summary.csv holds 6 decimals: a relative difference under 1e-9 is rounding, not error */
    if (!isnan(c->rel[m])) format_percent(rel, sizeof rel, fabs(c->rel[m]) < 1e-9 ? 0 : c->rel[m]);
    printf("%-15s %-10s %-9s %10s %10s %11s\n", m == 0 ? name : "", meas_metric_names[m],
           measured_units[m], meas, sim, rel);
  }
}

/* The policies of both sides in the measured set's order: index into each. */
typedef struct pairing {
  size_t *meas, *sim; /* [k]: the k-th common policy's index in each set */
  size_t n;           /* common policies */
} pairing;

static pairing pair_policies(const meas_set *meas, const meas_set *sim) {
  pairing pr = {xcalloc(meas->npolicies + 1, sizeof(size_t)),
                xcalloc(meas->npolicies + 1, sizeof(size_t)), 0};
  for (size_t i = 0; i < meas->npolicies; i++) {
    long j = meas_policy_index(sim, meas->policies[i].name);
    if (j < 0) continue;
    pr.meas[pr.n] = i;
    pr.sim[pr.n++] = (size_t)j;
  }
  return pr;
}

/* Policies of `set` that `other` lacks, on one line after label. */
static void print_one_sided(const meas_set *set, const meas_set *other, const char *label) {
  size_t n = 0;
  for (size_t i = 0; i < set->npolicies; i++)
    if (meas_policy_index(other, set->policies[i].name) < 0)
      printf("%s%s", n++ ? ", " : label, set->policies[i].name);
  if (n) putchar('\n');
}

/* "a 1.2 < b 3.4 = c 3.4", lowest first (ties in the measured set's order). */
static void print_order(const char *label, const meas_set *set, const size_t *idx, const double *v,
                        size_t n, meas_metric m) {
  size_t *order = xcalloc(n + 1, sizeof *order);
  for (size_t k = 0; k < n; k++) {
    size_t at = k;
    while (at > 0 && v[order[at - 1]] > v[k]) {
      order[at] = order[at - 1];
      at--;
    }
    order[at] = k;
  }
  printf("  %-10s", label);
  for (size_t k = 0; k < n; k++) {
    char num[CELL];
    format_measured(num, sizeof num, v[order[k]], m);
    printf("%s%s %s",
           k == 0                           ? " "
           : v[order[k]] == v[order[k - 1]] ? " = "
                                            : " < ",
           set->policies[idx[order[k]]].name, num);
  }
  putchar('\n');
  free(order);
}

static void print_ranks(const meas_set *meas, const meas_set *sim, const pairing *pr,
                        const meas_cmp *cmps) {
  static const meas_metric ranked[] = {MEAS_E2E_MEAN, MEAS_POD_HOURS};
  double *a = xcalloc(pr->n + 1, sizeof *a), *b = xcalloc(pr->n + 1, sizeof *b);
  for (size_t r = 0; r < 2; r++) {
    meas_metric m = ranked[r];
    for (size_t k = 0; k < pr->n; k++) {
      a[k] = cmps[k].meas[m];
      b[k] = cmps[k].sim[m];
    }
    printf("\npolicies by %s, lowest first:\n", meas_metric_names[m]);
    print_order("measured:", meas, pr->meas, a, pr->n, m);
    print_order("simulated:", sim, pr->sim, b, pr->n, m);
    size_t pairs = pr->n * (pr->n - 1) / 2, alike = meas_pairs_alike(a, b, pr->n);
    printf("  %s: %zu of %zu pairs of policies in the same order\n",
           alike == pairs ? "the orders agree" : "the orders differ", alike, pairs);
  }
  free(a);
  free(b);
}

/* Every metric beyond its tolerance, and every measured policy the run lacks, on stderr. */
static size_t report_beyond(const meas_set *meas, const meas_set *sim, const pairing *pr,
                            const meas_cmp *cmps, const tolerances *t) {
  size_t n = 0;
  for (size_t i = 0; i < meas->npolicies; i++)
    if (meas_policy_index(sim, meas->policies[i].name) < 0) {
      fprintf(stderr, "%s: %s: missing (%s has it)\n", sim->dir, meas->policies[i].name, meas->dir);
      n++;
    }
  for (size_t k = 0; k < pr->n; k++)
    for (int m = 0; m < MEAS_NMETRICS; m++) {
      if (isnan(t->tol[m]) || !meas_beyond(&cmps[k], (meas_metric)m, t->tol[m])) continue;
      char rel[32] = "n/a";
      if (!isnan(cmps[k].rel[m])) format_percent(rel, sizeof rel, cmps[k].rel[m]);
      fprintf(stderr, "%s: %s: %s: %.15g -> %.15g (%s), beyond %g\n", sim->dir,
              meas->policies[pr->meas[k]].name, meas_metric_names[m], cmps[k].meas[m],
              cmps[k].sim[m], rel, t->tol[m]);
      n++;
    }
  return n;
}

/* The time ranges pods_mean and pods_mae cover: one when every policy has the same. */
static void print_pods_ranges(const meas_set *meas, const pairing *pr, const meas_cmp *cmps) {
  bool same = true;
  for (size_t k = 1; k < pr->n; k++)
    same = same && cmps[k].t0_s == cmps[0].t0_s && cmps[k].t1_s == cmps[0].t1_s;
  printf("\npods_mean and pods_mae cover the time both sides have pods for,");
  for (size_t k = 0; k < pr->n; k++) {
    if (!same) printf("\n  %s:", meas->policies[pr->meas[k]].name);
    if (isnan(cmps[k].t0_s))
      printf(" no common time");
    else
      printf(" %.1f-%.1f s", cmps[k].t0_s, cmps[k].t1_s);
    if (same) {
      printf(" for every policy");
      break;
    }
  }
  printf(
      "\npods_mae is the mean |simulated - measured| pods; its sim/meas-1 is pods_mae / measured "
      "pods_mean\n");
}

static void print_measured(const meas_set *meas, const meas_set *sim, const pairing *pr,
                           const meas_cmp *cmps) {
  print_measured_header(sim->dir, meas->dir);
  for (size_t k = 0; k < pr->n; k++)
    print_measured_policy(meas->policies[pr->meas[k]].name, &cmps[k]);
  print_pods_ranges(meas, pr, cmps);
  print_one_sided(meas, sim, "\nonly measured (not in the run): ");
  print_one_sided(sim, meas, "\nonly simulated (not measured): ");
  if (pr->n > 1) print_ranks(meas, sim, pr, cmps);
}

static int compare_measured(const char *run, const char *measured, const char *check_arg) {
  tolerances t = {.any = false};
  if (check_arg && !parse_tolerances(check_arg, &t)) return EXIT_BADINPUT;
  meas_set meas, sim;
  ps_err err = {{0}};
  if (!meas_read(measured, &meas, &err)) {
    fprintf(stderr, "podscale: compare: %s\n", err.msg);
    return EXIT_BADINPUT;
  }
  if (!meas_read_run(run, &sim, &err)) {
    fprintf(stderr, "podscale: compare: %s\n", err.msg);
    meas_set_free(&meas);
    return EXIT_BADINPUT;
  }
  pairing pr = pair_policies(&meas, &sim);
  meas_cmp *cmps = xcalloc(pr.n + 1, sizeof *cmps);
  for (size_t k = 0; k < pr.n; k++)
    meas_compare(&meas.policies[pr.meas[k]], &sim.policies[pr.sim[k]], &cmps[k]);
  print_measured(&meas, &sim, &pr, cmps);
  int rc = EXIT_OK;
  if (t.any) {
    fflush(stdout);
    char what[512];
    snprintf(what, sizeof what, "the tolerances (%s)", check_arg);
    rc = check_status(report_beyond(&meas, &sim, &pr, cmps, &t), what);
  }
  free(cmps);
  free(pr.meas);
  free(pr.sim);
  meas_set_free(&meas);
  meas_set_free(&sim);
  return rc;
}

static int compare_main(int argc, char **argv) {
  static const struct option longopts[] = {
      {"check", required_argument, NULL, 'c'},
      {"metrics", required_argument, NULL, 'm'},
      {"measured", required_argument, NULL, 'M'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  const char *metrics_arg = default_metrics, *check_arg = NULL, *measured = NULL;
  double tol = 0;
  int c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    switch (c) {
    case 'c': check_arg = optarg; break;
    case 'm': metrics_arg = optarg; break;
    case 'M': measured = optarg; break;
    case 'h': fputs(compare_help, stdout); return EXIT_OK;
    default: return cli_usage_error("compare: unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  int ndirs = argc - optind;
  if (measured && (ndirs != 1 || metrics_arg != default_metrics))
    return cli_usage_error("compare: --measured: expected one run directory and no --metrics, "
                           "found %d director%s%s",
                           ndirs, ndirs == 1 ? "y" : "ies",
                           metrics_arg != default_metrics ? " and --metrics" : "");
  if (measured) return compare_measured(argv[optind], measured, check_arg);
  bool check = check_arg != NULL;
  if (check && !cli_real(check_arg, 0, DBL_MAX, &tol))
    return cli_usage_error("compare: --check: expected a relative tolerance >= 0 such as "
                           "0.05, found '%s'",
                           check_arg);
  if (ndirs < 2)
    return cli_usage_error("compare: expected at least two run directories, found %d", ndirs);
  char *list = xstrdup(metrics_arg);
  char **metrics = xcalloc(strlen(list) + 1, sizeof *metrics);
  size_t nmetrics;
  cmp_summary *runs = xcalloc((size_t)ndirs, sizeof *runs);
  int loaded = 0, rc = EXIT_OK;
  ps_err err = {{0}};
  cmp_table t = {0};
  if (!split_metrics(list, metrics, &nmetrics)) {
    rc = cli_usage_error("compare: --metrics: expected comma-separated names, found '%s'",
                         metrics_arg);
    goto done;
  }
  for (; loaded < ndirs; loaded++)
    if (!cmp_summary_load(argv[optind + loaded], &runs[loaded], &err)) {
      fprintf(stderr, "podscale: compare: %s\n", err.msg);
      rc = EXIT_BADINPUT;
      goto done;
    }
  for (size_t m = 0; m < nmetrics && metrics_arg != default_metrics; m++)
    if (!cmp_summary_has_metric(&runs[0], metrics[m])) {
      char *valid = valid_metrics(&runs[0]);
      rc = cli_usage_error("compare: --metrics: unknown metric '%s'; expected columns of "
                           "summary.csv (%s), or several joined by '+'",
                           metrics[m], valid);
      free(valid);
      goto done;
    }
  if (!cmp_table_make(runs, (size_t)ndirs, (const char *const *)metrics, nmetrics, &t, &err)) {
    fprintf(stderr, "podscale: compare: %s%s\n", err.msg,
            metrics_arg == default_metrics ? " (choose the metrics with --metrics)" : "");
    rc = EXIT_BADINPUT;
    goto done;
  }
  layout l;
  layout_make(&t, &l);
  print_table(&t, &l, argv + optind);
  layout_free(&l);
  note_unchanged(argv + optind, loaded);
  if (check) {
    fflush(stdout);
    char what[64];
    snprintf(what, sizeof what, "relative tolerance %g", tol);
    rc = check_status(report_drifts(&t, argv + optind, tol), what);
  }
done:
  cmp_table_free(&t);
  for (int i = 0; i < loaded; i++)
    cmp_summary_free(&runs[i]);
  free(runs);
  free(metrics);
  free(list);
  return rc;
}

int cmd_compare(int argc, char **argv) { return compare_main(argc, argv); }
