/* `podscale compare`: the summaries of several run directories side by side, with each run's
 * difference from the first, and a drift check for CI (analysis/compare.h; docs/compare.md). */
#include <float.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/compare.h"
#include "models/xalloc.h"
#include "sim/cli.h"

static const char compare_help[] =
    "usage: podscale compare DIR_A DIR_B [DIR...] [--check TOLERANCE] [--metrics LIST]\n"
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

static int compare_main(int argc, char **argv) {
  static const struct option longopts[] = {
      {"check", required_argument, NULL, 'c'},
      {"metrics", required_argument, NULL, 'm'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  const char *metrics_arg = default_metrics;
  double tol = 0;
  bool check = false;
  int c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    switch (c) {
    case 'c':
      if (!cli_real(optarg, 0, DBL_MAX, &tol))
        return cli_usage_error("compare: --check: expected a relative tolerance >= 0 such as "
                               "0.05, found '%s'",
                               optarg);
      check = true;
      break;
    case 'm': metrics_arg = optarg; break;
    case 'h': fputs(compare_help, stdout); return EXIT_OK;
    default: return cli_usage_error("compare: unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  int ndirs = argc - optind;
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
  if (check) {
    fflush(stdout);
    size_t n = report_drifts(&t, argv + optind, tol);
    if (n) {
      fprintf(stderr, "podscale: compare: %zu difference%s beyond relative tolerance %g\n", n,
              n == 1 ? "" : "s", tol);
      rc = EXIT_RUNTIME;
    } else {
      printf("\nno difference beyond relative tolerance %g\n", tol);
    }
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
