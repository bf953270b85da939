/*
 * cluster: one simulated run of one policy of a scenario.
 *
 * It wires the models to the event queue: the workload generator feeds arrivals one at a time
 * (only the next arrival is ever queued), the gateway routes each request to a ready pod or
 * holds it while none is ready, pods are advanced to the current time before anything touches
 * them and woken when they next change by themselves, the policy is evaluated every period for
 * each deployment, the client timeout cancels requests, and every output interval a sample is
 * taken. Results leave through callbacks (cluster_hooks) as they happen, so memory stays
 * proportional to the requests in flight, not to the run.
 *
 * Pod lifecycle: the policy's initial pods serve from time 0 (with a warm-up, the run begins at
 * -warmup_s: the policies run from then, and the initial pods restart then and turn Ready at 0);
 * others are Pending while their GPU type has no free GPU, Starting through the deployment's
 * lifecycle (initializing, loading, serving until the readiness probe passes), Ready (routed),
 * Terminating (draining for up to the grace period; requests still running then fail; out of
 * routing unless the gateway routes to terminating pods; stopped when idle, at once or at a look
 * of its preStop hook), Stopped. Scale-down picks pods in ReplicaSet order: pending, then
 * starting, then the newest ready. Pods are billed from creation (at the earliest from time 0)
 * to stop. Each deployment has its own policy instance, shown every pod not yet stopped with its
 * phase and gauges at every policy tick.
 *
 * Requests: a share the client loses to connection errors fails at arrival (the same requests
 * under every policy); a timeout either cancels the request on its pod or, when the engine never
 * hears of it, is reported at once while the pod serves the request to the end unseen.
 *
 * The run ends when the workload is exhausted, no request is in flight and the scenario's
 * duration has passed, or at duration + drain, whichever is first; requests still in flight
 * then fail. Every event kind runs in (time, insertion) order, so a run is a pure function of
 * the scenario, the seed and the policy.
 */
#ifndef PODSCALE_CLUSTER_H
#define PODSCALE_CLUSTER_H

#include <stdint.h>

#include "models/workload/request.h"
#include "sim/scenario/scenario.h"

typedef struct cluster_sample {
  int64_t time_us;
  uint32_t deployment;
  double offered_rps;   /* gateway arrivals per second over the interval (all deployments) */
  double completed_rps; /* requests of this deployment completed ok, per second */
  int32_t desired;
  int32_t pending, starting, ready, terminating; /* pods by state */
  int32_t running, waiting;                      /* requests on this deployment's pods */
  int32_t gateway_queue;                         /* requests held in the gateway */
  double kv_usage;                               /* mean over ready pods, 0-1 */
  double cost;                                   /* accumulated, dollars */
} cluster_sample;

typedef struct cluster_decision {
  int64_t time_us;
  uint32_t deployment;
  int32_t current, desired; /* spec.replicas before and after */
  const policy_decision *d; /* the evaluation's inputs and reason */
  bool optimizer;           /* a GPU optimizer round: d->value is what it serves */
} cluster_decision;

typedef struct cluster_hooks {
  void *ctx;
  /* A request reached its final status (ok, timeout, failed). */
  void (*request)(void *ctx, const request *r, uint32_t deployment);
  void (*sample)(void *ctx, const cluster_sample *s);
  void (*decision)(void *ctx, const cluster_decision *d);
  /* Called every few thousand events with the clock and the expected end. */
  void (*progress)(void *ctx, int64_t now_us, int64_t end_us);
  /* A GPU-optimizer decision, as a decision-log line (optimizer/decision.h). */
  void (*optimizer)(void *ctx, const char *line);
  /* A gateway trace record as the simulated gateway writes it: key time (simulated s), JSON. */
  void (*trace)(void *ctx, int64_t ts_s, const char *json);
} cluster_hooks;

typedef struct cluster_result {
  uint64_t events;                /* events processed */
  uint64_t requests;              /* arrivals */
  int64_t end_us;                 /* when the run ended */
  double cost;                    /* dollars, all pods */
  double gpu_hours;               /* pod-hours at unit price */
  int32_t scale_ups, scale_downs; /* decisions that raised / lowered a deployment's replicas */
  int32_t peak_pods;              /* most pods alive (not stopped) at once */
} cluster_result;

/* Run policy `policy` of `sc` with `seed`; results go to the hooks and *res. */
void cluster_run(const scenario *sc, uint32_t policy, uint64_t seed, const cluster_hooks *hooks,
                 cluster_result *res);

#endif
