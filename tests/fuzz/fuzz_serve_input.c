/*
 * libFuzzer target: what `podscale serve` reads from outside must never crash it: its
 * configuration file, gateway trace records (from Redis or POST /trace) and GPU profiles (from
 * Redis or files). The first byte chooses the parser (0: configuration, 1: trace record,
 * 2: profile), the rest is its input. A trace record that parses is also stepped through a
 * load monitor; a configuration that loads is freed.
 *
 *   cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DPODSCALE_FUZZ=ON
 *   cmake --build build-fuzz --target fuzz_serve_input
 *   mkdir -p /tmp/scorpus && ./build-fuzz/tests/fuzz/fuzz_serve_input -max_total_time=300 /tmp/scorpus tests/fuzz/serve-corpus
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "optimizer/monitor.h"
#include "optimizer/profile.h"
#include "optimizer/server/config.h"

static char path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  char *text = malloc(size);
  memcpy(text, data + 1, size - 1);
  text[size - 1] = '\0'; /* a NUL inside ends the text early, as a C string would */
  opt_err e;
  switch (data[0] % 3) {
  case 0: {
    if (!path[0]) {
      strcpy(path, "/tmp/podscale-fuzz-serve-XXXXXX");
      int fd = mkstemp(path);
      if (fd < 0) abort();
      close(fd);
    }
    FILE *fp = fopen(path, "wb");
    if (!fp) abort();
    fwrite(text, 1, size - 1, fp);
    fclose(fp);
    srv_config c;
    if (srv_config_read(path, &c, &e)) srv_config_free(&c);
    break;
  }
  case 1: {
    opt_trace t;
    if (opt_trace_parse(text, "fuzz", 10, 10, &t, &e)) {
      opt_monitor_config mc = opt_monitor_config_default();
      opt_monitor *m = opt_monitor_new(&mc, NULL);
      opt_monitor_out out;
      opt_monitor_step(m, 12000000, &t, 1, NULL, &out, &e);
      opt_monitor_free(m);
      opt_trace_free(&t);
    }
    break;
  }
  case 2: {
    opt_profile p;
    if (opt_profile_parse(text, "fuzz", &p, &e)) opt_profile_free(&p);
    break;
  }
  }
  free(text);
  return 0;
}
