/*
 * libFuzzer target: the configuration file of `podscale serve` (optimizer/server/config.h
 * srv_config_read) must never crash its reader; a configuration that loads is freed.
 */
#include "fuzz_util.h"
#include "optimizer/server/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  srv_config c;
  opt_err e;
  if (srv_config_read(fz_put("config.json", data, size), &c, &e)) srv_config_free(&c);
  return 0;
}
