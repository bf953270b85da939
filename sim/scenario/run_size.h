/*
 * run_size: what a run of a scenario will hold and write, estimated from the scenario alone
 * before anything runs, and the limits a scenario is held to (docs/scenarios.md, "Run size").
 *
 * The estimate: the workload's expected arrivals (wl_spec_expected_count, after rate_scale and
 * time_scale), the run's longest span (duration_s + drain_s), and the typical bytes of a row of
 * each output file. It is good to a factor of about two, which is all a limit needs.
 *
 * Limits: at most RUN_MAX_PODS pods in a policy's cluster (routing, sampling and autoscaler
 * ticks scan them), RUN_MAX_REQUESTS expected arrivals per policy (every request in flight is
 * held in memory, about 100 bytes each, and an overloaded cluster can hold nearly all of them),
 * and at most output.max_bytes (RUN_MAX_BYTES_DEFAULT unless the scenario says) of output.
 */
#ifndef PODSCALE_RUN_SIZE_H
#define PODSCALE_RUN_SIZE_H

#include "sim/scenario/scenario.h"

#define RUN_MAX_REQUESTS 1e8
#define RUN_MAX_PODS 10000 /* per policy: routing, sampling and ticks scan the cluster's pods */
#define RUN_MAX_BYTES_DEFAULT 1e10 /* 10 GB */

typedef struct run_size {
  double requests;      /* expected arrivals of one policy */
  double pods;          /* the most pods one policy's cluster can have */
  double file_bytes[4]; /* requests.csv, timeseries.csv, decisions.csv, optimizer.jsonl */
  double bytes;         /* their sum (summary.csv, run.json and profiles are small) */
} run_size;

extern const char *const RUN_SIZE_FILES[4];

/* The estimate for a loaded scenario, every policy run. */
run_size run_size_estimate(const scenario *sc);

#endif
