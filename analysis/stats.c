#include "analysis/stats.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>

#include "base/xalloc.h"

void sample_add(sample *s, double x) {
  if (s->n == s->cap) {
    s->cap = s->cap ? 2 * s->cap : 1024;
    s->v = xrealloc(s->v, s->cap * sizeof(double));
  }
  s->v[s->n++] = x;
}

void sample_free(sample *s) {
  free(s->v);
  *s = (sample){0};
}

double sample_mean(const sample *s) { return s->n ? gsl_stats_mean(s->v, 1, s->n) : NAN; }

/* GSL's quantile definition (gsl_stats_quantile_from_sorted_data: linear interpolation between
 * order statistics floor((n-1)q) and the next), computed by selection in O(n) instead of a sort:
 * summaries of millions of requests would otherwise spend most of their time sorting. */
double sample_quantile(sample *s, double q) {
  if (!s->n) return NAN;
  double index = (double)(s->n - 1) * q;
  size_t lhs = (size_t)index;
  double delta = index - (double)lhs;
  double lo = gsl_stats_select(s->v, 1, s->n, lhs); /* partitions: v[lhs+1..] >= lo */
  if (delta == 0 || lhs + 1 >= s->n) return lo;
  double hi = s->v[lhs + 1];
  for (size_t i = lhs + 2; i < s->n; i++)
    if (s->v[i] < hi) hi = s->v[i];
  return (1 - delta) * lo + delta * hi;
}

double erlang_c(unsigned c, double a) {
  double rho = a / c;
  if (rho >= 1) return 1;
  double b = gsl_ran_poisson_pdf(c, a) / gsl_cdf_poisson_P(c, a);
  return b / (1 - rho * (1 - b));
}

double mmc_mean_wait(unsigned c, double lambda, double mu) {
  double a = lambda / mu;
  if (a >= c) return INFINITY;
  return erlang_c(c, a) / (c * mu - lambda);
}
