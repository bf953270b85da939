/* `podscale catalog`: the built-in GPUs and LLMs, and what the default vLLM engine fits. */
#include <stdio.h>
#include <string.h>

#include "models/pods/catalog.h"
#include "models/pods/llmpod.h"
#include "sim/cli/cli.h"

static const char help_text[] =
    "usage: podscale catalog\n"
    "\n"
    "List the built-in GPU types and LLMs (docs/catalog.md gives the sources), and for each\n"
    "pair the KV cache the default vLLM engine gets (gpu_memory_utilization 0.9, 1 GiB reserved,\n"
    "16-token blocks) and its decode step at batch 1, or why vLLM would not start.\n";

int cmd_catalog(int argc, char **argv) {
  if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
    fputs(help_text, stdout);
    return EXIT_OK;
  }
  if (argc > 1) return cli_usage_error("catalog: unexpected argument '%s'", argv[1]);
  const double gib = 1024.0 * 1024.0 * 1024.0;
  const gpu_spec *g;
  const llm_spec *m;
  printf("%-12s %10s %10s %8s %10s\n", "gpu", "TFLOP/s", "GB/s", "GiB", "$/hour");
  for (int i = 0; (g = catalog_gpu_at(i)); i++)
    printf("%-12s %10.1f %10.0f %8.0f %10.2f\n", g->name, g->flops / 1e12, g->bandwidth / 1e9,
           g->memory / gib, g->price_per_hour);
  printf("\n%-30s %7s %7s %6s %9s %9s %9s %10s\n", "llm", "layers", "hidden", "heads", "kv_heads",
         "params_b", "context", "kv_KiB/tok");
  for (int i = 0; (m = catalog_llm_at(i)); i++)
    printf("%-30s %7d %7d %6d %9d %9.2f %9d %10.0f\n", m->name, m->layers, m->hidden, m->heads,
           m->kv_heads, m->params / 1e9, m->max_model_len, llm_kv_bytes_per_token(m) / 1024);
  printf("\n%-30s %-12s %12s %14s\n", "llm", "gpu", "kv_tokens", "decode_b1_ms");
  for (int i = 0; (m = catalog_llm_at(i)); i++) {
    for (int j = 0; (g = catalog_gpu_at(j)); j++) {
      llmpod_config c;
      char why[256];
      llm_engine_args a = llm_engine_args_for(g, m);
      if (!llmpod_configure(g, m, &a, &c, why, sizeof why)) {
        printf("%-30s %-12s   no start: %s\n", m->name, g->name, why);
        continue;
      }
      /* one sequence reading a 512-token context */
      double step_ms = (double)perf_iter_ps(&c.perf, 0, 0, 1, 512, 1) * 1e-9;
      printf("%-30s %-12s %12lld %14.1f\n", m->name, g->name,
             (long long)c.total_blocks * c.block_size, step_ms);
    }
  }
  return EXIT_OK;
}
