/*
 * The simulated benchmark (aibrix_benchmark's grid and format) and calibration against the
 * published AIBrix benchmark file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/bench/benchmark.h"
#include "sim/bench/calibrate.h"
#include "testutil.h"

static llmpod_config a100_llama(bool chunked) {
  llm_engine_args a = llm_engine_args_default;
  a.enable_chunked_prefill = chunked;
  llmpod_config c;
  char why[256];
  assert_true(llmpod_configure(catalog_gpu("A100-80GB"), catalog_llm("llama-2-7b"), &a, &c, why,
                               sizeof why));
  return c;
}

static void grid_follows_aibrix_benchmark_loop_order(void **state) {
  (void)state;
  /* benchmark.sh's defaults: prompts 4..2048, outputs 4..512, rates 1..64 */
  bench_grid a = bench_grid_aibrix;
  assert_int_equal(bench_grid_runs(&a), 10 * 8 * 7);
  assert_int_equal(a.input_limit, 2048);
  assert_int_equal(a.output_limit, 512);
  assert_int_equal(a.total, 100);
  bench_grid g = bench_grid_wide;
  assert_int_equal(bench_grid_runs(&g), 11 * 11 * 7);
  int32_t in, out;
  double rate;
  bench_grid_at(&g, 0, &in, &out, &rate);
  assert_int_equal(in, 4);
  assert_int_equal(out, 4);
  assert_true(rate == 1.0);
  bench_grid_at(&g, 6, &in, &out, &rate); /* rates innermost */
  assert_true(rate == 64.0);
  bench_grid_at(&g, 7, &in, &out, &rate); /* then outputs */
  assert_int_equal(out, 8);
  assert_true(rate == 1.0);
  bench_grid_at(&g, 11 * 7, &in, &out, &rate); /* inputs outermost */
  assert_int_equal(in, 8);
  assert_int_equal(out, 4);
  g.rate_start = 0.5;
  g.rate_limit = 2;
  assert_int_equal(bench_grid_runs(&g), 11 * 11 * 3);
}

static void lines_have_aibrix_keys_in_order(void **state) {
  (void)state;
  llmpod_config c = a100_llama(false);
  bench_grid g = bench_grid_aibrix;
  g.model = "llama2-7b";
  bench_point pt;
  assert_true(bench_run_point(&c, 128, 8, 2.0, 100, 0, &pt));
  char path[] = "/tmp/podscale-bench-XXXXXX";
  int fd = mkstemp(path);
  FILE *fp = fdopen(fd, "w");
  bench_write_point(fp, &g, &pt);
  fclose(fp);
  char *text = tu_slurp(path, NULL);
  unlink(path);
  const char *metrics[] = {"TPUT", "TT", "E2E", "TTFT", "TPOT"};
  char *line = text;
  for (int i = 0; i < 5; i++) {
    char *end = strchr(line, '\n');
    assert_non_null(end);
    *end = '\0';
    char want[256];
    snprintf(want, sizeof want,
             "{\"input_tokens\": 128, \"output_tokens\": 8, \"request_rate\": 2.0, \"seed\": 0, "
             "\"model\": \"llama2-7b\", \"temperature\": 0.0, \"samples\": 100, \"metric\": "
             "\"%s\", \"mean\": ",
             metrics[i]);
    assert_memory_equal(line, want, strlen(want));
    assert_true((strstr(line, "\"P50\": ") != NULL) == (i >= 2)); /* TPUT and TT have none */
    assert_non_null(strstr(line, i >= 2 ? "\"P90\": " : "}"));
    line = end + 1;
  }
  assert_string_equal(line, "");
  free(text);
}

static void light_load_keeps_up_and_heavy_load_queues(void **state) {
  (void)state;
  llmpod_config c = a100_llama(false);
  bench_point light, heavy;
  assert_true(bench_run_point(&c, 512, 256, 1.0, 100, 0, &light));
  assert_true(bench_run_point(&c, 512, 256, 64.0, 100, 0, &heavy));
  /* 100 Poisson arrivals at 1 req/s: about 1 completion per second, no queue */
  assert_true(light.tput > 0.8 && light.tput < 1.2);
  assert_true(heavy.e2e[0] > 2 * light.e2e[0]);
  assert_true(heavy.tput < 64 * 0.9);
  /* a token gap is at least one decode iteration (the weights read once) */
  assert_true(light.tpot[1] > 0.005);
  assert_true(light.e2e[1] <= light.e2e[2] && light.e2e[2] <= light.e2e[3]);
}

static void runs_too_long_for_the_context_are_skipped(void **state) {
  (void)state;
  llmpod_config c = a100_llama(false);
  bench_point pt;
  assert_false(bench_run_point(&c, 4096, 4096, 1.0, 100, 0, &pt));
}

/* The acceptance check of calibration: fitted to AIBrix's published llama-2-7b A100 benchmark
 * file, the simulated benchmark reproduces its TPUT within 10% and its E2E mean within 20%
 * (median relative error over the runs where the server kept up). */
/* A progress callback: the last count it was given, which goes up one at a time. */
static void count_evaluations(void *ctx, int32_t evaluations) {
  int32_t *last = ctx;
  assert_true(evaluations == *last + 1);
  *last = evaluations;
}

static void calibration_reproduces_the_published_a100_benchmark(void **state) {
  (void)state;
  bench_file bf;
  ps_err err;
  const char *path =
      PODSCALE_SOURCE_DIR "/tests/data/aibrix-profiles/simulator-llama2-7b-a100.jsonl";
  if (!bench_file_read(path, &bf, &err)) fail_msg("%s", err.msg);
  assert_int_equal(bf.n, 280);
  calib_result r;
  llm_engine_args a = llm_engine_args_default;
  int32_t last = 0; /* called after each evaluation: 1, 2, ... */
  assert_true(calibrate(catalog_gpu("A100-80GB"), catalog_llm("llama-2-7b"), &a, &bf,
                        count_evaluations, &last, &r, &err));
  assert_int_equal(last, r.evaluations); /* progress saw every evaluation */
  assert_true(r.evaluations > r.iterations);
  print_message("fitted eff_compute %.4f eff_memory %.4f overhead %.6f s overhead/seq %.8f s; "
                "median |error| TPUT %.1f%% E2E %.1f%% over %d runs\n",
                r.fitted.eff_compute, r.fitted.eff_memory, r.fitted.overhead_s,
                r.fitted.overhead_seq_s, 100 * r.tput_median_err, 100 * r.e2e_median_err,
                r.runs_fitted);
  assert_true(r.runs_fitted > 100);
  assert_true(r.tput_median_err < 0.10);
  assert_true(r.e2e_median_err < 0.20);
  bench_file_free(&bf);
}

static void bad_benchmark_line_is_reported_with_its_number(void **state) {
  (void)state;
  char d[64], p[128];
  tu_tmpdir(d);
  tu_write(
      d, "b.jsonl",
      "{\"input_tokens\": 4, \"output_tokens\": 4, \"request_rate\": 1.0, \"metric\": \"TPUT\", "
      "\"mean\": 1.0}\n\n{\"input_tokens\": 4, \"output_tokens\": 4\n",
      p, sizeof p);
  bench_file bf;
  ps_err err;
  assert_false(bench_file_read(p, &bf, &err));
  char want[160];
  snprintf(want, sizeof want, "%s:3: ", p);
  assert_memory_equal(err.msg, want, strlen(want));
  tu_rmrf(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(grid_follows_aibrix_benchmark_loop_order),
      cmocka_unit_test(lines_have_aibrix_keys_in_order),
      cmocka_unit_test(light_load_keeps_up_and_heavy_load_queues),
      cmocka_unit_test(runs_too_long_for_the_context_are_skipped),
      cmocka_unit_test(calibration_reproduces_the_published_a100_benchmark),
      cmocka_unit_test(bad_benchmark_line_is_reported_with_its_number),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
