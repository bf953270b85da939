/* models/gosem: Go's parsers, held to upstream Go's own test tables (tests/go_tables.h).
 * Linked against podscale_models alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "go_tables.h"
#include "models/autoscalers/gosem.h"

/* The same double, bit for bit (-0.0 is not 0.0), or both NaN. */
static bool same_double(double a, double b) {
  return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}

static void parse_float_follows_atoftests(void **state) {
  (void)state;
  int wrong = 0;
  for (size_t i = 0; i < GO_N(GO_FLOAT_CASES); i++) {
    const go_float_case *c = &GO_FLOAT_CASES[i];
    double v = -12345;
    bool ok = go_parse_float(c->in, &v);
    /* gosem writes nothing on error; Go's value with an error is not part of the contract */
    if (ok != c->ok || (ok && !same_double(v, c->out))) {
      fprintf(stderr, "\"%.60s\": got %s %.17g, Go %s %.17g\n", c->in, ok ? "ok" : "error", v,
              c->ok ? "ok" : "error", c->out);
      wrong++;
    }
  }
  assert_int_equal(wrong, 0);
}

static void parse_int32_follows_parseInt32Tests(void **state) {
  (void)state;
  int wrong = 0;
  for (size_t i = 0; i < GO_N(GO_INT32_CASES); i++) {
    const go_int32_case *c = &GO_INT32_CASES[i];
    int32_t v = -5;
    bool ok = go_parse_int32(c->in, &v);
    if (ok != c->ok || (ok && v != c->out)) {
      fprintf(stderr, "\"%s\": got %s %d, Go %s %d\n", c->in, ok ? "ok" : "error", v,
              c->ok ? "ok" : "error", c->out);
      wrong++;
    }
  }
  assert_int_equal(wrong, 0);
}

static void parse_bool_follows_atobtests(void **state) {
  (void)state;
  int wrong = 0;
  for (size_t i = 0; i < GO_N(GO_BOOL_CASES); i++) {
    const go_bool_case *c = &GO_BOOL_CASES[i];
    bool v = false;
    bool ok = go_parse_bool(c->in, &v);
    if (ok != c->ok || (ok && v != c->out)) {
      fprintf(stderr, "\"%s\": got %s, Go %s\n", c->in, ok ? "ok" : "error",
              c->ok ? "ok" : "error");
      wrong++;
    }
  }
  assert_int_equal(wrong, 0);
}

static void parse_duration_follows_parseDurationTests(void **state) {
  (void)state;
  int wrong = 0;
  for (size_t i = 0; i < GO_N(GO_DURATION_CASES); i++) {
    const go_duration_case *c = &GO_DURATION_CASES[i];
    int64_t ns = 12345;
    bool ok = go_parse_duration(c->in, &ns);
    if (ok != c->ok || (ok && ns != c->out_ns)) {
      fprintf(stderr, "\"%s\": got %s %lld, Go %s %lld\n", c->in, ok ? "ok" : "error",
              (long long)ns, c->ok ? "ok" : "error", (long long)c->out_ns);
      wrong++;
    }
  }
  assert_int_equal(wrong, 0);
}

/* resource.ParseQuantity's forms (quantity_test.go's TestQuantityParse, as doubles). */
static void parse_quantity_reads_kubernetes_quantities(void **state) {
  (void)state;
  static const struct {
    const char *s;
    double want;
  } ok[] = {{"0", 0},           {"50", 50},      {"500m", 0.5},  {"1.5", 1.5},  {".5", 0.5},
            {"2.", 2},          {"+3", 3},       {"-1", -1},     {"2k", 2000},  {"1M", 1e6},
            {"1G", 1e9},        {"1E", 1e18},    {"100u", 1e-4}, {"5n", 5e-9},  {"1Ki", 1024},
            {"1.5Mi", 1572864}, {"1Ei", 0x1p60}, {"1e3", 1000},  {"1E3", 1000}, {"5e-3", 0.005},
            {"100m", 0.1},      {"1500m", 1.5},  {"0.1", 0.1}};
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    double x = NAN;
    if (!go_parse_quantity(ok[i].s, &x) || x != ok[i].want)
      fail_msg("\"%s\": got %.17g, want %.17g", ok[i].s, x, ok[i].want);
  }
  static const char *const bad[] = {"",      "m",   "1 m", " 1", "1x", "1ki",  "1e",     "1e+",
                                    "1.2.3", "--1", "1mi", "e3", ".",  "1Kii", "1e99999"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    double x;
    if (go_parse_quantity(bad[i], &x)) fail_msg("\"%s\" accepted", bad[i]);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(parse_float_follows_atoftests),
      cmocka_unit_test(parse_int32_follows_parseInt32Tests),
      cmocka_unit_test(parse_bool_follows_atobtests),
      cmocka_unit_test(parse_duration_follows_parseDurationTests),
      cmocka_unit_test(parse_quantity_reads_kubernetes_quantities),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
