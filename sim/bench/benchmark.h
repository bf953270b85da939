/*
 * benchmark: `podscale benchmark --simulated`, AIBrix's aibrix_benchmark run against one
 * simulated vLLM pod instead of a real one.
 *
 * The grid and its defaults are aibrix_benchmark's (benchmark.sh): input and output lengths
 * from 4 to 4096 doubling, request rates from 1 to 64 req/s doubling, 100 requests per run,
 * seed 0. Each run sends `total` requests of exactly `input` prompt tokens asking for `output`
 * tokens, with Poisson arrivals (the first at time 0, then exponential gaps: the same unit
 * gaps from the seed for every run, scaled by 1/rate, as numpy seeded per run gives). It writes
 * five JSON lines per run in aibrix_benchmark's format and key order: TPUT (completed requests
 * per second of benchmark time), TT (requested output tokens per second), then E2E, TTFT and
 * TPOT with mean, P50, P90 and P99 (numpy's linear percentiles, the same as GSL's). TPOT pools
 * the gaps between consecutive tokens of every request; TTFT is measured from the send (the
 * real aibrix_benchmark measures from the response headers; see docs/benchmark.md).
 * A run whose requests cannot fit the model's context is skipped with a note on stderr.
 */
#ifndef PODSCALE_BENCHMARK_H
#define PODSCALE_BENCHMARK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "analysis/stats.h"
#include "models/pods/llmpod.h"
#include "optimizer/profile.h"

typedef struct bench_grid {
  int32_t input_start, input_limit;   /* prompt tokens, doubling */
  int32_t output_start, output_limit; /* output tokens, doubling */
  double rate_start, rate_limit;      /* requests per second, doubling */
  int32_t total;                      /* requests per run */
  uint64_t seed;
  double temperature; /* sent to an endpoint; only recorded by the simulation */
  const char *model;  /* the "model" field written */
} bench_grid;

/* AIBrix benchmark.sh's defaults: prompts 4 to 2048 and outputs 4 to 512 tokens, rates 1 to 64
 * req/s, 100 requests a run (10 x 8 x 7 = 560 runs); `podscale benchmark`'s default. */
extern const bench_grid bench_grid_aibrix;
/* Prompts and outputs 4 to 4096 tokens (11 x 11 x 7 = 847 runs): the grid of a scenario's
 * generated profiles, so that outputs past 512 tokens have buckets of their own. */
extern const bench_grid bench_grid_wide;

/* One run's results. */
typedef struct bench_point {
  int32_t input, output;
  double rate;
  int32_t samples;
  double tput, tt; /* req/s, tokens/s */
  double e2e[4];   /* mean, P50, P90, P99, seconds */
  double ttft[4];
  double tpot[4];
} bench_point;

/* The send times of one run, in microseconds from its start: 0, then exponential gaps of mean
 * 1/rate from the stream "benchmark" of seed (the same unit gaps for every rate). Shared with
 * the endpoint benchmark (sim/http/endpoint_bench.c), so both send on the same schedule. */
void bench_arrivals_us(int32_t total, double rate, uint64_t seed, int64_t *arrival_us);
/* Mean, P50, P90, P99 of s into out (reorders s); all 0.0 when s is empty, as aibrix_benchmark
 * reports [0.0] when there is nothing to measure. */
void bench_stats4(sample *s, double out[4]);
/* Run one grid point on a fresh pod; false when the requests cannot fit (skipped). */
bool bench_run_point(const llmpod_config *cfg, int32_t input, int32_t output, double rate,
                     int32_t total, uint64_t seed, bench_point *out);
/* The five JSON lines of one run. */
void bench_write_point(FILE *fp, const bench_grid *g, const bench_point *pt);
/* The same five records as the optimizer library reads them from those lines (TPUT, TT, E2E,
 * TTFT, TPOT; TPUT and TT without percentiles), numbered as lines first_line.. of a file. */
void bench_point_records(const bench_point *pt, int32_t first_line, opt_bench_record out[5]);
/* Number of runs in the grid. */
int32_t bench_grid_runs(const bench_grid *g);
/* The i-th run's (input, output, rate), in aibrix_benchmark's loop order. */
void bench_grid_at(const bench_grid *g, int32_t i, int32_t *input, int32_t *output, double *rate);

#endif
