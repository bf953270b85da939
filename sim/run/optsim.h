/*
 * optsim: the GPU optimizer of a simulated cluster, run through the production library
 * (optimizer/) exactly as a cluster runs it.
 *
 * The gateway side counts every arrival and every request completed ok into the current 10 s
 * trace record (key time = the end of the interval); at the end of the interval the record is
 * written as the gateway writes it (JSON, opt_trace_to_json) when anything happened. The
 * optimizer side runs one monitor loop every interval, 2 s after the key time (the reader's
 * delay): it parses the record due, steps the load monitor (240 s window, DBSCAN, centres onto
 * the profiles' grid) and, when the monitor says so, solves the ILP over the deployments'
 * profiles. What it reports per deployment is what `GET /metrics/{namespace}/{deployment}`
 * would serve as vllm:deployment_replicas, in units of 1/100 GPU throughout (optimizer/model.h,
 * which fixes AIBrix's mixed units): before the first solve the deployment's initial replicas
 * x 100, after a solve the ILP's units, after a "minimize" round 0 (no minimum), unchanged on
 * "skip". The loop itself is optimizer/model.c, the one `podscale serve` runs.
 */
#ifndef PODSCALE_OPTSIM_H
#define PODSCALE_OPTSIM_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/scenario/scenario.h"

typedef struct optsim optsim;

/* What one monitor loop did, for decisions.csv. */
typedef struct optsim_round {
  int64_t time_us;
  const char *action; /* "optimize", "minimize", "skip", "no record yet" */
  double total_rate;  /* req/s the ILP sized for (optimize) */
  double coverage_pct;
  double cost;          /* ILP cost, per hour, of the fractional allocation */
  double uncovered;     /* req/s no deployment can serve */
  const char *decision; /* an "optimize" round as a decision-log line (no solve time, which is
                          wall time), or NULL; owned by the optimizer until its next round */
} optsim_round;

/* The optimizer of one run of `sc` (which must have an optimizer section); initial[d] is the
 * replicas deployment d starts with (what the optimizer reports before its first solve). */
optsim *optsim_new(const scenario *sc, const int32_t *initial);
/* Where the gateway's records also go as they are written (`podscale run --trace-redis`):
 * sink(ctx, key time in simulated seconds, the record's JSON). */
typedef void (*optsim_sink)(void *ctx, int64_t ts_s, const char *json);
void optsim_set_sink(optsim *o, optsim_sink sink, void *ctx);
void optsim_free(optsim *o);
/* The gateway: a request arrived; a request completed ok with these token counts. */
void optsim_arrival(optsim *o, int64_t now_us);
void optsim_done(optsim *o, int64_t now_us, int32_t input_tokens, int32_t output_tokens);
/* When the next monitor loop runs. */
int64_t optsim_next_us(const optsim *o);
/* Run the monitor loop due at now_us (write the records that ended, read, cluster, solve);
 * in_flight is the model's requests in flight (the record's meta_pending_reqs). */
void optsim_tick(optsim *o, int64_t now_us, int64_t in_flight, optsim_round *out);
/* vllm:deployment_replicas for deployment d now. */
double optsim_value(const optsim *o, uint32_t d);

#endif
