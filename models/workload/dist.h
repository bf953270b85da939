/*
 * dist: the distributions a scenario can name for token lengths and service times.
 *
 * Every draw goes through the inverse CDF (dist_quantile) of a uniform variate. A request
 * carries its uniforms from the workload stream, so the same request gets the same length or
 * service time under every policy and on every pod it lands on (common random numbers).
 *
 * Kinds and their parameters:
 *   constant     value
 *   uniform      min..max (continuous; token lengths round to integers)
 *   exponential  mean
 *   lognormal    mu, sigma of the underlying normal; dist_lognormal_mean_p99 derives them from
 *                a mean and a 99th percentile, the way LLM length statistics are usually given
 *   trace        the value recorded in a trace (only for token lengths of a trace workload)
 *   table        a tabulated quantile function (below): measured samples, a histogram or a
 *                quantile table
 *
 * A table is a list of knots (p_i, x_i), i = 0 .. n-1, with p_0 = 0, p_{n-1} = 1 and both p and
 * x non-decreasing. The quantile function is linear between consecutive knots with p_i < p_i+1
 * and takes, at a u where several knots share p, the value of the last of them. Two knots with
 * the same p and different x are a jump (no value in between is ever drawn); two knots with the
 * same x and different p are an atom: every u in [p_i, p_i+1) gives exactly x_i. An atom keeps,
 * for instance, the share of requests that run to exactly the client's max_tokens (AIBrix's
 * V100 runs: about 3% at 2048) instead of smearing it over neighbouring lengths. A draw is a
 * binary search, O(log n). The mean is the exact mean of that piecewise-linear quantile.
 *
 * Ownership: a dist is a small value that callers copy freely (into pod and lifecycle configs);
 * a table kind only borrows its dist_table. Whoever builds a table (the scenario loader) keeps
 * it alive for as long as any copy of the dist is used and frees it with dist_table_free
 * (scenario_free does). Tables are immutable once built, so threads may share them.
 *
 * Error policy: the builders take input already checked by the caller (the scenario loader
 * reports bad user input with its place); broken invariants here are assertions.
 */
#ifndef PODSCALE_DIST_H
#define PODSCALE_DIST_H

#include <stdbool.h>
#include <stddef.h>

typedef enum dist_kind {
  DIST_CONSTANT,
  DIST_UNIFORM,
  DIST_EXPONENTIAL,
  DIST_LOGNORMAL,
  DIST_TRACE,
  DIST_TABLE,
} dist_kind;

typedef struct dist_table {
  size_t n;    /* knots, >= 2 */
  double mean; /* mean of the quantile function */
  double *p;   /* p[0] = 0 <= p[1] <= ... <= p[n-1] = 1: cumulative probabilities */
  double *x;   /* x[0] <= ... <= x[n-1]: the values at p */
} dist_table;

typedef struct dist {
  dist_kind kind;
  double a;                /* constant: value; uniform: min; exponential: mean; lognormal: mu */
  double b;                /* uniform: max; lognormal: sigma */
  const dist_table *table; /* table: borrowed, see Ownership above */
} dist;

/* The value with CDF u, for u in (0,1). Not defined for DIST_TRACE. */
double dist_quantile(const dist *d, double u);
double dist_mean(const dist *d);
/* Lognormal with the given mean and 99th percentile; false when no lognormal fits
 * (p99 must exceed the mean and p99/mean must be below exp(z99^2/2), about 14.97). */
bool dist_lognormal_mean_p99(double mean, double p99, dist *out);
const char *dist_kind_name(dist_kind k);

/* Table builders; each returns one allocation to release with dist_table_free. */
/* The empirical distribution of n >= 1 samples (sorted in place): u in [k/n, (k+1)/n) gives the
 * (k+1)-th smallest, so draws resample the samples and a repeated value keeps its share. */
dist_table *dist_table_samples(double *samples, size_t n);
/* Knots as given (n >= 2, the invariants above). */
dist_table *dist_table_points(const double *p, const double *x, size_t n);
/* n >= 1 bins [lo_i, hi_i] in increasing order (hi_i <= lo_i+1) with weights w_i >= 0 of
 * positive sum: uniform within a bin, an atom where lo_i = hi_i. */
dist_table *dist_table_bins(const double *lo, const double *hi, const double *w, size_t n);
void dist_table_free(dist_table *t);
/* The distribution whose quantile function is the table. */
static inline dist dist_tabulated(const dist_table *t) {
  return (dist){.kind = DIST_TABLE, .table = t};
}

#endif
