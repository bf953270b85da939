/* `podscale calibrate`: the command line of sim/calibrate.c. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "models/catalog.h"
#include "sim/calibrate.h"
#include "sim/cli.h"

static const char help_text[] =
    "usage: podscale calibrate --gpu GPU --model LLM [OPTIONS] BENCHMARK.jsonl\n"
    "\n"
    "Fit the performance model's factors (eff_compute, eff_memory, overhead_s, overhead_seq_s)\n"
    "so that `podscale benchmark --simulated` reproduces a measured aibrix_benchmark file, and\n"
    "print the fit and a \"perf\" object to paste into a scenario's llm model.\n"
    "\n"
    "  --gpu GPU                GPU type from the catalog\n"
    "  --model LLM              LLM from the catalog\n"
    "  --max-num-seqs N         vLLM max_num_seqs of the measured server (256)\n"
    "  --gpu-memory-utilization F  its gpu_memory_utilization (0.9)\n"
    "  --enable-chunked-prefill its enable_chunked_prefill (off)\n"
    "  --max-num-batched-tokens N  its max_num_batched_tokens\n";

int cmd_calibrate(int argc, char **argv) {
  static const struct option longopts[] = {
      {"gpu", required_argument, NULL, 'g'},
      {"model", required_argument, NULL, 'm'},
      {"max-num-seqs", required_argument, NULL, 'n'},
      {"gpu-memory-utilization", required_argument, NULL, 'u'},
      {"enable-chunked-prefill", no_argument, NULL, 'c'},
      {"max-num-batched-tokens", required_argument, NULL, 'b'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  const char *gpu = NULL, *model = NULL;
  llm_engine_args args = llm_engine_args_default;
  int64_t n;
  double x;
  int c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    switch (c) {
    case 'g': gpu = optarg; break;
    case 'm': model = optarg; break;
    case 'n':
      if (!cli_int(optarg, 1, 4096, &n))
        return cli_usage_error("calibrate: --max-num-seqs: expected 1 to 4096, found '%s'", optarg);
      args.max_num_seqs = (int32_t)n;
      break;
    case 'u':
      if (!cli_real(optarg, 0.01, 1, &x))
        return cli_usage_error(
            "calibrate: --gpu-memory-utilization: expected 0.01 to 1, found '%s'", optarg);
      args.gpu_memory_utilization = x;
      break;
    case 'c': args.enable_chunked_prefill = true; break;
    case 'b':
      if (!cli_int(optarg, 1, 100000000, &n))
        return cli_usage_error(
            "calibrate: --max-num-batched-tokens: expected 1 to 100000000, found '%s'", optarg);
      args.max_num_batched_tokens = (int32_t)n;
      break;
    case 'h': fputs(help_text, stdout); return EXIT_OK;
    default:
      return cli_usage_error("calibrate: unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  if (optind != argc - 1) return cli_usage_error("calibrate: expected one benchmark file");
  const gpu_spec *g = gpu ? catalog_gpu(gpu) : NULL;
  const llm_spec *m = model ? catalog_llm(model) : NULL;
  if (!g || !m)
    return cli_usage_error(
        "calibrate: expected --gpu and --model from the catalog, found '%s' and '%s'",
        gpu ? gpu : "", model ? model : "");
  bench_file bf;
  ps_err err;
  if (!bench_file_read(argv[optind], &bf, &err)) {
    fprintf(stderr, "podscale: %s\n", err.msg);
    return EXIT_BADINPUT;
  }
  calib_result r;
  bool ok = calibrate(g, m, &args, &bf, &r, &err);
  bench_file_free(&bf);
  if (!ok) {
    fprintf(stderr, "podscale: calibrate: %s: %s\n", argv[optind], err.msg);
    return EXIT_BADINPUT;
  }
  printf("calibrated %s on %s against %s: %d runs where the server kept up, %d solver "
         "iteration%s\n",
         m->name, g->name, argv[optind], r.runs_fitted, r.iterations, r.iterations == 1 ? "" : "s");
  printf("%-28s %12s %12s\n", "", "start", "fitted");
  const perf_params *s = &args.perf, *f = &r.fitted;
  printf("%-28s %12.4f %12.4f\n", "eff_compute", s->eff_compute, f->eff_compute);
  printf("%-28s %12.4f %12.4f\n", "eff_memory", s->eff_memory, f->eff_memory);
  printf("%-28s %12.6f %12.6f\n", "overhead_s", s->overhead_s, f->overhead_s);
  printf("%-28s %12.8f %12.8f\n", "overhead_seq_s", s->overhead_seq_s, f->overhead_seq_s);
  printf("%-28s %11.1f%% %11.1f%%\n", "TPUT median |error|", 100 * r.tput_median_err0,
         100 * r.tput_median_err);
  printf("%-28s %11.1f%% %11.1f%%\n", "E2E mean median |error|", 100 * r.e2e_median_err0,
         100 * r.e2e_median_err);
  printf("\nfor a scenario's deployment model:\n"
         "  \"model\": {\"type\": \"llm\", \"llm\": \"%s\",%s \"perf\": {\"eff_compute\": %.4f, "
         "\"eff_memory\": %.4f, \"overhead_s\": %.6f, \"overhead_seq_s\": %.8f}}\n",
         m->name, args.enable_chunked_prefill ? " \"enable_chunked_prefill\": true," : "",
         f->eff_compute, f->eff_memory, f->overhead_s, f->overhead_seq_s);
  return EXIT_OK;
}
