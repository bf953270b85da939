/* vLLM's stats lines (analysis/vllmlog.h): versions, other lines, errors with FILE:LINE. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analysis/vllmlog.h"
#include "testutil.h"

#define V062                                                                                       \
  "INFO 02-08 14:48:43 metrics.py:351] Avg prompt throughput: 1006.2 tokens/s, "                   \
  "Avg generation throughput: 545.1 tokens/s, Running: 32 reqs, Swapped: 1 reqs, "                 \
  "Pending: 3 reqs, GPU KV cache usage: 94.0%, CPU KV cache usage: 0.0%."

static void parses_a_vllm_0_6_line(void **state) {
  (void)state;
  vlog_line l;
  char why[200];
  assert_int_equal(vlog_parse_line(V062, &l, why, sizeof why), 1);
  assert_float_equal(l.prompt_tps, 1006.2, 1e-9);
  assert_float_equal(l.gen_tps, 545.1, 1e-9);
  assert_int_equal(l.running, 32);
  assert_int_equal(l.swapped, 1);
  assert_int_equal(l.pending, 3);
  assert_float_equal(l.kv_usage, 0.94, 1e-12);
}

/* V1 (vllm/v1/metrics/loggers.py): "Engine 000:", Waiting instead of Pending, no Swapped, the
 * prefix-cache hit rate on the same line; newer V0 releases log it on a line of its own. */
static void reads_versions_that_add_or_rename_fields(void **state) {
  (void)state;
  vlog_line l;
  char why[200];
  assert_int_equal(
      vlog_parse_line("INFO 05-01 10:00:00 [loggers.py:116] Engine 000: Avg prompt throughput: "
                      "12.5 tokens/s, Avg generation throughput: 80.0 tokens/s, Running: 4 reqs, "
                      "Waiting: 7 reqs, GPU KV cache usage: 12.5%, Prefix cache hit rate: 40.0%",
                      &l, why, sizeof why),
      1);
  assert_int_equal(l.running, 4);
  assert_int_equal(l.pending, 7);
  assert_int_equal(l.swapped, 0);
  assert_float_equal(l.kv_usage, 0.125, 1e-12);
  assert_int_equal(vlog_parse_line("INFO 11-24 03:09:29 [metrics.py:402] Prefix cache hit rate: "
                                   "GPU: 62.26%, CPU: 0.00%",
                                   &l, why, sizeof why),
                   0);
  assert_int_equal(vlog_parse_line("INFO:     10.0.0.1:5000 - \"POST /v1/completions\" 200 OK", &l,
                                   why, sizeof why),
                   0);
}

static void reads_a_shipped_log_in_line_order(void **state) {
  (void)state;
  vlog_set s = {0};
  ps_err err;
  const char *path = PODSCALE_SOURCE_DIR "/scenarios/data/aibrix-v100-runs/set0/kpa/vllm-stats/"
                                         "2brsj.log";
  if (!vlog_read(&s, path, &err)) fail_msg("%s", err.msg);
  assert_true(s.n > 10);
  assert_int_equal(s.nfiles, 1);
  for (int32_t i = 0; i < s.n; i++) {
    assert_int_equal(s.lines[i].file, 0);
    assert_int_equal(s.lines[i].lineno, i + 1); /* every line of these logs is a stats line */
  }
  vlog_free(&s);
}

static void malformed_stats_line_names_file_and_line(void **state) {
  (void)state;
  char d[64], p[128], want[200];
  tu_tmpdir(d);
  tu_write(d, "pod.log",
           "INFO starting\n" V062 "\nINFO 02-08 14:48:53 metrics.py:351] Avg prompt throughput: "
           "1.0 tokens/s, Avg generation throughput: 2.0 tokens/s, Running: many reqs, "
           "Pending: 0 reqs, GPU KV cache usage: 1.0%\n",
           p, sizeof p);
  vlog_set s = {0};
  ps_err err;
  assert_false(vlog_read(&s, p, &err));
  snprintf(want, sizeof want, "%s:3: expected \"Running: N reqs\"", p);
  assert_memory_equal(err.msg, want, strlen(want));
  vlog_free(&s);
  tu_rmrf(d);
}

static void kv_usage_over_100_percent_is_an_error(void **state) {
  (void)state;
  vlog_line l;
  char why[200];
  assert_int_equal(vlog_parse_line("Avg prompt throughput: 1.0 tokens/s, Avg generation "
                                   "throughput: 2.0 tokens/s, Running: 1 reqs, Pending: 0 reqs, "
                                   "GPU KV cache usage: 100.5%",
                                   &l, why, sizeof why),
                   -1);
  assert_non_null(strstr(why, "GPU KV cache usage"));
}

static void file_without_stats_lines_is_an_error_and_an_empty_one_adds_nothing(void **state) {
  (void)state;
  char d[64], p[128], e[128];
  tu_tmpdir(d);
  tu_write(d, "other.log", "INFO starting\nINFO ready\n", p, sizeof p);
  tu_write(d, "empty.log", "", e, sizeof e);
  vlog_set s = {0};
  ps_err err;
  assert_true(vlog_read(&s, e, &err));
  assert_int_equal(s.n, 0);
  assert_false(vlog_read(&s, p, &err));
  assert_non_null(strstr(err.msg, "other.log: expected vLLM stats lines"));
  vlog_free(&s);
  tu_rmrf(d);
}

/* Request logs can hold whole prompts: skipped when long; a stats line that long is an error. */
static void long_lines_are_skipped_unless_they_are_stats_lines(void **state) {
  (void)state;
  char d[64], p[128], want[200];
  size_t n = 3 * VLOG_MAX_LINE;
  char *text = malloc(2 * n + 1024), *at = text;
  memset(at, 'x', n);
  at += n;
  at += sprintf(at, "\n%s\n", V062);
  at += sprintf(at, "%s, ", V062);
  memset(at, 'y', n);
  at[n] = '\n';
  at[n + 1] = '\0';
  tu_tmpdir(d);
  tu_write(d, "long.log", text, p, sizeof p);
  vlog_set s = {0};
  ps_err err;
  assert_false(vlog_read(&s, p, &err));
  assert_int_equal(s.n, 1); /* line 2 */
  assert_int_equal(s.lines[0].lineno, 2);
  snprintf(want, sizeof want, "%s:3: expected a stats line of at most", p);
  assert_memory_equal(err.msg, want, strlen(want));
  vlog_free(&s);
  free(text);
  tu_rmrf(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(parses_a_vllm_0_6_line),
      cmocka_unit_test(reads_versions_that_add_or_rename_fields),
      cmocka_unit_test(reads_a_shipped_log_in_line_order),
      cmocka_unit_test(malformed_stats_line_names_file_and_line),
      cmocka_unit_test(kv_usage_over_100_percent_is_an_error),
      cmocka_unit_test(file_without_stats_lines_is_an_error_and_an_empty_one_adds_nothing),
      cmocka_unit_test(long_lines_are_skipped_unless_they_are_stats_lines),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
