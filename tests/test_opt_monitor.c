/*
 * The load monitor (optimizer/monitor.h) against AIBrix's: the gateway trace-key vectors and
 * the key quirk, GatewayLoadReader's own tests and
 * every meta_v version, the writer's bytes (Go's json.Marshal) and the round trip, the
 * Centeroid.get_signature vectors of section 6.4, DBSCAN on hand-made point sets, the moving
 * window at its sub-window boundaries, and the end-to-end monitor run of section 6.7.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "aibrix_vectors.h"
#include "base/clock.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "optimizer/monitor.h"

#define S 1000000LL /* one second in microseconds */
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#define assert_near(got, want, tol)                                                                \
  do {                                                                                             \
    double g_ = (got), w_ = (want);                                                                \
    if (!(fabs(g_ - w_) <= (tol))) {                                                               \
      print_error("%s = %.17g, expected %.17g +- %g\n", #got, g_, w_, (double)(tol));              \
      fail();                                                                                      \
    }                                                                                              \
  } while (0)

/* python/aibrix/tests/gpu_optimizer/test_gatewayloadreader.py, test_parse_profiles_v2. */
static const char V2_RECORD[] =
    "{\"103:46\":1,\"103:50\":1,\"103:56\":1,\"103:60\":1,\"103:66\":1,\"104:53\":1,\"104:54\":1,"
    "\"105:60\":1,\"113:57\":1,\"113:59\":1,\"119:57\":1,\"119:59\":1,\"120:56\":1,\"120:58\":1,"
    "\"120:60\":3,\"120:62\":2,\"121:56\":2,\"121:60\":1,\"125:38\":1,\"125:53\":2,\"125:54\":1,"
    "\"126:52\":3,\"126:55\":1,\"126:56\":1,\"126:60\":1,\"126:61\":1,\"126:63\":1,\"126:68\":1,"
    "\"127:53\":1,\"127:57\":1,\"130:40\":1,\"130:49\":1,\"130:56\":1,\"79:46\":1,\"79:48\":2,"
    "\"79:49\":2,\"79:50\":1,\"79:52\":2,\"80:46\":1,\"80:48\":1,\"80:49\":2,\"80:50\":2,\"80:51\":"
    "1,"
    "\"80:52\":4,\"81:48\":1,\"81:49\":1,\"81:52\":2,\"82:50\":1,\"82:51\":1,\"83:10\":1,\"83:47\":"
    "1,"
    "\"83:48\":3,\"83:49\":2,\"83:52\":1,\"84:48\":2,\"84:49\":1,\"84:50\":2,\"84:52\":1,\"85:47\":"
    "1,"
    "\"85:49\":1,\"85:51\":2,\"86:51\":1,\"87:49\":1,\"meta_interval_sec\":10,\"meta_precision\":"
    "10,"
    "\"meta_v\":2}";
#define V2_TS 1735693670LL

/* test_parse_profiles_v3: the same entries with meta_v 3, total 90, pending 10. */
static char *v3_record(void) {
  static const char tail[] = "\"meta_v\":2}";
  static const char v3_tail[] = "\"meta_v\":3,\"meta_total_reqs\":90,\"meta_pending_reqs\":10}";
  size_t head = strlen(V2_RECORD) - strlen(tail);
  char *s = malloc(head + sizeof v3_tail);
  memcpy(s, V2_RECORD, head);
  memcpy(s + head, v3_tail, sizeof v3_tail);
  return s;
}

static int64_t sum_counts(const opt_trace *t) {
  int64_t n = 0;
  for (size_t i = 0; i < t->n_cells; i++)
    n += t->cells[i].count;
  return n;
}

/* A trace over caller-owned cells (never passed to opt_trace_free). */
static opt_trace trace_of(int64_t ts_s, opt_trace_cell *cells, size_t n, int64_t total) {
  opt_trace t;
  opt_trace_init(&t, ts_s);
  t.cells = cells;
  t.n_cells = n;
  t.total_reqs = total;
  t.built = false;
  return t;
}

/* The a100 profile's grid (tests/data/aibrix-profiles/simulator-llama2-7b-a100.json). */
static const int32_t A100_OUT[] = {4, 8, 16, 32, 64, 128, 256, 512};
static const int32_t A100_IN[] = {128, 256, 512, 1024, 2048};
static const opt_grid A100_GRID = {A100_OUT, NELEM(A100_OUT), A100_IN, NELEM(A100_IN)};

/* ------------------------------------------------------------------------------------------
 * Keys (section 4.1, 6.6)
 * ------------------------------------------------------------------------------------------ */

static int64_t exact_key(int64_t tokens) { return (int64_t)llround(log2((double)tokens) * 10); }

/* Section 6.6: of k = 0..200, float64 (k * 0.1) / 0.1 truncates to k - 1 exactly for these. */
static const int64_t QUIRK_KEYS[] = {43, 81, 86, 91, 162, 167, 172, 177, 182, 187};

static bool is_quirk_key(int64_t k) {
  for (size_t i = 0; i < NELEM(QUIRK_KEYS); i++)
    if (QUIRK_KEYS[i] == k) return true;
  return false;
}

static void gateway_key_quirk_writes_k_minus_1_for_the_ten_keys_of_6_6(void **state) {
  (void)state;
  for (size_t i = 0; i < NELEM(QUIRK_KEYS); i++) {
    int64_t k = QUIRK_KEYS[i];
    int64_t n = llround(pow(2.0, (double)k / 10)); /* a token count whose key is k */
    assert_int_equal(exact_key(n), k);
    assert_int_equal(opt_trace_bucket_key(n), k - 1);
  }
  assert_int_equal(opt_trace_bucket_key(20), 42); /* 10 log2 20 = 43.2 -> 43, written "42" */
}

/* Up to 2^20 tokens (keys up to 200): lowered exactly for the ten keys; 23,122 of the counts
 * 1..200000 are. */
static void gateway_key_quirk_lowers_23122_token_counts_up_to_200000(void **state) {
  (void)state;
  int64_t lowered = 0;
  for (int64_t n = 1; n <= (1 << 20); n++) {
    int64_t k = exact_key(n), got = opt_trace_bucket_key(n);
    if (got != (is_quirk_key(k) ? k - 1 : k)) {
      print_error("%" PRId64 " tokens: key %" PRId64 ", round(10 log2) %" PRId64 "\n", n, got, k);
      fail();
    }
    lowered += n <= 200000 && got != k;
  }
  assert_int_equal(lowered, 23122);
}

static void gateway_key_is_0_for_tokens_up_to_1(void **state) {
  (void)state;
  assert_int_equal(opt_trace_bucket_key(-5), 0);
  assert_int_equal(opt_trace_bucket_key(0), 0);
  assert_int_equal(opt_trace_bucket_key(1), 0);
  assert_int_equal(opt_trace_bucket_key(2), 10);
  assert_int_equal(opt_trace_bucket_key(128), 70);
}

static void trace_key_name_alignment_and_read_schedule(void **state) {
  (void)state;
  char buf[128];
  assert_true(opt_trace_key("llama2-7b", V2_TS, buf, sizeof buf));
  assert_string_equal(buf, "aibrix:llama2-7b_request_trace_1735693670");
  assert_false(opt_trace_key("llama2-7b", V2_TS, buf, 20));
  /* roundT = now - now mod 10; the reader aligns the same way. */
  assert_int_equal(opt_trace_key_ts(V2_TS * S, 10), V2_TS);
  assert_int_equal(opt_trace_key_ts((V2_TS + 9) * S + 999999, 10), V2_TS);
  assert_int_equal(opt_trace_key_ts((V2_TS + 10) * S, 10), V2_TS + 10);
  /* Reads at +2 s: key T; a second read in the same interval sees nothing new. */
  assert_int_equal(opt_trace_due_key((V2_TS + 2) * S, V2_TS - 10, 10), V2_TS);
  assert_int_equal(opt_trace_due_key((V2_TS + 7) * S, V2_TS, 10), -1);
  assert_int_equal(opt_trace_due_key((V2_TS + 12) * S, V2_TS, 10), V2_TS + 10);
  assert_int_equal(opt_trace_next_read_us(V2_TS, 10), (V2_TS + 12) * S);
}

/* ------------------------------------------------------------------------------------------
 * Parsing (section 4.1, 6.1, 6.6)
 * ------------------------------------------------------------------------------------------ */

static void gatewayloadreader_parse_profiles_v2(void **state) {
  (void)state;
  for (int pass = 0; pass < 2; pass++) { /* the second parse does not accumulate */
    opt_trace t;
    opt_err e;
    assert_true(opt_trace_parse(V2_RECORD, "v2", V2_TS, 10, &t, &e));
    assert_int_equal(t.n_cells, 63);
    assert_int_equal(sum_counts(&t), 85);
    assert_int_equal(t.total_reqs, 85);
    assert_int_equal(t.pending_reqs, 0);
    assert_int_equal(t.version, 2);
    assert_int_equal(t.interval_s, 10);
    assert_int_equal(t.precision, 10);
    assert_int_equal(t.ts_s, V2_TS);
    opt_trace_free(&t);
  }
}

static void gatewayloadreader_parse_profiles_v3(void **state) {
  (void)state;
  char *json = v3_record();
  opt_trace t;
  opt_err e;
  assert_true(opt_trace_parse(json, "v3", V2_TS, 10, &t, &e));
  assert_int_equal(t.n_cells, 63);
  assert_int_equal(sum_counts(&t), 85);
  assert_int_equal(t.total_reqs, 90);
  assert_int_equal(t.pending_reqs, 10);
  assert_double_exact(opt_trace_rate(&t), 9.0);
  opt_trace_free(&t);
  free(json);
}

static void gatewayloadreader_get_rate_ignores_pending(void **state) {
  (void)state;
  opt_trace t;
  opt_trace_init(&t, 0);
  t.total_reqs = 40;
  assert_double_exact(opt_trace_rate(&t), 4.0);
  t.pending_reqs = 8;
  assert_double_exact(opt_trace_rate(&t), 4.0);
}

static void gateway_trace_parse_example_of_6_6(void **state) {
  (void)state;
  const char *json = "{\"103:46\":1,\"79:48\":2,\"meta_v\":3,\"meta_precision\":10,"
                     "\"meta_interval_sec\":10,\"meta_total_reqs\":5,\"meta_pending_reqs\":1}";
  opt_trace t;
  opt_err e;
  assert_true(opt_trace_parse(json, "k", 1000, 10, &t, &e));
  assert_int_equal(t.n_cells, 2);
  /* records (T, 10.3, 4.6, 1) and (T, 7.9, 4.8, 2): input, output in log2, count */
  assert_double_exact((double)t.cells[0].in_key / (double)t.precision, 10.3);
  assert_double_exact((double)t.cells[0].out_key / (double)t.precision, 4.6);
  assert_int_equal(t.cells[0].count, 1);
  assert_double_exact((double)t.cells[1].in_key / (double)t.precision, 7.9);
  assert_double_exact((double)t.cells[1].out_key / (double)t.precision, 4.8);
  assert_int_equal(t.cells[1].count, 2);
  assert_int_equal(t.total_reqs, 5);
  assert_int_equal(t.pending_reqs, 1);
  assert_double_exact(opt_trace_rate(&t), 0.5);
  opt_trace_free(&t);
}

typedef struct version_row {
  const char *name;
  const char *json;
  int64_t v1_interval_s; /* the reader's interval, for v1 */
  int64_t version, interval_s, precision, total, pending, queueing;
  size_t n_cells;
} version_row;

static const version_row VERSION_ROWS[] = {
    {"v1: no meta, precision 1, total = sum", "{\"7:5\":2,\"8:4\":1}", 10, 1, 10, 1, 3, 0, 0, 2},
    {"v1 takes the reader's interval", "{\"7:5\":2}", 30, 1, 30, 1, 2, 0, 0, 1},
    {"v1 with meta_precision", "{\"70:50\":2,\"meta_precision\":10}", 10, 1, 10, 10, 2, 0, 0, 1},
    {"v2: interval and precision; meta_total_reqs ignored",
     "{\"70:50\":2,\"meta_v\":2,\"meta_precision\":10,\"meta_interval_sec\":20,"
     "\"meta_total_reqs\":99}",
     10, 2, 20, 10, 2, 0, 0, 1},
    {"v2 without meta_interval_sec: 10", "{\"70:50\":2,\"meta_v\":2}", 30, 2, 10, 1, 2, 0, 0, 1},
    {"v3: total and pending from meta",
     "{\"70:50\":2,\"meta_v\":3,\"meta_precision\":10,\"meta_interval_sec\":10,"
     "\"meta_total_reqs\":7,\"meta_pending_reqs\":4,\"meta_queueing_reqs\":9}",
     10, 3, 10, 10, 7, 4, 0, 1},
    {"v3 without meta_total_reqs: 0", "{\"70:50\":2,\"meta_v\":3}", 10, 3, 10, 1, 0, 0, 0, 1},
    {"v4: queueing",
     "{\"70:50\":2,\"meta_interval_sec\":10,\"meta_pending_reqs\":4,\"meta_precision\":10,"
     "\"meta_queueing_reqs\":9,\"meta_total_reqs\":7,\"meta_v\":4}",
     10, 4, 10, 10, 7, 4, 9, 1},
    {"v5 (future) read as v4",
     "{\"meta_v\":5,\"meta_total_reqs\":3,\"meta_queueing_reqs\":1,\"meta_new\":[1]}", 10, 5, 10, 1,
     3, 0, 1, 0},
    {"meta only: arrivals without completions",
     "{\"meta_v\":4,\"meta_interval_sec\":10,\"meta_total_reqs\":7}", 10, 4, 10, 1, 7, 0, 0, 0},
    {"unknown meta_ keys are skipped whatever they hold", "{\"meta_foo\":\"x\",\"7:5\":1}", 10, 1,
     10, 1, 1, 0, 0, 1},
    {"empty object", "{}", 10, 1, 10, 1, 0, 0, 0, 0},
};

static void gateway_trace_parse_every_meta_v_version(void **state) {
  (void)state;
  for (size_t i = 0; i < NELEM(VERSION_ROWS); i++) {
    const version_row *r = &VERSION_ROWS[i];
    opt_trace t;
    opt_err e;
    if (!opt_trace_parse(r->json, r->name, 50, r->v1_interval_s, &t, &e)) {
      print_error("%s: %s\n", r->name, e.msg);
      fail();
    }
    print_message("%s\n", r->name);
    assert_int_equal(t.version, r->version);
    assert_int_equal(t.interval_s, r->interval_s);
    assert_int_equal(t.precision, r->precision);
    assert_int_equal(t.total_reqs, r->total);
    assert_int_equal(t.pending_reqs, r->pending);
    assert_int_equal(t.queueing_reqs, r->queueing);
    assert_int_equal(t.n_cells, r->n_cells);
    assert_double_exact(opt_trace_rate(&t), (double)r->total / (double)r->interval_s);
    opt_trace_free(&t);
  }
}

typedef struct bad_row {
  const char *json;
  const char *message; /* a part of the expected message */
} bad_row;

static const bad_row BAD_ROWS[] = {
    {"[1]", "found an array"},
    {"{\"7:5\":1", "invalid JSON"},
    {"{} x", "invalid JSON"},
    {"{\"7-5\":1}", "key \"7-5\": expected \"<input>:<output>\""},
    {"{\"7:\":1}", "key \"7:\""},
    {"{\"1234567890:1\":1}", "at most 9 digits"},
    {"{\"7:5\":-1}", "\"7:5\": expected a count"},
    {"{\"7:5\":1.5}", "\"7:5\": expected a count"},
    {"{\"7:5\":\"1\"}", "found a string"},
    {"{\"7:5\":3000000000}", "expected a count (a whole number 0..2147483647)"},
    {"{\"7:5\":1,\"07:5\":2}", "two keys name the cell \"7:5\""},
    {"{\"7:5\":1,\"7:5\":2}", "two keys name the cell \"7:5\""},
    {"{\"meta_v\":\"4\"}", "\"meta_v\": expected a whole number >= 1, found a string"},
    {"{\"meta_v\":2,\"meta_v\":3}", "\"meta_v\" appears twice"},
    {"{\"meta_precision\":0}", "\"meta_precision\": expected a whole number >= 1"},
    {"{\"meta_v\":2,\"meta_interval_sec\":0}", "\"meta_interval_sec\""},
    {"{\"meta_v\":3,\"meta_total_reqs\":-1}", "\"meta_total_reqs\""},
};

static void gateway_trace_parse_rejects_bad_records(void **state) {
  (void)state;
  for (size_t i = 0; i < NELEM(BAD_ROWS); i++) {
    opt_trace t;
    opt_err e = {{0}};
    assert_false(opt_trace_parse(BAD_ROWS[i].json, "aibrix:m_request_trace_10", 10, 10, &t, &e));
    if (!strstr(e.msg, BAD_ROWS[i].message) ||
        strncmp(e.msg, "aibrix:m_request_trace_10: ", 27) != 0) {
      print_error("%s: got \"%s\", expected \"%s\"\n", BAD_ROWS[i].json, e.msg,
                  BAD_ROWS[i].message);
      fail();
    }
    assert_null(t.cells);
    assert_int_equal(t.n_cells, 0);
  }
}

/* ------------------------------------------------------------------------------------------
 * Writing (section 4.1: the gateway's bytes)
 * ------------------------------------------------------------------------------------------ */

static void gateway_writer_bytes_match_go_json_marshal(void **state) {
  (void)state;
  assert_int_equal(opt_trace_bucket_key(1261), 103);
  assert_int_equal(opt_trace_bucket_key(24), 46);
  opt_trace t;
  opt_trace_init(&t, 1735693680);
  for (int i = 0; i < 4; i++)
    opt_trace_count_arrival(&t);
  opt_trace_count_done(&t, 128, 32);  /* "70:50" */
  opt_trace_count_done(&t, 20, 8);    /* "42:30" (the quirk: 43 written 42) */
  opt_trace_count_done(&t, 1261, 24); /* "103:46": sorts before "42:30" bytewise */
  opt_trace_count_done(&t, 20, 8);
  t.pending_reqs = 3;
  t.queueing_reqs = 1;
  char *json = opt_trace_to_json(&t);
  assert_string_equal(json, "{\"103:46\":1,\"42:30\":2,\"70:50\":1,\"meta_interval_sec\":10,"
                            "\"meta_pending_reqs\":3,\"meta_precision\":10,"
                            "\"meta_queueing_reqs\":1,\"meta_total_reqs\":4,\"meta_v\":4}");
  free(json);
  opt_trace_free(&t);

  opt_trace empty;
  opt_trace_init(&empty, 10);
  opt_trace_count_arrival(&empty);
  json = opt_trace_to_json(&empty);
  assert_string_equal(json, "{\"meta_interval_sec\":10,\"meta_pending_reqs\":0,"
                            "\"meta_precision\":10,\"meta_queueing_reqs\":0,"
                            "\"meta_total_reqs\":1,\"meta_v\":4}");
  free(json);
  opt_trace_free(&empty);
}

static void gateway_writer_rewrites_the_v2_test_record_byte_for_byte(void **state) {
  (void)state;
  opt_trace t;
  opt_err e;
  assert_true(opt_trace_parse(V2_RECORD, "v2", V2_TS, 10, &t, &e));
  char *json = opt_trace_to_json(&t);
  assert_string_equal(json, V2_RECORD);
  free(json);
  opt_trace_free(&t);
}

static void gateway_writer_meta_keys_follow_the_version(void **state) {
  (void)state;
  static const char *const want[] = {
      "{\"70:50\":1}",
      "{\"70:50\":1,\"meta_interval_sec\":10,\"meta_precision\":10,\"meta_v\":2}",
      ("{\"70:50\":1,\"meta_interval_sec\":10,\"meta_pending_reqs\":0,\"meta_precision\":10,"
       "\"meta_total_reqs\":1,\"meta_v\":3}"),
  };
  for (int v = 1; v <= 3; v++) {
    opt_trace t;
    opt_trace_init(&t, 10);
    opt_trace_count_arrival(&t);
    opt_trace_count_done(&t, 128, 32);
    t.version = v;
    if (v == 1) t.precision = 1; /* v1 keys are whole log2 units; 70 is then 2^70 tokens */
    char *json = opt_trace_to_json(&t);
    assert_string_equal(json, want[v - 1]);
    free(json);
    opt_trace_free(&t);
  }
}

static void gateway_writer_reader_round_trip(void **state) {
  (void)state;
  opt_trace w;
  opt_trace_init(&w, 1735693690);
  uint64_t x = 12345;
  for (int i = 0; i < 2000; i++) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    int64_t in = 1 + (int64_t)((x >> 33) % 8192), out = 1 + (int64_t)((x >> 13) % 1024);
    opt_trace_count_arrival(&w);
    if (i % 3) opt_trace_count_done(&w, in, out);
  }
  w.pending_reqs = 17;
  w.queueing_reqs = 2;
  char *json = opt_trace_to_json(&w);
  opt_trace r;
  opt_err e;
  assert_true(opt_trace_parse(json, "round trip", w.ts_s, 10, &r, &e));
  assert_int_equal(r.version, 4);
  assert_int_equal(r.interval_s, 10);
  assert_int_equal(r.precision, 10);
  assert_int_equal(r.total_reqs, 2000);
  assert_int_equal(r.pending_reqs, 17);
  assert_int_equal(r.queueing_reqs, 2);
  assert_int_equal(r.n_cells, w.n_cells);
  assert_int_equal(sum_counts(&r), 1333);
  for (size_t i = 0; i < r.n_cells; i++) { /* every cell read back is one written */
    bool found = false;
    for (size_t j = 0; j < w.n_cells; j++)
      found |= r.cells[i].in_key == w.cells[j].in_key && r.cells[i].out_key == w.cells[j].out_key &&
               r.cells[i].count == w.cells[j].count;
    assert_true(found);
  }
  char *again = opt_trace_to_json(&r);
  assert_string_equal(again, json);
  free(again);
  free(json);
  opt_trace_free(&r);
  opt_trace_free(&w);
}

/* ------------------------------------------------------------------------------------------
 * Centre -> bucket (section 3.5, 6.4)
 * ------------------------------------------------------------------------------------------ */

typedef struct signature_row {
  double out_log2, in_log2;
  size_t out_idx, in_idx;
  bool in_range; /* false where upstream warns and clamps (but see 9.4) */
} signature_row;

/* Section 6.4, a100 log2 indexes out [2..9], in [7..11]. */
static const signature_row SIGNATURE_ROWS[] = {
    {2.4, 7.0, 0, 0, true},   {2.5, 7.0, 1, 0, true}, /* tie -> higher */
    {2.6, 7.0, 1, 0, true},   {1.6, 7.0, 0, 0, true}, /* below, within half a spacing: silent */
    {1.4, 7.0, 0, 0, false},                          /* warning */
    {9.4, 11.0, 7, 4, true}, /* upstream warns (its upper test compares with the first tick) */
    {9.6, 11.6, 7, 4, false}, {5.0, 9.0, 3, 2, true},
    {6.49, 9.5, 4, 3, true},  {0.0, 6.2, 0, 0, false},
};

static void centroid_get_signature_vectors_of_6_4(void **state) {
  (void)state;
  for (size_t i = 0; i < NELEM(SIGNATURE_ROWS); i++) {
    const signature_row *r = &SIGNATURE_ROWS[i];
    bool out_ok, in_ok;
    size_t o = opt_grid_index(A100_OUT, NELEM(A100_OUT), r->out_log2, &out_ok);
    size_t n = opt_grid_index(A100_IN, NELEM(A100_IN), r->in_log2, &in_ok);
    print_message("(%g, %g) -> (%zu, %zu)\n", r->out_log2, r->in_log2, o, n);
    assert_int_equal(o, r->out_idx);
    assert_int_equal(n, r->in_idx);
    assert_int_equal(out_ok && in_ok, r->in_range);
  }
}

/* Section 6.1, pkg/cache/model_gpu_profile_test.go GetSignature(out, in) in tokens (the Go
 * reader clamps silently; the index rule is the same). */
static void go_profile_get_signature_vectors_agree(void **state) {
  (void)state;
  static const struct {
    double out, in;
    size_t o, i;
  } rows[] = {{0, 2049, 0, 4}, {64, 256, 4, 1}, {256, 128, 6, 0}, {8, 128, 1, 0}};
  for (size_t k = 0; k < NELEM(rows); k++) {
    assert_int_equal(opt_grid_index(A100_OUT, NELEM(A100_OUT), log2(rows[k].out), NULL), rows[k].o);
    assert_int_equal(opt_grid_index(A100_IN, NELEM(A100_IN), log2(rows[k].in), NULL), rows[k].i);
  }
}

static void grid_midpoint_ties_go_to_the_higher_tick(void **state) {
  (void)state;
  /* In tokens the boundary between 64 and 128 is 2^6.5 = 90.51. */
  assert_int_equal(opt_grid_index(A100_OUT, NELEM(A100_OUT), log2(90.0), NULL), 4);
  assert_int_equal(opt_grid_index(A100_OUT, NELEM(A100_OUT), log2(91.0), NULL), 5);
  assert_int_equal(opt_grid_index(A100_OUT, NELEM(A100_OUT), 6.5, NULL), 5);
  assert_int_equal(opt_grid_index(A100_OUT, NELEM(A100_OUT), nextafter(6.5, 0), NULL), 4);
  /* Uneven ticks: the midpoint in log2 is left + (right - left) * 0.5, as upstream computes. */
  static const int32_t ticks[] = {100, 300, 1000};
  double l = log2(100.0), r = log2(300.0), mid = l + (r - l) * 0.5;
  assert_int_equal(opt_grid_index(ticks, 3, mid, NULL), 1);
  assert_int_equal(opt_grid_index(ticks, 3, nextafter(mid, 0), NULL), 0);
  assert_int_equal(opt_grid_index(ticks, 3, log2(300.0), NULL), 1); /* an exact tick */
  assert_int_equal(opt_grid_index(ticks, 3, log2(100.0), NULL), 0);
  assert_int_equal(opt_grid_index(ticks, 3, log2(1000.0), NULL), 2);
}

static void grid_clamps_at_the_edges(void **state) {
  (void)state;
  bool ok;
  /* spacing 1 (log2): in range down to 1.5 and up to 9.5 for the output ticks 2..9 */
  assert_int_equal(opt_grid_index(A100_OUT, NELEM(A100_OUT), 1.5, &ok), 0);
  assert_true(ok);
  assert_int_equal(opt_grid_index(A100_OUT, NELEM(A100_OUT), nextafter(1.5, 0), &ok), 0);
  assert_false(ok);
  assert_int_equal(opt_grid_index(A100_OUT, NELEM(A100_OUT), -INFINITY, &ok), 0); /* 0 tokens */
  assert_false(ok);
  assert_int_equal(opt_grid_index(A100_OUT, NELEM(A100_OUT), 9.5, &ok), 7);
  assert_true(ok);
  assert_int_equal(opt_grid_index(A100_OUT, NELEM(A100_OUT), nextafter(9.5, 10), &ok), 7);
  assert_false(ok);
  assert_int_equal(opt_grid_index(A100_OUT, NELEM(A100_OUT), 30.0, &ok), 7);
  assert_false(ok);
}

static void grid_with_one_tick_always_maps_to_it(void **state) {
  (void)state;
  static const int32_t one[] = {1024};
  bool ok = false;
  assert_int_equal(opt_grid_index(one, 1, 0.0, &ok), 0);
  assert_true(ok);
  assert_int_equal(opt_grid_index(one, 1, 20.0, &ok), 0);
  assert_true(ok);
}

static void grid_check_rejects_empty_unsorted_and_nonpositive_ticks(void **state) {
  (void)state;
  static const int32_t unsorted[] = {8, 4}, zero[] = {0, 4}, dup[] = {4, 4};
  opt_err e;
  assert_true(opt_grid_check(&A100_GRID, &e));
  opt_grid g = {A100_OUT, 0, A100_IN, NELEM(A100_IN)};
  assert_false(opt_grid_check(&g, &e));
  assert_non_null(strstr(e.msg, "at least one output tick"));
  g = (opt_grid){A100_OUT, NELEM(A100_OUT), unsorted, 2};
  assert_false(opt_grid_check(&g, &e));
  assert_non_null(strstr(e.msg, "input tick 1: expected more than 8"));
  g.in_ticks = zero;
  assert_false(opt_grid_check(&g, &e));
  assert_non_null(strstr(e.msg, "expected tokens > 0, found 0"));
  g.in_ticks = dup;
  assert_false(opt_grid_check(&g, &e));
}

/* ------------------------------------------------------------------------------------------
 * DBSCAN (section 4.4)
 * ------------------------------------------------------------------------------------------ */

static void dbscan_one_key_of_count_10_forms_a_cluster_alone(void **state) {
  (void)state;
  opt_point p = {5.0, 7.0, 10};
  int64_t label = 99;
  assert_int_equal(opt_dbscan(&p, 1, 0.5, 10, &label), 1);
  assert_int_equal(label, 0);
  p.count = 9;
  assert_int_equal(opt_dbscan(&p, 1, 0.5, 10, &label), 0);
  assert_int_equal(label, -1);
}

static void dbscan_min_pts_counts_the_point_itself_and_its_neighbours(void **state) {
  (void)state;
  opt_point p[] = {{5.0, 7.0, 5}, {5.3, 7.0, 5}, {9.0, 9.0, 1}};
  int64_t label[3];
  assert_int_equal(opt_dbscan(p, 3, 0.5, 10, label), 1);
  assert_int_equal(label[0], 0);
  assert_int_equal(label[1], 0);
  assert_int_equal(label[2], -1); /* far away: noise */
  p[1].count = 4;
  assert_int_equal(opt_dbscan(p, 3, 0.5, 10, label), 0);
  assert_int_equal(label[0], -1);
  assert_int_equal(label[1], -1);
}

/* Two cells of 5 at key offsets (dI, dO) on the gateway's 0.1 grid. */
typedef struct eps_row {
  int d_out, d_in; /* in tenths of log2 */
  bool neighbours;
} eps_row;

static const eps_row EPS_ROWS[] = {
    {5, 0, true},  {0, 5, true},  {3, 4, true},  {4, 3, true}, /* exactly eps: inclusive */
    {5, 1, false}, {4, 4, false}, {6, 0, false},               /* beyond eps */
};

static void dbscan_eps_boundary_is_inclusive_on_the_gateway_grid(void **state) {
  (void)state;
  static const int bases[][2] = {{50, 70}, {103, 46}, {46, 103}, {79, 48}, {0, 0}, {120, 160}};
  for (size_t b = 0; b < NELEM(bases); b++) {
    for (size_t i = 0; i < NELEM(EPS_ROWS); i++) {
      const eps_row *r = &EPS_ROWS[i];
      opt_point p[2] = {
          {bases[b][0] / 10.0, bases[b][1] / 10.0, 5},
          {(bases[b][0] + r->d_out) / 10.0, (bases[b][1] + r->d_in) / 10.0, 5},
      };
      int64_t label[2];
      size_t k = opt_dbscan(p, 2, 0.5, 10, label);
      if (k != (r->neighbours ? 1u : 0u)) {
        print_error("base (%d, %d) offset (%d, %d): %zu clusters\n", bases[b][0], bases[b][1],
                    r->d_out, r->d_in, k);
        fail();
      }
    }
  }
  /* Why the slack: in floats (5.3, 7.4) is not within 0.5 of (5.0, 7.0). */
  double dx = 5.3 - 5.0, dy = 7.4 - 7.0;
  assert_true(dx * dx + dy * dy > 0.25);
}

static void dbscan_border_point_joins_the_highest_numbered_cluster(void **state) {
  (void)state;
  /* Cores a (2.0) and b (3.0) each have 4 + 3 + 3 + 1 = 11 points within 0.5; x (2.5) has
   * 1 + 4 + 4 = 9, so it is a border point of both clusters. */
  opt_point p[] = {
      {2.5, 7.0, 1},                               /* x */
      {3.0, 7.0, 4}, {3.0, 7.4, 3}, {3.4, 7.0, 3}, /* b, b1, b2 */
      {2.0, 7.0, 4}, {2.0, 6.6, 3}, {1.6, 7.0, 3}, /* a, a1, a2 */
  };
  int64_t label[NELEM(p)];
  assert_int_equal(opt_dbscan(p, NELEM(p), 0.5, 10, label), 2);
  /* Clusters are numbered by their first core place in (output, input) order: a's is 0. */
  static const int64_t want[] = {1, 1, 1, 1, 0, 0, 0};
  for (size_t i = 0; i < NELEM(p); i++)
    assert_int_equal(label[i], want[i]);
}

static void dbscan_chain_of_core_points_is_one_cluster(void **state) {
  (void)state;
  opt_point p[8];
  for (int i = 0; i < 8; i++)
    p[i] = (opt_point){2.0 + 0.5 * i, 8.0, 5}; /* ends: 5 + 5 = 10, core too */
  int64_t label[8];
  assert_int_equal(opt_dbscan(p, 8, 0.5, 10, label), 1);
  for (int i = 0; i < 8; i++)
    assert_int_equal(label[i], 0);
}

static void dbscan_result_does_not_depend_on_point_order(void **state) {
  (void)state;
  opt_trace t;
  opt_err e;
  assert_true(opt_trace_parse(V2_RECORD, "v2", V2_TS, 10, &t, &e));
  size_t n = t.n_cells;
  opt_point *p = malloc(n * sizeof *p), *q = malloc(n * sizeof *q);
  int64_t *lp = malloc(n * sizeof *lp), *lq = malloc(n * sizeof *lq);
  for (size_t i = 0; i < n; i++)
    p[i] = (opt_point){t.cells[i].out_key / 10.0, t.cells[i].in_key / 10.0, t.cells[i].count};
  size_t k = opt_dbscan(p, n, 0.5, 10, lp);
  assert_int_equal(k, 2);
  for (size_t i = 0; i < n; i++) /* reversed */
    q[i] = p[n - 1 - i];
  assert_int_equal(opt_dbscan(q, n, 0.5, 10, lq), k);
  for (size_t i = 0; i < n; i++)
    assert_int_equal(lq[i], lp[n - 1 - i]);
  free(p);
  free(q);
  free(lp);
  free(lq);
  opt_trace_free(&t);
}

/* ------------------------------------------------------------------------------------------
 * The window and the monitor (section 4.2 - 4.5, 6.7)
 * ------------------------------------------------------------------------------------------ */

static opt_monitor *new_monitor(void) {
  opt_monitor_config c = opt_monitor_config_default();
  opt_err e;
  opt_monitor *m = opt_monitor_new(&c, &e);
  assert_non_null(m);
  return m;
}

static void window_rotates_every_60s_and_clusters_the_oldest_sub_window(void **state) {
  (void)state;
  opt_monitor *m = new_monitor();
  opt_err e;
  for (int64_t t = 0; t <= 600; t += 10) {
    opt_trace_cell cell = {70, 50, 1};
    opt_trace tr = trace_of(t, &cell, 1, 1);
    opt_monitor_out o;
    assert_true(opt_monitor_step(m, t * S, &tr, 1, NULL, &o, &e));
    /* Sub-windows start at 0, 60, 120, 180; from 240 the oldest is emptied every 60 s and the
     * current one is the one created 180 s before the newest. */
    int64_t created = t < 240 ? 0 : 60 * (t / 60 - 3);
    assert_int_equal(o.points, (t - created) / 10 + 1);
    assert_double_exact(o.span_s, t == created ? 1.0 : (double)(t - created));
  }
  opt_monitor_free(m);
}

static void window_rotation_happens_at_60s_not_a_microsecond_before(void **state) {
  (void)state;
  opt_monitor *m = new_monitor();
  opt_err e;
  opt_monitor_out o;
  static const struct {
    int64_t now_us;
    int64_t count; /* points added at this step */
    int64_t points;
  } steps[] = {
      {0, 100, 100},        {60 * S, 10, 110},     {120 * S, 1, 111},
      {180 * S, 1, 112},    {240 * S - 1, 1, 113}, /* 59.999999 s after the 180 s sub-window: no
                                                      rotation */
      {240 * S, 1, 14}, /* the 0 s sub-window is emptied: its 100 points leave */
      {300 * S - 1, 1, 15}, {300 * S, 1, 6}, /* the 60 s one: its 10 leave */
  };
  for (size_t i = 0; i < NELEM(steps); i++) {
    opt_trace_cell cell = {70, 50, steps[i].count};
    opt_trace tr = trace_of(steps[i].now_us / S, &cell, 1, steps[i].count);
    assert_true(opt_monitor_step(m, steps[i].now_us, &tr, 1, NULL, &o, &e));
    assert_int_equal(o.points, steps[i].points);
  }
  opt_monitor_free(m);
}

static void monitor_minimizes_skips_or_optimizes(void **state) {
  (void)state;
  opt_monitor *m = new_monitor();
  opt_err e;
  opt_monitor_out o;
  assert_true(opt_monitor_step(m, 2 * S, NULL, 0, &A100_GRID, &o, &e));
  assert_int_equal(o.action, OPT_MONITOR_MINIMIZE);
  assert_int_equal(o.points, 0);
  assert_int_equal(o.n_clusters, 0);
  assert_int_equal(o.n_buckets, 0);
  /* A record of arrivals only: a rate, but no points. */
  opt_trace meta_only = trace_of(10, NULL, 0, 7);
  assert_true(opt_monitor_step(m, 12 * S, &meta_only, 1, &A100_GRID, &o, &e));
  assert_int_equal(o.action, OPT_MONITOR_MINIMIZE);
  assert_double_exact(o.current_rate, 0.7);
  /* Scattered points: no cluster. */
  opt_trace_cell scattered[] = {{70, 20, 3}, {90, 50, 3}, {110, 80, 3}};
  opt_trace tr = trace_of(20, scattered, 3, 9);
  assert_true(opt_monitor_step(m, 22 * S, &tr, 1, &A100_GRID, &o, &e));
  assert_int_equal(o.action, OPT_MONITOR_SKIP);
  assert_int_equal(o.points, 9);
  assert_double_exact(o.coverage_pct, 0.0);
  /* Ten more at one place: a cluster; the scattered points stay noise. */
  opt_trace_cell one[] = {{80, 40, 10}};
  tr = trace_of(30, one, 1, 10);
  assert_true(opt_monitor_step(m, 32 * S, &tr, 1, &A100_GRID, &o, &e));
  assert_int_equal(o.action, OPT_MONITOR_OPTIMIZE);
  assert_int_equal(o.points, 19);
  assert_int_equal(o.clustered, 10);
  assert_double_exact(o.coverage_pct, 10.0 / 19.0 * 100);
  opt_monitor_free(m);
}

static void monitor_rate_is_the_larger_of_window_and_newest_record(void **state) {
  (void)state;
  opt_err e;
  opt_monitor_out o;
  opt_trace_cell cell = {80, 40, 10};
  /* A single key: span 1 s, so 10 points give 10 req/s, above the record's 50/10 = 5. */
  opt_monitor *m = new_monitor();
  opt_trace tr = trace_of(100, &cell, 1, 50);
  assert_true(opt_monitor_step(m, 102 * S, &tr, 1, &A100_GRID, &o, &e));
  assert_double_exact(o.span_s, 1.0);
  assert_double_exact(o.window_rate, 10.0);
  assert_double_exact(o.current_rate, 5.0);
  assert_double_exact(o.total_rate, 10.0);
  /* Next key: span 10 s, 20 points -> 2 req/s, below the record's 5. */
  tr = trace_of(110, &cell, 1, 50);
  assert_true(opt_monitor_step(m, 112 * S, &tr, 1, &A100_GRID, &o, &e));
  assert_double_exact(o.window_rate, 2.0);
  assert_double_exact(o.total_rate, 5.0);
  /* A step that reads nothing: the current rate is 0. */
  assert_true(opt_monitor_step(m, 117 * S, NULL, 0, &A100_GRID, &o, &e));
  assert_double_exact(o.current_rate, 0.0);
  assert_double_exact(o.total_rate, 2.0);
  opt_monitor_free(m);
}

static void monitor_first_step_takes_the_history(void **state) {
  (void)state;
  opt_err e;
  opt_monitor_out o;
  opt_trace_cell a = {80, 40, 10}, b = {80, 40, 20}, c = {80, 40, 30};
  opt_trace hist[] = {trace_of(70, &a, 1, 10), trace_of(80, &b, 1, 20), trace_of(90, &c, 1, 40)};
  opt_monitor *m = new_monitor();
  assert_true(opt_monitor_step(m, 92 * S, hist, 3, &A100_GRID, &o, &e));
  assert_int_equal(o.points, 60);
  assert_double_exact(o.span_s, 20.0); /* last - first key: 10 s less than covered */
  assert_double_exact(o.current_rate, 4.0);
  assert_double_exact(o.total_rate, 4.0);
  opt_monitor_free(m);
}

static void monitor_shares_of_centres_in_one_bucket_add_up(void **state) {
  (void)state;
  opt_err e;
  opt_monitor_out o;
  /* Two clusters 1 log2 apart in input, both mapping to output 64 and input 2048 (clamped),
   * and one at (16, 128). */
  opt_trace_cell cells[] = {{130, 60, 20}, {140, 60, 10}, {70, 40, 10}};
  opt_trace tr = trace_of(10, cells, NELEM(cells), 40);
  opt_monitor *m = new_monitor();
  assert_true(opt_monitor_step(m, 12 * S, &tr, 1, &A100_GRID, &o, &e));
  assert_int_equal(o.n_clusters, 3);
  assert_int_equal(o.n_buckets, 2);
  assert_int_equal(o.buckets[0].out_tick, 16); /* row-major order */
  assert_int_equal(o.buckets[0].in_tick, 128);
  assert_double_exact(o.buckets[0].share, 0.25);
  assert_int_equal(o.buckets[1].out_tick, 64);
  assert_int_equal(o.buckets[1].in_tick, 2048);
  assert_double_exact(o.buckets[1].share, 0.75);
  assert_double_exact(o.total_rate, 40.0);
  assert_double_exact(o.buckets[1].rate, 30.0);
  assert_int_equal(o.n_grid, 40);
  double sum = 0;
  for (size_t b = 0; b < o.n_grid; b++)
    sum += o.grid_rates[b];
  assert_double_exact(sum, 40.0);
  assert_double_exact(o.grid_rates[4 * 5 + 4], 30.0);
  assert_double_exact(o.in_grid_frac, 0.25); /* inputs 13.0 and 14.0 are beyond 11.5 */
  opt_monitor_free(m);
}

static void monitor_without_a_grid_reports_clusters_only(void **state) {
  (void)state;
  opt_err e;
  opt_monitor_out o;
  opt_trace_cell cell = {80, 40, 10};
  opt_trace tr = trace_of(10, &cell, 1, 10);
  opt_monitor *m = new_monitor();
  assert_true(opt_monitor_step(m, 12 * S, &tr, 1, NULL, &o, &e));
  assert_int_equal(o.action, OPT_MONITOR_OPTIMIZE);
  assert_int_equal(o.n_clusters, 1);
  assert_double_exact(o.clusters[0].out_log2, 4.0);
  assert_double_exact(o.clusters[0].in_log2, 8.0);
  assert_int_equal(o.n_buckets, 0);
  assert_null(o.grid_rates);
  assert_double_exact(o.in_grid_frac, 0.0);
  opt_monitor_free(m);
}

static void monitor_rejects_bad_config_and_grid(void **state) {
  (void)state;
  opt_err e;
  opt_monitor_config c = opt_monitor_config_default();
  c.min_pts = 0;
  assert_null(opt_monitor_new(&c, &e));
  assert_non_null(strstr(e.msg, "min_pts"));
  c = opt_monitor_config_default();
  c.eps_log2 = NAN;
  assert_null(opt_monitor_new(&c, &e));
  c = opt_monitor_config_default();
  c.sub_windows = 0;
  assert_null(opt_monitor_new(&c, &e));
  opt_monitor *m = new_monitor();
  static const int32_t bad[] = {8, 8};
  opt_grid g = {bad, 2, A100_IN, NELEM(A100_IN)};
  opt_monitor_out o;
  assert_false(opt_monitor_step(m, 0, NULL, 0, &g, &o, &e));
  assert_non_null(strstr(e.msg, "output tick 1"));
  opt_monitor_free(m);
}

/* Section 6.7 (ran upstream with a standard-DBSCAN stand-in): the v3 test record read at T,
 * T + 10, T + 20, steps 2 s after each key, the a100 grid. */
typedef struct e2e_round {
  int64_t points;
  double span_s, total_rate, coverage_pct;
  size_t n_clusters;
  int64_t sizes[3];     /* in order of first member */
  size_t buckets[3][2]; /* (row, column) per cluster */
  double rates[3];      /* cluster rates, req/s */
} e2e_round;

/* Rounds 1 and 2 are the reference's numbers (round 2 gives only the cluster rates); round 3's
 * clusters are this implementation's (the reference gives its points, rate and coverage). */
static const e2e_round E2E_ROUNDS[] = {
    {85, 1.0, 85.0, 82.35, 2, {26, 44}, {{4, 4}, {3, 1}}, {26, 44}},
    {170, 10.0, 17.0, 89.41, 3, {10, 54, 88}, {{4, 3}, {4, 4}, {3, 1}}, {1.0, 5.4, 8.8}},
    {255, 20.0, 12.75, 92.94, 3, {21, 84, 132}, {{3, 3}, {4, 4}, {3, 1}}, {1.05, 4.2, 6.6}},
};

static void monitor_end_to_end_run_of_6_7(void **state) {
  (void)state;
  char *json = v3_record();
  opt_monitor *m = new_monitor();
  opt_err e;
  for (int r = 0; r < 3; r++) {
    const e2e_round *want = &E2E_ROUNDS[r];
    opt_trace t;
    assert_true(opt_trace_parse(json, "v3", V2_TS + 10 * r, 10, &t, &e));
    opt_monitor_out o;
    assert_true(opt_monitor_step(m, (V2_TS + 10 * r + 2) * S, &t, 1, &A100_GRID, &o, &e));
    assert_int_equal(o.action, OPT_MONITOR_OPTIMIZE);
    assert_int_equal(o.points, want->points);
    assert_double_exact(o.span_s, want->span_s);
    assert_double_exact(o.current_rate, 9.0);
    assert_near(o.total_rate, want->total_rate, 1e-12);
    assert_near(o.coverage_pct, want->coverage_pct, 0.005);
    assert_int_equal(o.n_clusters, want->n_clusters);
    for (size_t c = 0; c < o.n_clusters; c++) {
      assert_int_equal(o.clusters[c].size, want->sizes[c]);
      assert_int_equal(o.clusters[c].out_idx, want->buckets[c][0]);
      assert_int_equal(o.clusters[c].in_idx, want->buckets[c][1]);
      assert_near(o.clusters[c].rate, want->rates[c], 1e-12);
    }
    if (r == 0) { /* the centres the reference prints */
      assert_near(o.clusters[0].out_log2, 5.65, 5e-4);
      assert_near(o.clusters[0].in_log2, 12.354, 5e-4);
      assert_near(o.clusters[1].out_log2, 4.961, 5e-4);
      assert_near(o.clusters[1].in_log2, 8.177, 5e-4);
    }
    opt_trace_free(&t);
  }
  opt_monitor_free(m);
  free(json);
}

/* ------------------------------------------------------------------------------------------
 * Work per cell, not per request (issue 14 item 1): the weighted monitor against the test's own
 * expanded-points oracle
 * ------------------------------------------------------------------------------------------ */

/* One step at 12 s on the A100 grid, which must take under 5 s (loose, so that a busy or
 * sanitized build does not fail it); its result. */
static bool quick_step(opt_monitor *m, const opt_trace *tr, opt_monitor_out *o, opt_err *e) {
  double t0 = ps_mono_s();
  bool ok = opt_monitor_step(m, 12 * S, tr, 1, &A100_GRID, o, e);
  double took = ps_mono_s() - t0;
  if (took >= 5.0) {
    print_error("one step took %.3f s\n", took);
    fail();
  }
  return ok;
}

/* 100 cells of 2^31 - 1 requests (libFuzzer's find, grown): point by point this is ~2e11
 * additions, minutes; per cell it is microseconds. The bound is loose (5 s) so that a busy or
 * sanitized build does not fail it; the old code never came near it. */
static void monitor_record_of_100_cells_of_max_count_takes_a_moment(void **state) {
  (void)state;
  opt_trace_cell cells[100];
  for (int i = 0; i < 100; i++)
    cells[i] = (opt_trace_cell){70 + i % 10, 40 + i / 10, OPT_TRACE_COUNT_MAX};
  opt_trace tr = trace_of(10, cells, NELEM(cells), 100 * OPT_TRACE_COUNT_MAX);
  opt_monitor *m = new_monitor();
  opt_err e;
  opt_monitor_out o;
  assert_true(quick_step(m, &tr, &o, &e));
  assert_int_equal(o.points, 100 * OPT_TRACE_COUNT_MAX);
  assert_int_equal(o.clustered, 100 * OPT_TRACE_COUNT_MAX);
  assert_int_equal(o.n_clusters, 1);
  /* Mean of 4.0 .. 4.9 and 7.0 .. 7.9, off by upstream's float sum of 2e11 points (3e-6). */
  assert_near(o.clusters[0].out_log2, 4.45, 1e-5);
  assert_near(o.clusters[0].in_log2, 7.45, 1e-5);
  opt_monitor_free(m);
}

/* A record a gateway never writes, parsed as it is: n cells "in:out" from f(i), meta_precision
 * `precision`; the monitor's step refuses it quickly with a message, within its work budget. */
static void assert_too_dense(int64_t precision, size_t n, void (*f)(size_t, int *, int *)) {
  size_t cap = n * 24 + 128, len = 0;
  char *json = malloc(cap);
  len +=
      (size_t)snprintf(json, cap, "{\"meta_v\": 4, \"meta_precision\": %lld", (long long)precision);
  for (size_t i = 0; i < n; i++) {
    int in, out;
    f(i, &in, &out);
    len += (size_t)snprintf(json + len, cap - len, ", \"%d:%d\": 1", in, out);
  }
  snprintf(json + len, cap - len, "}");
  opt_trace tr;
  opt_err e;
  assert_true(opt_trace_parse(json, "hostile", 10, 10, &tr, &e));
  free(json);
  opt_monitor *m = new_monitor();
  opt_monitor_out o;
  assert_false(quick_step(m, &tr, &o, &e));
  assert_non_null(strstr(e.msg, "too many or too dense to cluster"));
  opt_monitor_free(m);
  opt_trace_free(&tr);
}

static void square_of_cells(size_t i, int *in, int *out) {
  *in = (int)(i % 150);
  *out = (int)(i / 150);
}

static void column_of_cells(size_t i, int *in, int *out) {
  *in = (int)i;
  *out = 7;
}

/* Packed within eps of each other (meta_precision 1e9: 22,500 places, 2.5e8 pairs, gigabytes
 * before the budget), or 100,000 cells in one output column (5e9 distance tests, minutes). */
static void monitor_refuses_windows_past_its_work_budget(void **state) {
  (void)state;
  assert_too_dense(1000000000, 150 * 150, square_of_cells);
  assert_too_dense(10, 100000, column_of_cells);
}

static uint64_t lcg_next(uint64_t *s) {
  *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
  return *s >> 33;
}

/* s += x, n times: Centeroid.add's sum as upstream does it. */
static double oracle_sum(double s, double x, int64_t n) {
  for (int64_t j = 0; j < n; j++)
    s += x;
  return s;
}

/* Cells of large counts in a 0.3 x 0.3 square (one cluster: every cell is core alone) at
 * precisions 1 .. 100: the centre has the bits of the point-by-point sum, ties included. */
static void monitor_centre_has_the_bits_of_the_point_by_point_sum(void **state) {
  (void)state;
  static const int64_t precisions[] = {1, 3, 7, 10, 100};
  uint64_t seed = 14;
  for (int trial = 0; trial < 40; trial++) {
    opt_trace_cell cells[3][8];
    opt_trace trs[3];
    double want_out = 0, want_in = 0;
    int64_t size = 0;
    for (int r = 0; r < 3; r++) {
      int64_t p = precisions[lcg_next(&seed) % NELEM(precisions)];
      int64_t spread = 3 * p / 10 + 1, out0 = 4 * p, in0 = 9 * p;
      for (int i = 0; i < 8; i++) {
        cells[r][i] = (opt_trace_cell){in0 + (int64_t)(lcg_next(&seed) % (uint64_t)spread),
                                       out0 + (int64_t)(lcg_next(&seed) % (uint64_t)spread),
                                       10 + (int64_t)(lcg_next(&seed) % 100000)};
        want_out = oracle_sum(want_out, (double)cells[r][i].out_key / (double)p, cells[r][i].count);
        want_in = oracle_sum(want_in, (double)cells[r][i].in_key / (double)p, cells[r][i].count);
        size += cells[r][i].count;
      }
      trs[r] = trace_of(10 * (r + 1), cells[r], 8, 0);
      trs[r].precision = p;
    }
    opt_monitor *m = new_monitor();
    opt_err e;
    opt_monitor_out o;
    assert_true(opt_monitor_step(m, 32 * S, trs, 3, NULL, &o, &e));
    assert_int_equal(o.n_clusters, 1);
    assert_int_equal(o.clusters[0].size, size);
    assert_double_exact(o.clusters[0].out_log2, want_out / (double)size);
    assert_double_exact(o.clusters[0].in_log2, want_in / (double)size);
    opt_monitor_free(m);
  }
}

/* The test's oracle: DBSCAN over the expanded points, as written in monitor.h (core when the
 * points within eps, itself included, are >= min_pts; clusters numbered by first core point in
 * (output, input) order; a border point joins its highest numbered neighbouring cluster), then
 * clusters renumbered by first member in window order; centres summed point by point. */
typedef struct oracle_pt {
  double out, in;
} oracle_pt;

typedef struct oracle_out {
  int64_t points, clustered;
  size_t n_clusters;
  opt_cluster clusters[64];
  double grid_rates[8 * 5];
} oracle_out;

static bool oracle_near(const oracle_pt *a, const oracle_pt *b) {
  double dx = a->out - b->out, dy = a->in - b->in;
  return dx * dx + dy * dy <= 0.25 + 1e-9;
}

static bool oracle_before(const oracle_pt *a, const oracle_pt *b) {
  return a->out < b->out || (a->out == b->out && a->in < b->in);
}

/* Cluster of each point, -1 for noise, in the oracle's internal numbering. */
static size_t oracle_dbscan(const oracle_pt *p, size_t n, int64_t *label) {
  bool *core = calloc(n, sizeof *core);
  size_t *stack = malloc(n * sizeof *stack);
  for (size_t i = 0; i < n; i++) {
    int64_t within = 0;
    for (size_t j = 0; j < n; j++)
      within += oracle_near(&p[i], &p[j]);
    core[i] = within >= 10;
    label[i] = -1;
  }
  size_t k = 0;
  for (;;) {
    size_t first = n; /* the unlabelled core point first in (output, input) order */
    for (size_t i = 0; i < n; i++)
      if (core[i] && label[i] < 0 && (first == n || oracle_before(&p[i], &p[first]))) first = i;
    if (first == n) break;
    size_t top = 0;
    label[first] = (int64_t)k;
    stack[top++] = first;
    while (top > 0) {
      size_t u = stack[--top];
      for (size_t v = 0; v < n; v++) {
        if (!core[v] || label[v] >= 0 || !oracle_near(&p[u], &p[v])) continue;
        label[v] = (int64_t)k;
        stack[top++] = v;
      }
    }
    k++;
  }
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < n; j++)
      if (!core[i] && core[j] && oracle_near(&p[i], &p[j]) && label[j] > label[i])
        label[i] = label[j];
  free(core);
  free(stack);
  return k;
}

static void oracle_monitor(const opt_trace *trs, size_t n_trs, double span, double total_rate,
                           oracle_out *o) {
  size_t n = 0;
  for (size_t r = 0; r < n_trs; r++)
    for (size_t i = 0; i < trs[r].n_cells; i++)
      n += (size_t)trs[r].cells[i].count;
  oracle_pt *p = malloc(n * sizeof *p);
  int64_t *label = malloc(n * sizeof *label);
  size_t at = 0;
  for (size_t r = 0; r < n_trs; r++)
    for (size_t i = 0; i < trs[r].n_cells; i++)
      for (int64_t j = 0; j < trs[r].cells[i].count; j++)
        p[at++] = (oracle_pt){trs[r].cells[i].out_key / 10.0, trs[r].cells[i].in_key / 10.0};
  size_t k = oracle_dbscan(p, n, label);
  assert_true(k <= NELEM(o->clusters));
  int64_t renum[NELEM(o->clusters)];
  for (size_t c = 0; c < k; c++)
    renum[c] = -1;
  *o = (oracle_out){.points = (int64_t)n, .n_clusters = k};
  int64_t next = 0;
  for (size_t i = 0; i < n; i++) {
    if (label[i] < 0) continue;
    if (renum[label[i]] < 0) renum[label[i]] = next++;
    opt_cluster *c = &o->clusters[renum[label[i]]];
    c->out_log2 += p[i].out;
    c->in_log2 += p[i].in;
    c->size++;
    o->clustered++;
  }
  double covered = 0;
  for (size_t c = 0; c < k; c++) {
    opt_cluster *cl = &o->clusters[c];
    cl->out_log2 /= (double)cl->size;
    cl->in_log2 /= (double)cl->size;
    cl->rate = (double)cl->size / span;
    covered += cl->rate;
    bool out_ok, in_ok;
    cl->out_idx = opt_grid_index(A100_OUT, NELEM(A100_OUT), cl->out_log2, &out_ok);
    cl->in_idx = opt_grid_index(A100_IN, NELEM(A100_IN), cl->in_log2, &in_ok);
    cl->in_range = out_ok && in_ok;
  }
  for (size_t c = 0; c < k; c++) {
    o->clusters[c].share = o->clusters[c].rate / covered;
    o->grid_rates[o->clusters[c].out_idx * NELEM(A100_IN) + o->clusters[c].in_idx] +=
        o->clusters[c].share;
  }
  for (size_t b = 0; b < NELEM(o->grid_rates); b++)
    o->grid_rates[b] *= total_rate;
  free(p);
  free(label);
}

#define assert_same_bytes(a, b) assert_memory_equal(&(a), &(b), sizeof(a))

/* Random small windows (1 .. 3 records of 5 .. 40 cells, counts 1 .. 5, in a 1.6 x 1.6 log2
 * square so clusters touch and border points are shared): the monitor's clusters, coverage and
 * bucket rates are the oracle's, byte for byte. */
static void monitor_weighted_cells_equal_expanded_points(void **state) {
  (void)state;
  uint64_t seed = 2024;
  for (int trial = 0; trial < 300; trial++) {
    opt_trace_cell cells[3][40];
    opt_trace trs[3];
    size_t n_trs = 1 + lcg_next(&seed) % 3;
    for (size_t r = 0; r < n_trs; r++) {
      size_t n = 5 + lcg_next(&seed) % 36;
      int64_t total = 0;
      for (size_t i = 0; i < n; i++) {
        cells[r][i] = (opt_trace_cell){70 + (int64_t)(lcg_next(&seed) % 16),
                                       40 + (int64_t)(lcg_next(&seed) % 16),
                                       1 + (int64_t)(lcg_next(&seed) % 5)};
        total += cells[r][i].count;
      }
      trs[r] = trace_of(10 * (int64_t)(r + 1), cells[r], n, total);
    }
    opt_monitor *m = new_monitor();
    opt_err e;
    opt_monitor_out o;
    assert_true(opt_monitor_step(m, (10 * (int64_t)n_trs + 2) * S, trs, n_trs, &A100_GRID, &o, &e));
    oracle_out want;
    oracle_monitor(trs, n_trs, o.span_s, o.total_rate, &want);
    assert_same_bytes(o.span_s, (double){n_trs > 1 ? 10.0 * (double)(n_trs - 1) : 1.0});
    assert_int_equal(o.points, want.points);
    assert_int_equal(o.clustered, want.clustered);
    double coverage = want.points ? (double)want.clustered / (double)want.points * 100 : 0.0;
    assert_same_bytes(o.coverage_pct, coverage);
    assert_int_equal(o.n_clusters, want.n_clusters);
    for (size_t c = 0; c < o.n_clusters; c++) {
      const opt_cluster *g = &o.clusters[c], *w = &want.clusters[c];
      assert_int_equal(g->size, w->size);
      assert_same_bytes(g->out_log2, w->out_log2);
      assert_same_bytes(g->in_log2, w->in_log2);
      assert_same_bytes(g->rate, w->rate);
      assert_same_bytes(g->share, w->share);
      assert_int_equal(g->out_idx, w->out_idx);
      assert_int_equal(g->in_idx, w->in_idx);
      assert_int_equal(g->in_range, w->in_range);
    }
    assert_int_equal(o.n_grid, NELEM(want.grid_rates));
    assert_memory_equal(o.grid_rates, want.grid_rates, sizeof want.grid_rates);
    opt_monitor_free(m);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(gateway_key_quirk_writes_k_minus_1_for_the_ten_keys_of_6_6),
      cmocka_unit_test(gateway_key_quirk_lowers_23122_token_counts_up_to_200000),
      cmocka_unit_test(gateway_key_is_0_for_tokens_up_to_1),
      cmocka_unit_test(trace_key_name_alignment_and_read_schedule),
      cmocka_unit_test(gatewayloadreader_parse_profiles_v2),
      cmocka_unit_test(gatewayloadreader_parse_profiles_v3),
      cmocka_unit_test(gatewayloadreader_get_rate_ignores_pending),
      cmocka_unit_test(gateway_trace_parse_example_of_6_6),
      cmocka_unit_test(gateway_trace_parse_every_meta_v_version),
      cmocka_unit_test(gateway_trace_parse_rejects_bad_records),
      cmocka_unit_test(gateway_writer_bytes_match_go_json_marshal),
      cmocka_unit_test(gateway_writer_rewrites_the_v2_test_record_byte_for_byte),
      cmocka_unit_test(gateway_writer_meta_keys_follow_the_version),
      cmocka_unit_test(gateway_writer_reader_round_trip),
      cmocka_unit_test(centroid_get_signature_vectors_of_6_4),
      cmocka_unit_test(go_profile_get_signature_vectors_agree),
      cmocka_unit_test(grid_midpoint_ties_go_to_the_higher_tick),
      cmocka_unit_test(grid_clamps_at_the_edges),
      cmocka_unit_test(grid_with_one_tick_always_maps_to_it),
      cmocka_unit_test(grid_check_rejects_empty_unsorted_and_nonpositive_ticks),
      cmocka_unit_test(dbscan_one_key_of_count_10_forms_a_cluster_alone),
      cmocka_unit_test(dbscan_min_pts_counts_the_point_itself_and_its_neighbours),
      cmocka_unit_test(dbscan_eps_boundary_is_inclusive_on_the_gateway_grid),
      cmocka_unit_test(dbscan_border_point_joins_the_highest_numbered_cluster),
      cmocka_unit_test(dbscan_chain_of_core_points_is_one_cluster),
      cmocka_unit_test(dbscan_result_does_not_depend_on_point_order),
      cmocka_unit_test(window_rotates_every_60s_and_clusters_the_oldest_sub_window),
      cmocka_unit_test(window_rotation_happens_at_60s_not_a_microsecond_before),
      cmocka_unit_test(monitor_minimizes_skips_or_optimizes),
      cmocka_unit_test(monitor_rate_is_the_larger_of_window_and_newest_record),
      cmocka_unit_test(monitor_first_step_takes_the_history),
      cmocka_unit_test(monitor_shares_of_centres_in_one_bucket_add_up),
      cmocka_unit_test(monitor_without_a_grid_reports_clusters_only),
      cmocka_unit_test(monitor_rejects_bad_config_and_grid),
      cmocka_unit_test(monitor_end_to_end_run_of_6_7),
      cmocka_unit_test(monitor_record_of_100_cells_of_max_count_takes_a_moment),
      cmocka_unit_test(monitor_refuses_windows_past_its_work_budget),
      cmocka_unit_test(monitor_centre_has_the_bits_of_the_point_by_point_sum),
      cmocka_unit_test(monitor_weighted_cells_equal_expanded_points),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
