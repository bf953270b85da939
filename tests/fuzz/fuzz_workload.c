/*
 * libFuzzer target: the workload files a scenario reads must never crash their readers: count
 * files (requests per second, exact or as a rate), Azure LLM inference traces, AIBrix JSONL
 * workloads (sim/scenario/awl.h awl_read, with and without lengths taken from the file) and files
 * of samples for an empirical distribution (one number a line, or a column with a key column). The
 * first byte chooses the kind of file, the rest is the file; a fixed scenario of 8-slot pods
 * names it, and a scenario that loads is run.
 */
#include "fuzz_run.h"
#include "fuzz_util.h"

#define LENGTHS                                                                                    \
  ", \"input_tokens\": {\"dist\": \"lognormal\", \"mean\": 310, \"p99\": 960}, "                   \
  "\"output_tokens\": {\"dist\": \"lognormal\", \"mean\": 150, \"p99\": 1000}"
#define SEGMENTS "{\"type\": \"segments\", \"segments\": [{\"duration_s\": 60, \"rate\": 2}]}"

/* Per kind, the scenario's "arrivals", then the rest of its "workload": each names w.dat. */
static const char *const kinds[][2] = {
    {"{\"type\": \"counts\", \"file\": \"w.dat\", \"mode\": \"exact\"}", LENGTHS},
    {"{\"type\": \"counts\", \"file\": \"w.dat\", \"mode\": \"rate\"}", LENGTHS},
    {"{\"type\": \"trace\", \"file\": \"w.dat\", \"format\": \"azure\"}", ""},
    {"{\"type\": \"trace\", \"file\": \"w.dat\", \"format\": \"aibrix-jsonl\"}", ""},
    {"{\"type\": \"trace\", \"file\": \"w.dat\", \"format\": \"aibrix-jsonl\"}", LENGTHS},
    {SEGMENTS, ", \"input_tokens\": {\"dist\": \"empirical\", \"file\": \"w.dat\"}, "
               "\"output_tokens\": {\"dist\": \"lognormal\", \"mean\": 150, \"p99\": 1000}"},
    {SEGMENTS, ", \"input_tokens\": {\"dist\": \"lognormal\", \"mean\": 310, \"p99\": 960}, "
               "\"output_tokens\": {\"dist\": \"empirical\", \"column\": \"output_tokens\", "
               "\"key\": \"batch\", \"file\": \"w.dat\"}"},
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

static const char *scenario_text(size_t kind) {
  static char text[2048];
  snprintf(text, sizeof text,
           "{\"name\": \"w\", \"seed\": 3, \"workload\": {\"arrivals\": %s%s, "
           "\"max_output_tokens\": 2048},\n"
           " \"gpus\": [{\"name\": \"V100\", \"price_per_hour\": 2.48, \"count\": 4}],\n"
           " \"deployments\": [{\"name\": \"d\", \"gpu\": \"V100\", \"model\": {\"type\": "
           "\"slots\", \"slots\": 8, \"service_s\": {\"dist\": \"lognormal\", \"mean\": 6, "
           "\"p99\": 30}}, \"startup_s\": 0}],\n"
           " \"policies\": [{\"name\": \"fixed-2\", \"type\": \"fixed\", \"replicas\": 2}]}\n",
           kinds[kind][0], kinds[kind][1]);
  return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  const char *text = scenario_text(data[0] % NKINDS);
  const char *path = fz_put("w.json", (const uint8_t *)text, strlen(text));
  fz_put("w.dat", data + 1, size - 1);
  fz_load_and_run(path);
  return 0;
}
