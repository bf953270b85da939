/*
 * lifecycle: how long a new pod takes from getting its GPU to serving traffic.
 *
 * Kubernetes and vLLM, as AIBrix deploys them: once scheduled on a GPU the pod pulls its image
 * and starts its container (init), then vLLM downloads and loads the weights and warms up
 * (load). The readiness probe (AIBrix's sample deployment: GET /health, initialDelaySeconds 120,
 * periodSeconds 5) first runs `probe_delay` after the container starts and then every
 * `probe_period`; the pod turns Ready at the first probe that finds vLLM serving. AIBrix reports
 * 2-3 minutes for a new pod to serve; the defaults reproduce that (about 140 s typically, over
 * 3 minutes in the tail).
 *
 * Delays are drawn by inverse CDF from uniforms that the caller derives from the pod's identity
 * (deployment, how many pods of it were created before), so the n-th pod of a deployment takes
 * the same time under every policy.
 */
#ifndef PODSCALE_LIFECYCLE_H
#define PODSCALE_LIFECYCLE_H

#include <stdint.h>

#include "models/workload/dist.h"

typedef struct lifecycle_config {
  dist init_s;             /* scheduled -> container running (image pull, start), seconds */
  dist load_s;             /* container running -> vLLM serving (download, load, warm-up), s */
  int64_t probe_delay_us;  /* readinessProbe initialDelaySeconds */
  int64_t probe_period_us; /* readinessProbe periodSeconds, > 0 */
} lifecycle_config;

/* The defaults described above. */
lifecycle_config lifecycle_default(void);

/* When, after scheduling, the pod reaches each phase (running <= serving <= ready). */
typedef struct lifecycle_times {
  int64_t running_us; /* the container runs (Pending -> Running); vLLM starts loading */
  int64_t serving_us; /* vLLM serves (and answers /metrics); not Ready before the probe */
  int64_t ready_us;   /* the readiness probe passes: Ready, routed */
} lifecycle_times;

/* The phase times for uniforms u_init, u_load in (0,1). */
lifecycle_times lifecycle_phases(const lifecycle_config *c, double u_init, double u_load);
/* Time from scheduling to Ready for uniforms u_init, u_load in (0,1). */
int64_t lifecycle_ready_after_us(const lifecycle_config *c, double u_init, double u_load);
/* A lifecycle that is Ready exactly `us` after scheduling (the scenario's startup_s). */
lifecycle_config lifecycle_constant(int64_t us);

#endif
