/*
 * bench_solve: wall time of one optimizer decision (opt_ilp_solve with every tie-break stage,
 * as its solve_ms reports it), median and worst over each set's decisions, default options
 * (gpu_fraction 100, slice factor 4). In the dense sets the total rate differs from one decision
 * to the next (20 req/s, then 0.37 more each time):
 *
 *   small:     1 GPU type on the 8 x 5 grid of AIBrix's sample profiles, every bucket loaded;
 *   tiered:    4 GPU types on an 11 x 11 grid, every bucket loaded, GPUs whose cost per request
 *              ranks the same in every bucket where they fit (memory decides which can serve
 *              what);
 *   clustered: 4 GPU types whose ranking changes across the grid (the KV cache of the big ones
 *              keeps long requests batched), with 6 buckets loaded: what the load monitor's
 *              cluster centres give;
 *   crossover: the same with every bucket loaded: near the crossovers two GPUs are within a
 *              fraction of a percent per request, the hardest instances for branch-and-bound
 *              (a tenth as many decisions);
 *   random:    the kinds of a differential test against AIBrix's solver: 1-4 GPU types, grids
 *              up to 8 x 8, 1-40 loaded buckets, rates 0.01-200 req/s (log-uniform), equal
 *              costs, identical and proportional types (cost and tput scaled alike), buckets
 *              some or all types cannot serve; a fixed seed, so the same instances every run.
 *
 * Throughputs are synthetic, shaped like the sample profiles: a request costs prefill time
 * for its input and decode time for its output, a faster GPU divides both, a request that
 * outgrows the KV cache lowers the batch, and a GPU that cannot hold input + output tokens
 * has tput 0 there. The dense sets' traffic is a smooth bump over the grid.
 *
 *   bench_solve [-n DECISIONS] [--set NAME] [--dump FILE]
 *
 * -n: decisions per set (default 101; crossover a tenth, random ten times). --dump writes
 * every decision as a JSON line (set, grid, rates, costs, tputs, and podscale's cost, units,
 * proof and ms) for tests/bench/solve_vs_cbc.py, which solves the same instances with AIBrix's
 * formulation in PuLP and CBC and prints both side by side (tests/bench/solve_vs_cbc.sh).
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "optimizer/ilp.h"

typedef struct gpu {
  const char *name;
  double cost;       /* per pod-hour */
  double speed;      /* compute, relative to an A100 */
  double kv_tokens;  /* tokens of KV cache per concurrent request before batching suffers */
  double max_tokens; /* input + output tokens it can hold for one request */
} gpu;

#define A100_INIT                                                                                  \
  { "default/a100", 3.67, 1.0, 12000, 40000 }
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

#define MAX_TYPES 4

/* One decision's problem: up to MAX_TYPES deployments on an n_out x n_in grid. */
typedef struct instance {
  int n_types, n_out, n_in;
  double cost[MAX_TYPES];
  double *tputs; /* [n_types * n_out * n_in] */
  double *rates; /* [n_out * n_in] */
} instance;

typedef struct config {
  const char *name, *what;
  int n_types;
  const gpu *gpus;
  int n_out, n_in; /* grid: output ticks 4, 8, ...; input ticks in_first, 2 in_first, ... */
  double in_first;
  int clusters; /* buckets with traffic; 0: all */
} config;

static void instance_alloc(instance *in, int n_types, int n_out, int n_in) {
  in->n_types = n_types, in->n_out = n_out, in->n_in = n_in;
  size_t nb = (size_t)n_out * (size_t)n_in;
  in->tputs = calloc((size_t)n_types * nb, sizeof *in->tputs);
  in->rates = calloc(nb, sizeof *in->rates);
  if (!in->tputs || !in->rates) abort();
}

/* A dense set's k-th decision: its GPUs on its grid, the bump scaled to 20 + 0.37 k req/s. */
static void dense_instance(const config *cf, int k, instance *in) {
  instance_alloc(in, cf->n_types, cf->n_out, cf->n_in);
  int nb = cf->n_out * cf->n_in;
  for (int g = 0; g < cf->n_types; g++) {
    in->cost[g] = cf->gpus[g].cost;
    for (int i = 0; i < cf->n_out; i++)
      for (int j = 0; j < cf->n_in; j++)
        in->tputs[g * nb + i * cf->n_in + j] =
            synthetic_tput(&cf->gpus[g], 4.0 * pow(2, i), cf->in_first * pow(2, j));
  }
  double wsum = 0;
  for (int b = 0; b < nb; b++) {
    double di = (b / cf->n_in - 0.45 * cf->n_out) / (0.3 * cf->n_out);
    double dj = (b % cf->n_in - 0.5 * cf->n_in) / (0.3 * cf->n_in);
    /* clusters: every 17th bucket from the 11th, as a few scattered cluster centres */
    bool on = !cf->clusters || (b % 17 == 11 && b / 17 < cf->clusters);
    in->rates[b] = on ? exp(-(di * di + dj * dj)) : 0;
    wsum += in->rates[b];
  }
  double total = 20.0 + 0.37 * k; /* req/s */
  for (int b = 0; b < nb; b++)
    in->rates[b] *= total / wsum;
}

/* xorshift64*: the random set's fixed sequence. */
static double uniform(uint64_t *x) {
  *x ^= *x >> 12, *x ^= *x << 25, *x ^= *x >> 27;
  return (double)((*x * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

static int pick(uint64_t *x, int n) { return (int)(uniform(x) * n) % n; }

/* A random set's decision (see the top): every kind of the differential test. True when some
 * type is identical or proportional to another (the symmetric instances). */
static bool random_instance(uint64_t *x, instance *in) {
  bool symmetric = false;
  static const double prices[] = {0.8, 1.01, 1.5, 2.2, 3.67, 6.0};
  int n_types = 1 + pick(x, MAX_TYPES), n_out = 1 + pick(x, 8), n_in = 1 + pick(x, 8);
  instance_alloc(in, n_types, n_out, n_in);
  int nb = n_out * n_in;
  for (int g = 0; g < n_types; g++) {
    gpu c = {"", prices[pick(x, 6)], 0.2 + 2 * uniform(x), 500 + 24000 * uniform(x),
             1000 + 80000 * uniform(x)};
    double kind = uniform(x), scale = 1;
    if (g > 0 && kind < 0.15) { /* identical to the previous type */
      in->cost[g] = in->cost[g - 1];
      symmetric = true;
    } else if (g > 0 && kind < 0.3) { /* proportional: cost and tput scaled alike */
      scale = 0.5 + 1.5 * uniform(x);
      in->cost[g] = in->cost[g - 1] * scale;
      symmetric = true;
    } else if (g > 0 && kind < 0.4) { /* the same price, another GPU */
      in->cost[g] = in->cost[g - 1];
      kind = 1;
    } else {
      in->cost[g] = c.cost;
      kind = 1;
    }
    for (int i = 0; i < n_out; i++)
      for (int j = 0; j < n_in; j++) {
        int b = i * n_in + j;
        in->tputs[g * nb + b] = kind < 0.3 ? in->tputs[(g - 1) * nb + b] * scale
                                           : synthetic_tput(&c, 4.0 * pow(2, i), 128 * pow(2, j));
      }
  }
  int loaded = 1 + pick(x, nb < 40 ? nb : 40);
  for (int l = 0; l < loaded; l++)
    in->rates[pick(x, nb)] = 0.01 * pow(2e4, uniform(x)); /* 0.01 .. 200 req/s */
  return symmetric;
}

static void instance_free(instance *in) {
  free(in->tputs);
  free(in->rates);
}

static void dump_array(FILE *f, const double *v, int n) {
  fputc('[', f);
  for (int i = 0; i < n; i++)
    fprintf(f, "%s%.17g", i ? "," : "", v[i]);
  fputc(']', f);
}

static void dump(FILE *f, const char *set, const instance *in, const opt_ilp_result *r) {
  int nb = in->n_out * in->n_in;
  fprintf(f,
          "{\"set\":\"%s\",\"n_out\":%d,\"n_in\":%d,\"slice_factor\":%d,\"gpu_fraction\":%g,"
          "\"rates\":",
          set, in->n_out, in->n_in, OPT_ILP_SLICE_FACTOR, OPT_ILP_GPU_FRACTION);
  dump_array(f, in->rates, nb);
  fputs(",\"cost\":", f);
  dump_array(f, in->cost, in->n_types);
  fputs(",\"tputs\":[", f);
  for (int g = 0; g < in->n_types; g++) {
    fputs(g ? "," : "", f);
    dump_array(f, in->tputs + g * nb, nb);
  }
  fprintf(f, "],\"podscale\":{\"cost\":%.17g,\"optimal\":%s,\"gap\":%.17g,\"ms\":%.6f,\"units\":[",
          r->cost, r->optimal ? "true" : "false", r->gap, r->solve_ms);
  for (int g = 0; g < in->n_types; g++)
    fprintf(f, "%s%lld", g ? "," : "", (long long)r->alloc[g].units);
  fputs("]}}\n", f);
}

typedef struct tally {
  double *ms;
  int n, unproven, solves;
  double worst_gap;
} tally;

static void solve_one(const char *set, const instance *in, tally *t, FILE *dumpf) {
  static const char *const names[MAX_TYPES] = {"default/g0", "default/g1", "default/g2",
                                               "default/g3"};
  int nb = in->n_out * in->n_in;
  opt_ilp_deployment deps[MAX_TYPES];
  for (int g = 0; g < in->n_types; g++)
    deps[g] = (opt_ilp_deployment){names[g], NULL, in->cost[g], in->tputs + g * nb, 0, 0};
  opt_ilp_problem p = {.n_buckets = nb,
                       .rates = in->rates,
                       .n_deployments = in->n_types,
                       .deployments = deps,
                       .options = opt_ilp_options_default()};
  opt_ilp_result r;
  opt_err e;
  if (!opt_ilp_solve(&p, &r, &e)) {
    fprintf(stderr, "bench_solve: %s: %s\n", set, e.msg);
    exit(1);
  }
  t->ms[t->n++] = r.solve_ms;
  t->unproven += !r.optimal;
  t->solves += r.solves;
  if (r.gap > t->worst_gap) t->worst_gap = r.gap;
  if (dumpf) dump(dumpf, set, in, &r);
  opt_ilp_result_free(&r);
}

static void report(const char *name, const char *what, tally *t) {
  qsort(t->ms, (size_t)t->n, sizeof *t->ms, cmp_double);
  printf("%-10s median %8.4f ms  worst %8.3f ms  %5d decisions  %4d unproven (gap <= %.2g)  "
         "%.2f GLPK solves: %s\n",
         name, t->ms[t->n / 2], t->ms[t->n - 1], t->n, t->unproven, t->worst_gap,
         (double)t->solves / t->n, what);
  fflush(stdout);
}

static int usage(void) {
  fprintf(stderr, "usage: bench_solve [-n DECISIONS] [--set small|tiered|clustered|crossover|"
                  "random] [--dump FILE]\n");
  return 2;
}

int main(int argc, char **argv) {
  int decisions = 101, one = -1;
  const char *only = NULL, *dump_path = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-n") && i + 1 < argc) {
      char *end;
      long v = strtol(argv[++i], &end, 10);
      if (*end || v < 1 || v > 100000) return usage();
      decisions = (int)v;
    } else if (!strcmp(argv[i], "--set") && i + 1 < argc) {
      only = argv[++i];
    } else if (!strcmp(argv[i], "--one") && i + 1 < argc) {
      one = atoi(argv[++i]);
    } else if (!strcmp(argv[i], "--dump") && i + 1 < argc) {
      dump_path = argv[++i];
    } else {
      return usage();
    }
  }
  FILE *dumpf = NULL;
  if (dump_path && !(dumpf = fopen(dump_path, "w"))) {
    perror(dump_path);
    return 2;
  }
  const config sets[] = {
      {"small", "1 GPU type, 8 x 5 grid", 1, &A100, 8, 5, 128, 0},
      {"tiered", "4 GPU types, 11 x 11 grid, same ranking everywhere", 4, TIERED, 11, 11, 16, 0},
      {"clustered", "4 GPU types, 11 x 11 grid, crossovers, 6 buckets loaded", 4, CROSSOVER, 11, 11,
       16, 6},
      {"crossover", "4 GPU types, 11 x 11 grid, crossovers, every bucket loaded", 4, CROSSOVER, 11,
       11, 16, 0},
  };
  bool any = false;
  for (size_t c = 0; c < sizeof sets / sizeof *sets; c++) {
    if (only && strcmp(only, sets[c].name)) continue;
    int n = strcmp(sets[c].name, "crossover") ? decisions : (decisions + 9) / 10;
    tally t = {.ms = calloc((size_t)n, sizeof(double))};
    if (!t.ms) abort();
    for (int k = 0; k < n; k++) {
      instance in;
      dense_instance(&sets[c], k, &in);
      solve_one(sets[c].name, &in, &t, dumpf);
      instance_free(&in);
    }
    report(sets[c].name, sets[c].what, &t);
    free(t.ms);
    any = true;
  }
  if (!only || !strcmp(only, "random")) { /* two tallies: asymmetric and symmetric instances */
    int n = 10 * decisions;
    tally t[2] = {{.ms = calloc((size_t)n, sizeof(double))},
                  {.ms = calloc((size_t)n, sizeof(double))}};
    if (!t[0].ms || !t[1].ms) abort();
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    for (int k = 0; k < n; k++) {
      instance in;
      bool sym = random_instance(&x, &in);
      if (one < 0 || k == one) solve_one(sym ? "random-sym" : "random", &in, &t[sym], dumpf);
      instance_free(&in);
    }
    if (t[0].n) report("random", "1-4 GPU types, grids up to 8 x 8, 1-40 buckets loaded", &t[0]);
    if (t[1].n) report("random-sym", "the same with identical or proportional types", &t[1]);
    free(t[0].ms);
    free(t[1].ms);
    any = true;
  }
  if (dumpf && fclose(dumpf) != 0) {
    perror(dump_path);
    return 1;
  }
  return any ? 0 : usage();
}
