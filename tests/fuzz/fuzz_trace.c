/*
 * libFuzzer target: a gateway trace record (optimizer/monitor.h opt_trace_parse), as `podscale
 * serve` reads it from Redis or POST /trace, must never crash the parser. A record that parses
 * is stepped through a load monitor with the default configuration, which clusters its
 * histogram of request lengths.
 */
#include "fuzz_util.h"
#include "optimizer/monitor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = fz_text(data, size);
  opt_trace t;
  opt_err e;
  if (opt_trace_parse(text, "fuzz", 10, 10, &t, &e)) {
    opt_monitor_config mc = opt_monitor_config_default();
    opt_monitor *m = opt_monitor_new(&mc, NULL);
    opt_monitor_out out;
    opt_monitor_step(m, 12000000, &t, 1, NULL, &out, &e);
    opt_monitor_free(m);
    opt_trace_free(&t);
  }
  free(text);
  return 0;
}
