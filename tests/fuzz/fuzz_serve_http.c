/*
 * libFuzzer target: an HTTP request to `podscale serve` (optimizer/server/serve.h) must never
 * crash it or go unanswered. The service runs in this process, standalone (no Redis), on
 * 127.0.0.1 and a free port, with one model "m" of one deployment "d" whose profile is a small
 * file; each input is sent as it is over a new connection, and the reply must end within
 * FZ_REPLY_MS (fuzz_util.h). Inputs that POST traces or deployments change the service's
 * state, as a client's would.
 */
#include <signal.h>

#include "fuzz_util.h"
#include "optimizer/server/serve.h"

static const char profile[] =
    "{\"gpu\": \"d\", \"cost\": 1.0, \"tputs\": [[2.0, 2.0], [2.0, 2.0]], "
    "\"indexes\": [[32, 128], [64, 256]], \"created\": 0.0}\n";

static int start(void) {
  signal(SIGPIPE, SIG_IGN);
  fz_put("profile.json", (const uint8_t *)profile, sizeof profile - 1);
  char config[512];
  int n = snprintf(config, sizeof config,
                   "{\"models\": [{\"name\": \"m\", \"deployments\": [{\"name\": \"d\", "
                   "\"profile_file\": \"%s\", \"replicas\": 1, \"min_replicas\": 1}]}]}\n",
                   fz_path("profile.json"));
  srv_options o = srv_options_default();
  o.config_path = fz_put("config.json", (const uint8_t *)config, (size_t)n);
  o.bind = "127.0.0.1";
  o.port = 0;
  o.log_stream = fopen("/dev/null", "w");
  opt_err e;
  srv *s = srv_new(&o, &e);
  if (!s || !srv_start(s, &e)) {
    fprintf(stderr, "serve does not start: %s\n", e.msg);
    abort();
  }
  return srv_port(s); /* runs until the process ends */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int port;
  if (!port) port = start();
  fz_exchange(port, data, size);
  return 0;
}
