/*
 * libFuzzer target: a YAML file of Kubernetes manifests (base/yamlv.h read by the scenario's
 * policies, models/autoscalers/podautoscaler.h's pa_manifest_load) must never crash or hang the
 * scenario loader or the autoscaler built from it. The input is the file m.yaml that the one
 * policy of a fixed scenario names (a vLLM deployment on V100s, two minutes of Poisson
 * arrivals); a scenario that loads is run.
 */
#include <stdbool.h>

#include "fuzz_util.h"
#include "sim/run/cluster.h"
#include "sim/scenario/scenario.h"

static const char scenario_text[] =
    "{\"name\": \"m\", \"seed\": 1, \"warmup_s\": 30,\n"
    " \"workload\": {\"arrivals\": {\"type\": \"segments\", \"segments\": [{\"duration_s\": 60, "
    "\"rate\": 1}, {\"duration_s\": 60, \"rate\": 4}]},\n"
    "  \"input_tokens\": {\"dist\": \"lognormal\", \"mean\": 310, \"p99\": 960},\n"
    "  \"output_tokens\": {\"dist\": \"lognormal\", \"mean\": 150, \"p99\": 1000}},\n"
    " \"gpus\": [{\"name\": \"V100-32GB\", \"count\": 4}],\n"
    " \"deployments\": [{\"name\": \"deepseek-llm-7b-chat\", \"gpu\": \"V100-32GB\", "
    "\"model\": {\"type\": \"llm\", \"llm\": \"deepseek-llm-7b-chat\"}, \"startup_s\": 20}],\n"
    " \"policies\": [{\"name\": \"m\", \"manifests\": [\"m.yaml\"]}]}\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static char path[256]; /* fz_put's names are reused after a few calls: keep a copy */
  if (!path[0])
    snprintf(path, sizeof path, "%s",
             fz_put("s.json", (const uint8_t *)scenario_text, sizeof scenario_text - 1));
  fz_put("m.yaml", data, size);
  scenario sc;
  ps_err err;
  if (scenario_load(path, &sc, &err)) {
    cluster_hooks h = {0};
    cluster_result res;
    cluster_run(&sc, 0, sc.seed, &h, &res);
    scenario_free(&sc);
  }
  return 0;
}
