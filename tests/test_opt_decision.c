/*
 * decision: a decision-log line reads back to what it was written from, and a line with a
 * number the writer could not have written (overflowing to infinity, or a slice factor beyond
 * an int) is refused with a message rather than read into a decision that writes a different
 * line.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "optimizer/decision.h"

#define LINE(RATE, TIME, SLICES, MS)                                                               \
  "{\"time_s\": " TIME ", \"model\": \"m\", \"grid\": {\"out\": [4, 8], \"in\": [128, 256]}, "     \
  "\"options\": {\"gpu_fraction\": 100, \"slice_factor\": " SLICES "}, \"total_rate\": 4.3, "      \
  "\"coverage_pct\": 90.1, \"clusters\": [{\"out_log2\": 2.5, \"in_log2\": 7.5, "                  \
  "\"rate\": 3.9}], \"rates\": [[0, 1, " RATE "]], \"deployments\": [{\"name\": \"d\", "           \
  "\"profile\": \"2faf0f9069e3ce5d\", \"units\": 112, \"cost\": 2.7776}], \"cost\": 2.7776, "      \
  "\"uncovered_rate\": 0, \"solve_ms\": " MS ", \"log\": \"m took 0.2 ms\"}"

static char *written(const char *line) {
  opt_decision d;
  opt_err e;
  if (!opt_decision_parse(line, "t:1", &d, &e)) fail_msg("%s", e.msg);
  char *json = opt_decision_to_json(&d);
  opt_decision_free(&d);
  return json;
}

static void a_line_reads_back_to_the_line_it_writes(void **state) {
  (void)state;
  char *once = written(LINE("3.9", "392", "4", "0.21"));
  char *twice = written(once);
  assert_string_equal(once, twice);
  free(once);
  free(twice);
}

/* A line without "optimal" (written before it existed) reads as proven; an unproven one keeps
 * its gap and repairs through a round trip; a bad "optimal" or a missing gap is refused. */
static void optimality_reads_back(void **state) {
  (void)state;
  opt_decision d;
  opt_err e = {{0}};
  assert_true(opt_decision_parse(LINE("3.9", "392", "4", "0.21"), "t:1", &d, &e));
  assert_true(d.optimal);
  assert_true(d.gap == 0 && d.repaired == 0);
  d.optimal = false;
  d.gap = 3.05e-5;
  d.repaired = 1;
  char *json = opt_decision_to_json(&d);
  opt_decision_free(&d);
  assert_non_null(strstr(json, "\"optimal\":false,\"gap\":3.05e-05,\"repaired\":1"));
  assert_true(opt_decision_parse(json, "t:1", &d, &e));
  assert_false(d.optimal);
  assert_true(d.gap == 3.05e-5 && d.repaired == 1);
  opt_decision_free(&d);
  char *bad = malloc(strlen(json) + 16);
  char *at = strstr(json, "\"optimal\":false");
  sprintf(bad, "%.*s\"optimal\":0%s", (int)(at - json), json, at + strlen("\"optimal\":false"));
  assert_false(opt_decision_parse(bad, "t:1", &d, &e));
  assert_non_null(strstr(e.msg, "\"optimal\": expected true or false"));
  free(bad);
  free(json);
}

static void numbers_that_would_not_write_back_are_refused(void **state) {
  (void)state;
  static const struct {
    const char *line, *want;
  } bad[] = {
      {LINE("6.E624", "392", "4", "0.21"), "\"rates[0]\": expected [row, column, rate]"},
      {LINE("3.9", "1e999", "4", "0.21"), "\"time_s\": expected a number"},
      {LINE("3.9", "392", "1e300", "0.21"), "\"options.slice_factor\": expected a whole number"},
      {LINE("3.9", "392", "4.5", "0.21"), "\"options.slice_factor\": expected a whole number"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    opt_decision d;
    opt_err e = {{0}};
    assert_false(opt_decision_parse(bad[i].line, "t:1", &d, &e));
    if (!strstr(e.msg, bad[i].want)) fail_msg("expected \"%s\" in: %s", bad[i].want, e.msg);
  }
  /* the solve time is optional: one that overflows is left out, as the writer leaves it out */
  char *once = written(LINE("3.9", "392", "4", "1e999"));
  assert_null(strstr(once, "solve_ms"));
  free(once);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(a_line_reads_back_to_the_line_it_writes),
      cmocka_unit_test(numbers_that_would_not_write_back_are_refused),
      cmocka_unit_test(optimality_reads_back),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
