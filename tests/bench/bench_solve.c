/*
 * bench_solve: wall time of one optimizer decision (opt_ilp_solve with every tie-break stage,
 * as its solve_ms reports it), median over DECISIONS decisions whose total rate differs from
 * one to the next (20 req/s, then 0.37 more each time), default options (gpu_fraction 100,
 * slice factor 4, node limit 2000):
 *
 *   1 GPU type on the 8 x 5 grid of AIBrix's sample profiles, every bucket loaded
 *     (target: median under 0.2 ms);
 *   4 GPU types on an 11 x 11 grid, every bucket loaded, GPUs whose cost per request ranks
 *     the same in every bucket where they fit (memory decides which can serve what) (under
 *     20 ms);
 *   4 GPU types whose ranking changes across the grid (the KV cache of the big ones keeps long
 *     requests batched), with 6 buckets loaded: what the load monitor's cluster centres give;
 *   the same with every bucket loaded: near the crossovers two GPUs are within a fraction of
 *     a percent per request, the hardest instances for branch-and-bound (no target; fewer
 *     decisions).
 *
 * Throughputs are synthetic, shaped like the sample profiles: a request costs prefill time
 * for its input and decode time for its output, a faster GPU divides both, a request that
 * outgrows the KV cache lowers the batch, and a GPU that cannot hold input + output tokens
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

#define A100_INIT {"default/a100", 3.67, 1.0, 12000, 40000}
static const gpu A100 = A100_INIT;

/* One KV size for all: the cost ranking per request is the same wherever a GPU fits. */
static const gpu TIERED[] = {{"default/l4", 0.8, 0.3, 4096, 6000},
                             {"default/a10g", 1.01, 0.4, 4096, 10000},
                             {"default/a100", 3.67, 1.0, 4096, 40000},
                             {"default/h100", 6.0, 1.9, 4096, 80000}};

/* Small requests are cheapest on the A10G, long ones on the H100 or A100. */
static const gpu CROSSOVER[] = {{"default/l4", 0.8, 0.3, 1500, 6000},
                                {"default/a10g", 1.01, 0.4, 2000, 10000},
                                A100_INIT,
                                {"default/h100", 6.5, 1.9, 24000, 80000}};

/* req/s one pod sustains: about 64 concurrent requests, prefill 8000 tokens/s and decode 25
 * tokens/s per request on an A100. */
static double synthetic_tput(const gpu *g, double out_tokens, double in_tokens) {
  if (in_tokens + out_tokens > g->max_tokens) return 0;
  double seconds = in_tokens / 8000.0 + out_tokens / 25.0;
  return g->speed * 64.0 / seconds / (1 + (in_tokens + out_tokens) / g->kv_tokens);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

typedef struct config {
  int n_types;
  const gpu *gpus;
  int n_out, n_in; /* grid: output ticks 4, 8, ...; input ticks in_first, 2 in_first, ... */
  double in_first;
  int clusters; /* buckets with traffic; 0: all */
} config;

/* Median solve time (ms) of `decisions` decisions; also the slowest and the mean number of
 * GLPK solves. */
static double bench(const config *cf, int decisions, double *max_ms, double *solves) {
  int nb = cf->n_out * cf->n_in;
  double *tputs = calloc((size_t)(cf->n_types * nb), sizeof *tputs);
  double *weight = calloc((size_t)nb, sizeof *weight), *rates = calloc((size_t)nb, sizeof *rates);
  double *ms = calloc((size_t)decisions, sizeof *ms), wsum = 0;
  opt_ilp_deployment deps[4];
  if (!tputs || !weight || !rates || !ms) abort();
  for (int g = 0; g < cf->n_types; g++) {
    for (int i = 0; i < cf->n_out; i++)
      for (int j = 0; j < cf->n_in; j++)
        tputs[g * nb + i * cf->n_in + j] =
            synthetic_tput(&cf->gpus[g], 4.0 * pow(2, i), cf->in_first * pow(2, j));
    deps[g] = (opt_ilp_deployment){cf->gpus[g].name, NULL, cf->gpus[g].cost, tputs + g * nb, 0, 0};
  }
  for (int b = 0; b < nb; b++) {
    double di = (b / cf->n_in - 0.45 * cf->n_out) / (0.3 * cf->n_out);
    double dj = (b % cf->n_in - 0.5 * cf->n_in) / (0.3 * cf->n_in);
    /* clusters: every 17th bucket from the 11th, as a few scattered cluster centres */
    bool on = !cf->clusters || (b % 17 == 11 && b / 17 < cf->clusters);
    weight[b] = on ? exp(-(di * di + dj * dj)) : 0;
    wsum += weight[b];
  }
  opt_ilp_problem p = {.n_buckets = nb,
                       .rates = rates,
                       .n_deployments = cf->n_types,
                       .deployments = deps,
                       .options = opt_ilp_options_default()};
  long n_solves = 0;
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
    n_solves += r.solves;
    opt_ilp_result_free(&r);
  }
  qsort(ms, (size_t)decisions, sizeof *ms, cmp_double);
  double median = ms[decisions / 2];
  *max_ms = ms[decisions - 1];
  *solves = (double)n_solves / decisions;
  free(tputs);
  free(weight);
  free(rates);
  free(ms);
  return median;
}

static void report(const char *what, const config *cf, int decisions, const char *target) {
  double max_ms, solves, median = bench(cf, decisions, &max_ms, &solves);
  printf("median %8.4f ms (max %8.3f, %.1f GLPK solves, %d decisions): %s%s\n", median, max_ms,
         solves, decisions, what, target);
  fflush(stdout);
}

int main(int argc, char **argv) {
  int decisions = argc > 1 ? atoi(argv[1]) : 101;
  if (decisions < 1 || decisions > 100000) decisions = 101;
  const config small = {1, &A100, 8, 5, 128, 0}, tiered = {4, TIERED, 11, 11, 16, 0},
               clustered = {4, CROSSOVER, 11, 11, 16, 6}, crossover = {4, CROSSOVER, 11, 11, 16, 0};
  report("1 GPU type, 8 x 5 grid", &small, decisions, " (target < 0.2 ms)");
  report("4 GPU types, 11 x 11 grid, slice factor 4, same ranking everywhere", &tiered, decisions,
         " (target < 20 ms)");
  report("4 GPU types, 11 x 11 grid, crossovers, 6 buckets loaded", &clustered, decisions, "");
  report("4 GPU types, 11 x 11 grid, crossovers, every bucket loaded", &crossover,
         decisions / 10 > 0 ? decisions / 10 : 1, " (stress, no target)");
  return 0;
}
