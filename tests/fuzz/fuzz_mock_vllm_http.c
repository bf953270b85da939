/*
 * libFuzzer target: an HTTP request to `podscale mock-vllm` (sim/http/mock_vllm.h) must never crash
 * it or go unanswered. The server runs in this process on 127.0.0.1 and a free port, as a
 * llama-2-7b pod on an A100-80GB at the highest speedup (a generation of minutes takes
 * milliseconds); each input is sent as it is over a new connection, and the reply, streamed or
 * not, must end within FZ_REPLY_MS (fuzz_util.h).
 */
#include <signal.h>

#include "fuzz_util.h"
#include "models/pods/catalog.h"
#include "sim/http/mock_vllm.h"

static int start(void) {
  signal(SIGPIPE, SIG_IGN);
  mv_options o = {.bind = "127.0.0.1", .port = 0, .speedup = 1e6};
  const gpu_spec *g = catalog_gpu("A100-80GB");
  const llm_spec *m = catalog_llm("llama-2-7b");
  if (!g || !m) abort();
  llm_engine_args args = llm_engine_args_for(g, m);
  char why[512];
  if (!llmpod_configure(g, m, &args, &o.pod, why, sizeof why)) abort();
  o.model_name = m->name;
  o.gpu_name = g->name;
  o.log = fopen("/dev/null", "w");
  mock_vllm *mv = mv_new(&o, why, sizeof why);
  if (!mv || !mv_start(mv, why, sizeof why)) {
    fprintf(stderr, "mock-vllm does not start: %s\n", why);
    abort();
  }
  return mv_port(mv); /* runs until the process ends */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int port;
  if (!port) port = start();
  fz_exchange(port, data, size);
  return 0;
}
