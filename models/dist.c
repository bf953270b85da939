#include "models/dist.h"

#include <assert.h>
#include <gsl/gsl_cdf.h>
#include <math.h>

double dist_quantile(const dist *d, double u) {
  switch (d->kind) {
  case DIST_CONSTANT: return d->a;
  case DIST_UNIFORM: return d->a + u * (d->b - d->a);
  case DIST_EXPONENTIAL: return -d->a * log1p(-u);
  case DIST_LOGNORMAL: return exp(d->a + d->b * gsl_cdf_ugaussian_Pinv(u));
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
  *out = (dist){DIST_LOGNORMAL, log(mean) - 0.5 * sigma * sigma, sigma};
  return true;
}

const char *dist_kind_name(dist_kind k) {
  static const char *names[] = {"constant", "uniform", "exponential", "lognormal", "trace"};
  return names[k];
}
