/*
 * libFuzzer target: a policy of a scenario, the form in which the simulator reads a
 * PodAutoscaler manifest (type, variant, the manifest's spec by its upstream field names,
 * annotations), must never crash the scenario loader (sim/scenario/scenario.h scenario_load) or the
 * autoscaler built from it. The input is one policy object; it is put into a fixed scenario
 * (a vLLM deployment on V100s, two minutes of Poisson arrivals, an optimizer with a small
 * profile for a policy that reads it), and a scenario that loads is run with that policy.
 */
#include <stdbool.h>

#include "fuzz_util.h"
#include "sim/run/cluster.h"
#include "sim/scenario/scenario.h"

static const char head[] =
    "{\"name\": \"pa\", \"seed\": 1, \"warmup_s\": 30,\n"
    " \"workload\": {\"arrivals\": {\"type\": \"segments\", \"segments\": [{\"duration_s\": 60, "
    "\"rate\": 1}, {\"duration_s\": 60, \"rate\": 4}]},\n"
    "  \"input_tokens\": {\"dist\": \"lognormal\", \"mean\": 310, \"p99\": 960},\n"
    "  \"output_tokens\": {\"dist\": \"lognormal\", \"mean\": 150, \"p99\": 1000}, "
    "\"max_output_tokens\": 2048},\n"
    " \"gpus\": [{\"name\": \"V100-32GB\", \"count\": 4}],\n"
    " \"deployments\": [{\"name\": \"deepseek-llm-7b-chat\", \"gpu\": \"V100-32GB\", "
    "\"model\": {\"type\": \"llm\", \"llm\": \"deepseek-llm-7b-chat\"}, \"startup_s\": 20}],\n"
    " \"router\": {\"policy\": \"least-request\"}, \"client\": {\"timeout_s\": 120},\n"
    " \"policies\": [\n";
static const char tail[] =
    "\n],\n \"optimizer\": {\"profiles\": {\"deepseek-llm-7b-chat\": \"p.json\"}}}\n";
/* The optimizer-based KPA's profile: 2 req/s in every bucket. */
static const char profile[] =
    "{\"gpu\": \"deepseek-llm-7b-chat\", \"cost\": 1.0, \"tputs\": [[2.0, 2.0], [2.0, 2.0]], "
    "\"indexes\": [[32, 128], [64, 256]], \"created\": 0.0}\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static bool ready;
  if (!ready) fz_put("p.json", (const uint8_t *)profile, sizeof profile - 1);
  ready = true;
  size_t n = sizeof head - 1 + size + sizeof tail - 1;
  uint8_t *doc = malloc(n);
  if (!doc) abort();
  memcpy(doc, head, sizeof head - 1);
  memcpy(doc + sizeof head - 1, data, size);
  memcpy(doc + sizeof head - 1 + size, tail, sizeof tail - 1);
  const char *path = fz_put("pa.json", doc, n);
  free(doc);
  scenario sc;
  ps_err err;
  if (scenario_load(path, &sc, &err)) {
    cluster_hooks h = {0};
    cluster_result res;
    for (uint32_t p = 0; p < sc.npolicies && p < 2; p++)
      cluster_run(&sc, p, sc.seed, &h, &res);
    scenario_free(&sc);
  }
  return 0;
}
