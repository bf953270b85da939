/*
 * stats: sample statistics for summaries (GSL's definitions) and the queueing formulas the
 * simulator is validated against.
 */
#ifndef PODSCALE_STATS_H
#define PODSCALE_STATS_H

#include <stddef.h>

/* A growable sample of doubles. */
typedef struct sample {
  double *v;
  size_t n, cap;
} sample;

void sample_add(sample *s, double x);
void sample_free(sample *s);
double sample_mean(const sample *s); /* NaN when empty */
/* q in [0,1], as gsl_stats_quantile_from_sorted_data; reorders v; NaN when empty */
double sample_quantile(sample *s, double q);

/* Erlang C: probability that an arrival waits in M/M/c with offered load a = lambda/mu
 * (Erlang B from GSL's Poisson distribution, then the standard B -> C relation). */
double erlang_c(unsigned c, double a);
/* Mean waiting time in queue of M/M/c, in the unit of 1/mu. */
double mmc_mean_wait(unsigned c, double lambda, double mu);

#endif
