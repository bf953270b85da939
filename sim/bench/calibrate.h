/*
 * calibrate: fit the performance model's four factors (models/pods/perf.h: eff_compute,
 * eff_memory, overhead_s, overhead_seq_s) so that the simulated benchmark reproduces a measured
 * one (aibrix_benchmark JSON lines).
 *
 * Only runs where the server kept up (TPUT >= 0.9 x rate) are fitted: past saturation the
 * latency measures the benchmark's queue, not the engine. Residuals are log ratios of simulated
 * to measured TPUT and E2E mean for every such run, under a Cauchy loss (scale 10%) so a few
 * outlying runs do not pull the fit; the factors are fitted in log space with
 * GSL's trust-region nonlinear least squares (Levenberg-Marquardt), derivatives by forward
 * differences of 2% (the simulation is piecewise constant at finer scales). Efficiencies are
 * capped at 1.
 *
 * From vLLM's stats lines (calibrate_vllm_log; analysis/vllmlog.h reads them): the factors
 * and the KV capacity (vLLM's num_gpu_blocks) are fitted so that a simulated pod behaves as the
 * logged one. Each line shows, over 10 s, the population on the engine (running + pending) and
 * what the engine did with it: generation throughput, running, KV-cache usage. For a grid of
 * populations N (every N to 24, then steps of 15% up to VCAL_MAX_POPULATION; the closed loop
 * behaves the same beyond, save for a longer queue) the pod runs as a closed loop holding N
 * requests: a finished request is replaced at once by the next one of a fixed list of lengths
 * drawn from the workload's distributions. After VCAL_WARMUP_S of simulated time it measures,
 * over VCAL_MEASURE_S, generation and prompt throughput and the time averages of running,
 * pending and KV usage (sampled each second); a line with population N is compared with the
 * grid interpolated linearly at N. Same lengths, same order, no other randomness: the objective
 * is a deterministic function of the parameters (common random numbers). Residuals per line
 * with at least one running request (a line with none says nothing about the engine): log
 * ratios of generation throughput (+1 token/s), KV usage (+0.01) and running (+0.5), under the
 * same Cauchy loss and Levenberg-Marquardt as above, in log space for the overheads and the
 * blocks and in logit space for the efficiencies (so they stay in (0, 1)). Which parameters
 * are fitted is the caller's choice (vcal_input.fit); VCAL_FIT_DEFAULT says why those.
 */
#ifndef PODSCALE_CALIBRATE_H
#define PODSCALE_CALIBRATE_H

#include <stdbool.h>
#include <stdint.h>

#include "analysis/vllmlog.h"
#include "base/err.h"
#include "models/pods/llmpod.h"
#include "models/workload/dist.h"

typedef struct bench_run {
  int32_t input, output;
  double rate;
  int32_t samples;
  double tput;     /* measured TPUT, req/s */
  double e2e_mean; /* measured E2E mean, s */
  bool has_tput, has_e2e;
} bench_run;

typedef struct bench_file {
  bench_run *runs;
  int32_t n;
  uint64_t seed;
} bench_file;

/* Read aibrix_benchmark JSON lines; a bad line is an error naming FILE:LINE. */
bool bench_file_read(const char *path, bench_file *out, ps_err *err);
void bench_file_free(bench_file *f);

typedef struct calib_result {
  perf_params fitted;
  int32_t runs_fitted;     /* runs where the measured server kept up */
  int32_t iterations;      /* solver iterations */
  int32_t evaluations;     /* simulations of every fitted run the solver asked for */
  double tput_median_err;  /* median |sim/meas - 1| of TPUT over the fitted runs */
  double e2e_median_err;   /* the same for the E2E mean */
  double tput_median_err0; /* both before fitting (the starting factors) */
  double e2e_median_err0;
} calib_result;

/* Fit from `start` (engine configuration of the GPU and LLM in `args`). progress, when not NULL,
 * is called after each evaluation (a simulation of every fitted run) with the count so far. */
bool calibrate(const gpu_spec *g, const llm_spec *m, const llm_engine_args *args,
               const bench_file *bf, void (*progress)(void *ctx, int32_t evaluations),
               void *progress_ctx, calib_result *res, ps_err *err);

/* ---- from vLLM's stats lines ---- */

#define VCAL_MAX_POPULATION 160 /* populations simulated; larger ones use this one's engine */
#define VCAL_WARMUP_S 300.0     /* simulated seconds before measuring */
#define VCAL_MEASURE_S 900.0    /* simulated seconds measured per population */
#define VCAL_BANDS 4            /* population bands reported: 1-3, 4-15, 16-31, 32 and over */

enum {
  VCAL_FIT_EFF_COMPUTE = 1 << 0,
  VCAL_FIT_EFF_MEMORY = 1 << 1,
  VCAL_FIT_OVERHEAD = 1 << 2,
  VCAL_FIT_OVERHEAD_SEQ = 1 << 3,
  VCAL_FIT_BLOCKS = 1 << 4,
  /* What the lines identify (docs/benchmark.md): the decode step's slope in the batch and in the
   * KV it reads, and the KV capacity. Its intercept, o + W / (e_m B), is identified but not how
   * it splits between o and e_m, so o stays fixed; eff_compute shows only through prefills. */
  VCAL_FIT_DEFAULT = VCAL_FIT_EFF_MEMORY | VCAL_FIT_OVERHEAD_SEQ | VCAL_FIT_BLOCKS,
};

typedef struct vcal_input {
  const gpu_spec *g;
  const llm_spec *m;
  llmpod_config base;           /* the engine's scheduler settings; perf and KV blocks are fitted */
  perf_params start;            /* factors to start from; base.total_blocks is the blocks' start */
  const int32_t *input_tokens;  /* request lengths, used in turn: prompt tokens */
  const int32_t *output_tokens; /* ... and output tokens */
  int32_t nrequests;
  unsigned fit;     /* VCAL_FIT_* bits: what is fitted; the rest stays at start */
  double measure_s; /* simulated seconds measured per population, 0: VCAL_MEASURE_S
                       (the warm-up is a third of it, 0: VCAL_WARMUP_S) */
  void (*progress)(void *ctx, int32_t evaluations); /* after each evaluation, or NULL */
  void *progress_ctx;
} vcal_input;

/* Median |simulated / measured - 1| over lines. */
typedef struct vcal_errors {
  double gen; /* generation throughput */
  double kv;  /* GPU KV-cache usage */
  double run; /* running requests */
} vcal_errors;

typedef struct vcal_band {
  int32_t lo, hi; /* population (running + pending) */
  int32_t lines;
  vcal_errors before, after;
} vcal_band;

typedef struct vcal_result {
  perf_params fitted;
  int32_t blocks_start, blocks; /* KV blocks before and after */
  int32_t lines;                /* lines fitted (at least one running request) */
  int32_t populations;          /* populations simulated */
  int32_t iterations, evaluations;
  vcal_errors before, after;
  vcal_band bands[VCAL_BANDS];
  double prompt_meas, prompt_before, prompt_after; /* mean prompt throughput over the lines */
  double gen_meas, gen_before, gen_after;          /* mean generation throughput, tokens/s */
} vcal_result;

/* What a closed loop of `population` requests shows in steady state. */
typedef struct vcal_state {
  double gen_tps, prompt_tps; /* tokens/s; prompt tokens of the requests finished */
  double running, pending;    /* time averages */
  double kv_usage;            /* time average, 0-1 */
} vcal_state;

/* n request lengths drawn from the distributions (output capped at max_output when > 0) with
 * the streams "calibrate_input" and "calibrate_output" of seed. */
void vcal_draw_lengths(const dist *input, const dist *output, int32_t max_output, uint64_t seed,
                       int32_t n, int32_t *input_tokens, int32_t *output_tokens);
void vcal_closed_loop(const llmpod_config *cfg, const int32_t *input_tokens,
                      const int32_t *output_tokens, int32_t nrequests, int32_t population,
                      double warmup_s, double measure_s, vcal_state *out);
/* Fit in->start and in->base.total_blocks to the lines; false (with a message) when no line
 * has a running request or the engine cannot start. */
bool calibrate_vllm_log(const vcal_input *in, const vlog_set *logs, vcal_result *res, ps_err *err);

#endif
