/*
 * run: `podscale run` — every selected policy of a scenario on the same arrivals, and the
 * output files (docs/outputs.md):
 *   requests.csv    one row per request (omitted when output.requests is false)
 *   timeseries.csv  one row per sample interval and deployment
 *   decisions.csv   one row per policy evaluation and deployment
 *   summary.csv     one row per policy
 *   run.json        what ran: scenario digest, seed, version, events, wall time
 * Files are written under temporary names and renamed only when every policy has finished, so
 * an output directory never holds a partial result under a final name. The column lists below
 * are the stable interface that tests pin.
 *
 * A run keeps all of its state in its own structs: several may run at once in threads.
 */
#ifndef PODSCALE_RUN_H
#define PODSCALE_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "sim/scenario/scenario.h"

extern const char *const run_requests_columns[];
extern const char *const run_timeseries_columns[];
extern const char *const run_decisions_columns[];
extern const char *const run_summary_columns[];

typedef struct run_options {
  const char *out_dir;         /* output directory (created) */
  uint64_t seed;               /* the seed to use (the scenario's unless overridden) */
  const char *const *policies; /* names to run, NULL-terminated; NULL for all */
  bool progress;               /* progress line on stderr */
  const char *trace_redis;     /* redis://...: also SET the gateway's trace records there (the
                                  one optimizer policy selected), as the AIBrix gateway does */
} run_options;

typedef struct run_totals {
  uint64_t events; /* over all policies */
  double wall_s;
} run_totals;

/* Run and write outputs; false with a message on an output error (exit status 1). */
bool run_scenario(const scenario *sc, const run_options *opt, run_totals *tot, ps_err *err);

#endif
