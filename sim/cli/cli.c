#include "sim/cli/cli.h"

#include <assert.h>
#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <glpk.h>
#include <gsl/gsl_version.h>
#include <hiredis/hiredis.h>
#include <math.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/compare.h"
#include "base/clock.h"
#include "base/xalloc.h"
#include "models/pods/llmpod.h"
#include "optimizer/store.h"
#include "sim/run/run.h"
#include "sim/scenario/scenario.h"

#ifndef PODSCALE_VERSION
#define PODSCALE_VERSION "0.0.0"
#endif

static const char usage_text[] =
    "usage: podscale COMMAND [ARGS]\n"
    "\n"
    "Simulate autoscaling of LLM-serving GPU pods.\n"
    "\n"
    "commands:\n"
    "  run SCENARIO [-o DIR] [--seed N] [--policy NAME]... [--quiet]\n"
    "                 run every policy of a scenario on the same arrivals and write\n"
    "                 requests.csv, timeseries.csv, decisions.csv, summary.csv, run.json\n"
    "  benchmark (--simulated --gpu G | --endpoint URL) --model M [GRID OPTIONS] -o FILE\n"
    "                 aibrix_benchmark's grid against one simulated vLLM pod or a real\n"
    "                 OpenAI-compatible server, written as its JSON lines\n"
    "  calibrate --gpu G --model M BENCHMARK.jsonl\n"
    "                 fit the performance model to a measured benchmark file\n"
    "  catalog        list the built-in GPUs and LLMs and what vLLM fits on each pair\n"
    "  profile gen DEPLOYMENT --benchmark FILE [SLOS] [-o FILE|redis://...]\n"
    "                 a GPU profile from a benchmark file, as aibrix_gen_profile makes it\n"
    "  solve --profile FILE... (--rates CSV | --trace FILE...) [--log FILE]\n"
    "                 one GPU-optimizer decision, printed as a decision-log line\n"
    "  regress DECISIONS.jsonl --profiles DIR\n"
    "                 solve a decision log again; exit 1 if any decision changed\n"
    "  compare DIR_A DIR_B [DIR...] [--check TOL]\n"
    "                 runs side by side; exit 1 when a metric drifts beyond TOL\n"
    "  plot DIR [-o FILE.png|FILE.svg] [--timeline]\n"
    "                 AIBrix's comparison figure of a run, drawn with gnuplot\n"
    "  sweep SCENARIO [--set KEY=V1,V2,...]... [--seeds N] [--jobs J] [--shard I/N] -o DIR\n"
    "                 run a grid of settings x seeds in parallel: runs.csv and sweep.csv\n"
    "  merge DIR... -o OUT\n"
    "                 join the shards of a sweep\n"
    "  mock-vllm --gpu G --model M [--port 8000] [--speedup X]\n"
    "                 an OpenAI-compatible stand-in for vLLM timed by the simulated pod\n"
    "  serve [--config FILE] [--redis URL] [--port N] ...\n"
    "                 the GPU optimizer service for a cluster, AIBrix-compatible (HTTP on 8080)\n"
    "  version        print the version and the libraries linked\n"
    "  help           print this help (also -h, --help)\n"
    "\n"
    "run options:\n"
    "  -o, --output DIR   output directory (default: the scenario's output.dir, else out/NAME)\n"
    "  -s, --seed N       seed for this run instead of the scenario's\n"
    "  -p, --policy NAME  run only this policy (repeatable)\n"
    "  -q, --quiet        no progress line and no summary on the terminal\n"
    "  --trace-redis URL  also write the simulated gateway's trace records into Redis\n"
    "                     (redis://host[:port][/db]) under AIBrix's keys, simulated seconds as\n"
    "                     key times, for `podscale serve --replay` (one optimizer policy)\n"
    "\n"
    "exit status: 0 ok, 1 runtime failure, 2 bad input (usage, scenario or data file)\n"
    "docs: docs/cli.md, docs/scenarios.md, docs/outputs.md\n";

const gpu_spec *cli_catalog_gpu(const char *cmd, const char *name) {
  const gpu_spec *g = name ? catalog_gpu(name) : NULL;
  char hint[512];
  if (!g)
    cli_usage_error("%s: --gpu: expected a GPU of the catalog, found '%s' (%s)", cmd,
                    name ? name : "", catalog_gpu_hint(name ? name : "", hint, sizeof hint));
  return g;
}

const llm_spec *cli_catalog_llm(const char *cmd, const char *name) {
  const llm_spec *m = name ? catalog_llm(name) : NULL;
  char hint[512];
  if (!m)
    cli_usage_error("%s: --model: expected an LLM of the catalog, found '%s' (%s)", cmd,
                    name ? name : "", catalog_llm_hint(name ? name : "", hint, sizeof hint));
  return m;
}

cli_progress cli_progress_start(const char *what, const char *unit) {
  return (cli_progress){.what = what, .unit = unit, .t0 = ps_mono_s()};
}

void cli_progress_count(cli_progress *p, long count) {
  double now = ps_mono_s();
  if (now - p->t0 < 1.0 || now - p->last < 0.1 || !isatty(STDERR_FILENO)) return;
  fprintf(stderr, "\rpodscale: %s: %ld %s, %.0f s", p->what, count, p->unit, now - p->t0);
  p->last = now;
  p->shown = true;
}

void cli_progress_cb(void *ctx, int32_t count) { cli_progress_count(ctx, count); }

void cli_progress_end(cli_progress *p) {
  if (p->shown) fputc('\n', stderr);
  p->shown = false;
}

void cli_print_warnings(char *const *warnings, uint32_t n) {
  for (uint32_t i = 0; i < n; i++)
    fprintf(stderr, "podscale: warning: %s\n", warnings[i]);
}

int cli_usage_error(const char *fmt, ...) {
  char msg[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  fprintf(stderr, "podscale: %s", msg);
  /* Point at the subcommand's own help when the message names one that has it. */
  static const char *const with_help[] = {"benchmark", "calibrate", "profile gen", "solve",
                                          "regress",   "serve",     "compare",     "plot",
                                          "sweep",     "merge",     "mock-vllm",   NULL};
  const char *sub = NULL;
  for (const char *const *c = with_help; *c && !sub; c++)
    if (!strncmp(msg, *c, strlen(*c)) && msg[strlen(*c)] == ':') sub = *c;
  if (sub)
    fprintf(stderr, "\nTry 'podscale %s --help'.\n", sub);
  else
    fprintf(stderr, "\nTry 'podscale --help'.\n");
  return EXIT_BADINPUT;
}

#define usage_error cli_usage_error

bool cli_int(const char *s, int64_t min, int64_t max, int64_t *out) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (!*s || *end || errno || v < min || v > max || strspn(s, "-0123456789") != strlen(s))
    return false;
  *out = v;
  return true;
}

bool cli_real(const char *s, double min, double max, double *out) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (!*s || *end || errno || !(v >= min && v <= max) || isspace((unsigned char)*s)) return false;
  *out = v;
  return true;
}

bool cli_opt_int(const char *cmd, const char *name, const char *arg, int64_t lo, int64_t hi,
                 int64_t *out) {
  if (cli_int(arg, lo, hi, out)) return true;
  cli_usage_error("%s: --%s: expected a whole number from %lld to %lld, found '%s'", cmd, name,
                  (long long)lo, (long long)hi, arg);
  return false;
}

bool cli_opt_real(const char *cmd, const char *name, const char *arg, double lo, double hi,
                  double *out) {
  if (cli_real(arg, lo, hi, out)) return true;
  cli_usage_error("%s: --%s: expected a number from %g to %g, found '%s'", cmd, name, lo, hi, arg);
  return false;
}

static const struct option ENGINE_OPTIONS[] = {
    {"max-num-seqs", required_argument, NULL, CLI_O_SEQS},
    {"max-model-len", required_argument, NULL, CLI_O_LEN},
    {"enable-chunked-prefill", no_argument, NULL, CLI_O_CHUNKED},
    {"max-num-batched-tokens", required_argument, NULL, CLI_O_BATCHED},
    {"gpu-memory-utilization", required_argument, NULL, CLI_O_UTIL},
    {"eff-compute", required_argument, NULL, CLI_O_EFF_C},
    {"eff-memory", required_argument, NULL, CLI_O_EFF_M},
    {"overhead", required_argument, NULL, CLI_O_OVH},
    {"overhead-seq", required_argument, NULL, CLI_O_OVH_SEQ},
};

void cli_with_engine_options(const struct option *own, struct option *out, size_t cap) {
  size_t n = 0, k = sizeof ENGINE_OPTIONS / sizeof ENGINE_OPTIONS[0];
  for (; own[n].name; n++) {
    assert(n < cap);
    out[n] = own[n];
  }
  assert(n + k + 1 <= cap); /* a fixed table: a failure here is a programming error */
  memcpy(out + n, ENGINE_OPTIONS, sizeof ENGINE_OPTIONS);
  out[n + k] = (struct option){0};
}

int cli_engine_option(const char *cmd, int code, const char *name, const char *arg,
                      llm_engine_args *a) {
  int64_t n = 0;
  double x = 0;
  bool ok = true;
  switch (code) {
  case CLI_O_SEQS:
    if ((ok = cli_opt_int(cmd, name, arg, 1, 4096, &n))) a->max_num_seqs = (int32_t)n;
    break;
  case CLI_O_LEN:
    if ((ok = cli_opt_int(cmd, name, arg, 1, 10000000, &n))) a->max_model_len = (int32_t)n;
    break;
  case CLI_O_CHUNKED: a->enable_chunked_prefill = true; break;
  case CLI_O_BATCHED:
    if ((ok = cli_opt_int(cmd, name, arg, 1, 100000000, &n)))
      a->max_num_batched_tokens = (int32_t)n;
    break;
  case CLI_O_UTIL:
    if ((ok = cli_opt_real(cmd, name, arg, 0.01, 1.0, &x))) {
      a->gpu_memory_utilization = x;
      a->num_gpu_blocks = 0;
    }
    break;
  case CLI_O_EFF_C:
    if ((ok = cli_opt_real(cmd, name, arg, 1e-4, 1.0, &x))) a->perf.eff_compute = x;
    break;
  case CLI_O_EFF_M:
    if ((ok = cli_opt_real(cmd, name, arg, 1e-4, 1.0, &x))) a->perf.eff_memory = x;
    break;
  case CLI_O_OVH:
    if ((ok = cli_opt_real(cmd, name, arg, 0.0, 10.0, &x))) a->perf.overhead_s = x;
    break;
  case CLI_O_OVH_SEQ:
    if ((ok = cli_opt_real(cmd, name, arg, 0.0, 1.0, &x))) a->perf.overhead_seq_s = x;
    break;
  default: return -1;
  }
  return ok ? 0 : EXIT_BADINPUT;
}

llm_engine_args cli_engine_unset(void) {
  llm_engine_args a = llm_engine_args_default;
  a.perf = (perf_params){NAN, NAN, NAN, NAN};
  a.num_gpu_blocks = -1;
  return a;
}

static void take(double *v, double pair) {
  if (isnan(*v)) *v = pair;
}

void cli_engine_resolve(llm_engine_args *a, const gpu_spec *g, const llm_spec *m) {
  llm_engine_args pair = llm_engine_args_for(g, m);
  take(&a->perf.eff_compute, pair.perf.eff_compute);
  take(&a->perf.eff_memory, pair.perf.eff_memory);
  take(&a->perf.overhead_s, pair.perf.overhead_s);
  take(&a->perf.overhead_seq_s, pair.perf.overhead_seq_s);
  if (a->num_gpu_blocks < 0) a->num_gpu_blocks = pair.num_gpu_blocks;
}

static int cmd_version(void) {
  printf("podscale %s\n", PODSCALE_VERSION);
  printf("  GSL %s, cJSON %s, GLPK %s, hiredis %d.%d.%d, libmicrohttpd %s\n", GSL_VERSION,
         cJSON_Version(), glp_version(), HIREDIS_MAJOR, HIREDIS_MINOR, HIREDIS_PATCH,
         MHD_get_version());
  return EXIT_OK;
}

/* A summary figure as summary.csv writes it (6 decimals; counts whole), empty when absent. */
static const char *figure(char buf[32], double v, bool count) {
  if (isnan(v))
    buf[0] = '\0';
  else
    snprintf(buf, 32, count ? "%.0f" : "%.6f", v);
  return buf;
}

/* The run's summary.csv on the terminal, its columns read by name. */
static void print_summary(const char *dir) {
  cmp_summary s;
  if (!cmp_summary_load(dir, &s, NULL)) return;
  printf("%-20s %9s %9s %9s %12s %10s %10s\n", "policy", "requests", "ok", "failed", "cost",
         "e2e_mean", "e2e_p99");
  static const char *const metrics[] = {"requests", "ok",         "timeout+failed",
                                        "cost",     "e2e_mean_s", "e2e_p99_s"};
  bool have = true;
  for (size_t m = 0; m < sizeof metrics / sizeof metrics[0]; m++)
    have = have && cmp_summary_has_metric(&s, metrics[m]);
  for (size_t i = 0; have && i < s.npolicies; i++) {
    char v[6][32];
    for (size_t m = 0; m < 6; m++)
      figure(v[m], cmp_summary_value(&s, i, metrics[m]), m < 3);
    printf("%-20.20s %9s %9s %9s %12s %10s %10s\n", s.policies[i], v[0], v[1], v[2], v[3], v[4],
           v[5]);
  }
  cmp_summary_free(&s);
  printf("outputs in %s/\n", dir);
}

static int cmd_run(int argc, char **argv) {
  static const struct option longopts[] = {
      {"output", required_argument, NULL, 'o'},
      {"seed", required_argument, NULL, 's'},
      {"policy", required_argument, NULL, 'p'},
      {"quiet", no_argument, NULL, 'q'},
      {"help", no_argument, NULL, 'h'},
      {"trace-redis", required_argument, NULL, 'T'},
      {NULL, 0, NULL, 0},
  };
  const char *out = NULL, *trace_redis = NULL;
  const char **policies = xcalloc((size_t)argc + 1, sizeof *policies);
  int npolicies = 0, c;
  bool quiet = false, has_seed = false;
  unsigned long long seed = 0;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "o:s:p:qh", longopts, NULL)) != -1) {
    switch (c) {
    case 'o':
      if (!*optarg) {
        free(policies);
        return cli_usage_error("run: -o: expected a directory, found ''");
      }
      out = optarg;
      break;
    case 's': {
      char *end;
      errno = 0;
      seed = strtoull(optarg, &end, 10);
      /* Digits only, and exact in run.json (a JSON number holds integers up to 2^53 - 1). */
      if (strspn(optarg, "0123456789") != strlen(optarg) || end == optarg || *end || errno ||
          seed > 9007199254740991ULL) {
        free(policies);
        return usage_error("--seed: expected a whole number from 0 to 9007199254740991, found '%s'",
                           optarg);
      }
      has_seed = true;
      break;
    }
    case 'p': policies[npolicies++] = optarg; break;
    case 'q': quiet = true; break;
    case 'T': {
      opt_redis_url url;
      ps_err e;
      if (!opt_redis_url_parse_any(optarg, &url, &e)) {
        free(policies);
        return usage_error("run: --trace-redis: %s", e.msg);
      }
      trace_redis = optarg;
      break;
    }
    case 'h':
      fputs(usage_text, stdout);
      free(policies);
      return EXIT_OK;
    default:
      free(policies);
      return usage_error("run: unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  if (optind != argc - 1) {
    free(policies);
    return usage_error("run: %s", optind >= argc
                                      ? "expected a scenario file"
                                      : "expected one scenario file, found more arguments");
  }
  scenario sc;
  ps_err err;
  if (!scenario_load(argv[optind], &sc, &err)) {
    fprintf(stderr, "podscale: %s\n", err.msg);
    free(policies);
    return EXIT_BADINPUT;
  }
  cli_print_warnings(sc.warnings, sc.nwarnings);
  for (int i = 0; i < npolicies; i++) {
    if (scenario_policy_index(&sc, policies[i]) < 0) {
      fprintf(stderr, "podscale: %s: policies: expected the name of a policy, found '%s'\n",
              sc.path, policies[i]);
      scenario_free(&sc);
      free(policies);
      return EXIT_BADINPUT;
    }
  }
  if (trace_redis) { /* one optimizer writes the keys */
    int n = 0;
    for (uint32_t i = 0; i < sc.npolicies; i++) {
      bool chosen = npolicies == 0;
      for (int k = 0; k < npolicies; k++)
        chosen = chosen || strcmp(policies[k], sc.policies[i].name) == 0;
      n += chosen && scenario_policy_reads_optimizer(&sc, &sc.policies[i]);
    }
    if (n != 1) {
      fprintf(stderr,
              "podscale: run: --trace-redis: expected one optimizer-based policy to run (choose "
              "it with --policy), found %d\n",
              n);
      scenario_free(&sc);
      free(policies);
      return EXIT_BADINPUT;
    }
  }
  char defdir[1024];
  if (!out) {
    if (sc.output.dir)
      out = sc.output.dir;
    else
      snprintf(defdir, sizeof defdir, "out/%s", sc.name), out = defdir;
  }
  run_options opt = {
      .out_dir = out,
      .seed = has_seed ? seed : sc.seed,
      .policies = npolicies ? policies : NULL,
      .progress = !quiet && isatty(STDERR_FILENO),
      .trace_redis = trace_redis,
  };
  run_totals tot;
  int rc = EXIT_OK;
  if (!run_scenario(&sc, &opt, &tot, &err)) {
    fprintf(stderr, "podscale: %s\n", err.msg);
    rc = EXIT_RUNTIME;
  } else if (!quiet) {
    print_summary(out);
    printf("%llu events in %.2f s\n", (unsigned long long)tot.events, tot.wall_s);
  }
  scenario_free(&sc);
  free(policies);
  return rc;
}

int podscale_main(int argc, char **argv) {
  if (argc < 2) {
    fputs(usage_text, stderr);
    return EXIT_BADINPUT;
  }
  const char *cmd = argv[1];
  if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
    fputs(usage_text, stdout);
    return EXIT_OK;
  }
  if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) return cmd_version();
  if (!strcmp(cmd, "run")) return cmd_run(argc - 1, argv + 1);
  if (!strcmp(cmd, "benchmark")) return cmd_benchmark(argc - 1, argv + 1);
  if (!strcmp(cmd, "calibrate")) return cmd_calibrate(argc - 1, argv + 1);
  if (!strcmp(cmd, "catalog")) return cmd_catalog(argc - 1, argv + 1);
  if (!strcmp(cmd, "profile")) return cmd_profile(argc - 1, argv + 1);
  if (!strcmp(cmd, "solve")) return cmd_solve(argc - 1, argv + 1);
  if (!strcmp(cmd, "regress")) return cmd_regress(argc - 1, argv + 1);
  if (!strcmp(cmd, "serve")) return cmd_serve(argc - 1, argv + 1);
  if (!strcmp(cmd, "compare")) return cmd_compare(argc - 1, argv + 1);
  if (!strcmp(cmd, "sweep")) return cmd_sweep(argc - 1, argv + 1);
  if (!strcmp(cmd, "merge")) return cmd_merge(argc - 1, argv + 1);
  if (!strcmp(cmd, "mock-vllm")) return cmd_mock_vllm(argc - 1, argv + 1);
  if (!strcmp(cmd, "plot")) return cmd_plot(argc - 1, argv + 1);
  return usage_error("unknown command '%s'", cmd);
}
