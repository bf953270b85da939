/*
 * libFuzzer target: a vLLM log (analysis/vllmlog.h vlog_read, and through it vlog_parse_line),
 * as `podscale calibrate --vllm-log` reads the logs of real pods, must never crash the reader.
 * The input is one log file; it is read twice into one set, as a run with two pods is.
 */
#include "analysis/vllmlog.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fz_put("vllm.log", data, size);
  vlog_set s = {0};
  ps_err err;
  if (vlog_read(&s, path, &err)) vlog_read(&s, path, &err);
  vlog_free(&s);
  return 0;
}
