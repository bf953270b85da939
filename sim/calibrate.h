/*
 * calibrate: fit the performance model's four factors (models/perf.h: eff_compute,
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
 */
#ifndef PODSCALE_CALIBRATE_H
#define PODSCALE_CALIBRATE_H

#include <stdbool.h>
#include <stdint.h>

#include "models/err.h"
#include "models/llmpod.h"

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
  double tput_median_err;  /* median |sim/meas - 1| of TPUT over the fitted runs */
  double e2e_median_err;   /* the same for the E2E mean */
  double tput_median_err0; /* both before fitting (the starting factors) */
  double e2e_median_err0;
} calib_result;

/* Fit from `start` (engine configuration of the GPU and LLM in `args`). */
bool calibrate(const gpu_spec *g, const llm_spec *m, const llm_engine_args *args,
               const bench_file *bf, calib_result *res, ps_err *err);

#endif
