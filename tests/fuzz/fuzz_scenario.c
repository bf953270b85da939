/*
 * libFuzzer target: the scenario loader (sim/scenario/scenario.h scenario_load) and the data files
 * it reads must never crash on any input. The input is split at the first NUL byte: the part before
 * is the scenario JSON, the part after is written as data.csv beside it, which a scenario may name
 * as a count file, a trace (Azure or AIBrix JSONL) or a file of samples. A scenario that loads is
 * also run for a short simulated time.
 */
#include "fuzz_run.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const uint8_t *part[2];
  size_t len[2];
  fz_split(data, size, 2, part, len);
  const char *path = fz_put("s.json", part[0], len[0]);
  fz_put("data.csv", part[1], len[1]);
  fz_load_and_run(path);
  return 0;
}
