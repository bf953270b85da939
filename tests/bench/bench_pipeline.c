/*
 * bench_pipeline: the whole simulator on an M/M/1 scenario (workload generator, gateway,
 * router, slot pod, timeouts off, no output files): simulated requests and events per second
 * of wall time. Median of several repetitions.
 *
 *   bench_pipeline [CUSTOMERS_PER_REP] [REPS]     (defaults 5000000 and 5)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "sim/run/cluster.h"

int main(int argc, char **argv) {
  double customers = argc > 1 ? atof(argv[1]) : 5e6;
  int reps = argc > 2 ? atoi(argv[2]) : 5;
  if (reps < 1 || reps > 100) reps = 5;
  char json[2048];
  snprintf(
      json, sizeof json,
      "{\"seed\": 1, \"workload\": {\"arrivals\": {\"type\": \"segments\", \"segments\": "
      "[{\"duration_s\": %.0f, \"rate\": 0.9}]}, \"input_tokens\": {\"dist\": \"constant\", "
      "\"value\": 1}, \"output_tokens\": {\"dist\": \"constant\", \"value\": 1}}, \"gpus\": "
      "[{\"name\": \"G\", \"price_per_hour\": 1}], \"deployments\": [{\"name\": \"d\", \"gpu\": "
      "\"G\", \"startup_s\": 0, \"model\": {\"type\": \"slots\", \"slots\": 1, \"service_s\": "
      "{\"dist\": "
      "\"exponential\", \"mean\": 1}}}], \"policies\": [{\"name\": \"one\", \"type\": "
      "\"fixed\", \"replicas\": 1}], \"output\": {\"interval_s\": 3600}}",
      customers / 0.9);
  scenario sc;
  bench_load(json, &sc);
  double rq[100], ev[100];
  for (int i = 0; i < reps; i++) {
    cluster_hooks h = {0};
    cluster_result res;
    double t0 = ps_mono_s();
    cluster_run(&sc, 0, (uint64_t)i + 1, &h, &res);
    double dt = ps_mono_s() - t0;
    rq[i] = (double)res.requests / dt;
    ev[i] = (double)res.events / dt;
    printf("rep %d: %llu requests, %llu events in %.3f s: %.2f M requests/s, %.2f M events/s\n",
           i + 1, (unsigned long long)res.requests, (unsigned long long)res.events, dt, rq[i] / 1e6,
           ev[i] / 1e6);
  }
  printf("median: %.2f M requests/s, %.2f M events/s (M/M/1 through the whole simulator)\n",
         bench_median(rq, reps) / 1e6, bench_median(ev, reps) / 1e6);
  scenario_free(&sc);
  return 0;
}
