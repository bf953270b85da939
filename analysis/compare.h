/*
 * compare: line up the summary.csv files of several `podscale run` output directories, policy by
 * policy and metric by metric, and find where a run drifted from the first one, the baseline.
 * `podscale compare` (sim/cli/cli_compare.c) prints the table and turns the drifts into an exit
 * status for CI.
 *
 * A summary is read by header name, never by position, so a file whose columns come in another
 * order compares the same (docs/outputs.md lists the columns). Every column but `policy` must be
 * a number or empty; an empty field (a percentile over no requests) is a missing value, NaN.
 *
 * A metric is a column name, or several joined by '+' for their sum: `timeout+failed` is every
 * request that did not finish. A sum with an empty field is missing.
 *
 * Alignment: the table's policies are the baseline's in its order, then those found only in
 * later runs, in the order they first appear. A policy may be absent from any run.
 *
 * Differences are always of a run from the baseline (b from a): absolute b - a and relative
 * (b - a) / |a|. Drift, for tolerance tol: |b - a| > tol * max(|a|, |b|), so two zeros are
 * equal at any tolerance; a value missing on one side only, or a baseline policy absent from a
 * run, is a drift. A policy absent from the baseline has nothing to drift from and is not one.
 *
 * Error policy: files are user input, so every problem (no file, a malformed line, a duplicate
 * policy, a column a metric needs) is a ps_err naming the file and line. Wrong indexes are
 * caller bugs and fail assertions. Everything is plain values owned by the caller and freed with
 * the matching _free; no globals.
 */
#ifndef PODSCALE_COMPARE_H
#define PODSCALE_COMPARE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

/* One summary.csv. */
typedef struct cmp_summary {
  char *path;        /* the file read, for messages */
  char **columns;    /* header names in file order, `policy` included */
  size_t ncolumns;   /* entries of columns */
  size_t policy_col; /* index of `policy` in columns */
  char **policies;   /* policy names in file order, each once */
  size_t npolicies;  /* entries of policies */
  double *values;    /* npolicies x ncolumns, row-major; NaN for empty and for policy_col */
} cmp_summary;

/* Read one summary.csv. */
bool cmp_summary_read(const char *path, cmp_summary *s, ps_err *err);
/* Read DIR/summary.csv; a DIR that is not a directory, or has no summary.csv, is an error. */
bool cmp_summary_load(const char *dir, cmp_summary *s, ps_err *err);
void cmp_summary_free(cmp_summary *s);

/* Row of a policy, or -1. */
long cmp_summary_policy(const cmp_summary *s, const char *policy);
/* Whether every column the metric names exists (the policy column is not a metric). */
bool cmp_summary_has_metric(const cmp_summary *s, const char *metric);
/* The metric of a row; NaN when a field is empty. The metric must exist. */
double cmp_summary_value(const cmp_summary *s, size_t row, const char *metric);

/* How a run's value b differs from the baseline's a. */
typedef struct cmp_diff {
  double abs; /* b - a; NaN if either is missing */
  double rel; /* (b - a) / |a|: 0 for 0 vs 0, +-inf for a 0 baseline, NaN if either is missing */
} cmp_diff;

cmp_diff cmp_diff_of(double a, double b);
/* |b - a| > tol * max(|a|, |b|); missing on both sides is equal, on one side a drift. */
bool cmp_drifted(double a, double b, double tol);

/* Several summaries aligned on policies and chosen metrics; run 0 is the baseline. */
typedef struct cmp_table {
  size_t nruns;     /* summaries compared */
  char **policies;  /* baseline's order, then policies only in later runs */
  size_t npolicies; /* entries of policies */
  char **metrics;   /* chosen metrics, in the order asked */
  size_t nmetrics;  /* entries of metrics */
  double *values;   /* [policy][run][metric]; NaN where missing */
  bool *present;    /* [policy][run]: the run has the policy */
} cmp_table;

/* Align runs[0..nruns) on the metrics; every run must have every metric (else an error naming
 * its file). */
bool cmp_table_make(const cmp_summary *runs, size_t nruns, const char *const *metrics,
                    size_t nmetrics, cmp_table *t, ps_err *err);
void cmp_table_free(cmp_table *t);
double cmp_table_value(const cmp_table *t, size_t policy, size_t run, size_t metric);
bool cmp_table_present(const cmp_table *t, size_t policy, size_t run);

/* One difference beyond the tolerance, in a run after the baseline. */
typedef struct cmp_drift {
  size_t run;    /* 1..nruns-1 */
  size_t policy; /* row of the table */
  long metric;   /* column of the table; -1: the policy is absent from the run */
  double a, b;   /* baseline's and run's values (NaN when missing, or when metric is -1) */
} cmp_drift;

/* Every drift, ordered by run, policy, metric, in a malloc'd array of *n (NULL when none). */
cmp_drift *cmp_table_drifts(const cmp_table *t, double tol, size_t *n);

#endif
