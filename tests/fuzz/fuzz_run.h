/*
 * The scenario targets' common end: load the scenario at `path` and, when it loads and is
 * short (fewer than 20,000 expected requests, under a day), run its first policy. The fuzzer is
 * after the readers and the models, not long simulations.
 */
#ifndef PODSCALE_FUZZ_RUN_H
#define PODSCALE_FUZZ_RUN_H

#include "sim/run/cluster.h"
#include "sim/scenario/scenario.h"

static inline void fz_load_and_run(const char *path) {
  scenario sc;
  ps_err err;
  if (!scenario_load(path, &sc, &err)) return;
  if (wl_spec_expected_count(&sc.workload) < 20000 && sc.duration_us < 86400LL * 1000000) {
    cluster_hooks h = {0};
    cluster_result res;
    cluster_run(&sc, 0, sc.seed, &h, &res);
  }
  scenario_free(&sc);
}

#endif
