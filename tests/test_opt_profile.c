/*
 * GPU profiles (optimizer/profile.h): the profile-generation vectors of AIBrix's
 * gen_profile.py, which ran it on the benchmark files
 * shipped in tests/data/aibrix-profiles; the shipped profiles read and written back byte for
 * byte; grid checks; and the errors for bad profiles, benchmark lines and options.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aibrix_vectors.h"
#include "optimizer/profile.h"
#include "testutil.h"

#define DATA PODSCALE_SOURCE_DIR "/tests/data/aibrix-profiles/"
#define A100_JSONL DATA "simulator-llama2-7b-a100.jsonl"
#define A100_JSON DATA "simulator-llama2-7b-a100.json"
#define A40_JSONL DATA "simulator-llama2-7b-a40.jsonl"
#define A40_JSON DATA "simulator-llama2-7b-a40.json"

/* --- Helpers --- */

static opt_bench read_bench(const char *path) {
  opt_bench b;
  opt_err err = {{0}};
  if (!opt_bench_read(path, &b, &err)) fail_msg("%s", err.msg);
  return b;
}

static opt_profile read_profile(const char *path) {
  opt_profile p;
  opt_err err = {{0}};
  if (!opt_profile_read(path, &p, &err)) fail_msg("%s", err.msg);
  return p;
}

/* Options from gen_profile's flags, e.g. "--e2e 5 --percentile 99 --cost 2.5". */
static opt_gen_options gen_flags(const char *gpu, double created, const char *flags) {
  static const char *const SLO_FLAGS[OPT_METRIC_COUNT] = {"--tput", "--tt",   "--e2e",
                                                          "--ttft", "--tpat", "--tpot"};
  opt_gen_options o = opt_gen_options_default(gpu, created);
  char buf[256], *save = NULL;
  snprintf(buf, sizeof buf, "%s", flags);
  for (char *f = strtok_r(buf, " ", &save); f; f = strtok_r(NULL, " ", &save)) {
    char *value = strtok_r(NULL, " ", &save);
    assert_non_null(value);
    if (!strcmp(f, "--percentile"))
      o.slos.percentile = atoi(value);
    else if (!strcmp(f, "--cost"))
      o.cost = strtod(value, NULL);
    for (int m = 0; m < OPT_METRIC_COUNT; m++)
      if (!strcmp(f, SLO_FLAGS[m])) o.slos.limit[m] = strtod(value, NULL);
  }
  return o;
}

static opt_profile generate(const opt_bench *b, const opt_gen_options *o) {
  opt_profile p;
  opt_err err = {{0}};
  if (!opt_profile_generate(b, o, &p, &err)) fail_msg("%s", err.msg);
  return p;
}

static void assert_row(const opt_profile *p, const double *m, int32_t i, const double *want) {
  for (int32_t j = 0; j < p->n_in; j++)
    assert_double_exact(m[opt_profile_at(p, i, j)], want[j]);
}

static void assert_same_values(const opt_profile *got, const opt_profile *want) {
  opt_err err = {{0}};
  if (!opt_profile_same_grid(got, want, &err)) fail_msg("%s", err.msg);
  for (int32_t k = 0; k < got->n_out * got->n_in; k++) {
    assert_double_exact(got->tputs[k], want->tputs[k]);
    assert_double_exact(got->e2e[k], want->e2e[k]);
  }
  assert_double_exact(got->cost, want->cost);
  assert_int_equal(got->slos.percentile, want->slos.percentile);
  for (int m = 0; m < OPT_METRIC_COUNT; m++)
    assert_double_exact(got->slos.limit[m], want->slos.limit[m]);
}

/* --- Section 6.2 vectors on the shipped benchmark files --- */

/* V-P1: gen_profile simulator-llama2-7b-a100 --e2e 5 --percentile 99. */
static void vp1_a100_e2e5_p99_reproduces_the_shipped_profile(void **state) {
  (void)state;
  opt_bench b = read_bench(A100_JSONL);
  opt_profile shipped = read_profile(A100_JSON);
  opt_gen_options o =
      gen_flags("simulator-llama2-7b-a100", shipped.created, "--e2e 5 --percentile 99");
  opt_profile p = generate(&b, &o);
  assert_same_values(&p, &shipped);
  assert_null(p.ttft);
  /* The worked bucket of section 2.3: out 64, in 512 keeps up at 8 req/s, not above. */
  assert_double_exact(p.tputs[opt_profile_at(&p, 4, 2)], 8.084202765314256);
  assert_double_exact(p.e2e[opt_profile_at(&p, 4, 2)], 1.041013903748244);
  char *json = opt_profile_to_json(&p), *file = tu_slurp(A100_JSON, NULL);
  assert_string_equal(json, file);
  free(json);
  free(file);
  opt_profile_free(&p);
  opt_profile_free(&shipped);
  opt_bench_free(&b);
}

/* V-P2: no SLO flags; the first 6 rows equal V-P1, rows 256 and 512 become these. With
 * --ttft 0.5 --percentile 90 the throughputs are the same, plus a ttft matrix. */
static void vp2_a100_without_slos_and_with_ttft_p90(void **state) {
  (void)state;
  static const double OUT256[] = {3.8569367968050043, 3.8474025810402654, 3.788259676585335,
                                  2.0288591107923666, 1.9483843880012008};
  static const double OUT512[] = {1.9291060162397229, 1.9183577369235485, 1.8920203624397653,
                                  1.8113469556800694, 0.9898751535559183};
  opt_bench b = read_bench(A100_JSONL);
  opt_profile shipped = read_profile(A100_JSON);
  opt_gen_options o = gen_flags("a100", 0, "");
  opt_profile p = generate(&b, &o);
  for (int32_t i = 0; i < 6; i++)
    assert_row(&p, p.tputs, i, &shipped.tputs[i * shipped.n_in]);
  assert_row(&p, p.tputs, 6, OUT256);
  assert_row(&p, p.tputs, 7, OUT512);
  char *json = opt_profile_to_json(&p);
  assert_non_null(strstr(json, "\"slos\": {\"percentile\": 0}}"));
  assert_null(strstr(json, "\"ttft\""));
  free(json);

  opt_gen_options ot = gen_flags("a100", 0, "--ttft 0.5 --percentile 90");
  opt_profile pt = generate(&b, &ot);
  for (int32_t k = 0; k < p.n_out * p.n_in; k++)
    assert_double_exact(pt.tputs[k], p.tputs[k]);
  assert_non_null(pt.ttft);
  json = opt_profile_to_json(&pt);
  assert_non_null(strstr(json, "]], \"ttft\": [["));
  assert_non_null(strstr(json, "\"slos\": {\"percentile\": 90, \"ttft\": 0.5}}"));
  free(json);
  opt_profile_free(&pt);
  opt_profile_free(&p);
  opt_profile_free(&shipped);
  opt_bench_free(&b);
}

/* V-P3: gen_profile simulator-llama2-7b-a40 --e2e 5 --percentile 99 --cost 0.3. */
static void vp3_a40_e2e5_p99_cost03(void **state) {
  (void)state;
  static const double TPUTS[8][5] = {
      {31.27979562792885, 16.437690887352556, 8.388167072977168, 4.240887079416033,
       2.1188288031826015},
      {30.322196458076718, 16.143744111958988, 8.30749664354739, 4.201412045104191,
       2.0969217209808613},
      {15.65481089870355, 14.791607877745344, 8.099678750319264, 4.132450258328595,
       2.080416351227587},
      {14.53647197417589, 7.988279383679795, 7.575132651417761, 3.9798869910947983,
       1.0723851384895906},
      {7.429433614342273, 7.316096204590208, 3.981604601798121, 2.0772145516687512, 0.0},
      {3.7285408143619883, 2.018186239477635, 1.0474780818844678, 0.0, 0.0},
      {0.0, 0.0, 0.0, 0.0, 0.0},
      {0.0, 0.0, 0.0, 0.0, 0.0}};
  static const double E2E_FIRST[] = {0.22268811204005032, 0.2860537079401547, 0.45242629456042777,
                                     0.6809599303502182, 1.1768343095696765};
  /* No rate qualifies: the means of each bucket's first E2E line. */
  static const double E2E_LAST[] = {16.95308339631156, 18.759461743351856, 23.423177411239593,
                                    25.09061423669016, 71.56667676835976};
  opt_bench b = read_bench(A40_JSONL);
  opt_gen_options o = gen_flags("a40", 0, "--e2e 5 --percentile 99 --cost 0.3");
  opt_profile p = generate(&b, &o);
  assert_int_equal(p.n_out, 8);
  assert_int_equal(p.n_in, 5);
  for (int32_t i = 0; i < 8; i++)
    assert_row(&p, p.tputs, i, TPUTS[i]);
  assert_row(&p, p.e2e, 0, E2E_FIRST);
  assert_row(&p, p.e2e, 7, E2E_LAST);
  assert_double_exact(p.cost, 0.3);
  opt_profile_free(&p);
  opt_bench_free(&b);
}

/* V-P4 is the older generator (commit 68ff2920) making the shipped a40 profile. That generator
 * is not implemented; its output must still read: no e2e, no slos, the tputs of section 7. */
static void vp4_older_a40_profile_reads(void **state) {
  (void)state;
  opt_profile p = read_profile(A40_JSON);
  static const int32_t OUT[] = {4, 8, 16, 32, 64, 128, 256, 512},
                       IN[] = {128, 256, 512, 1024, 2048};
  assert_string_equal(p.gpu, "simulator-llama2-7b-a40");
  assert_double_exact(p.cost, 0.3);
  assert_true(p.has_created);
  assert_double_exact(p.created, 1732598726.235767);
  assert_int_equal(p.n_out, 8);
  assert_int_equal(p.n_in, 5);
  assert_memory_equal(p.out_tokens, OUT, sizeof OUT);
  assert_memory_equal(p.in_tokens, IN, sizeof IN);
  assert_double_exact(p.tputs[opt_profile_at(&p, 0, 0)], 53.46768813782049);
  assert_double_exact(p.tputs[opt_profile_at(&p, 1, 4)], 3.908221660884725);
  assert_double_exact(p.tputs[opt_profile_at(&p, 7, 4)], 0.5042209229511221);
  assert_null(p.e2e);
  assert_null(p.ttft);
  assert_false(p.has_slos);
  opt_profile_free(&p);
}

/* V-P5 and the rules it pins, on synthetic benchmark runs: one output length (4), inputs 128
 * (bucket A) and 256 (bucket B), five lines per run, TTFT 0.01 everywhere. */

typedef struct run {
  int32_t in, out;
  double rate, tput, e2e_mean, e2e_p99; /* E2E P50 = mean, P90 = P99 */
  const char *omit;                     /* a metric whose line is left out, or NULL */
} run;

static char *bench_text(const run *runs) {
  size_t cap = 1 << 14, len = 0;
  char *s = malloc(cap);
  s[0] = '\0';
  for (const run *r = runs; r->in; r++) {
    const struct {
      const char *metric;
      double mean, p50, p99;
    } lines[] = {{"TPUT", r->tput, NAN, NAN},
                 {"TT", r->tput * r->out, NAN, NAN},
                 {"E2E", r->e2e_mean, r->e2e_mean, r->e2e_p99},
                 {"TTFT", 0.01, 0.01, 0.01},
                 {"TPOT", 0.0, 0.0, 0.0}};
    for (size_t k = 0; k < 5; k++) {
      if (r->omit && !strcmp(r->omit, lines[k].metric)) continue;
      len += (size_t)snprintf(s + len, cap - len,
                              "{\"input_tokens\": %d, \"output_tokens\": %d, \"request_rate\": "
                              "%.17g, \"seed\": 0, \"model\": \"m\", \"samples\": 100, "
                              "\"metric\": \"%s\", \"mean\": %.17g",
                              r->in, r->out, r->rate, lines[k].metric, lines[k].mean);
      if (!isnan(lines[k].p50))
        len +=
            (size_t)snprintf(s + len, cap - len, ", \"P50\": %.17g, \"P90\": %.17g, \"P99\": %.17g",
                             lines[k].p50, lines[k].p99, lines[k].p99);
      len += (size_t)snprintf(s + len, cap - len, "}\n");
      assert_true(len < cap);
    }
  }
  return s;
}

/* in, out, rate, TPUT, E2E mean, E2E P99 */
// clang-format off
#define VP5_RUNS                                                                                   \
  {128, 4, 1, 0.80, 1.0, 2, NULL}, {128, 4, 2, 1.50, 1.5, 3, NULL}, {128, 4, 4, 3.00, 2.0, 4, NULL}, \
  {256, 4, 1, 1.00, 1.0, 2, NULL}, {256, 4, 2, 1.95, 2.0, 4, NULL}, {256, 4, 4, 3.90, 3.0, 5.0, NULL}
// clang-format on
#define SYN_HEAD "{\"gpu\": \"syn\", \"cost\": 1.0, \"tputs\": "

typedef struct gen_row {
  const char *name;
  run runs[8];        /* up to 7, ended by the zeroed rest */
  const char *flags;  /* gen_profile's flags */
  const char *expect; /* the whole profile (created 1700000000.5), or the error message */
} gen_row;

static const gen_row GEN_ROWS[] = {
    {"vp5_p99_e2e5_A_falls_back_to_lowest_rate_B_p99_equal_to_limit_fails_strict_less",
     {VP5_RUNS},
     "--e2e 5 --percentile 99 --cost 2.5",
     "{\"gpu\": \"syn\", \"cost\": 2.5, \"tputs\": [[0.8, 1.95]], \"indexes\": [[4], [128, 256]], "
     "\"created\": 1700000000.5, \"e2e\": [[1.0, 2.0]], \"slos\": {\"percentile\": 99, \"e2e\": "
     "5.0}}"},
    {"vp5_no_slos_B_keeps_up_to_the_highest_rate",
     {VP5_RUNS},
     "",
     SYN_HEAD "[[0.8, 3.9]], \"indexes\": [[4], [128, 256]], \"created\": 1700000000.5, \"e2e\": "
              "[[1.0, 3.0]], \"slos\": {\"percentile\": 0}}"},
    {"vp5_mean_e2e_1.5_strict_less_keeps_only_rate_1",
     {VP5_RUNS},
     "--e2e 1.5",
     SYN_HEAD "[[0.8, 1.0]], \"indexes\": [[4], [128, 256]], \"created\": 1700000000.5, \"e2e\": "
              "[[1.0, 1.0]], \"slos\": {\"percentile\": 0, \"e2e\": 1.5}}"},
    {"vp5_nothing_qualifies_tput_0_with_first_e2e_and_ttft_means",
     {VP5_RUNS},
     "--e2e 0.5 --ttft 1 --tput 1.9",
     SYN_HEAD
     "[[0.0, 0.0]], \"indexes\": [[4], [128, 256]], \"created\": 1700000000.5, \"e2e\": "
     "[[1.0, 1.0]], \"ttft\": [[0.01, 0.01]], \"slos\": {\"percentile\": 0, \"tput\": 1.9, "
     "\"e2e\": 0.5, \"ttft\": 1.0}}"},
    {"throughput_slo_is_inclusive_and_fallback_is_the_lowest_qualifying_rate",
     {VP5_RUNS},
     "--tput 1",
     SYN_HEAD "[[1.5, 3.9]], \"indexes\": [[4], [128, 256]], \"created\": 1700000000.5, \"e2e\": "
              "[[1.5, 3.0]], \"slos\": {\"percentile\": 0, \"tput\": 1.0}}"},
    {"tpat_slo_divides_e2e_by_input_plus_output_tokens",
     {VP5_RUNS},
     "--tpat 0.01",
     SYN_HEAD "[[0.8, 1.95]], \"indexes\": [[4], [128, 256]], \"created\": 1700000000.5, \"e2e\": "
              "[[1.0, 2.0]], \"slos\": {\"percentile\": 0, \"tpat\": 0.01}}"},
    {"keeps_up_at_tput_equal_to_rate_times_0.9",
     {{128, 4, 4, 3.6, 1, 1, NULL}, {128, 4, 8, 7.2, 1, 1, NULL}},
     "",
     SYN_HEAD "[[7.2]], \"indexes\": [[4], [128]], \"created\": 1700000000.5, \"e2e\": [[1.0]], "
              "\"slos\": {\"percentile\": 0}}"},
    {"does_not_keep_up_one_ulp_below_rate_times_0.9",
     {{128, 4, 4, 3.6, 1, 1, NULL}, {128, 4, 8, 7.199999999999999, 1, 1, NULL}},
     "",
     SYN_HEAD "[[3.6]], \"indexes\": [[4], [128]], \"created\": 1700000000.5, \"e2e\": [[1.0]], "
              "\"slos\": {\"percentile\": 0}}"},
    {"rate_missing_a_metric_line_never_qualifies",
     {{128, 4, 1, 1.0, 1, 1, NULL}, {128, 4, 2, 2.0, 2, 2, "TPOT"}},
     "",
     SYN_HEAD "[[1.0]], \"indexes\": [[4], [128]], \"created\": 1700000000.5, \"e2e\": [[1.0]], "
              "\"slos\": {\"percentile\": 0}}"},
    {"empty_bucket_is_an_error_where_gen_profile_raises_index_error",
     {{128, 4, 1, 1.0, 1, 1, NULL}, {256, 8, 1, 1.0, 1, 1, NULL}},
     "",
     "syn.jsonl: output_tokens 4, input_tokens 256: no rate meets the SLOs, and no E2E line gives "
     "a value to report"},
    {"ttft_slo_without_ttft_lines_is_an_error",
     {{128, 4, 1, 1.0, 1, 1, "TTFT"}},
     "--ttft 1",
     "syn.jsonl: output_tokens 4, input_tokens 128: no rate meets the SLOs, and no TTFT line "
     "gives a value to report"},
    {"percentile_must_be_one_the_benchmark_has",
     {VP5_RUNS},
     "--percentile 75",
     "gen-profile: --percentile: expected 0, 50, 90 or 99, found 75"},
    {"slo_must_be_a_number",
     {VP5_RUNS},
     "--e2e nan",
     "gen-profile: --e2e: expected a finite number, found nan"},
    {"set_slo_must_be_finite",
     {VP5_RUNS},
     "--tput inf",
     "gen-profile: --tput: expected a finite number, found inf"},
    {"cost_must_not_be_negative",
     {VP5_RUNS},
     "--cost -1",
     "gen-profile: --cost: expected a number >= 0, found -1"},
};

static void generation_rules_and_errors(void **state) {
  (void)state;
  for (size_t r = 0; r < sizeof GEN_ROWS / sizeof GEN_ROWS[0]; r++) {
    const gen_row *row = &GEN_ROWS[r];
    print_message("%s\n", row->name);
    char *text = bench_text(row->runs);
    opt_bench b;
    opt_err err = {{0}};
    if (!opt_bench_parse(text, "syn.jsonl", &b, &err)) fail_msg("%s", err.msg);
    opt_gen_options o = gen_flags("syn", 1700000000.5, row->flags);
    opt_profile p;
    if (opt_profile_generate(&b, &o, &p, &err)) {
      char *json = opt_profile_to_json(&p);
      assert_string_equal(json, row->expect);
      free(json);
      opt_profile_free(&p);
    } else {
      assert_string_equal(err.msg, row->expect);
    }
    opt_bench_free(&b);
    free(text);
  }
}

/* --- Round trips --- */

static void assert_round_trip(const char *path) {
  char dir[64], out[128];
  tu_tmpdir(dir);
  snprintf(out, sizeof out, "%s/p.json", dir);
  opt_profile p = read_profile(path);
  opt_err err = {{0}};
  if (!opt_profile_write(out, &p, &err)) fail_msg("%s", err.msg);
  size_t n_want, n_got;
  char *want = tu_slurp(path, &n_want), *got = tu_slurp(out, &n_got);
  assert_int_equal(n_got, n_want);
  assert_string_equal(got, want);
  free(want);
  free(got);
  opt_profile_free(&p);
  tu_rmrf(dir);
}

static void a100_profile_round_trips_byte_for_byte(void **state) {
  (void)state;
  assert_round_trip(A100_JSON);
}

static void older_a40_profile_round_trips_byte_for_byte(void **state) {
  (void)state;
  assert_round_trip(A40_JSON);
}

/* The oldest profiles (a100_obsoleted_v1) have no "created"; Python's floats and escapes. */
static void profile_without_created_and_python_number_forms_round_trip(void **state) {
  (void)state;
  static const char *const TEXTS[] = {
      "{\"gpu\": \"v1\", \"cost\": 1.0, \"tputs\": [[62.4771, 0.0]], \"indexes\": [[4], [128, "
      "256]]}",
      "{\"gpu\": \"ns/caf\\u00e9 \\\"q\\\" \\ud83d\\ude00\", \"cost\": 0.5, \"tputs\": [[1e-05, "
      "0.0001]], \"indexes\": [[4], [128, 256]], \"created\": 1e+16, \"e2e\": [[1.5e+300, 2.0]], "
      "\"slos\": {\"percentile\": 50, \"tt\": 12.0, \"tpot\": 0.05}}",
  };
  for (size_t k = 0; k < 2; k++) {
    opt_profile p;
    opt_err err = {{0}};
    if (!opt_profile_parse(TEXTS[k], "text", &p, &err)) fail_msg("%s", err.msg);
    char *json = opt_profile_to_json(&p);
    assert_string_equal(json, TEXTS[k]);
    free(json);
    assert_int_equal(p.has_created, k == 1);
    opt_profile_free(&p);
  }
}

/* --- Grids --- */

static void shipped_profiles_share_one_grid(void **state) {
  (void)state;
  opt_profile a = read_profile(A100_JSON), b = read_profile(A40_JSON);
  opt_err err = {{0}};
  assert_true(opt_profile_same_grid(&a, &b, &err));
  opt_profile_free(&a);
  opt_profile_free(&b);
}

/* A profile named NAME with zero throughputs on the grid INDEXES. */
#define GRID_PROFILE(name, tputs, indexes)                                                         \
  "{\"gpu\": \"" name "\", \"cost\": 1.0, \"tputs\": " tputs ", \"indexes\": " indexes "}"

static void grid_mismatch_names_both_profiles_and_the_first_differing_tick(void **state) {
  (void)state;
  static const struct {
    const char *a, *b, *expect;
  } ROWS[] = {
      {GRID_PROFILE("a", "[[0.0, 0.0]]", "[[4], [128, 256]]"),
       GRID_PROFILE("b", "[[0.0, 0.0]]", "[[4], [128, 512]]"),
       "profiles \"a\" and \"b\" have different grids: $.indexes[1][1] (input tokens) is 256 in "
       "\"a\" but 512 in \"b\"; to solve them together, benchmark \"b\" on \"a\"'s grid: "
       "--input-start 128 --input-limit 256 --output-start 4 --output-limit 4"},
      {GRID_PROFILE("a", "[[0.0], [0.0], [0.0]]", "[[4, 8, 16], [128]]"),
       GRID_PROFILE("b", "[[0.0], [0.0]]", "[[4, 8], [128]]"),
       "profiles \"a\" and \"b\" have different grids: $.indexes[0][2] (output tokens) is 16 in "
       "\"a\" but absent in \"b\"; to solve them together, benchmark \"b\" on \"a\"'s grid: "
       "--input-start 128 --input-limit 128 --output-start 4 --output-limit 16"},
      {GRID_PROFILE("a", "[[0.0]]", "[[4], [128]]"),
       GRID_PROFILE("b", "[[0.0], [0.0]]", "[[2, 4], [128]]"),
       "profiles \"a\" and \"b\" have different grids: $.indexes[0][0] (output tokens) is 4 in "
       "\"a\" but 2 in \"b\"; to solve them together, benchmark \"b\" on \"a\"'s grid: "
       "--input-start 128 --input-limit 128 --output-start 4 --output-limit 4"},
  };
  for (size_t r = 0; r < sizeof ROWS / sizeof ROWS[0]; r++) {
    opt_profile a, b;
    opt_err err = {{0}};
    if (!opt_profile_parse(ROWS[r].a, "a", &a, &err) ||
        !opt_profile_parse(ROWS[r].b, "b", &b, &err))
      fail_msg("%s", err.msg);
    assert_false(opt_profile_same_grid(&a, &b, &err));
    assert_string_equal(err.msg, ROWS[r].expect);
    opt_profile_free(&a);
    opt_profile_free(&b);
  }
}

/* --- Bad input --- */

static void bad_profiles_are_errors_naming_the_json_path(void **state) {
  (void)state;
#define GRID "\"indexes\": [[4, 8], [128]]"
  static const struct {
    const char *text, *expect;
  } ROWS[] = {
      {"{\"gpu\": ", "p.json: expected a JSON profile, found invalid JSON at line 1, column 9"},
      {"[1]", "p.json: expected a JSON object, found an array of 1"},
      {"{\"cost\": 1.0}", "p.json: $.gpu: expected a string (the deployment), found nothing"},
      {"{\"gpu\": \"g\", \"cost\": -1}", "p.json: $.cost: expected a number >= 0, found -1"},
      {"{\"gpu\": \"g\", \"cost\": 1, \"indexes\": [[4]]}",
       "p.json: $.indexes: expected [[output ticks], [input ticks]], found an array of 1"},
      {"{\"gpu\": \"g\", \"cost\": 1, \"indexes\": [[4, 4], [128]]}",
       "p.json: $.indexes[0][1]: expected a tick above the previous one (4), found 4"},
      {"{\"gpu\": \"g\", \"cost\": 1, \"indexes\": [[4], [128.5]]}",
       "p.json: $.indexes[1][0]: expected a whole number of tokens >= 1, found 128.5"},
      {"{\"gpu\": \"g\", \"cost\": 1, " GRID ", \"tputs\": [[1.0]]}",
       "p.json: $.tputs: expected an array of 2 rows (one per output tick), found an array of 1"},
      {"{\"gpu\": \"g\", \"cost\": 1, " GRID ", \"tputs\": [[1.0], [1.0, 2.0]]}",
       "p.json: $.tputs[1]: expected an array of 1 numbers (one per input tick), found an array "
       "of 2"},
      {"{\"gpu\": \"g\", \"cost\": 1, " GRID ", \"tputs\": [[1.0], [-0.5]]}",
       "p.json: $.tputs[1][0]: expected a number >= 0, found -0.5"},
      {"{\"gpu\": \"g\", \"cost\": 1, " GRID ", \"tputs\": [[1], [2]], \"e2e\": [[\"x\"], [1]]}",
       "p.json: $.e2e[0][0]: expected a number >= 0, found \"x\""},
      {"{\"gpu\": \"g\", \"cost\": 1, " GRID ", \"tputs\": [[1], [2]], \"slos\": {\"e2e\": 5}}",
       "p.json: $.slos.percentile: expected 0, 50, 90 or 99, found nothing"},
      {"{\"gpu\": \"g\", \"cost\": 1, " GRID ", \"tputs\": [[1], [2]], \"slos\": {\"percentile\": "
       "99, \"e2e\": null}}",
       "p.json: $.slos.e2e: expected a number, found null"},
  };
#undef GRID
  for (size_t r = 0; r < sizeof ROWS / sizeof ROWS[0]; r++) {
    opt_profile p;
    opt_err err = {{0}};
    assert_false(opt_profile_parse(ROWS[r].text, "p.json", &p, &err));
    assert_string_equal(err.msg, ROWS[r].expect);
    assert_null(p.gpu); /* nothing left allocated */
  }
  opt_profile p;
  opt_err err = {{0}};
  assert_false(opt_profile_read(DATA "missing.json", &p, &err));
  assert_non_null(strstr(err.msg, "missing.json: cannot open: "));
}

#define LINE(metric, tail)                                                                         \
  "{\"input_tokens\": 128, \"output_tokens\": 4, \"request_rate\": 1.0, \"seed\": 0, "             \
  "\"metric\": \"" metric "\", \"mean\": 0.5" tail "}\n"
#define PS ", \"P50\": 0.5, \"P90\": 0.6, \"P99\": 0.7"

static void bad_benchmark_lines_are_errors_with_file_and_line(void **state) {
  (void)state;
  static const struct {
    const char *text, *expect;
  } ROWS[] = {
      {LINE("TPUT", "") "\n{\"input_tokens\": 1\n",
       "b.jsonl:3: expected a JSON object, found invalid JSON at column 19"},
      {LINE("TPUT", "") "[1, 2]\n", "b.jsonl:2: expected a JSON object, found an array of 2"},
      {LINE("E2E", ", \"P50\": 0.5, \"P90\": 0.6"),
       "b.jsonl:1: \"P99\": expected a number >= 0 (E2E, TTFT and TPOT lines have P50, P90, P99), "
       "found nothing"},
      {LINE("TPAT", PS), "b.jsonl:1: \"metric\": expected TPUT, TT, E2E, TTFT or TPOT, found "
                         "\"TPAT\""},
      {"{\"metric\": \"TT\", \"input_tokens\": 12.5}",
       "b.jsonl:1: \"input_tokens\": expected a whole number of tokens >= 1, found 12.5"},
      {"{\"metric\": \"TT\", \"input_tokens\": 1, \"output_tokens\": \"4\"}",
       "b.jsonl:1: \"output_tokens\": expected a whole number of tokens >= 1, found \"4\""},
      {"{\"metric\": \"TT\", \"input_tokens\": 1, \"output_tokens\": 4, \"request_rate\": 0}",
       "b.jsonl:1: \"request_rate\": expected a rate > 0 (req/s), found 0"},
      {LINE("TTFT", ", \"P50\": -1, \"P90\": 0.6, \"P99\": 0.7"),
       "b.jsonl:1: \"P50\": expected a number >= 0 (E2E, TTFT and TPOT lines have P50, P90, P99), "
       "found -1"},
      {"\n  \n", "b.jsonl: expected benchmark lines, found none"},
  };
  for (size_t r = 0; r < sizeof ROWS / sizeof ROWS[0]; r++) {
    opt_bench b;
    opt_err err = {{0}};
    assert_false(opt_bench_parse(ROWS[r].text, "b.jsonl", &b, &err));
    assert_string_equal(err.msg, ROWS[r].expect);
    assert_null(b.recs);
  }
}

static void benchmark_lines_keep_file_order_and_line_numbers(void **state) {
  (void)state;
  opt_bench b = read_bench(A100_JSONL); /* line 1 is blank */
  assert_int_equal(b.n, 1400);
  assert_int_equal(b.recs[0].line, 2);
  assert_int_equal(b.recs[0].metric, OPT_METRIC_TPUT);
  assert_true(isnan(b.recs[0].p99));
  const opt_bench_record *e2e = &b.recs[2];
  assert_int_equal(e2e->metric, OPT_METRIC_E2E);
  assert_int_equal(e2e->input_tokens, 128);
  assert_int_equal(e2e->output_tokens, 4);
  assert_double_exact(e2e->request_rate, 1.0);
  assert_double_exact(e2e->mean, 0.5771615283563734);
  assert_double_exact(e2e->p99, 3.8811742244416414);
  assert_int_equal(b.recs[1399].line, 1401);
  opt_bench_free(&b);
}

/* Python's repr of floats, as json.dumps writes them (values checked against CPython 3.11). */
static void floats_are_written_as_python_repr(void **state) {
  (void)state;
  static const struct {
    double x;
    const char *repr;
  } cases[] = {{20.0, "20.0"},
               {100.0, "100.0"},
               {0.1, "0.1"},
               {1e-05, "1e-05"},
               {0.0001, "0.0001"},
               {1e16, "1e+16"},
               {-0.5, "-0.5"},
               {0.0, "0.0"},
               {15.895322308655688, "15.895322308655688"},
               {123456789012345678.0, "1.2345678901234568e+17"},
               {64.0, "64.0"}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char buf[40];
    opt_float_repr(cases[i].x, buf, sizeof buf);
    if (strcmp(buf, cases[i].repr) != 0)
      fail_msg("%.17g: %s, expected %s", cases[i].x, buf, cases[i].repr);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(floats_are_written_as_python_repr),
      cmocka_unit_test(vp1_a100_e2e5_p99_reproduces_the_shipped_profile),
      cmocka_unit_test(vp2_a100_without_slos_and_with_ttft_p90),
      cmocka_unit_test(vp3_a40_e2e5_p99_cost03),
      cmocka_unit_test(vp4_older_a40_profile_reads),
      cmocka_unit_test(generation_rules_and_errors),
      cmocka_unit_test(a100_profile_round_trips_byte_for_byte),
      cmocka_unit_test(older_a40_profile_round_trips_byte_for_byte),
      cmocka_unit_test(profile_without_created_and_python_number_forms_round_trip),
      cmocka_unit_test(shipped_profiles_share_one_grid),
      cmocka_unit_test(grid_mismatch_names_both_profiles_and_the_first_differing_tick),
      cmocka_unit_test(bad_profiles_are_errors_naming_the_json_path),
      cmocka_unit_test(bad_benchmark_lines_are_errors_with_file_and_line),
      cmocka_unit_test(benchmark_lines_keep_file_order_and_line_numbers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
