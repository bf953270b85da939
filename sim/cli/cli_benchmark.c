/* `podscale benchmark`: the command line of sim/bench/benchmark.c (--simulated) and of
 * sim/http/endpoint_bench.c (--endpoint URL). Both share the grid, the options that shape it and
 * the output file; each refuses the other's own options. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/outfile.h"
#include "models/pods/catalog.h"
#include "sim/bench/benchmark.h"
#include "sim/cli/cli.h"
#include "sim/http/endpoint_bench.h"

static const char help_text[] =
    "usage: podscale benchmark --simulated --gpu GPU --model LLM [OPTIONS] -o FILE\n"
    "       podscale benchmark --endpoint URL --model MODEL [OPTIONS] -o FILE\n"
    "\n"
    "Run aibrix_benchmark's grid against one simulated vLLM pod, or against a real\n"
    "OpenAI-compatible server (vLLM), and write its JSON lines (5 per run: TPUT, TT, E2E,\n"
    "TTFT, TPOT), ready for `podscale profile gen` or `aibrix_gen_profile`.\n"
    "\n"
    "  --simulated              benchmark the simulated pod\n"
    "  --endpoint URL           benchmark the server at URL (http://host:port), sending\n"
    "                           POST URL/v1/completions\n"
    "  --model LLM|MODEL        with --simulated, an LLM from the catalog; with --endpoint,\n"
    "                           the model name the server serves\n"
    "  -o, --output FILE        JSON-lines file to write ('-' for standard output)\n"
    "  --append                 append to FILE instead of replacing it, as benchmark.sh does\n"
    "  --model-name NAME        the \"model\" field written (default: the --model)\n"
    "  --input-start N          first prompt length (4), doubling up to\n"
    "  --input-limit N          the last prompt length (2048, as AIBrix's benchmark.sh)\n"
    "  --output-start N         first output length (4), doubling up to\n"
    "  --output-limit N         the last output length (512, as AIBrix's benchmark.sh)\n"
    "  --rate-start R           first request rate, req/s (1), doubling up to\n"
    "  --rate-limit R           the last rate (64)\n"
    "  --total N                requests per run (100)\n"
    "  --seed N                 arrival seed (0)\n"
    "  --temperature T          sent to the endpoint, and recorded in each line (0.0)\n"
    "  --max-model-len N        runs whose prompt plus output exceed N are skipped (simulated:\n"
    "                           vLLM max_model_len, default the model's; endpoint: default\n"
    "                           the max_model_len the server lists in /v1/models)\n"
    "  -q, --quiet              no progress bar\n"
    "\n"
    "With --simulated only:\n"
    "  --gpu GPU                GPU type from the catalog (docs/catalog.md)\n"
    "  --max-num-seqs N         vLLM max_num_seqs (256)\n"
    "  --enable-chunked-prefill vLLM enable_chunked_prefill (off)\n"
    "  --max-num-batched-tokens N  vLLM max_num_batched_tokens (512 chunked, else\n"
    "                           max(max_model_len, 2048))\n"
    "  --gpu-memory-utilization F  vLLM gpu_memory_utilization (0.9)\n"
    "  --eff-compute F, --eff-memory F, --overhead S, --overhead-seq S\n"
    "                           performance-model factors (docs/perf-model.md)\n"
    "\n"
    "With --endpoint only:\n"
    "  --api-key KEY            send 'Authorization: Bearer KEY' (default: $LLM_API_KEY)\n"
    "  --aibrix-ttft            measure TTFT from the response headers, as aibrix_benchmark\n"
    "                           does, instead of from the send\n"
    "  --request-timeout S      give up on an attempt after S seconds (600)\n"
    "  --retries N              send a failed request again up to N times (0)\n"
    "\n"
    "Exit status: 0 success; 1 an output error, or (--endpoint) a request that failed or a\n"
    "server that cannot be reached; 2 bad input.\n";

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
  O_ENDPOINT,
  O_API_KEY,
  O_AIBRIX_TTFT,
  O_REQ_TIMEOUT,
  O_RETRIES,
};

static const struct option own_options[] = {
    /* and the engine options */
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
    {"api-key", required_argument, NULL, O_API_KEY},
    {"aibrix-ttft", no_argument, NULL, O_AIBRIX_TTFT},
    {"request-timeout", required_argument, NULL, O_REQ_TIMEOUT},
    {"retries", required_argument, NULL, O_RETRIES},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

typedef struct bench_opts {
  bench_grid grid;
  llm_engine_args args;
  eb_config endpoint; /* url, api_key, aibrix_ttft, request_timeout_s, retries */
  const char *gpu, *model, *out;
  const char *sim_only; /* the first option given that only --simulated takes, or NULL */
  const char *ep_only;  /* the first option given that only --endpoint takes, or NULL */
  bool simulated, append, quiet;
} bench_opts;

/* Apply one option; returns 0 to go on, or an exit status. */
static int apply(bench_opts *o, int c, const char *name, const char *arg) {
  int64_t n = 0;
  double x = 0;
  bench_grid *g = &o->grid;
#define INT(lo, hi, dst)                                                                           \
  do {                                                                                             \
    if (!cli_opt_int("benchmark", name, arg, lo, hi, &n)) return EXIT_BADINPUT;                    \
    dst = n;                                                                                       \
  } while (0)
#define REAL(lo, hi, dst)                                                                          \
  do {                                                                                             \
    if (!cli_opt_real("benchmark", name, arg, lo, hi, &x)) return EXIT_BADINPUT;                   \
    dst = x;                                                                                       \
  } while (0)
  int engine = cli_engine_option("benchmark", c, name, arg, &o->args);
  if (engine > 0) return engine;
  switch (engine == 0 ? 0 : c) {
  case 0: break; /* an engine option, applied */
  case O_SIMULATED: o->simulated = true; break;
  case O_ENDPOINT: o->endpoint.url = arg; break;
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
  case O_API_KEY: o->endpoint.api_key = arg; break;
  case O_AIBRIX_TTFT: o->endpoint.aibrix_ttft = true; break;
  case O_REQ_TIMEOUT: REAL(0.001, 86400.0, o->endpoint.request_timeout_s); break;
  case O_RETRIES: INT(0, 100, o->endpoint.retries); break;
  case 'q': o->quiet = true; break;
  default: return cli_usage_error("benchmark: unknown or incomplete option");
  }
#undef INT
#undef REAL
  switch (c) { /* remember the first option that belongs to one target only */
  case O_GPU:
  case CLI_O_SEQS:
  case CLI_O_CHUNKED:
  case CLI_O_BATCHED:
  case CLI_O_UTIL:
  case CLI_O_EFF_C:
  case CLI_O_EFF_M:
  case CLI_O_OVH:
  case CLI_O_OVH_SEQ:
    if (!o->sim_only) o->sim_only = name;
    break;
  case O_API_KEY:
  case O_AIBRIX_TTFT:
  case O_REQ_TIMEOUT:
  case O_RETRIES:
    if (!o->ep_only) o->ep_only = name;
    break;
  default: break;
  }
  return 0;
}

static void progress(int32_t done, int32_t total) {
  int width = 40, fill = (int)((int64_t)width * done / total);
  fprintf(stderr, "\rpodscale benchmark [%.*s%*s] %d/%d runs", fill,
          "========================================", width - fill, "", done, total);
  if (done == total) fputc('\n', stderr);
}

/* Erase the progress bar's line before a message, when the bar is shown. */
static void clear_progress(bool show) {
  if (show) fprintf(stderr, "\r%*s\r", 79, "");
}

/* Where the lines go: a temporary file beside FILE renamed at the end, FILE itself with
 * --append, or stdout for '-'. */
typedef struct bench_sink {
  FILE *fp;
  outfile f; /* f.fp set when writing a temporary file */
} bench_sink;

/* Open o->out; 0 or an exit status (the message printed). */
static int sink_open(const bench_opts *o, bench_sink *k) {
  ps_err err;
  *k = (bench_sink){.fp = stdout};
  if (!strcmp(o->out, "-")) return EXIT_OK;
  if (o->append) {
    k->fp = fopen(o->out, "a");
    if (!k->fp) {
      fprintf(stderr, "podscale: %s: cannot open for appending\n", o->out);
      return EXIT_RUNTIME;
    }
    return EXIT_OK;
  }
  char *copy = strdup(o->out), *slash = strrchr(copy, '/');
  const char *dir = slash ? (slash == copy ? "/" : (*slash = '\0', copy)) : ".";
  const char *base = slash ? strrchr(o->out, '/') + 1 : o->out;
  bool ok = *base && outfile_open(&k->f, dir, base, &err);
  free(copy);
  if (!ok) {
    fprintf(stderr, "podscale: %s\n", *base ? err.msg : "benchmark: -o: expected a file name");
    return *base ? EXIT_RUNTIME : EXIT_BADINPUT;
  }
  k->fp = k->f.fp;
  return EXIT_OK;
}

/* Drop what was written (a temporary file is removed; an appended file keeps its lines). */
static void sink_abort(bench_sink *k) {
  if (k->f.fp)
    outfile_abort(&k->f);
  else if (k->fp != stdout)
    fclose(k->fp);
}

/* Finish the file; 0 or EXIT_RUNTIME (the message printed). */
static int sink_close(const bench_opts *o, bench_sink *k) {
  ps_err err;
  if (k->f.fp) {
    if (!outfile_commit(&k->f, &err)) {
      fprintf(stderr, "podscale: %s\n", err.msg);
      return EXIT_RUNTIME;
    }
  } else if (k->fp != stdout) {
    if (fclose(k->fp) != 0) {
      fprintf(stderr, "podscale: %s: write error\n", o->out);
      return EXIT_RUNTIME;
    }
  } else if (fflush(stdout) != 0) {
    fprintf(stderr, "podscale: standard output: write error\n");
    return EXIT_RUNTIME;
  }
  return EXIT_OK;
}

static void report_skipped(int32_t skipped, int32_t runs, int32_t max_model_len) {
  if (skipped)
    fprintf(stderr,
            "podscale: benchmark: skipped %d of %d runs whose prompt plus output exceed "
            "max_model_len (%d)\n",
            skipped, runs, max_model_len);
}

static bool grid_ordered(const bench_grid *g) {
  return g->input_start <= g->input_limit && g->output_start <= g->output_limit &&
         g->rate_start <= g->rate_limit;
}

static int run_simulated(bench_opts *o) {
  const gpu_spec *g = cli_catalog_gpu("benchmark", o->gpu);
  if (!g) return EXIT_BADINPUT;
  const llm_spec *m = cli_catalog_llm("benchmark", o->model);
  if (!m) return EXIT_BADINPUT;
  bench_grid *grid = &o->grid;
  if (!grid_ordered(grid))
    return cli_usage_error("benchmark: expected each --*-start at most its --*-limit");
  if (!grid->model) grid->model = m->name;
  cli_engine_resolve(&o->args, g, m);
  if (o->args.max_model_len > m->max_model_len)
    return cli_usage_error("benchmark: --max-model-len: expected at most %s's context window (%d), "
                           "found %d",
                           m->name, m->max_model_len, o->args.max_model_len);
  llmpod_config cfg;
  char why[512];
  if (!llmpod_configure(g, m, &o->args, &cfg, why, sizeof why)) {
    fprintf(stderr, "podscale: benchmark: vLLM would not start: %s\n", why);
    return EXIT_BADINPUT;
  }
  bench_sink k;
  int rc = sink_open(o, &k);
  if (rc) return rc;
  int32_t runs = bench_grid_runs(grid), skipped = 0;
  bool show = !o->quiet && isatty(STDERR_FILENO);
  for (int32_t i = 0; i < runs; i++) {
    int32_t in, out;
    double rate;
    bench_grid_at(grid, i, &in, &out, &rate);
    bench_point pt;
    if (bench_run_point(&cfg, in, out, rate, grid->total, grid->seed, &pt))
      bench_write_point(k.fp, grid, &pt);
    else
      skipped++;
    if (show) progress(i + 1, runs);
  }
  report_skipped(skipped, runs, cfg.max_model_len);
  if (skipped == runs) { /* nothing measured: no file that looks like a benchmark */
    sink_abort(&k);
    fprintf(stderr, "podscale: benchmark: expected at least one run that fits, found none\n");
    return EXIT_BADINPUT;
  }
  return sink_close(o, &k);
}

/* URL without a trailing '/', "/v1/completions" or "/v1"; NULL when it is not http(s). */
static char *endpoint_base(const char *url) {
  const char *host = !strncmp(url, "http://", 7)    ? url + 7
                     : !strncmp(url, "https://", 8) ? url + 8
                                                    : NULL;
  if (!host || !*host || *host == '/' || strpbrk(url, " \t\r\n")) return NULL;
  char *base = strdup(url);
  size_t n = strlen(base);
  static const char *const tails[] = {"/", "/v1/completions", "/v1"};
  for (size_t t = 0; t < sizeof tails / sizeof *tails; t++) {
    size_t k = strlen(tails[t]);
    if (n - (size_t)(host - url) > k && !strcmp(base + n - k, tails[t])) base[n -= k] = '\0';
  }
  return base;
}

/* Ask the server about the model; 0, or an exit status (the message printed). */
static int probe(eb_client *c, const bench_opts *o, int32_t *max_model_len) {
  char why[512];
  int32_t listed = 0;
  switch (eb_probe(c, &listed, why, sizeof why)) {
  case EB_PROBE_UNREACHABLE:
    fprintf(stderr, "podscale: benchmark: cannot reach %s: %s\n", o->endpoint.url, why);
    return EXIT_RUNTIME;
  case EB_PROBE_REFUSED:
    fprintf(stderr,
            "podscale: benchmark: %s refused the request for its models (%s): expected the key "
            "it accepts in --api-key or LLM_API_KEY\n",
            o->endpoint.url, why);
    return EXIT_BADINPUT;
  case EB_PROBE_NOT_SERVED:
    fprintf(stderr, "podscale: benchmark: --model: %s serves %s, not '%s'\n", o->endpoint.url,
            why[0] ? why : "no model", o->model);
    return EXIT_BADINPUT;
  case EB_PROBE_SERVED:
  case EB_PROBE_UNKNOWN: break;
  }
  if (!*max_model_len) *max_model_len = listed;
  return EXIT_OK;
}

/* One run against the endpoint, written when a request completed; false when every request
 * failed for want of a connection (the server is gone). */
static bool endpoint_run(eb_client *c, const bench_grid *grid, int32_t i, FILE *fp, bool show,
                         int32_t *written, int32_t *failed_runs) {
  int32_t in, out;
  double rate;
  bench_grid_at(grid, i, &in, &out, &rate);
  bench_point pt;
  eb_outcome oc;
  bool wrote = eb_run_point(c, in, out, rate, grid->total, grid->seed, &pt, &oc);
  if (wrote) {
    (*written)++;
    bench_write_point(fp, grid, &pt);
    fflush(fp); /* a run is hours into a grid: keep it even if the benchmark is stopped */
  }
  if (oc.failed) {
    (*failed_runs)++;
    clear_progress(show);
    fprintf(stderr, "podscale: benchmark: run in=%d out=%d rate=%g: %d of %d failed: %s%s\n", in,
            out, rate, oc.failed, grid->total, oc.first_error, wrote ? "" : "; run not written");
  }
  return wrote || oc.unreachable < oc.failed;
}

static int run_endpoint(bench_opts *o) {
  if (!grid_ordered(&o->grid))
    return cli_usage_error("benchmark: expected each --*-start at most its --*-limit");
  char *base = endpoint_base(o->endpoint.url);
  if (!base)
    return cli_usage_error("benchmark: --endpoint: expected an http:// or https:// URL with a "
                           "host, found '%s'",
                           o->endpoint.url);
  if (!o->endpoint.api_key) o->endpoint.api_key = getenv("LLM_API_KEY"); /* as aibrix does */
  eb_config cfg = o->endpoint;
  cfg.url = base;
  cfg.model = o->model;
  cfg.temperature = o->grid.temperature;
  bench_grid *grid = &o->grid;
  if (!grid->model) grid->model = o->model;
  eb_client *c = eb_client_new(&cfg);
  if (!c) {
    free(base);
    fprintf(stderr, "podscale: benchmark: libcurl could not start\n");
    return EXIT_RUNTIME;
  }
  int32_t max_len = o->args.max_model_len; /* 0 unless --max-model-len */
  int rc = probe(c, o, &max_len);
  bench_sink k;
  if (!rc) rc = sink_open(o, &k);
  if (rc) {
    eb_client_free(c);
    free(base);
    return rc;
  }
  int32_t runs = bench_grid_runs(grid), skipped = 0, written = 0, failed_runs = 0, i = 0;
  bool show = !o->quiet && isatty(STDERR_FILENO), reachable = true;
  if (show) progress(0, runs); /* a real run takes minutes: show the bar from the start */
  for (; i < runs && reachable; i++) {
    int32_t in, out;
    double rate;
    bench_grid_at(grid, i, &in, &out, &rate);
    if (max_len && (int64_t)in + out > max_len)
      skipped++;
    else
      reachable = endpoint_run(c, grid, i, k.fp, show, &written, &failed_runs);
    if (show && reachable) progress(i + 1, runs);
  }
  eb_client_free(c);
  free(base);
  clear_progress(show && !reachable);
  report_skipped(skipped, runs, max_len);
  if (!reachable)
    fprintf(stderr, "podscale: benchmark: cannot reach %s any more; stopped after %d of %d runs\n",
            o->endpoint.url, i, runs);
  else if (failed_runs)
    fprintf(stderr, "podscale: benchmark: requests failed in %d of %d runs\n", failed_runs,
            runs - skipped);
  if (skipped == runs) {
    sink_abort(&k);
    fprintf(stderr, "podscale: benchmark: expected at least one run that fits, found none\n");
    return EXIT_BADINPUT;
  }
  if (!written) { /* no measurement: no file that looks like a benchmark */
    sink_abort(&k);
    fprintf(stderr, "podscale: benchmark: no run completed a request; nothing written\n");
    return EXIT_RUNTIME;
  }
  rc = sink_close(o, &k);
  return rc ? rc : (failed_runs || !reachable) ? EXIT_RUNTIME : EXIT_OK;
}

int cmd_benchmark(int argc, char **argv) {
  bench_opts o = {.grid = bench_grid_aibrix,
                  .args = cli_engine_unset(),
                  .endpoint = {.request_timeout_s = 600, .retries = 0}};
  int c;
  optind = 1;
  opterr = 0;
  int idx = -1;
  struct option longopts[CLI_MAX_OPTIONS];
  cli_with_engine_options(own_options, longopts, CLI_MAX_OPTIONS);
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
  bool endpoint = o.endpoint.url != NULL;
  if (o.simulated == endpoint)
    return cli_usage_error(endpoint ? "benchmark: expected --simulated or --endpoint, not both"
                                    : "benchmark: expected --simulated or --endpoint URL");
  if (endpoint && o.sim_only)
    return cli_usage_error("benchmark: --%s: expected only with --simulated", o.sim_only);
  if (!endpoint && o.ep_only)
    return cli_usage_error("benchmark: --%s: expected only with --endpoint", o.ep_only);
  if (!endpoint && (!o.gpu || !o.model || !o.out))
    return cli_usage_error("benchmark: expected --gpu, --model and -o FILE");
  if (endpoint && (!o.model || !o.out))
    return cli_usage_error("benchmark: expected --model and -o FILE");
  if (endpoint && (!*o.model || strpbrk(o.model, "\"\\\n\t")))
    return cli_usage_error("benchmark: --model: expected a name without quotes, backslashes or "
                           "control characters, found '%s'",
                           o.model);
  return endpoint ? run_endpoint(&o) : run_simulated(&o);
}
