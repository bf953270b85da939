/*
 * bench_solve: wall time of one optimizer decision (opt_ilp_solve, all tie-break stages, as
 * its solve_ms reports it) for two problem sizes, median over DECISIONS decisions whose total
 * rate varies from one to the next (so no two problems are the same):
 *
 *   small: 1 GPU type, the 8 x 5 grid of AIBrix's sample profiles (targets < 0.2 ms);
 *   large: 4 GPU types, an 11 x 11 grid, every bucket carrying traffic (< 20 ms).
 *
 * Slice factor 4 and gpu_fraction 100 as AIBrix. Throughputs are synthetic but shaped like
 * the sample profiles: a request costs prefill time for its input and decode time for its
 * output, a faster GPU divides both, and a GPU whose memory cannot hold input + output tokens
 * has tput 0 there. The traffic is a smooth bump over the grid.
 *
 *   bench_solve [DECISIONS]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "optimizer/ilp.h"

typedef struct gpu {
  const char *name;
  double cost;       /* per pod-hour */
  double speed;      /* compute, relative to an A100 */
  double kv_tokens;  /* tokens of KV cache per concurrent request before batching suffers */
  double max_tokens; /* input + output tokens it can hold for one request */
} gpu;

/* Cheap GPUs are the cheapest per request for short requests, big ones for long requests, and
 * in between the four are within a few percent of each other: the mixes Mélange is for, and
 * the hardest case for the solver. */
static const gpu GPUS[] = {{"default/l4", 0.8, 0.3, 2000, 6000},
                           {"default/a10g", 1.01, 0.4, 3000, 10000},
                           {"default/a100", 3.67, 1.0, 12000, 40000},
                           {"default/h100", 7.5, 1.9, 24000, 80000}};

/* req/s one pod sustains: about 64 concurrent requests, prefill 8000 tokens/s and decode 25
 * tokens/s per request on an A100, fewer concurrent requests as they outgrow the KV cache. */
static double synthetic_tput(const gpu *g, double out_tokens, double in_tokens) {
  if (in_tokens + out_tokens > g->max_tokens) return 0;
  double seconds = in_tokens / 8000.0 + out_tokens / 25.0;
  return g->speed * 64.0 / seconds / (1 + (in_tokens + out_tokens) / g->kv_tokens);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Median solve time in ms of `decisions` decisions on an n_out x n_in grid (output ticks
 * 4, 8, ..., input ticks 128, 256, ... for the small grid, 16, 32, ... for the large one). */
static double bench(int n_types, int n_out, int n_in, double in_first, int decisions,
                    double *mean_solves) {
  int nb = n_out * n_in;
  double *tputs = calloc((size_t)(n_types * nb), sizeof *tputs);
  double *weight = calloc((size_t)nb, sizeof *weight), *rates = calloc((size_t)nb, sizeof *rates);
  double *ms = calloc((size_t)decisions, sizeof *ms), wsum = 0;
  opt_ilp_deployment deps[4];
  if (!tputs || !weight || !rates || !ms) abort();
  for (int g = 0; g < n_types; g++) {
    const gpu *gp = &GPUS[n_types == 1 ? 2 : g];
    for (int i = 0; i < n_out; i++)
      for (int j = 0; j < n_in; j++)
        tputs[g * nb + i * n_in + j] = synthetic_tput(gp, 4.0 * pow(2, i), in_first * pow(2, j));
    deps[g] = (opt_ilp_deployment){gp->name, NULL, gp->cost, tputs + g * nb, 0, 0};
  }
  for (int i = 0; i < n_out; i++)
    for (int j = 0; j < n_in; j++) {
      double di = (i - 0.45 * n_out) / (0.3 * n_out), dj = (j - 0.5 * n_in) / (0.3 * n_in);
      weight[i * n_in + j] = exp(-(di * di + dj * dj));
      wsum += weight[i * n_in + j];
    }
  opt_ilp_problem p = {.n_buckets = nb,
                       .rates = rates,
                       .n_deployments = n_types,
                       .deployments = deps,
                       .options = opt_ilp_options_default()};
  long solves = 0;
  for (int k = 0; k < decisions; k++) {
    double total = 20.0 + 0.37 * k; /* req/s */
    for (int b = 0; b < nb; b++)
      rates[b] = total * weight[b] / wsum;
    opt_ilp_result r;
    opt_err e;
    if (!opt_ilp_solve(&p, &r, &e)) {
      fprintf(stderr, "%s\n", e.msg);
      exit(1);
    }
    ms[k] = r.solve_ms;
    solves += r.solves;
    opt_ilp_result_free(&r);
  }
  qsort(ms, (size_t)decisions, sizeof *ms, cmp_double);
  double median = ms[decisions / 2];
  *mean_solves = (double)solves / decisions;
  printf("  min %.4f ms, max %.4f ms\n", ms[0], ms[decisions - 1]);
  free(tputs);
  free(weight);
  free(rates);
  free(ms);
  return median;
}

int main(int argc, char **argv) {
  int decisions = argc > 1 ? atoi(argv[1]) : 101;
  if (decisions < 1 || decisions > 100000) decisions = 101;
  double solves;
  double small = bench(1, 8, 5, 128, decisions, &solves);
  printf("median: %.4f ms per decision, 1 GPU type, 8 x 5 grid (%.1f GLPK solves; target < 0.2 "
         "ms)\n",
         small, solves);
  double large = bench(4, 11, 11, 16, decisions, &solves);
  printf("median: %.4f ms per decision, 4 GPU types, 11 x 11 grid, slice factor 4 (%.1f GLPK "
         "solves; target < 20 ms)\n",
         large, solves);
  return 0;
}
