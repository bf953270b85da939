/*
 * sweep: a scenario run over a grid of settings times a number of seeds, in parallel threads,
 * and the statistics of the results (`podscale sweep`, `podscale merge`; docs/sweeps.md).
 *
 * Settings are scenario keys by JSON path (`policies[1].spec.metricsSources[0].targetValue`,
 * `workload.rate_scale`) with a list of values each; the grid is their cartesian product, the
 * first setting varying slowest. Point p with seed index k is run r = p * seeds + k, with seed
 * base + k (base: the scenario's seed, or --seed). A shard I/N runs the runs r with r % N == I.
 *
 * Output directory: sweep.json (the grid, seeds, scenario digest, shard), runs/r<r>/ (each
 * run's outputs, as `podscale run` writes them), runs.csv (one row per run and policy: run,
 * point, seed, the settings, then summary.csv's columns) and sweep.csv (per point and policy:
 * the settings, the number of runs, and for each metric its mean and the half-width of its 95%
 * confidence interval, Student t with n - 1 degrees of freedom; empty for n = 1). sweep.csv is
 * computed from runs.csv alone, so a merge of shards gives the same bytes as one whole sweep,
 * and the result does not depend on the number of threads.
 */
#ifndef PODSCALE_SWEEP_H
#define PODSCALE_SWEEP_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"

typedef struct sweep_setting {
  char *key;     /* as given before '=': one JSON path, or several joined by commas */
  char **paths;  /* the JSON paths */
  int n_paths;   /* several: linked keys, each value an array of one element per path */
  char **values; /* JSON texts (a bare word is taken as a string) */
  int n;
} sweep_setting;

typedef struct sweep_options {
  const char *scenario; /* scenario file */
  sweep_setting *settings;
  int n_settings;
  int seeds;     /* seeds per point (>= 1) */
  bool has_seed; /* base seed given (else the scenario's) */
  uint64_t seed;
  int jobs;                    /* threads */
  int shard, shards;           /* this shard (0-based) of `shards` (1: all) */
  const char *const *policies; /* NULL-terminated names, or NULL for all */
  const char *out_dir;
  bool progress; /* progress bar on stderr */
} sweep_options;

/* Parse "KEY=V1,V2,..." (commas inside [], {} or "" do not split), or "K1,K2=[a1,a2],[b1,b2]"
 * (linked keys set together, one array element each); false with a message. */
bool sweep_setting_parse(const char *arg, sweep_setting *out, ps_err *err);
void sweep_setting_free(sweep_setting *s);

/* Run the sweep. Returns 0, 1 (a run or an output failed) or 2 (bad input), with a message. */
int sweep_run(const sweep_options *o, ps_err *err);

/* Join the runs.csv of the shard directories of one sweep into out_dir (sweep.json, runs.csv,
 * sweep.csv); every run exactly once. Returns 0, 1 or 2 as sweep_run. */
int sweep_merge(const char *const *dirs, int n, const char *out_dir, ps_err *err);

/* The metrics of sweep.csv (summary.csv columns; "failed" is timeout + failed). */
extern const char *const sweep_metrics[];

#endif
