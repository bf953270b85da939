/*
 * bench_llm: simulated requests per wall-clock second for an 8-pod deployment of
 * deepseek-llm-7b-chat on V100-32GB (the LLM engine) kept near saturation for one simulated
 * hour: Poisson arrivals at RATE req/s (default 40, KV cache about 70% full), prompts lognormal
 * (mean 310, p99 960), outputs lognormal (mean 150, p99 1000), least-request routing, no
 * output files. Median of several repetitions, each with its own seed.
 *
 *   bench_llm [RATE] [REPS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "sim/run/cluster.h"

int main(int argc, char **argv) {
  double rate = argc > 1 ? atof(argv[1]) : 40;
  int reps = argc > 2 ? atoi(argv[2]) : 5;
  if (reps < 1 || reps > 100) reps = 5;
  char json[2048];
  snprintf(json, sizeof json,
           "{\"seed\": 1, \"workload\": {\"arrivals\": {\"type\": \"segments\", \"segments\": "
           "[{\"duration_s\": 3600, \"rate\": %g}]}, \"input_tokens\": {\"dist\": \"lognormal\", "
           "\"mean\": 310, \"p99\": 960}, \"output_tokens\": {\"dist\": \"lognormal\", \"mean\": "
           "150, \"p99\": 1000}}, \"gpus\": [{\"name\": \"V100-32GB\"}], \"deployments\": "
           "[{\"name\": \"d\", \"gpu\": \"V100-32GB\", \"startup_s\": 0, \"model\": {\"type\": "
           "\"llm\", \"llm\": "
           "\"deepseek-llm-7b-chat\"}}], \"router\": {\"policy\": \"least-request\"}, "
           "\"policies\": [{\"name\": \"eight\", \"type\": \"fixed\", \"replicas\": 8}], "
           "\"output\": {\"interval_s\": 10, \"requests\": false}}",
           rate);
  scenario sc;
  bench_load(json, &sc);
  double rq[100];
  for (int i = 0; i < reps; i++) {
    cluster_hooks h = {0};
    cluster_result res;
    double t0 = ps_mono_s();
    cluster_run(&sc, 0, (uint64_t)i + 1, &h, &res);
    double dt = ps_mono_s() - t0;
    rq[i] = (double)res.requests / dt;
    printf("rep %d: %llu requests, %llu events in %.3f s: %.0f requests/s\n", i + 1,
           (unsigned long long)res.requests, (unsigned long long)res.events, dt, rq[i]);
  }
  printf("median: %.0f simulated requests per second (8 pods, %g req/s, 1 simulated hour)\n",
         bench_median(rq, reps), rate);
  scenario_free(&sc);
  return 0;
}
