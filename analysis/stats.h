/*
 * stats: sample statistics for summaries (GSL on sorted data) and the queueing formulas the
 * simulator is validated against.
 */
#ifndef PODSCALE_STATS_H
#define PODSCALE_STATS_H

#include <stddef.h>

/* A growable sample of doubles. */
typedef struct sample {
  double *v;
  size_t n, cap;
  int sorted; /* v is sorted ascending */
} sample;

void sample_add(sample *s, double x);
void sample_free(sample *s);
double sample_mean(const sample *s);         /* NaN when empty */
double sample_quantile(sample *s, double q); /* q in [0,1]; sorts once; NaN when empty */

/* Erlang C: probability that an arrival waits in M/M/c with offered load a = lambda/mu
 * (Erlang B from GSL's Poisson distribution, then the standard B -> C relation). */
double erlang_c(unsigned c, double a);
/* Mean waiting time in queue of M/M/c, in the unit of 1/mu. */
double mmc_mean_wait(unsigned c, double lambda, double mu);

#endif
