/*
 * libFuzzer target: the scenario loader and the data files it reads must never crash on any
 * input. The input is split at the first NUL byte: the part before is the scenario JSON, the
 * part after is written as data.csv beside it, which scenarios may name as a count file or an
 * Azure trace. A scenario that loads is also run for a short simulated time.
 *
 *   cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DPODSCALE_FUZZ=ON
 *   cmake --build build-fuzz --target fuzz_scenario
 *   mkdir -p /tmp/corpus && ./build-fuzz/tests/fuzz/fuzz_scenario -max_total_time=300 /tmp/corpus tests/fuzz/corpus
 *   (new inputs go to the first directory, so the shipped corpus stays as it is)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/cluster.h"
#include "sim/scenario.h"

static char dir[64];

static void put(const char *name, const uint8_t *data, size_t n) {
  char path[128];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *fp = fopen(path, "wb");
  if (!fp) abort();
  fwrite(data, 1, n, fp);
  fclose(fp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!dir[0]) {
    strcpy(dir, "/tmp/podscale-fuzz-XXXXXX");
    if (!mkdtemp(dir)) abort();
  }
  const uint8_t *nul = memchr(data, 0, size);
  size_t json_len = nul ? (size_t)(nul - data) : size;
  put("s.json", data, json_len);
  put("data.csv", nul ? nul + 1 : data, nul ? size - json_len - 1 : 0);
  char path[128];
  snprintf(path, sizeof path, "%s/s.json", dir);
  scenario sc;
  ps_err err;
  if (scenario_load(path, &sc, &err)) {
    /* Keep runs short: the fuzzer is after crashes in loading, not long simulations. */
    if (wl_spec_expected_count(&sc.workload) < 20000 && sc.duration_us < 86400LL * 1000000) {
      cluster_hooks h = {0};
      cluster_result res;
      cluster_run(&sc, 0, sc.seed, &h, &res);
    }
    scenario_free(&sc);
  }
  return 0;
}
