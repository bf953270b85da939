/*
 * slotpod: a pod with `slots` parallel servers and a FIFO queue, each request holding one slot
 * for a service time drawn from a distribution (exponential, deterministic, uniform or lognormal)
 * at the request's own uniform (request.service_u), so a request costs the same wherever it runs.
 *
 * It is the validation model: one slot pod under Poisson arrivals with exponential service is
 * an M/M/c queue, whose mean wait is Erlang C. It has no tokens of its own: output tokens are
 * taken to stream evenly over the service time (first token after service/output_tokens).
 * Gauges: running = busy slots, waiting = queue length, kv_usage = busy slots / slots.
 */
#ifndef PODSCALE_SLOTPOD_H
#define PODSCALE_SLOTPOD_H

#include "models/pods/pod.h"
#include "models/workload/dist.h"

typedef struct slotpod_config {
  int32_t slots;  /* parallel servers, >= 1 */
  dist service_s; /* service time, seconds */
} slotpod_config;

pod_model slotpod_new(const slotpod_config *cfg);

#endif
