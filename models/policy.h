/*
 * policy: how many replicas each deployment should have. Every scaling policy (fixed now;
 * HPA, KPA, APA and the optimizer-based KPA later) is a pure decision function over its own
 * state, evaluated by the engine every `period_us` for each deployment with what the metric
 * pipeline observed. It never sees pods or the event queue.
 */
#ifndef PODSCALE_POLICY_H
#define PODSCALE_POLICY_H

#include <stdint.h>

typedef enum policy_kind { POLICY_FIXED } policy_kind;

/* What a policy may look at for one deployment at one evaluation. */
typedef struct policy_obs {
  int64_t now_us;
  uint32_t deployment;   /* index in the scenario's deployments */
  int32_t current;       /* replicas the deployment has now (desired so far) */
  int32_t ready;         /* pods ready and routed */
  int32_t running;       /* requests running, summed over ready and terminating pods */
  int32_t waiting;       /* requests waiting on pods, summed over ready and terminating pods */
  int32_t gateway_queue; /* requests held in the gateway (no pod ready) */
  double kv_usage;       /* mean KV-cache usage (0-1) over ready pods */
} policy_obs;

typedef struct policy_decision {
  int32_t desired;    /* replicas wanted */
  double metric;      /* the value the decision was based on (for decisions.csv) */
  const char *reason; /* short static text: why */
} policy_decision;

typedef struct policy_config {
  policy_kind kind;
  int64_t period_us;       /* evaluation period */
  const int32_t *replicas; /* fixed: replicas per deployment */
} policy_config;

void policy_decide(const policy_config *cfg, const policy_obs *obs, policy_decision *out);
const char *policy_kind_name(policy_kind k);

#endif
