#include "analysis/stats.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>

#include "models/xalloc.h"

void sample_add(sample *s, double x) {
  if (s->n == s->cap) {
    s->cap = s->cap ? 2 * s->cap : 1024;
    s->v = xrealloc(s->v, s->cap * sizeof(double));
  }
  s->v[s->n++] = x;
  s->sorted = 0;
}

void sample_free(sample *s) {
  free(s->v);
  *s = (sample){0};
}

double sample_mean(const sample *s) { return s->n ? gsl_stats_mean(s->v, 1, s->n) : NAN; }

double sample_quantile(sample *s, double q) {
  if (!s->n) return NAN;
  if (!s->sorted) {
    gsl_sort(s->v, 1, s->n);
    s->sorted = 1;
  }
  return gsl_stats_quantile_from_sorted_data(s->v, 1, s->n, q);
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
