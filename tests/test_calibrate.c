/* Calibration to vLLM's stats lines (sim/bench/calibrate.h, calibrate_vllm_log) and its command. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "fixtures.h"
#include "sim/bench/calibrate.h"
#include "testutil.h"

#define GPU "V100-32GB"
#define MODEL "deepseek-llm-7b-chat"
#define NREQ 2048
#define SET0 PODSCALE_SOURCE_DIR "/scenarios/data/aibrix-v100-runs/set0/"

static int32_t ins[NREQ], outs[NREQ];

static void lengths(void) {
  dist in, out;
  assert_true(dist_lognormal_mean_p99(310, 960, &in));
  assert_true(dist_lognormal_mean_p99(150, 1000, &out));
  vcal_draw_lengths(&in, &out, 2048, 1, NREQ, ins, outs);
}

static llmpod_config engine(const perf_params *p, int32_t blocks) {
  llm_engine_args a = llm_engine_args_default;
  a.perf = *p;
  a.num_gpu_blocks = blocks;
  llmpod_config c;
  char why[256];
  assert_true(llmpod_configure(catalog_gpu(GPU), catalog_llm(MODEL), &a, &c, why, sizeof why));
  return c;
}

/* Stats lines the simulator itself makes under known factors and KV blocks: two lines per
 * population, as vLLM prints them. */
static void write_synthetic_log(const char *path, const perf_params *truth, int32_t blocks) {
  static const int32_t pops[] = {1, 2, 3, 5, 8, 12, 16, 20, 24, 32, 40, 56, 80};
  llmpod_config c = engine(truth, blocks);
  FILE *fp = fopen(path, "w");
  assert_non_null(fp);
  for (size_t i = 0; i < sizeof pops / sizeof *pops; i++) {
    vcal_state s;
    vcal_closed_loop(&c, ins, outs, NREQ, pops[i], 100, 300, &s); /* as measure_s 300 */
    int32_t run = (int32_t)(s.running + 0.5);
    for (int k = 0; k < 2; k++)
      fprintf(fp,
              "INFO 02-08 14:48:43 metrics.py:351] Avg prompt throughput: %.1f tokens/s, Avg "
              "generation throughput: %.1f tokens/s, Running: %d reqs, Swapped: 0 reqs, "
              "Pending: %d reqs, GPU KV cache usage: %.1f%%, CPU KV cache usage: 0.0%%.\n",
              s.prompt_tps, s.gen_tps, run, pops[i] - run, 100 * s.kv_usage);
  }
  assert_int_equal(fclose(fp), 0);
}

static vcal_input input_from(const perf_params *start, int32_t blocks) {
  return (vcal_input){.g = catalog_gpu(GPU),
                      .m = catalog_llm(MODEL),
                      .base = engine(start, blocks),
                      .start = *start,
                      .input_tokens = ins,
                      .output_tokens = outs,
                      .nrequests = NREQ,
                      .fit = VCAL_FIT_DEFAULT,
                      .measure_s = 300}; /* a third of the default: CI time under ASan */
}

static void fit_recovers_the_factors_and_blocks_that_made_the_lines(void **state) {
  (void)state;
  lengths();
  char d[64], p[128];
  tu_tmpdir(d);
  snprintf(p, sizeof p, "%s/synthetic.log", d);
  const perf_params truth = {0.55, 0.70, 0.004, 0.00003};
  write_synthetic_log(p, &truth, 1200);
  vlog_set logs = {0};
  ps_err err;
  if (!vlog_read(&logs, p, &err)) fail_msg("%s", err.msg);
  const perf_params start = {0.55, 0.85, 0.004, 0.000015};
  vcal_input in = input_from(&start, 1700);
  vcal_result r;
  if (!calibrate_vllm_log(&in, &logs, &r, &err)) fail_msg("%s", err.msg);
  print_message("recovered eff_memory %.4f overhead_seq %.2f us blocks %d; median |error| "
                "generation %.2f%% -> %.2f%%, KV %.2f%% -> %.2f%%\n",
                r.fitted.eff_memory, 1e6 * r.fitted.overhead_seq_s, r.blocks, 100 * r.before.gen,
                100 * r.after.gen, 100 * r.before.kv, 100 * r.after.kv);
  assert_float_equal(r.fitted.eff_memory, truth.eff_memory, 0.03 * truth.eff_memory);
  /* o_s is weakly identified (it trades with e_m's KV term): what the lines pin is the decode
   * step, at every batch size */
  assert_in_range(1e6 * r.fitted.overhead_seq_s, 15, 60);
  const gpu_spec *g = catalog_gpu(GPU);
  const llm_spec *m = catalog_llm(MODEL);
  perf_model pt = perf_model_make(g, m, &truth), pf = perf_model_make(g, m, &r.fitted);
  for (int64_t b = 1; b <= 64; b *= 4) {
    double want = (double)perf_iter_ps(&pt, 0, 0, b, 600 * b, b);
    assert_float_equal((double)perf_iter_ps(&pf, 0, 0, b, 600 * b, b), want, 0.02 * want);
  }
  assert_in_range(r.blocks, 1140, 1260);
  assert_float_equal(r.fitted.eff_compute, start.eff_compute, 0); /* not fitted */
  assert_float_equal(r.fitted.overhead_s, start.overhead_s, 0);
  assert_true(r.after.gen < 0.02 && r.after.kv < 0.03);
  assert_true(r.before.gen > 0.05 && r.before.kv > 0.15); /* the start was far off */
  vlog_free(&logs);
  tu_rmrf(d);
}

/* The objective is a deterministic function of the parameters: the same closed loop twice
 * gives the same figures, bit for bit (common random numbers, no other randomness). */
static void closed_loop_is_deterministic(void **state) {
  (void)state;
  lengths();
  llmpod_config c = engine(&llm_engine_args_default.perf, 1500);
  for (int32_t n = 1; n <= 64; n *= 8) {
    vcal_state a, b;
    vcal_closed_loop(&c, ins, outs, NREQ, n, 100, 300, &a);
    vcal_closed_loop(&c, ins, outs, NREQ, n, 100, 300, &b);
    assert_memory_equal(&a, &b, sizeof a);
    assert_true(a.gen_tps > 0 && a.running > 0 && a.running <= n);
  }
}

/* Four pods of the shipped V100 runs (KPA): the fit improves the KV usage and keeps
 * the efficiencies below 1, within CI time. */
static void fit_to_shipped_logs_improves_them_quickly(void **state) {
  (void)state;
  lengths();
  static const char *const pods[] = {"2brsj", "4t2wj", "5kv52", "cpm5k"};
  vlog_set logs = {0};
  ps_err err;
  for (size_t i = 0; i < sizeof pods / sizeof *pods; i++) {
    char path[256];
    snprintf(path, sizeof path, SET0 "kpa/vllm-stats/%s.log", pods[i]);
    if (!vlog_read(&logs, path, &err)) fail_msg("%s", err.msg);
  }
  vcal_input in = input_from(&llm_engine_args_default.perf, 2038);
  vcal_result r;
  clock_t t0 = clock();
  if (!calibrate_vllm_log(&in, &logs, &r, &err)) fail_msg("%s", err.msg);
  double cpu_s = (double)(clock() - t0) / CLOCKS_PER_SEC;
  print_message("%d lines, %d simulations in %.1f s cpu; KV %.1f%% -> %.1f%%, generation %.1f%% "
                "-> %.1f%%\n",
                r.lines, r.evaluations, cpu_s, 100 * r.before.kv, 100 * r.after.kv,
                100 * r.before.gen, 100 * r.after.gen);
  assert_true(r.lines > 300);
  assert_true(r.after.kv < r.before.kv);
  assert_true(r.fitted.eff_memory <= 1 && r.fitted.eff_memory > 0.3);
  assert_true(r.blocks < 2038);
  assert_true(cpu_s < 30);
  vlog_free(&logs);
}

static void cli_errors_exit_2_and_name_the_file(void **state) {
  fx_dir *f = *state;
  char *out = NULL, *err = NULL, empty[128], other[128];
  const char *none[] = {"calibrate", "--vllm-log", "--gpu", GPU, "--model", MODEL, NULL};
  assert_int_equal(fx_run_podscale(f->dir, none, &out, &err), 2);
  assert_non_null(strstr(err, "expected vLLM log files"));
  const char *missing[] = {"calibrate", "--vllm-log",           "--gpu", GPU, "--model",
                           MODEL,       "/nonexistent/pod.log", NULL};
  assert_int_equal(fx_run_podscale(f->dir, missing, &out, &err), 2);
  assert_non_null(strstr(err, "/nonexistent/pod.log: cannot open"));
  tu_write(f->dir, "other.log", "INFO starting\n", other, sizeof other);
  tu_write(f->dir, "empty.log", "", empty, sizeof empty);
  const char *no_stats[] = {"calibrate", "--vllm-log", "--gpu", GPU, "--model",
                            MODEL,       empty,        other,   NULL};
  assert_int_equal(fx_run_podscale(f->dir, no_stats, &out, &err), 2);
  assert_non_null(strstr(err, "other.log: expected vLLM stats lines"));
  assert_string_equal(out, "");
  const char *only_empty[] = {"calibrate", "--vllm-log", "--gpu", GPU,
                              "--model",   MODEL,        empty,   NULL};
  assert_int_equal(fx_run_podscale(f->dir, only_empty, &out, &err), 2);
  assert_non_null(strstr(err, "at least one running request"));
  const char *bad_fit[] = {"calibrate", "--vllm-log", "--fit",   "eff_memory,speed",
                           "--gpu",     GPU,          "--model", MODEL,
                           empty,       NULL};
  assert_int_equal(fx_run_podscale(f->dir, bad_fit, &out, &err), 2);
  assert_non_null(strstr(err, "--fit: expected"));
  free(out);
  free(err);
}

/* The command on two shipped logs prints the fit and a model object with the KV blocks. */
static void cli_prints_the_fit_and_a_model_object(void **state) {
  fx_dir *f = *state;
  char *out = NULL, *err = NULL;
  const char *args[] = {"calibrate",
                        "--vllm-log",
                        "--gpu",
                        GPU,
                        "--model",
                        MODEL,
                        SET0 "kpa/vllm-stats/4t2wj.log",
                        SET0 "kpa/vllm-stats/5kv52.log",
                        NULL};
  int rc = fx_run_podscale(f->dir, args, &out, &err);
  if (rc != 0) fail_msg("exit %d: %s", rc, err);
  assert_non_null(strstr(out, "num_gpu_blocks"));
  assert_non_null(strstr(out, "\"num_gpu_blocks_override\": "));
  assert_non_null(strstr(out, "\"perf\": {\"eff_compute\": "));
  assert_non_null(strstr(out, "mean prompt throughput"));
  free(out);
  free(err);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_dir_setup, fx_dir_teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(fit_recovers_the_factors_and_blocks_that_made_the_lines),
      cmocka_unit_test(closed_loop_is_deterministic),
      cmocka_unit_test(fit_to_shipped_logs_improves_them_quickly),
      T(cli_errors_exit_2_and_name_the_file),
      T(cli_prints_the_fit_and_a_model_object),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
