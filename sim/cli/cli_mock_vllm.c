/* `podscale mock-vllm`: the command line of sim/http/mock_vllm.c. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/pods/catalog.h"
#include "sim/cli/cli.h"
#include "sim/http/mock_vllm.h"

static const char help_text[] =
    "usage: podscale mock-vllm --gpu GPU --model LLM [OPTIONS]\n"
    "\n"
    "Serve vLLM's OpenAI API (/v1/completions, /v1/chat/completions, /v1/models, /health,\n"
    "/metrics) with the timing of one simulated vLLM pod run in real time: a request's first\n"
    "token, each next token and its end come when the simulated engine produces them. Prompt\n"
    "tokens are the prompt's words; a request generates max_tokens tokens. Stops on SIGTERM.\n"
    "\n"
    "  --gpu GPU                GPU type from the catalog (docs/catalog.md)\n"
    "  --model LLM              LLM from the catalog\n"
    "  --served-model-name NAME the model name clients send and /metrics labels (default: LLM)\n"
    "  --port N                 HTTP port (default 8000; 0: any free port, printed)\n"
    "  --bind ADDR, --host ADDR IPv4 address to listen on (default 0.0.0.0)\n"
    "  --speedup X              simulated seconds per wall-clock second (default 1)\n"
    "  --max-num-seqs N         vLLM max_num_seqs (256)\n"
    "  --max-model-len N        vLLM max_model_len (the model's)\n"
    "  --enable-chunked-prefill vLLM enable_chunked_prefill (off)\n"
    "  --max-num-batched-tokens N  vLLM max_num_batched_tokens (512 chunked, else\n"
    "                           max(max_model_len, 2048))\n"
    "  --gpu-memory-utilization F  vLLM gpu_memory_utilization (0.9)\n"
    "  --eff-compute F, --eff-memory F, --overhead S, --overhead-seq S\n"
    "                           performance-model factors (docs/perf-model.md)\n";

enum {
  O_GPU = 256,
  O_MODEL,
  O_NAME,
  O_PORT,
  O_BIND,
  O_SPEEDUP,
};

static const struct option own_options[] = {
    /* and the engine options */
    {"gpu", required_argument, NULL, O_GPU},
    {"model", required_argument, NULL, O_MODEL},
    {"served-model-name", required_argument, NULL, O_NAME},
    {"port", required_argument, NULL, O_PORT},
    {"bind", required_argument, NULL, O_BIND},
    {"host", required_argument, NULL, O_BIND},
    {"speedup", required_argument, NULL, O_SPEEDUP},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

typedef struct mock_opts {
  mv_options mv;
  llm_engine_args args;
  const char *gpu, *model;
} mock_opts;

/* Apply one option; returns 0 to go on, or an exit status. */
static int apply(mock_opts *o, int c, const char *name, const char *arg) {
  int64_t n = 0;
  double x = 0;
#define INT(lo, hi, dst)                                                                           \
  do {                                                                                             \
    if (!cli_opt_int("mock-vllm", name, arg, lo, hi, &n)) return EXIT_BADINPUT;                    \
    dst = n;                                                                                       \
  } while (0)
#define REAL(lo, hi, dst)                                                                          \
  do {                                                                                             \
    if (!cli_opt_real("mock-vllm", name, arg, lo, hi, &x)) return EXIT_BADINPUT;                   \
    dst = x;                                                                                       \
  } while (0)
  int engine = cli_engine_option("mock-vllm", c, name, arg, &o->args);
  if (engine >= 0) return engine;
  switch (c) {
  case O_GPU: o->gpu = arg; break;
  case O_MODEL: o->model = arg; break;
  case O_NAME: o->mv.model_name = arg; break; /* checked by mv_new */
  case O_PORT: INT(0, 65535, o->mv.port); break;
  case O_BIND: o->mv.bind = arg; break;
  case O_SPEEDUP: REAL(0.001, 1e6, o->mv.speedup); break;
  default: return cli_usage_error("mock-vllm: unknown or incomplete option");
  }
#undef INT
#undef REAL
  return 0;
}

int cmd_mock_vllm(int argc, char **argv) {
  mock_opts o = {.mv = {.bind = "0.0.0.0", .port = 8000, .speedup = 1.0},
                 .args = cli_engine_unset()};
  optind = 1;
  opterr = 0;
  int c, idx = -1;
  struct option longopts[CLI_MAX_OPTIONS];
  cli_with_engine_options(own_options, longopts, CLI_MAX_OPTIONS);
  while ((c = getopt_long(argc, argv, "h", longopts, &idx)) != -1) {
    if (c == 'h') {
      fputs(help_text, stdout);
      return EXIT_OK;
    }
    if (c == '?' || c == ':')
      return cli_usage_error("mock-vllm: unknown or incomplete option '%s'", argv[optind - 1]);
    int rc = apply(&o, c, idx >= 0 ? longopts[idx].name : "?", optarg);
    idx = -1;
    if (rc) return rc;
  }
  if (optind < argc) return cli_usage_error("mock-vllm: unexpected argument '%s'", argv[optind]);
  if (!o.gpu || !o.model) return cli_usage_error("mock-vllm: expected --gpu and --model");
  const gpu_spec *g = cli_catalog_gpu("mock-vllm", o.gpu);
  if (!g) return EXIT_BADINPUT;
  const llm_spec *m = cli_catalog_llm("mock-vllm", o.model);
  if (!m) return EXIT_BADINPUT;
  cli_engine_resolve(&o.args, g, m);
  if (o.args.max_model_len > m->max_model_len)
    return cli_usage_error("mock-vllm: --max-model-len: expected at most %s's context window "
                           "(%d), found %d",
                           m->name, m->max_model_len, o.args.max_model_len);
  char why[512];
  if (!llmpod_configure(g, m, &o.args, &o.mv.pod, why, sizeof why)) {
    fprintf(stderr, "podscale: mock-vllm: vLLM would not start: %s\n", why);
    return EXIT_BADINPUT;
  }
  if (!o.mv.model_name) o.mv.model_name = m->name;
  o.mv.gpu_name = g->name;
  return mv_main(&o.mv);
}
