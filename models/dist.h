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
 */
#ifndef PODSCALE_DIST_H
#define PODSCALE_DIST_H

#include <stdbool.h>

typedef enum dist_kind {
  DIST_CONSTANT,
  DIST_UNIFORM,
  DIST_EXPONENTIAL,
  DIST_LOGNORMAL,
  DIST_TRACE,
} dist_kind;

typedef struct dist {
  dist_kind kind;
  double a; /* constant: value; uniform: min; exponential: mean; lognormal: mu */
  double b; /* uniform: max; lognormal: sigma */
} dist;

/* The value with CDF u, for u in (0,1). Not defined for DIST_TRACE. */
double dist_quantile(const dist *d, double u);
double dist_mean(const dist *d);
/* Lognormal with the given mean and 99th percentile; false when no lognormal fits
 * (p99 must exceed the mean and p99/mean must be below exp(z99^2/2), about 14.97). */
bool dist_lognormal_mean_p99(double mean, double p99, dist *out);
const char *dist_kind_name(dist_kind k);

#endif
