/* `podscale benchmark --simulated`: the command line of sim/benchmark.c. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/outfile.h"
#include "models/catalog.h"
#include "sim/benchmark.h"
#include "sim/cli.h"

static const char help_text[] =
    "usage: podscale benchmark --simulated --gpu GPU --model LLM [OPTIONS] -o FILE\n"
    "\n"
    "Run aibrix_benchmark's grid against one simulated vLLM pod and write its JSON lines\n"
    "(5 per run: TPUT, TT, E2E, TTFT, TPOT), ready for `aibrix_gen_profile`.\n"
    "\n"
    "  --simulated              benchmark the simulated pod (the only target so far)\n"
    "  --gpu GPU                GPU type from the catalog (docs/catalog.md)\n"
    "  --model LLM              LLM from the catalog\n"
    "  -o, --output FILE        JSON-lines file to write ('-' for standard output)\n"
    "  --append                 append to FILE, as aibrix_benchmark does, instead of replacing it\n"
    "  --model-name NAME        the \"model\" field written (default: LLM)\n"
    "  --input-start N          first prompt length (4), doubling up to\n"
    "  --input-limit N          the last prompt length (4096)\n"
    "  --output-start N         first output length (4), doubling up to\n"
    "  --output-limit N         the last output length (4096)\n"
    "  --rate-start R           first request rate, req/s (1), doubling up to\n"
    "  --rate-limit R           the last rate (64)\n"
    "  --total N                requests per run (100)\n"
    "  --seed N                 arrival seed (0)\n"
    "  --temperature T          recorded in each line (0.0)\n"
    "  --max-num-seqs N         vLLM max_num_seqs (256)\n"
    "  --max-model-len N        vLLM max_model_len (the model's)\n"
    "  --enable-chunked-prefill vLLM enable_chunked_prefill (off)\n"
    "  --max-num-batched-tokens N  vLLM max_num_batched_tokens (512 chunked, else\n"
    "                           max(max_model_len, 2048))\n"
    "  --gpu-memory-utilization F  vLLM gpu_memory_utilization (0.9)\n"
    "  --eff-compute F, --eff-memory F, --overhead S, --overhead-seq S\n"
    "                           performance-model factors (docs/perf-model.md)\n"
    "  -q, --quiet              no progress bar\n";

enum {
  O_SIMULATED = 256,
  O_GPU,
  O_MODEL,
  O_APPEND,
  O_MODEL_NAME,
  O_IN_START,
  O_IN_LIMIT,
  O_OUT_START,
  O_OUT_LIMIT,
  O_RATE_START,
  O_RATE_LIMIT,
  O_TOTAL,
  O_SEED,
  O_TEMP,
  O_SEQS,
  O_LEN,
  O_UTIL,
  O_EFF_C,
  O_EFF_M,
  O_OVH,
  O_OVH_SEQ,
  O_ENDPOINT,
  O_CHUNKED,
  O_BATCHED,
};

static const struct option longopts[] = {
    {"simulated", no_argument, NULL, O_SIMULATED},
    {"endpoint", required_argument, NULL, O_ENDPOINT},
    {"gpu", required_argument, NULL, O_GPU},
    {"model", required_argument, NULL, O_MODEL},
    {"output", required_argument, NULL, 'o'},
    {"append", no_argument, NULL, O_APPEND},
    {"model-name", required_argument, NULL, O_MODEL_NAME},
    {"input-start", required_argument, NULL, O_IN_START},
    {"input-limit", required_argument, NULL, O_IN_LIMIT},
    {"output-start", required_argument, NULL, O_OUT_START},
    {"output-limit", required_argument, NULL, O_OUT_LIMIT},
    {"rate-start", required_argument, NULL, O_RATE_START},
    {"rate-limit", required_argument, NULL, O_RATE_LIMIT},
    {"total", required_argument, NULL, O_TOTAL},
    {"seed", required_argument, NULL, O_SEED},
    {"temperature", required_argument, NULL, O_TEMP},
    {"max-num-seqs", required_argument, NULL, O_SEQS},
    {"max-model-len", required_argument, NULL, O_LEN},
    {"gpu-memory-utilization", required_argument, NULL, O_UTIL},
    {"eff-compute", required_argument, NULL, O_EFF_C},
    {"eff-memory", required_argument, NULL, O_EFF_M},
    {"overhead", required_argument, NULL, O_OVH},
    {"overhead-seq", required_argument, NULL, O_OVH_SEQ},
    {"enable-chunked-prefill", no_argument, NULL, O_CHUNKED},
    {"max-num-batched-tokens", required_argument, NULL, O_BATCHED},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

typedef struct bench_opts {
  bench_grid grid;
  llm_engine_args args;
  const char *gpu, *model, *out;
  bool simulated, append, quiet;
} bench_opts;

/* Apply one option; returns 0 to go on, or an exit status. */
static int apply(bench_opts *o, int c, const char *name, const char *arg) {
  int64_t n = 0;
  double x = 0;
  bench_grid *g = &o->grid;
  llm_engine_args *a = &o->args;
#define INT(lo, hi, dst)                                                                           \
  do {                                                                                             \
    if (!cli_int(arg, lo, hi, &n))                                                                 \
      return cli_usage_error("benchmark: --%s: expected a whole number from %lld to %lld, "        \
                             "found '%s'",                                                         \
                             name, (long long)(lo), (long long)(hi), arg);                         \
    dst = n;                                                                                       \
  } while (0)
#define REAL(lo, hi, dst)                                                                          \
  do {                                                                                             \
    if (!cli_real(arg, lo, hi, &x))                                                                \
      return cli_usage_error("benchmark: --%s: expected a number from %g to %g, found '%s'", name, \
                             lo, hi, arg);                                                         \
    dst = x;                                                                                       \
  } while (0)
  switch (c) {
  case O_SIMULATED: o->simulated = true; break;
  case O_ENDPOINT:
    return cli_usage_error("benchmark: --endpoint (a real server) is not available in this "
                           "version; use --simulated");
  case O_GPU: o->gpu = arg; break;
  case O_MODEL: o->model = arg; break;
  case 'o': o->out = arg; break;
  case O_APPEND: o->append = true; break;
  case O_MODEL_NAME:
    if (!*arg || strpbrk(arg, "\"\\\n\t"))
      return cli_usage_error("benchmark: --model-name: expected a name without quotes, "
                             "backslashes or control characters, found '%s'",
                             arg);
    g->model = arg;
    break;
  case O_IN_START: INT(1, 1 << 20, g->input_start); break;
  case O_IN_LIMIT: INT(1, 1 << 20, g->input_limit); break;
  case O_OUT_START: INT(1, 1 << 20, g->output_start); break;
  case O_OUT_LIMIT: INT(1, 1 << 20, g->output_limit); break;
  case O_RATE_START: REAL(0.001, 1e6, g->rate_start); break;
  case O_RATE_LIMIT: REAL(0.001, 1e6, g->rate_limit); break;
  case O_TOTAL: INT(1, 1000000, g->total); break;
  case O_SEED: INT(0, INT64_C(9007199254740991), g->seed); break;
  case O_TEMP: REAL(0.0, 100.0, g->temperature); break;
  case O_SEQS: INT(1, 4096, a->max_num_seqs); break;
  case O_CHUNKED: a->enable_chunked_prefill = true; break;
  case O_BATCHED: INT(1, 100000000, a->max_num_batched_tokens); break;
  case O_LEN: INT(1, 10000000, a->max_model_len); break;
  case O_UTIL: REAL(0.01, 1.0, a->gpu_memory_utilization); break;
  case O_EFF_C: REAL(1e-4, 1.0, a->perf.eff_compute); break;
  case O_EFF_M: REAL(1e-4, 1.0, a->perf.eff_memory); break;
  case O_OVH: REAL(0.0, 10.0, a->perf.overhead_s); break;
  case O_OVH_SEQ: REAL(0.0, 1.0, a->perf.overhead_seq_s); break;
  case 'q': o->quiet = true; break;
  default: return cli_usage_error("benchmark: unknown or incomplete option");
  }
#undef INT
#undef REAL
  return 0;
}

static void progress(int32_t done, int32_t total) {
  int width = 40, fill = (int)((int64_t)width * done / total);
  fprintf(stderr, "\rpodscale benchmark [%.*s%*s] %d/%d runs", fill,
          "========================================", width - fill, "", done, total);
  if (done == total) fputc('\n', stderr);
}

int cmd_benchmark(int argc, char **argv) {
  bench_opts o = {.grid = bench_grid_default, .args = llm_engine_args_default};
  int c;
  optind = 1;
  opterr = 0;
  int idx = -1;
  while ((c = getopt_long(argc, argv, "o:qh", longopts, &idx)) != -1) {
    if (c == 'h') {
      fputs(help_text, stdout);
      return EXIT_OK;
    }
    if (c == '?' || c == ':')
      return cli_usage_error("benchmark: unknown or incomplete option '%s'", argv[optind - 1]);
    int rc = apply(&o, c, idx >= 0 ? longopts[idx].name : "output", optarg);
    idx = -1;
    if (rc) return rc;
  }
  if (optind < argc) return cli_usage_error("benchmark: unexpected argument '%s'", argv[optind]);
  if (!o.simulated) return cli_usage_error("benchmark: expected --simulated");
  if (!o.gpu || !o.model || !o.out)
    return cli_usage_error("benchmark: expected --gpu, --model and -o FILE");
  const gpu_spec *g = catalog_gpu(o.gpu);
  const llm_spec *m = catalog_llm(o.model);
  if (!g)
    return cli_usage_error("benchmark: --gpu: expected a GPU of the catalog, found '%s'", o.gpu);
  if (!m)
    return cli_usage_error("benchmark: --model: expected an LLM of the catalog, found '%s'",
                           o.model);
  bench_grid *grid = &o.grid;
  if (grid->input_start > grid->input_limit || grid->output_start > grid->output_limit ||
      grid->rate_start > grid->rate_limit)
    return cli_usage_error("benchmark: expected each --*-start at most its --*-limit");
  if (!grid->model) grid->model = m->name;
  if (o.args.max_model_len > m->max_model_len)
    return cli_usage_error("benchmark: --max-model-len: expected at most %s's context window (%d), "
                           "found %d",
                           m->name, m->max_model_len, o.args.max_model_len);
  llmpod_config cfg;
  char why[512];
  if (!llmpod_configure(g, m, &o.args, &cfg, why, sizeof why)) {
    fprintf(stderr, "podscale: benchmark: vLLM would not start: %s\n", why);
    return EXIT_BADINPUT;
  }

  /* Write to a temporary file beside FILE and rename at the end (unless appending or '-'). */
  bool to_stdout = !strcmp(o.out, "-");
  FILE *fp = stdout;
  outfile f = {0};
  ps_err err;
  if (!to_stdout && o.append) {
    fp = fopen(o.out, "a");
    if (!fp) {
      fprintf(stderr, "podscale: %s: cannot open for appending\n", o.out);
      return EXIT_RUNTIME;
    }
  } else if (!to_stdout) {
    char *copy = strdup(o.out), *slash = strrchr(copy, '/');
    const char *dir = slash ? (slash == copy ? "/" : (*slash = '\0', copy)) : ".";
    const char *base = slash ? strrchr(o.out, '/') + 1 : o.out;
    bool ok = *base && outfile_open(&f, dir, base, &err);
    free(copy);
    if (!ok) {
      fprintf(stderr, "podscale: %s\n", *base ? err.msg : "benchmark: -o: expected a file name");
      return *base ? EXIT_RUNTIME : EXIT_BADINPUT;
    }
    fp = f.fp;
  }
  int32_t runs = bench_grid_runs(grid), skipped = 0;
  bool show = !o.quiet && isatty(STDERR_FILENO);
  for (int32_t i = 0; i < runs; i++) {
    int32_t in, out;
    double rate;
    bench_grid_at(grid, i, &in, &out, &rate);
    bench_point pt;
    if (bench_run_point(&cfg, in, out, rate, grid->total, grid->seed, &pt))
      bench_write_point(fp, grid, &pt);
    else
      skipped++;
    if (show) progress(i + 1, runs);
  }
  if (skipped)
    fprintf(stderr,
            "podscale: benchmark: skipped %d of %d runs whose prompt plus output exceed "
            "max_model_len (%d)\n",
            skipped, runs, cfg.max_model_len);
  if (skipped == runs) { /* nothing measured: no file that looks like a benchmark */
    if (f.fp)
      outfile_abort(&f);
    else if (fp != stdout)
      fclose(fp);
    fprintf(stderr, "podscale: benchmark: expected at least one run that fits, found none\n");
    return EXIT_BADINPUT;
  }
  if (f.fp) {
    if (!outfile_commit(&f, &err)) {
      fprintf(stderr, "podscale: %s\n", err.msg);
      return EXIT_RUNTIME;
    }
  } else if (fp != stdout) {
    if (fclose(fp) != 0) {
      fprintf(stderr, "podscale: %s: write error\n", o.out);
      return EXIT_RUNTIME;
    }
  }
  return EXIT_OK;
}
