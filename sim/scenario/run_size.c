/* Estimates of a run's size (run_size.h). */
#include "sim/scenario/run_size.h"

#include <math.h>

/* Typical bytes of one row, measured on the shipped scenarios' outputs. */
#define REQUEST_ROW 115.0
#define TIMESERIES_ROW 95.0
#define DECISION_ROW 145.0
#define OPTIMIZER_LINE 1000.0

const char *const RUN_SIZE_FILES[4] = {"requests.csv", "timeseries.csv", "decisions.csv",
                                       "optimizer.jsonl"};

run_size run_size_estimate(const scenario *sc) {
  run_size z = {.requests = wl_spec_expected_count(&sc->workload)};
  double span_s = (double)(sc->duration_us + sc->drain_us) * 1e-6;
  double deps = sc->ndeployments, pols = sc->npolicies;
  if (sc->output.requests) z.file_bytes[0] = z.requests * pols * REQUEST_ROW;
  z.file_bytes[1] =
      (span_s / ((double)sc->output.interval_us * 1e-6) + 1) * pols * deps * TIMESERIES_ROW;
  for (uint32_t i = 0; i < sc->npolicies; i++)
    for (uint32_t d = 0; d < sc->ndeployments; d++)
      z.file_bytes[2] +=
          (span_s / ((double)sc_policy_config(&sc->policies[i], d)->period_us * 1e-6) + 1) *
          DECISION_ROW;
  double solvers = 0; /* policies that scale on the optimizer, one log line per round each */
  for (uint32_t i = 0; i < sc->npolicies; i++)
    solvers += scenario_policy_reads_optimizer(sc, &sc->policies[i]);
  if (sc->optimizer.enabled)
    z.file_bytes[3] =
        (span_s / ((double)sc->optimizer.interval_us * 1e-6) + 1) * solvers * OPTIMIZER_LINE;
  for (int k = 0; k < 4; k++)
    z.bytes += z.file_bytes[k];
  for (uint32_t i = 0; i < sc->npolicies; i++) {
    const sc_policy *p = &sc->policies[i];
    double pods = 0;
    for (uint32_t d = 0; d < sc->ndeployments; d++) {
      const policy_config *cfg = sc_policy_config(p, d);
      pods += cfg->kind == POLICY_FIXED
                  ? p->replicas[d]
                  : fmax(cfg->max_replicas, fmax(cfg->initial_replicas, cfg->min_replicas));
    }
    z.pods = fmax(z.pods, pods);
  }
  return z;
}
