/* `podscale calibrate`: the command line of sim/bench/calibrate.c. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/xalloc.h"
#include "models/pods/catalog.h"
#include "sim/bench/calibrate.h"
#include "sim/cli/cli.h"
#include "sim/scenario/scenario.h"

static const char help_text[] =
    "usage: podscale calibrate --gpu GPU --model LLM [ENGINE OPTIONS] BENCHMARK.jsonl\n"
    "       podscale calibrate --vllm-log (--scenario FILE [--deployment NAME] |\n"
    "                          --gpu GPU --model LLM [ENGINE OPTIONS]) [--fit LIST] LOG...\n"
    "\n"
    "Fit the performance model's factors (eff_compute, eff_memory, overhead_s, overhead_seq_s)\n"
    "so that `podscale benchmark --simulated` reproduces a measured aibrix_benchmark file, and\n"
    "print the fit and a \"perf\" object to paste into a scenario's llm model.\n"
    "\n"
    "With --vllm-log, fit the factors and the KV capacity (num_gpu_blocks) to the stats lines\n"
    "vLLM logs every 10 s (\"Avg prompt throughput: ...\") in the server logs LOG...: a closed "
    "loop\n"
    "of the simulated pod at every population the lines show is compared with them. The token\n"
    "lengths come from the scenario's workload (its input and output distributions), the GPU,\n"
    "the LLM and the engine from its deployment (the first llm deployment unless --deployment);\n"
    "without --scenario, from --gpu, --model and the engine options, with the lognormal lengths\n"
    "of scenarios/aibrix-v100.json (310 in, 150 out on average). Prints the fit and a model\n"
    "object with \"perf\" and \"num_gpu_blocks_override\" to paste into a scenario.\n"
    "\n"
    "  --gpu GPU                GPU type from the catalog\n"
    "  --model LLM              LLM from the catalog\n"
    "  --scenario FILE          (--vllm-log) GPU, LLM, engine and token lengths from a scenario\n"
    "  --deployment NAME        (--vllm-log) which deployment of the scenario\n"
    "  --fit LIST               (--vllm-log) comma-separated: eff_compute, eff_memory, "
    "overhead_s,\n"
    "                           overhead_seq_s, num_gpu_blocks (eff_memory,overhead_seq_s,\n"
    "                           num_gpu_blocks); the others stay at their start\n"
    "Engine options of the measured server (the start of the fit):\n"
    "  --max-num-seqs N, --max-model-len N, --enable-chunked-prefill,\n"
    "  --max-num-batched-tokens N, --gpu-memory-utilization F,\n"
    "  --eff-compute F, --eff-memory F, --overhead S, --overhead-seq S\n";

enum { O_GPU = 1, O_MODEL, O_VLLM_LOG, O_SCENARIO, O_DEPLOYMENT, O_FIT, O_HELP };

static const struct option own_options[] = {
    /* and the engine options */
    {"gpu", required_argument, NULL, O_GPU},
    {"model", required_argument, NULL, O_MODEL},
    {"vllm-log", no_argument, NULL, O_VLLM_LOG},
    {"scenario", required_argument, NULL, O_SCENARIO},
    {"deployment", required_argument, NULL, O_DEPLOYMENT},
    {"fit", required_argument, NULL, O_FIT},
    {"help", no_argument, NULL, O_HELP},
    {NULL, 0, NULL, 0},
};

typedef struct cal_opts {
  const char *gpu, *model, *scenario, *deployment;
  bool vllm_log;
  unsigned fit;
  llm_engine_args args;
} cal_opts;

#define LENGTHS 8192 /* request lengths drawn for the closed loops */

static bool parse_fit(const char *list, unsigned *fit) {
  static const char *const names[] = {"eff_compute", "eff_memory", "overhead_s", "overhead_seq_s",
                                      "num_gpu_blocks"};
  static const unsigned bits[] = {VCAL_FIT_EFF_COMPUTE, VCAL_FIT_EFF_MEMORY, VCAL_FIT_OVERHEAD,
                                  VCAL_FIT_OVERHEAD_SEQ, VCAL_FIT_BLOCKS};
  *fit = 0;
  for (const char *p = list; *p;) {
    size_t len = strcspn(p, ",");
    unsigned bit = 0;
    for (size_t i = 0; i < sizeof bits / sizeof *bits; i++)
      if (strlen(names[i]) == len && !strncmp(p, names[i], len)) bit = bits[i];
    if (!bit) return false;
    *fit |= bit;
    p += len + (p[len] == ',');
  }
  return *fit != 0;
}

/* The model object for a scenario, with what was fitted. */
static void print_model(const llm_spec *m, const llm_engine_args *a, const perf_params *f,
                        int32_t blocks) {
  printf(
      "\nfor a scenario's deployment model:\n  \"model\": {\"type\": \"llm\", \"llm\": \"%s\",%s",
      m->name, a->enable_chunked_prefill ? " \"enable_chunked_prefill\": true," : "");
  if (blocks > 0) printf(" \"num_gpu_blocks_override\": %d,", blocks);
  printf(" \"perf\": {\"eff_compute\": %.4f, \"eff_memory\": %.4f, \"overhead_s\": %.6f, "
         "\"overhead_seq_s\": %.8f}}\n",
         f->eff_compute, f->eff_memory, f->overhead_s, f->overhead_seq_s);
}

static void print_factors(const perf_params *s, const perf_params *f, unsigned fit) {
  const char *fixed = "  (fixed)";
  printf("%-30s %12s %12s\n", "", "start", "fitted");
  printf("%-30s %12.4f %12.4f%s\n", "eff_compute", s->eff_compute, f->eff_compute,
         fit & VCAL_FIT_EFF_COMPUTE ? "" : fixed);
  printf("%-30s %12.4f %12.4f%s\n", "eff_memory", s->eff_memory, f->eff_memory,
         fit & VCAL_FIT_EFF_MEMORY ? "" : fixed);
  printf("%-30s %12.6f %12.6f%s\n", "overhead_s", s->overhead_s, f->overhead_s,
         fit & VCAL_FIT_OVERHEAD ? "" : fixed);
  printf("%-30s %12.8f %12.8f%s\n", "overhead_seq_s", s->overhead_seq_s, f->overhead_seq_s,
         fit & VCAL_FIT_OVERHEAD_SEQ ? "" : fixed);
}

static int calibrate_benchmark(const cal_opts *o, const gpu_spec *g, const llm_spec *m,
                               const char *path) {
  bench_file bf;
  ps_err err;
  if (!bench_file_read(path, &bf, &err)) {
    fprintf(stderr, "podscale: %s\n", err.msg);
    return EXIT_BADINPUT;
  }
  calib_result r;
  cli_progress p = cli_progress_start("calibrate", "simulations of the benchmark");
  bool ok = calibrate(g, m, &o->args, &bf, cli_progress_cb, &p, &r, &err);
  cli_progress_end(&p);
  bench_file_free(&bf);
  if (!ok) {
    fprintf(stderr, "podscale: calibrate: %s: %s\n", path, err.msg);
    return EXIT_BADINPUT;
  }
  printf("calibrated %s on %s against %s: %d runs where the server kept up, %d solver "
         "iteration%s\n",
         m->name, g->name, path, r.runs_fitted, r.iterations, r.iterations == 1 ? "" : "s");
  print_factors(&o->args.perf, &r.fitted, ~0u);
  printf("%-30s %11.1f%% %11.1f%%\n", "TPUT median |error|", 100 * r.tput_median_err0,
         100 * r.tput_median_err);
  printf("%-30s %11.1f%% %11.1f%%\n", "E2E mean median |error|", 100 * r.e2e_median_err0,
         100 * r.e2e_median_err);
  print_model(m, &o->args, &r.fitted, 0);
  return EXIT_OK;
}

/* ---- --vllm-log ---- */

/* The engine and the token lengths: from the scenario's deployment, or from the options. */
typedef struct vsetup {
  scenario sc;
  bool has_sc;
  const gpu_spec *g;
  const llm_spec *m;
  llm_engine_args args;
  llmpod_config cfg;
  dist input, output;
  int32_t max_output;
  uint64_t seed;
} vsetup;

/* A factor given on the command line replaces the one the fit starts from. */
static bool take_factor(double *to, double from) {
  if (isnan(from)) return false;
  *to = from;
  return true;
}

/* With --scenario, the performance options (and --gpu-memory-utilization, which sizes the KV
 * cache from memory) change where the fit starts; the engine itself is the deployment's. */
static int start_from_options(const cal_opts *o, vsetup *v) {
  const llm_engine_args unset = cli_engine_unset(), *a = &o->args;
  if (a->max_num_seqs != unset.max_num_seqs || a->max_model_len != unset.max_model_len ||
      a->enable_chunked_prefill != unset.enable_chunked_prefill ||
      a->max_num_batched_tokens != unset.max_num_batched_tokens)
    return cli_usage_error("calibrate: --scenario: the engine is the deployment's; set it in %s "
                           "(only the performance factors and --gpu-memory-utilization may be "
                           "given here)",
                           o->scenario);
  perf_params *to = &v->args.perf;
  bool changed = take_factor(&to->eff_compute, a->perf.eff_compute);
  changed |= take_factor(&to->eff_memory, a->perf.eff_memory);
  changed |= take_factor(&to->overhead_s, a->perf.overhead_s);
  changed |= take_factor(&to->overhead_seq_s, a->perf.overhead_seq_s);
  if (a->num_gpu_blocks == 0) {
    v->args.gpu_memory_utilization = a->gpu_memory_utilization;
    v->args.num_gpu_blocks = 0;
    changed = true;
  }
  char why[512];
  if (changed && !llmpod_configure(v->g, v->m, &v->args, &v->cfg, why, sizeof why)) {
    fprintf(stderr, "podscale: calibrate: vLLM would not start with this configuration: %s\n", why);
    return EXIT_BADINPUT;
  }
  return EXIT_OK;
}

static int setup_from_scenario(const cal_opts *o, vsetup *v) {
  ps_err err;
  if (!scenario_load(o->scenario, &v->sc, &err)) {
    fprintf(stderr, "podscale: %s\n", err.msg);
    return EXIT_BADINPUT;
  }
  cli_print_warnings(v->sc.warnings, v->sc.nwarnings);
  v->has_sc = true;
  const sc_deployment *d = NULL;
  for (uint32_t i = 0; i < v->sc.ndeployments && !d; i++) {
    const sc_deployment *e = &v->sc.deployments[i];
    if (e->model == SC_MODEL_LLM && (!o->deployment || !strcmp(e->name, o->deployment))) d = e;
  }
  if (!d)
    return cli_usage_error("calibrate: --scenario: expected %s%s%s in %s, found none",
                           o->deployment ? "an llm deployment named '" : "an llm deployment",
                           o->deployment ? o->deployment : "", o->deployment ? "'" : "",
                           o->scenario);
  const wl_spec *w = &v->sc.workload;
  if (w->input_tokens.kind == DIST_TRACE || w->output_tokens.kind == DIST_TRACE)
    return cli_usage_error("calibrate: --scenario: expected token-length distributions in %s's "
                           "workload, found lengths from a trace",
                           o->scenario);
  v->g = &v->sc.gpus[d->gpu].spec;
  v->m = &v->sc.llms[d->llm_index].spec;
  v->args = d->llm_args;
  v->cfg = d->llm;
  v->input = w->input_tokens;
  v->output = w->output_tokens;
  v->max_output = w->max_output_tokens;
  v->seed = v->sc.seed;
  return start_from_options(o, v);
}

static int setup_from_options(const cal_opts *o, const gpu_spec *g, const llm_spec *m, vsetup *v) {
  v->g = g;
  v->m = m;
  v->args = o->args;
  char why[512];
  if (!llmpod_configure(g, m, &v->args, &v->cfg, why, sizeof why)) {
    fprintf(stderr, "podscale: calibrate: vLLM would not start with this configuration: %s\n", why);
    return EXIT_BADINPUT;
  }
  dist_lognormal_mean_p99(310, 960, &v->input); /* scenarios/aibrix-v100.json's workload */
  dist_lognormal_mean_p99(150, 1000, &v->output);
  v->max_output = 2048;
  fprintf(stderr, "podscale: calibrate: token lengths: lognormal, mean 310 (p99 960) in and 150 "
                  "(p99 1000) out; give --scenario for the workload's own\n");
  return EXIT_OK;
}

static void print_errors(const char *what, double before, double after) {
  printf("  %-28s %11.1f%% %11.1f%%\n", what, 100 * before, 100 * after);
}

static void print_vfit(const vsetup *v, const vcal_input *in, const vcal_result *r,
                       const vlog_set *logs) {
  printf("calibrated %s on %s against %d stats lines in %d files: %d with a running request, "
         "%d populations simulated, %d solver iterations, %d simulations\n",
         v->m->name, v->g->name, logs->n, logs->nfiles, r->lines, r->populations, r->iterations,
         r->evaluations);
  print_factors(&in->start, &r->fitted, in->fit);
  printf("%-30s %12d %12d%s\n", "num_gpu_blocks", r->blocks_start, r->blocks,
         in->fit & VCAL_FIT_BLOCKS ? "" : "  (fixed)");
  printf("median |simulated / measured - 1| over the lines:\n");
  print_errors("generation throughput", r->before.gen, r->after.gen);
  print_errors("GPU KV cache usage", r->before.kv, r->after.kv);
  print_errors("running", r->before.run, r->after.run);
  for (int b = 0; b < VCAL_BANDS; b++) {
    const vcal_band *d = &r->bands[b];
    char hi[16] = "";
    if (d->hi != INT32_MAX) snprintf(hi, sizeof hi, "%d", d->hi);
    printf(" population %d-%s (%d lines): generation %.1f%% -> %.1f%%, KV %.1f%% -> %.1f%%, "
           "running %.1f%% -> %.1f%%\n",
           d->lo, hi, d->lines, 100 * d->before.gen, 100 * d->after.gen, 100 * d->before.kv,
           100 * d->after.kv, 100 * d->before.run, 100 * d->after.run);
  }
  printf("mean generation throughput over the lines: measured %.1f, simulated %.1f -> %.1f "
         "tokens/s\n",
         r->gen_meas, r->gen_before, r->gen_after);
  printf("mean prompt throughput (not fitted; checks the token lengths): measured %.1f, "
         "simulated %.1f -> %.1f tokens/s\n",
         r->prompt_meas, r->prompt_before, r->prompt_after);
}

static int calibrate_logs(const cal_opts *o, const gpu_spec *g, const llm_spec *m, int nfiles,
                          char **files) {
  vsetup v = {0};
  int rc = o->scenario ? setup_from_scenario(o, &v) : setup_from_options(o, g, m, &v);
  vlog_set logs = {0};
  ps_err err;
  for (int i = 0; i < nfiles && rc == EXIT_OK; i++) {
    int32_t before = logs.n;
    if (!vlog_read(&logs, files[i], &err)) {
      fprintf(stderr, "podscale: %s\n", err.msg);
      rc = EXIT_BADINPUT;
    } else if (logs.n == before) {
      fprintf(stderr, "podscale: calibrate: note: %s is empty\n", files[i]);
    }
  }
  int32_t *ins = xmalloc(LENGTHS * sizeof *ins), *outs = xmalloc(LENGTHS * sizeof *outs);
  if (rc == EXIT_OK) {
    vcal_draw_lengths(&v.input, &v.output, v.max_output, v.seed, LENGTHS, ins, outs);
    cli_progress p = cli_progress_start("calibrate", "simulations");
    vcal_input in = {.g = v.g,
                     .m = v.m,
                     .base = v.cfg,
                     .start = v.args.perf,
                     .input_tokens = ins,
                     .output_tokens = outs,
                     .nrequests = LENGTHS,
                     .fit = o->fit,
                     .progress = cli_progress_cb,
                     .progress_ctx = &p};
    vcal_result r;
    bool ok = calibrate_vllm_log(&in, &logs, &r, &err);
    cli_progress_end(&p);
    if (!ok) {
      fprintf(stderr, "podscale: calibrate: %s\n", err.msg);
      rc = EXIT_BADINPUT;
    } else {
      print_vfit(&v, &in, &r, &logs);
      print_model(v.m, &v.args, &r.fitted, r.blocks);
    }
  }
  free(ins);
  free(outs);
  vlog_free(&logs);
  if (v.has_sc) scenario_free(&v.sc);
  return rc;
}

/* Apply one option; 0 to go on, or an exit status. */
static int apply(cal_opts *o, int c, const char *name, const char *arg) {
  int engine = cli_engine_option("calibrate", c, name, arg, &o->args);
  if (engine >= 0) return engine;
  switch (c) {
  case O_GPU: o->gpu = arg; break;
  case O_MODEL: o->model = arg; break;
  case O_VLLM_LOG: o->vllm_log = true; break;
  case O_SCENARIO: o->scenario = arg; break;
  case O_DEPLOYMENT: o->deployment = arg; break;
  case O_FIT:
    if (!parse_fit(arg, &o->fit))
      return cli_usage_error("calibrate: --fit: expected a comma-separated list of eff_compute, "
                             "eff_memory, overhead_s, overhead_seq_s and num_gpu_blocks, found "
                             "'%s'",
                             arg);
    break;
  default: return cli_usage_error("calibrate: unknown or incomplete option");
  }
  return 0;
}

int cmd_calibrate(int argc, char **argv) {
  cal_opts o = {.args = cli_engine_unset(), .fit = VCAL_FIT_DEFAULT};
  int c, idx = -1;
  optind = 1;
  opterr = 0;
  struct option longopts[CLI_MAX_OPTIONS];
  cli_with_engine_options(own_options, longopts, CLI_MAX_OPTIONS);
  while ((c = getopt_long(argc, argv, "h", longopts, &idx)) != -1) {
    if (c == 'h' || c == O_HELP) {
      fputs(help_text, stdout);
      return EXIT_OK;
    }
    if (c == '?' || c == ':')
      return cli_usage_error("calibrate: unknown or incomplete option '%s'", argv[optind - 1]);
    int rc = apply(&o, c, idx >= 0 ? longopts[idx].name : "?", optarg);
    idx = -1;
    if (rc) return rc;
  }
  int nfiles = argc - optind;
  if (o.vllm_log && nfiles < 1) return cli_usage_error("calibrate: expected vLLM log files");
  if (!o.vllm_log && nfiles != 1) return cli_usage_error("calibrate: expected one benchmark file");
  if (o.scenario && !o.vllm_log)
    return cli_usage_error("calibrate: --scenario: expected with --vllm-log only");
  if (o.scenario && (o.gpu || o.model))
    return cli_usage_error("calibrate: expected --scenario or --gpu and --model, found both");
  if (o.scenario) return calibrate_logs(&o, NULL, NULL, nfiles, argv + optind);
  const gpu_spec *g = cli_catalog_gpu("calibrate", o.gpu);
  if (!g) return EXIT_BADINPUT;
  const llm_spec *m = cli_catalog_llm("calibrate", o.model);
  if (!m) return EXIT_BADINPUT;
  cli_engine_resolve(&o.args, g, m);
  if (o.vllm_log) return calibrate_logs(&o, g, m, nfiles, argv + optind);
  return calibrate_benchmark(&o, g, m, argv[optind]);
}
