#include "models/workload/dist.h"

#include <assert.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sort.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

/* The last knot with p <= u, then linear to the next one. */
static double table_quantile(const dist_table *t, double u) {
  size_t lo = 0, hi = t->n - 1;
  while (lo < hi) {
    size_t mid = lo + (hi - lo + 1) / 2;
    if (t->p[mid] <= u)
      lo = mid;
    else
      hi = mid - 1;
  }
  if (lo == t->n - 1) return t->x[lo];
  double w = (u - t->p[lo]) / (t->p[lo + 1] - t->p[lo]);
  return t->x[lo] + fmin(fmax(w, 0.0), 1.0) * (t->x[lo + 1] - t->x[lo]);
}

double dist_quantile(const dist *d, double u) {
  switch (d->kind) {
  case DIST_CONSTANT: return d->a;
  case DIST_UNIFORM: return d->a + u * (d->b - d->a);
  case DIST_EXPONENTIAL: return -d->a * log1p(-u);
  case DIST_LOGNORMAL: return exp(d->a + d->b * gsl_cdf_ugaussian_Pinv(u));
  case DIST_TABLE: return table_quantile(d->table, u);
  case DIST_TRACE: break;
  }
  assert(!"dist_quantile on a trace distribution");
  return 0;
}

double dist_mean(const dist *d) {
  switch (d->kind) {
  case DIST_CONSTANT: return d->a;
  case DIST_UNIFORM: return 0.5 * (d->a + d->b);
  case DIST_EXPONENTIAL: return d->a;
  case DIST_LOGNORMAL: return exp(d->a + 0.5 * d->b * d->b);
  case DIST_TABLE: return d->table->mean;
  case DIST_TRACE: break;
  }
  return NAN;
}

bool dist_lognormal_mean_p99(double mean, double p99, dist *out) {
  /* ln(p99/mean) = z*s - s^2/2 with z = Phi^-1(0.99); take the smaller root s. */
  if (!(mean > 0) || !(p99 > mean)) return false;
  double z = gsl_cdf_ugaussian_Pinv(0.99);
  double disc = z * z - 2.0 * log(p99 / mean);
  if (disc < 0) return false;
  double sigma = z - sqrt(disc);
  *out = (dist){.kind = DIST_LOGNORMAL, .a = log(mean) - 0.5 * sigma * sigma, .b = sigma};
  return true;
}

const char *dist_kind_name(dist_kind k) {
  static const char *names[] = {"constant",  "uniform", "exponential",
                                "lognormal", "trace",   "table"};
  return names[k];
}

/* n knots in one allocation; the caller fills p and x, then table_seal. */
static dist_table *table_new(size_t n) {
  assert(n >= 2);
  dist_table *t = xmalloc(sizeof *t + 2 * n * sizeof(double));
  t->n = n;
  t->p = (double *)(t + 1);
  t->x = t->p + n;
  return t;
}

/* Check the invariants and compute the mean (each linear piece contributes its trapezoid). */
static dist_table *table_seal(dist_table *t) {
  assert(t->p[0] == 0 && t->p[t->n - 1] == 1);
  double mean = 0;
  for (size_t i = 0; i + 1 < t->n; i++) {
    assert(t->p[i] <= t->p[i + 1] && t->x[i] <= t->x[i + 1]);
    mean += (t->p[i + 1] - t->p[i]) * 0.5 * (t->x[i] + t->x[i + 1]);
  }
  t->mean = mean;
  return t;
}

dist_table *dist_table_samples(double *s, size_t n) {
  assert(n >= 1);
  gsl_sort(s, 1, n);
  size_t distinct = 1;
  for (size_t i = 1; i < n; i++)
    distinct += s[i] != s[i - 1];
  /* One flat piece per distinct value, over the share of samples that hold it. */
  dist_table *t = table_new(2 * distinct);
  size_t k = 0;
  for (size_t i = 0, j; i < n; i = j) {
    for (j = i + 1; j < n && s[j] == s[i]; j++) {
    }
    t->p[k] = (double)i / (double)n;
    t->x[k++] = s[i];
    t->p[k] = (double)j / (double)n;
    t->x[k++] = s[i];
  }
  return table_seal(t);
}

dist_table *dist_table_points(const double *p, const double *x, size_t n) {
  dist_table *t = table_new(n);
  memcpy(t->p, p, n * sizeof *p);
  memcpy(t->x, x, n * sizeof *x);
  return table_seal(t);
}

dist_table *dist_table_bins(const double *lo, const double *hi, const double *w, size_t n) {
  double total = 0;
  for (size_t i = 0; i < n; i++)
    total += w[i];
  assert(total > 0);
  dist_table *t = table_new(2 * n);
  double cum = 0;
  for (size_t i = 0; i < n; i++) {
    assert(lo[i] <= hi[i] && w[i] >= 0 && (i == 0 || hi[i - 1] <= lo[i]));
    t->p[2 * i] = cum / total;
    t->x[2 * i] = lo[i];
    cum += w[i];
    t->p[2 * i + 1] = cum / total;
    t->x[2 * i + 1] = hi[i];
  }
  t->p[2 * n - 1] = 1; /* the same sum in the same order: already 1, kept exact anyway */
  return table_seal(t);
}

void dist_table_free(dist_table *t) { free(t); }
