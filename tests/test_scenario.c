/*
 * scenario_load: a valid scenario loads with its defaults; every class of bad input fails with
 * a message that names the file, the place (JSON path, LINE:COL or CSV line), what was
 * expected and what was found; count files and Azure traces load into the workload.
 *
 * Each test gets a fresh directory under /tmp holding the scenario (and its data files).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/engine/rng.h"
#include "sim/scenario/scenario.h"

/* ---- fixture: a temporary directory, the scenario loaded from it ---- */

typedef struct fx {
  char dir[64];    /* mkdtemp directory */
  char path[256];  /* DIR/scenario.json */
  char text[8192]; /* scenario text being built */
  char want[512];  /* expected message prefix being built */
  scenario sc;     /* zeroed, or loaded; freed by teardown */
  ps_err err;
} fx;

static void remove_dir(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  char p[512];
  while ((e = readdir(d)) != NULL) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    if (unlink(p) != 0) remove_dir(p); /* the tests only make files; be safe anyway */
  }
  closedir(d);
  rmdir(dir);
}

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  if (!f) return -1;
  strcpy(f->dir, "/tmp/podscale-test-scenario-XXXXXX");
  if (!mkdtemp(f->dir)) {
    free(f);
    return -1;
  }
  snprintf(f->path, sizeof f->path, "%s/scenario.json", f->dir);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx *f = *state;
  scenario_free(&f->sc);
  remove_dir(f->dir);
  free(f);
  return 0;
}

/* Write `text` to DIR/NAME; the full path goes into out (if not NULL). */
static void write_file(const fx *f, const char *name, const char *text, char *out, size_t n) {
  char p[256];
  snprintf(p, sizeof p, "%s/%s", f->dir, name);
  FILE *fp = fopen(p, "w");
  assert_non_null(fp);
  assert_true(fputs(text, fp) >= 0);
  assert_int_equal(fclose(fp), 0);
  if (out) snprintf(out, n, "%s", p);
}

/* ---- scenario text ---- */

#define GPUS "\"gpus\": [{\"name\": \"A100\", \"price_per_hour\": 3}]"
#define DEPLOYMENTS                                                                                \
  "\"deployments\": [{\"name\": \"d\", \"gpu\": \"A100\",\n"                                       \
  "    \"model\": {\"type\": \"slots\", \"slots\": 4, \"service_s\": {\"dist\": \"constant\", "    \
  "\"value\": 1}}}]"
#define POLICIES "\"policies\": [{\"name\": \"f1\", \"type\": \"fixed\", \"replicas\": 2}]"
#define SEGMENTS "{\"duration_s\": 30, \"rate\": 1}, {\"duration_s\": 30, \"rate\": 2}"
#define CONST_TOKENS "{\"dist\": \"constant\", \"value\": 100}"

/* A workload member with the given arrivals and input token distribution. */
static const char *workload(char *buf, size_t n, const char *arrivals, const char *input_tokens) {
  snprintf(buf, n,
           "\"workload\": {\n"
           "    \"arrivals\": %s,\n"
           "    \"input_tokens\": %s,\n"
           "    \"output_tokens\": {\"dist\": \"constant\", \"value\": 50}\n"
           "  }",
           arrivals, input_tokens);
  return buf;
}

static const char *segments_workload(char *buf, size_t n, const char *segments,
                                     const char *input_tokens) {
  char arr[1024];
  snprintf(arr, sizeof arr, "{\"type\": \"segments\", \"segments\": [%s]}", segments);
  return workload(buf, n, arr, input_tokens);
}

/* A whole scenario from its top-level members; NULL members are left out. */
static const char *scenario_text(fx *f, const char *extra, const char *wl, const char *gpus,
                                 const char *deployments, const char *policies) {
  const char *parts[] = {extra, wl, gpus, deployments, policies};
  size_t len = (size_t)snprintf(f->text, sizeof f->text, "{\n");
  bool first = true;
  for (size_t i = 0; i < sizeof parts / sizeof *parts; i++) {
    if (!parts[i]) continue;
    len += (size_t)snprintf(f->text + len, sizeof f->text - len, "%s  %s", first ? "" : ",\n",
                            parts[i]);
    first = false;
    assert_true(len < sizeof f->text);
  }
  snprintf(f->text + len, sizeof f->text - len, "\n}\n");
  return f->text;
}

/* The default scenario with `extra` top-level members and a replaced workload/deployments/
 * policies (NULL keeps the default). */
static const char *variant(fx *f, const char *extra, const char *wl, const char *deployments,
                           const char *policies) {
  char def[2048];
  if (!wl) wl = segments_workload(def, sizeof def, SEGMENTS, CONST_TOKENS);
  return scenario_text(f, extra, wl, GPUS, deployments ? deployments : DEPLOYMENTS,
                       policies ? policies : POLICIES);
}

/* ---- loading ---- */

static bool load(fx *f, const char *text) {
  write_file(f, "scenario.json", text, NULL, 0);
  scenario_free(&f->sc);
  memset(f->err.msg, 0, sizeof f->err.msg);
  return scenario_load(f->path, &f->sc, &f->err);
}

static void load_ok(fx *f, const char *text) {
  if (!load(f, text)) {
    print_error("unexpected load failure: %s\n", f->err.msg);
    fail();
  }
}

/* Loading `text` fails; the message starts with `prefix` and contains every one of `needles`
 * (NULL-terminated). */
static void load_fails(fx *f, const char *text, const char *prefix, const char *const *needles) {
  bool ok = load(f, text);
  if (ok) {
    print_error("load succeeded on:\n%s\n", text);
    fail();
  }
  /* A failed load leaves nothing behind to free. */
  assert_null(f->sc.path);
  assert_null(f->sc.segments);
  assert_int_equal(f->sc.npolicies, 0);
  if (strncmp(f->err.msg, prefix, strlen(prefix)) != 0) {
    print_error("message does not start with \"%s\":\n  %s\n", prefix, f->err.msg);
    fail();
  }
  for (const char *const *n = needles; n && *n; n++) {
    if (!strstr(f->err.msg, *n)) {
      print_error("message lacks \"%s\":\n  %s\n", *n, f->err.msg);
      fail();
    }
  }
  assert_null(strchr(f->err.msg, '\n'));
}

/* "SCENARIO: JSONPATH: " */
static const char *at(fx *f, const char *json_path) {
  snprintf(f->want, sizeof f->want, "%s: %s: ", f->path, json_path);
  return f->want;
}

/* ---- a valid scenario ---- */

static void minimal_scenario_loads_with_defaults(void **state) {
  fx *f = *state;
  load_ok(f, variant(f, NULL, NULL, NULL, NULL));
  const scenario *sc = &f->sc;
  assert_string_equal(sc->path, f->path);
  assert_string_equal(sc->name, "scenario"); /* the file name without .json */
  assert_int_equal(strlen(sc->digest), 16);
  assert_int_equal(sc->seed, 1);
  assert_int_equal(sc->router, ROUTER_RANDOM);
  assert_int_equal(sc->output.interval_us, 10 * INT64_C(1000000));
  assert_true(sc->output.requests);
  assert_null(sc->output.dir);
  assert_int_equal(sc->timeout_us, 0);
  assert_int_equal(sc->drain_us, 600 * INT64_C(1000000));
  /* No duration_s: the workload's two 30 s segments. */
  assert_int_equal(sc->duration_us, 60 * INT64_C(1000000));
  assert_int_equal(sc->workload.duration_us, sc->duration_us);
  /* Workload: step segments, Poisson, no scaling. */
  assert_int_equal(sc->workload.source, WL_SEGMENTS);
  assert_int_equal(sc->workload.process, WL_POISSON);
  assert_int_equal(sc->workload.nsegments, 2);
  assert_ptr_equal(sc->workload.segments, sc->segments);
  assert_true(sc->segments[0].duration_s == 30 && sc->segments[0].rate_rps == 1 &&
              sc->segments[0].end_rps == 1);
  assert_true(sc->segments[1].rate_rps == 2 && sc->segments[1].end_rps == 2);
  assert_true(sc->workload.rate_scale == 1 && sc->workload.time_scale == 1);
  assert_int_equal(sc->workload.input_tokens.kind, DIST_CONSTANT);
  assert_true(sc->workload.input_tokens.a == 100);
  assert_int_equal(sc->workload.max_output_tokens, 0);
  /* Cluster. */
  assert_int_equal(sc->ngpus, 1);
  assert_string_equal(sc->gpus[0].name, "A100");
  assert_true(sc->gpus[0].price_per_hour == 3);
  assert_int_equal(sc->ndeployments, 1);
  assert_string_equal(sc->deployments[0].name, "d");
  assert_int_equal(sc->deployments[0].gpu, 0);
  assert_int_equal(sc->deployments[0].slots.slots, 4);
  /* The default lifecycle: AIBrix's sample readiness probe (120 s, every 5 s), lognormal
   * image pull and model load. */
  assert_int_equal(sc->deployments[0].startup.probe_delay_us, 120 * INT64_C(1000000));
  assert_int_equal(sc->deployments[0].startup.probe_period_us, 5 * INT64_C(1000000));
  assert_int_equal(sc->deployments[0].startup.init_s.kind, DIST_LOGNORMAL);
  assert_int_equal(sc->deployments[0].startup.load_s.kind, DIST_LOGNORMAL);
  assert_int_equal(sc->deployments[0].grace_us, 60 * INT64_C(1000000));
  assert_int_equal(sc->npolicies, 1);
  assert_string_equal(sc->policies[0].name, "f1");
  assert_int_equal(sc->policies[0].cfg.kind, POLICY_FIXED);
  assert_int_equal(sc->policies[0].cfg.period_us, 30 * INT64_C(1000000));
  assert_int_equal(sc->policies[0].replicas[0], 2);
  assert_int_equal(scenario_policy_index(sc, "f1"), 0);
  assert_int_equal(scenario_policy_index(sc, "nope"), -1);
}

static void explicit_values_override_defaults(void **state) {
  fx *f = *state;
  char wl[2048];
  workload(wl, sizeof wl,
           "{\"type\": \"segments\", \"shape\": \"linear\", \"segments\": [" SEGMENTS "]}",
           CONST_TOKENS);
  load_ok(
      f, variant(f,
                 "\"name\": \"named\", \"seed\": 42, \"duration_s\": 90,\n"
                 "  \"router\": {\"policy\": \"least-request\"},\n"
                 "  \"client\": {\"timeout_s\": 120},\n"
                 "  \"output\": {\"interval_s\": 30, \"requests\": false, \"slo\": {\"e2e_s\": 5}}",
                 wl, NULL, NULL));
  const scenario *sc = &f->sc;
  assert_string_equal(sc->name, "named");
  assert_int_equal(sc->seed, 42);
  assert_int_equal(sc->duration_us, 90 * INT64_C(1000000));
  assert_int_equal(sc->router, ROUTER_LEAST_REQUEST);
  assert_int_equal(sc->timeout_us, 120 * INT64_C(1000000));
  assert_int_equal(sc->output.interval_us, 30 * INT64_C(1000000));
  assert_false(sc->output.requests);
  assert_true(sc->output.slo_e2e_s == 5);
  /* A linear segment ramps to the next one's rate; the last one stays flat. */
  assert_true(sc->segments[0].end_rps == 2);
  assert_true(sc->segments[1].end_rps == 2);
}

/* ---- JSON syntax ---- */

static void syntax_error_is_reported_with_line_and_column(void **state) {
  fx *f = *state;
  /* The comma after "seed": 1 is missing; the parser stops at "name" on line 3, column 3. */
  snprintf(f->want, sizeof f->want, "%s:3:3: JSON syntax error", f->path);
  load_fails(f, "{\n  \"seed\": 1\n  \"name\": \"x\"\n}\n", f->want,
             (const char *[]){"near '\"name\"", NULL});
  /* A bad literal on line 2, column 11. */
  snprintf(f->want, sizeof f->want, "%s:2:11: JSON syntax error", f->path);
  load_fails(f, "{\n  \"seed\": tru\n}\n", f->want, (const char *[]){"near 'tru'", NULL});
}

static void truncated_file_is_reported_as_unexpected_end_of_file(void **state) {
  fx *f = *state;
  /* The file ends after column 25 of line 3. */
  snprintf(f->want, sizeof f->want, "%s:3:26: JSON syntax error: unexpected end of file", f->path);
  load_fails(f, "{\n  \"seed\": 1,\n  \"workload\": {\"a\": [1, 2", f->want, NULL);
  snprintf(f->want, sizeof f->want, "%s:1:1: JSON syntax error: unexpected end of file", f->path);
  load_fails(f, "", f->want, NULL);
}

/* ---- keys ---- */

static void unknown_top_level_key_is_reported_with_the_keys_allowed(void **state) {
  fx *f = *state;
  load_fails(f, variant(f, "\"sed\": 3", NULL, NULL, NULL), at(f, "sed"),
             (const char *[]){"unknown key", "expected one of: ", "seed", "workload", NULL});
}

static void unknown_nested_key_is_reported_with_its_path(void **state) {
  fx *f = *state;
  char wl[2048];
  segments_workload(wl, sizeof wl,
                    "{\"duration_s\": 30, \"rate\": 1}, {\"duraton_s\": 30, \"rate\": 2}",
                    CONST_TOKENS);
  load_fails(f, variant(f, NULL, wl, NULL, NULL), at(f, "workload.arrivals.segments[1].duraton_s"),
             (const char *[]){"unknown key", "duration_s, rate, end_rate", NULL});
}

static void missing_workload_is_reported(void **state) {
  fx *f = *state;
  load_fails(f, scenario_text(f, NULL, NULL, GPUS, DEPLOYMENTS, POLICIES), at(f, "workload"),
             (const char *[]){"required key is missing", NULL});
}

static void missing_policy_name_is_reported_with_its_index(void **state) {
  fx *f = *state;
  load_fails(f,
             variant(f, NULL, NULL, NULL, "\"policies\": [{\"type\": \"fixed\", \"replicas\": 1}]"),
             at(f, "policies[0].name"), (const char *[]){"required key is missing", NULL});
}

/* ---- types ---- */

static void string_where_number_expected_is_reported(void **state) {
  fx *f = *state;
  char wl[2048];
  segments_workload(wl, sizeof wl,
                    "{\"duration_s\": 30, \"rate\": 1}, {\"duration_s\": 30, \"rate\": \"2\"}",
                    CONST_TOKENS);
  load_fails(f, variant(f, NULL, wl, NULL, NULL), at(f, "workload.arrivals.segments[1].rate"),
             (const char *[]){"expected a number", "found the string \"2\"", NULL});
}

static void number_where_object_expected_is_reported(void **state) {
  fx *f = *state;
  load_fails(f, scenario_text(f, NULL, "\"workload\": 5", GPUS, DEPLOYMENTS, POLICIES),
             at(f, "workload"), (const char *[]){"expected an object, found the number 5", NULL});
}

/* ---- ranges ---- */

static void negative_rate_is_out_of_range(void **state) {
  fx *f = *state;
  char wl[2048];
  segments_workload(wl, sizeof wl,
                    "{\"duration_s\": 30, \"rate\": 1}, {\"duration_s\": 30, \"rate\": -2}",
                    CONST_TOKENS);
  load_fails(f, variant(f, NULL, wl, NULL, NULL), at(f, "workload.arrivals.segments[1].rate"),
             (const char *[]){"expected a number from 0 to", "found the number -2", NULL});
}

static void zero_slots_is_out_of_range(void **state) {
  fx *f = *state;
  load_fails(f,
             variant(f, NULL, NULL,
                     "\"deployments\": [{\"name\": \"d\", \"gpu\": \"A100\", \"startup_s\": 0, "
                     "\"model\": {\"type\": "
                     "\"slots\", \"slots\": 0, \"service_s\": {\"dist\": \"constant\", \"value\": "
                     "1}}}]",
                     NULL),
             at(f, "deployments[0].model.slots"),
             (const char *[]){"expected an integer from 1 to 4096", "found the number 0", NULL});
}

static void negative_seed_is_out_of_range(void **state) {
  fx *f = *state;
  load_fails(f, variant(f, "\"seed\": -1", NULL, NULL, NULL), at(f, "seed"),
             (const char *[]){"expected an integer from 0 to", "found the number -1", NULL});
}

/* ---- references ---- */

static void deployment_naming_an_unknown_gpu_is_reported(void **state) {
  fx *f = *state;
  load_fails(f,
             variant(f, NULL, NULL,
                     "\"deployments\": [{\"name\": \"d\", \"gpu\": \"H100\", \"startup_s\": 0, "
                     "\"model\": {\"type\": "
                     "\"slots\", \"service_s\": {\"dist\": \"constant\", \"value\": 1}}}]",
                     NULL),
             at(f, "deployments[0].gpu"),
             (const char *[]){"expected the name of a GPU type", "found \"H100\"", NULL});
}

static void replicas_naming_an_unknown_deployment_are_reported(void **state) {
  fx *f = *state;
  load_fails(f,
             variant(f, NULL, NULL, NULL,
                     "\"policies\": [{\"name\": \"f1\", \"type\": \"fixed\", \"replicas\": "
                     "{\"d\": 1, \"ghost\": 2}}]"),
             at(f, "policies[0].replicas.ghost"),
             (const char *[]){"expected the name of a deployment", NULL});
}

static void duplicate_policy_name_is_reported_at_the_second_one(void **state) {
  fx *f = *state;
  load_fails(f,
             variant(f, NULL, NULL, NULL,
                     "\"policies\": [{\"name\": \"f1\", \"type\": \"fixed\", \"replicas\": 1},\n"
                     "    {\"name\": \"f1\", \"type\": \"fixed\", \"replicas\": 2}]"),
             at(f, "policies[1].name"),
             (const char *[]){"not used by another policy", "found \"f1\"", NULL});
}

/* ---- distributions ---- */

static void lognormal_p99_below_the_mean_is_rejected(void **state) {
  fx *f = *state;
  char wl[2048];
  segments_workload(wl, sizeof wl, SEGMENTS,
                    "{\"dist\": \"lognormal\", \"mean\": 300, \"p99\": 100}");
  load_fails(f, variant(f, NULL, wl, NULL, NULL), at(f, "workload.input_tokens.p99"),
             (const char *[]){"expected a number from 300 to", "found the number 100", NULL});
}

static void trace_token_dist_with_a_segments_workload_is_rejected(void **state) {
  fx *f = *state;
  char wl[2048];
  segments_workload(wl, sizeof wl, SEGMENTS, "{\"dist\": \"trace\"}");
  load_fails(
      f, variant(f, NULL, wl, NULL, NULL), at(f, "workload.input_tokens.dist"),
      (const char *[]){"expected a distribution other than \"trace\"", "found \"trace\"", NULL});
}

/* ---- data files ---- */

static const char *counts_workload(char *buf, size_t n, const char *file, const char *mode) {
  char arr[512];
  snprintf(arr, sizeof arr, "{\"type\": \"counts\", \"file\": \"%s\", \"mode\": \"%s\"}", file,
           mode);
  return workload(buf, n, arr, CONST_TOKENS);
}

static const char *trace_workload(char *buf, size_t n, const char *file) {
  snprintf(buf, n,
           "\"workload\": {\"arrivals\": {\"type\": \"trace\", \"file\": \"%s\", \"format\": "
           "\"azure\"}}",
           file);
  return buf;
}

static void missing_counts_file_is_reported_with_its_path(void **state) {
  fx *f = *state;
  char wl[2048];
  counts_workload(wl, sizeof wl, "nope.csv", "exact");
  /* Resolved against the scenario's directory. */
  snprintf(f->want, sizeof f->want, "%s/nope.csv: cannot open: ", f->dir);
  load_fails(f, variant(f, NULL, wl, NULL, NULL), f->want,
             (const char *[]){"No such file or directory", NULL});
}

static void non_number_in_count_file_is_reported_with_file_and_line(void **state) {
  fx *f = *state;
  char wl[2048], csv[256];
  counts_workload(wl, sizeof wl, "counts.csv", "exact");
  write_file(f, "counts.csv", "second,count\n0,3\n1,x\n2,4\n", csv, sizeof csv);
  snprintf(f->want, sizeof f->want, "%s:3: ", csv);
  load_fails(f, variant(f, NULL, wl, NULL, NULL), f->want,
             (const char *[]){"expected a count", "found \"x\"", NULL});
  /* A bad second (not on the header line) too. */
  write_file(f, "counts.csv", "0,3\n1,4\nten,4\n", NULL, 0);
  load_fails(f, variant(f, NULL, wl, NULL, NULL), f->want,
             (const char *[]){"expected a whole second", "found \"ten\"", NULL});
}

static void bad_timestamp_in_azure_trace_is_reported_with_file_and_line(void **state) {
  fx *f = *state;
  char wl[2048], csv[256];
  trace_workload(wl, sizeof wl, "trace.csv");
  write_file(f, "trace.csv",
             "TIMESTAMP,ContextTokens,GeneratedTokens\n"
             "2023-11-16 18:17:03.9799600,374,44\n"
             "2023-11-16 18:1x:04.1,10,20\n"
             "2023-11-16 18:17:05.0000000,10,20\n",
             csv, sizeof csv);
  snprintf(f->want, sizeof f->want, "%s:3: ", csv);
  load_fails(
      f, variant(f, NULL, wl, NULL, NULL), f->want,
      (const char *[]){"expected a TIMESTAMP like", "found \"2023-11-16 18:1x:04.1\"", NULL});
}

static void count_file_with_header_loads_per_second_counts(void **state) {
  fx *f = *state;
  char wl[2048];
  counts_workload(wl, sizeof wl, "counts.csv", "exact");
  write_file(f, "counts.csv", "second,count\n0,3\n2,5\n", NULL, 0);
  load_ok(f, variant(f, NULL, wl, NULL, NULL));
  const wl_spec *w = &f->sc.workload;
  assert_int_equal(w->source, WL_COUNTS);
  assert_int_equal(w->ncounts, 3); /* seconds 0..2, the missing second 1 counts 0 */
  assert_int_equal(w->counts[0], 3);
  assert_int_equal(w->counts[1], 0);
  assert_int_equal(w->counts[2], 5);
  assert_int_equal(f->sc.duration_us, 3 * INT64_C(1000000));

  /* Without a header. */
  write_file(f, "counts.csv", "0,1\n1,2\n", NULL, 0);
  load_ok(f, variant(f, NULL, wl, NULL, NULL));
  w = &f->sc.workload;
  assert_int_equal(w->ncounts, 2);
  assert_int_equal(w->counts[0], 1);
  assert_int_equal(w->counts[1], 2);
}

static void count_file_in_rate_mode_becomes_one_second_step_segments(void **state) {
  fx *f = *state;
  char wl[2048];
  counts_workload(wl, sizeof wl, "counts.csv", "rate");
  write_file(f, "counts.csv", "second,count\n0,3\n1,7\n", NULL, 0);
  load_ok(f, variant(f, NULL, wl, NULL, NULL));
  const wl_spec *w = &f->sc.workload;
  assert_int_equal(w->source, WL_SEGMENTS);
  assert_int_equal(w->nsegments, 2);
  assert_true(w->segments[0].duration_s == 1 && w->segments[0].rate_rps == 3 &&
              w->segments[0].end_rps == 3);
  assert_true(w->segments[1].rate_rps == 7 && w->segments[1].end_rps == 7);
}

static void azure_trace_loads_records_relative_to_the_first(void **state) {
  fx *f = *state;
  char wl[2048];
  trace_workload(wl, sizeof wl, "trace.csv");
  write_file(f, "trace.csv",
             "TIMESTAMP,ContextTokens,GeneratedTokens\n"
             "2023-11-16 18:17:03.9799600,374,44\n"
             "2023-11-16 18:17:05.0000100,396,109\n"
             "2023-11-17 00:00:00,10,20\n"    /* across midnight */
             "2024-03-01 00:00:00.5,11,21\n", /* across the year and 29 February */
             NULL, 0);
  load_ok(f, variant(f, NULL, wl, NULL, NULL));
  const wl_spec *w = &f->sc.workload;
  assert_int_equal(w->source, WL_TRACE);
  assert_int_equal(w->ntrace, 4);
  assert_ptr_equal(w->trace, f->sc.trace);
  assert_int_equal(w->trace[0].t_us, 0);
  assert_int_equal(w->trace[0].input_tokens, 374);
  assert_int_equal(w->trace[0].output_tokens, 44);
  /* 18:17:05.0000100 - 18:17:03.9799600 = 1.0200500 s */
  assert_int_equal(w->trace[1].t_us, INT64_C(1020050));
  assert_int_equal(w->trace[1].input_tokens, 396);
  assert_int_equal(w->trace[1].output_tokens, 109);
  /* 24:00:00 - 18:17:03.97996 = 5 h 42 min 56.02004 s */
  assert_int_equal(w->trace[2].t_us, INT64_C(20576020040));
  /* plus 105 days (14 + 31 + 31 + 29) and 0.5 s */
  assert_int_equal(w->trace[3].t_us,
                   INT64_C(20576020040) + INT64_C(105) * 86400 * 1000000 + 500000);
  /* Token lengths come from the trace when the workload does not name distributions. */
  assert_int_equal(w->input_tokens.kind, DIST_TRACE);
  assert_int_equal(w->output_tokens.kind, DIST_TRACE);
  /* The run lasts to just past the last record. */
  assert_int_equal(f->sc.duration_us, w->trace[3].t_us + 1);
}

static void missing_key_inside_an_object_points_at_the_bad_character(void **state) {
  fx *f = *state;
  /* cJSON stops one past the comma here; the message must point at the comma itself. */
  snprintf(f->want, sizeof f->want, "%s:3:16: JSON syntax error near ','", f->path);
  load_fails(f, "{\n  \"name\": \"x\",\n  \"workload\": {,\n}\n", f->want, NULL);
}

static void distribution_parameter_of_another_kind_is_rejected(void **state) {
  fx *f = *state;
  char wl[2048];
  segments_workload(wl, sizeof wl, SEGMENTS, "{\"dist\": \"constant\", \"value\": 5, \"mean\": 7}");
  load_fails(f, variant(f, NULL, wl, NULL, NULL), at(f, "workload.input_tokens.mean"),
             (const char *[]){"expected no \"mean\" with \"dist\": \"constant\"", NULL});
}

static void impossible_date_in_azure_trace_is_rejected(void **state) {
  fx *f = *state;
  char wl[2048], csv[256];
  trace_workload(wl, sizeof wl, "trace.csv");
  write_file(f, "trace.csv",
             "TIMESTAMP,ContextTokens,GeneratedTokens\n"
             "2023-02-28 23:59:59,1,1\n"
             "2023-02-29 00:00:00,1,1\n",
             csv, sizeof csv);
  snprintf(f->want, sizeof f->want, "%s:3: ", csv);
  load_fails(f, variant(f, NULL, wl, NULL, NULL), f->want,
             (const char *[]){"expected a TIMESTAMP", "found \"2023-02-29 00:00:00\"", NULL});
}

/* ---- AIBrix workload files (JSONL) ---- */

/* With DIR/NAME holding `text`, loading fails at NAME:LINE with a message holding `needle`. */
static void data_file_fails(fx *f, const char *wl, const char *name, const char *text, int line,
                            const char *needle) {
  write_file(f, name, text, NULL, 0);
  snprintf(f->want, sizeof f->want, "%s/%s:%d: ", f->dir, name, line);
  load_fails(f, variant(f, NULL, wl, NULL, NULL), f->want, (const char *[]){needle, NULL});
}

static const char *jsonl_workload(char *buf, size_t n, const char *file, const char *extra) {
  snprintf(buf, n,
           "\"workload\": {\"arrivals\": {\"type\": \"trace\", \"format\": \"aibrix-jsonl\", "
           "\"file\": \"%s\"}%s%s}",
           file, extra ? ", " : "", extra ? extra : "");
  return buf;
}

static void aibrix_jsonl_reads_both_key_styles(void **state) {
  fx *f = *state;
  char wl[2048];
  jsonl_workload(wl, sizeof wl, "w.jsonl", NULL);
  write_file(f, "w.jsonl",
             "{\"timestamp\": 21, \"requests\": [{\"Prompt Length\": 909, \"Output Length\": 22, "
             "\"prompt\": \"Here\"}]}\n"
             "\n"
             "{\"timestamp\": 655.9, \"requests\": [{\"prompt\": \"NaN \\\"x\\\"\", "
             "\"prompt_length\": 713, \"output_length\": 19.0, \"session_id\": 3},\n"
             "{\"timestamp\": 700, \"requests\": [{\"prompt_length\": 5, \"output_length\": 6}, "
             "{\"prompt_length\": 7, \"output_length\": 8, \"session_id\": null}]}\n",
             NULL, 0);
  /* The second line is cut short: a syntax error on line 3. */
  snprintf(f->want, sizeof f->want, "%s/w.jsonl:3: ", f->dir);
  load_fails(f, variant(f, NULL, wl, NULL, NULL), f->want,
             (const char *[]){"expected a JSON object, found a syntax error at column", NULL});
  write_file(f, "w.jsonl",
             "{\"timestamp\": 21, \"requests\": [{\"Prompt Length\": 909, \"Output Length\": 22, "
             "\"prompt\": \"Here\"}]}\n"
             "\n"
             "{\"timestamp\": 655.9, \"requests\": [{\"prompt\": \"NaN \\\"x\\\"\", "
             "\"prompt_length\": 713, \"output_length\": 19.0, \"session_id\": 3}]}\n"
             "{\"timestamp\": 700, \"requests\": [{\"prompt_length\": 5, \"output_length\": 6}, "
             "{\"prompt_length\": 7, \"output_length\": 8, \"session_id\": null}]}",
             NULL, 0);
  load_ok(f, variant(f, NULL, wl, NULL, NULL));
  const wl_spec *w = &f->sc.workload;
  assert_int_equal(w->source, WL_TRACE);
  assert_int_equal(w->ntrace, 4);
  /* Milliseconds from the client's start (not from the first line), fractions dropped. */
  const int64_t t[] = {21000, 655000, 700000, 700000};
  const int32_t in[] = {909, 713, 5, 7}, out[] = {22, 19, 6, 8};
  for (int i = 0; i < 4; i++) {
    assert_int_equal(w->trace[i].t_us, t[i]);
    assert_int_equal(w->trace[i].input_tokens, in[i]);
    assert_int_equal(w->trace[i].output_tokens, out[i]);
  }
  assert_int_equal(w->input_tokens.kind, DIST_TRACE);
  assert_int_equal(w->output_tokens.kind, DIST_TRACE);
  assert_int_equal(f->sc.duration_us, 700001);
}

static void aibrix_jsonl_bad_line_names_file_and_line(void **state) {
  fx *f = *state;
  char wl[2048];
  jsonl_workload(wl, sizeof wl, "w.jsonl", NULL);
  const char *good = "{\"timestamp\": 10, \"requests\": [{\"prompt_length\": 1, "
                     "\"output_length\": 2}]}\n";
  struct {
    const char *line, *needle;
  } bad[] = {
      {"{\"timestamp\": 20, \"requests\": [{\"prompt_length\": \"12\", \"output_length\": 2}]}",
       "requests[0].prompt_length: expected a whole number from 0 to 10000000, found the string "
       "\"12\""},
      {"{\"timestamp\": 20, \"requests\": [{\"prompt_length\": 1, \"output_length\": 2.5}]}",
       "requests[0].output_length: expected a whole number"},
      {"{\"timestamp\": 5, \"requests\": []}",
       "timestamp: expected timestamps in increasing order, found 5 after 10"},
      {"{\"requests\": []}",
       "timestamp: expected milliseconds from 0 to 1000000000000, found none"},
      {"{\"timestamp\": 20, \"requests\": {}}", "requests: expected an array, found"},
      {"[1, 2]", "expected an object {\"timestamp\": MS, \"requests\": [...]}, found"},
      {"{\"timestamp\": 20, \"requests\": [{\"prompt_length\": 1, \"Prompt Length\": 1, "
       "\"output_length\": 2}]}",
       "requests[0]: expected one of \"prompt_length\" and \"Prompt Length\", found both"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    char text[512];
    snprintf(text, sizeof text, "%s%s\n%s", good, bad[i].line, good);
    data_file_fails(f, wl, "w.jsonl", text, 2, bad[i].needle);
  }
  write_file(f, "w.jsonl", "\n\n", NULL, 0);
  snprintf(f->want, sizeof f->want, "%s/w.jsonl: expected requests, found none", f->dir);
  load_fails(f, variant(f, NULL, wl, NULL, NULL), f->want, NULL);
}

/* AIBrix's generator writes "output_length": null (or, through pandas, NaN) when its prompts
 * have no completions: fine when the scenario draws output lengths, an error otherwise. */
static void aibrix_jsonl_unknown_output_length_needs_an_output_distribution(void **state) {
  fx *f = *state;
  char wl[2048];
  const char *text =
      "{\"timestamp\": 0, \"requests\": [{\"prompt_length\": 4, \"output_length\": 3}]}\n"
      "{\"timestamp\": 1, \"requests\": [{\"prompt_length\": 5, \"output_length\": null}]}\n"
      "{\"timestamp\": 2, \"requests\": [{\"prompt_length\": 6, \"output_length\": NaN}]}\n"
      "{\"timestamp\": 3, \"requests\": [{\"prompt_length\": 7}]}\n";
  jsonl_workload(wl, sizeof wl, "w.jsonl", NULL);
  data_file_fails(f, wl, "w.jsonl", text, 2,
                  "requests[0]: expected \"output_length\" (the scenario takes lengths from the "
                  "file), found null; or give the workload a distribution");
  jsonl_workload(wl, sizeof wl, "w.jsonl",
                 "\"output_tokens\": {\"dist\": \"constant\", \"value\": 9}");
  load_ok(f, variant(f, NULL, wl, NULL, NULL));
  const wl_spec *w = &f->sc.workload;
  assert_int_equal(w->ntrace, 4);
  assert_int_equal(w->trace[3].input_tokens, 7);
  assert_int_equal(w->output_tokens.kind, DIST_CONSTANT);
  assert_int_equal(w->input_tokens.kind, DIST_TRACE);
}

/* The same arrivals as an Azure trace and as an AIBrix file give the same requests under any
 * rate_scale and time_scale. */
static void aibrix_jsonl_scales_exactly_as_an_azure_trace(void **state) {
  fx *f = *state;
  char wl[2048];
  write_file(f, "t.csv",
             "TIMESTAMP,ContextTokens,GeneratedTokens\n"
             "2023-11-16 00:00:00,10,1\n2023-11-16 00:00:01,20,2\n2023-11-16 00:00:01,30,3\n"
             "2023-11-16 00:00:02.5,40,4\n",
             NULL, 0);
  write_file(
      f, "w.jsonl",
      "{\"timestamp\": 0, \"requests\": [{\"prompt_length\": 10, \"output_length\": 1}]}\n"
      "{\"timestamp\": 1000, \"requests\": [{\"prompt_length\": 20, \"output_length\": 2}, "
      "{\"prompt_length\": 30, \"output_length\": 3}]}\n"
      "{\"timestamp\": 2500, \"requests\": [{\"prompt_length\": 40, \"output_length\": 4}]}\n",
      NULL, 0);
  const char *scale = "\"rate_scale\": 2.5, \"time_scale\": 0.5";
  wl_request got[2][64];
  size_t n[2] = {0, 0};
  for (int k = 0; k < 2; k++) {
    if (k == 0)
      snprintf(wl, sizeof wl,
               "\"workload\": {\"arrivals\": {\"type\": \"trace\", \"file\": \"t.csv\"}, %s}",
               scale);
    else
      jsonl_workload(wl, sizeof wl, "w.jsonl", scale);
    load_ok(f, variant(f, NULL, wl, NULL, NULL));
    gsl_rng *r[4] = {rng_stream(1, "a"), rng_stream(1, "i"), rng_stream(1, "o"),
                     rng_stream(1, "s")};
    wl_gen *g = wl_gen_new(&f->sc.workload, r[0], r[1], r[2], r[3]);
    while (n[k] < 64 && wl_gen_next(g, &got[k][n[k]]))
      n[k]++;
    wl_gen_free(g);
    for (int i = 0; i < 4; i++)
      gsl_rng_free(r[i]);
  }
  assert_int_equal(n[0], n[1]);
  assert_true(n[0] >= 8 && n[0] <= 12); /* 4 records x 2.5 */
  for (size_t i = 0; i < n[0]; i++) {
    assert_int_equal(got[0][i].arrival_us, got[1][i].arrival_us);
    assert_int_equal(got[0][i].input_tokens, got[1][i].input_tokens);
    assert_int_equal(got[0][i].output_tokens, got[1][i].output_tokens);
  }
  assert_int_equal(got[1][0].arrival_us, 0);
  assert_int_equal(got[1][n[1] - 1].arrival_us, 1250000); /* 2.5 s x 0.5 */
}

static void aibrix_jsonl_reads_the_v100_workload(void **state) {
  fx *f = *state;
  char wl[2048];
  jsonl_workload(wl, sizeof wl,
                 PODSCALE_SOURCE_DIR "/scenarios/data/aibrix-v100-runs/workload/"
                                     "8min_up_and_down.jsonl",
                 NULL);
  load_ok(f, variant(f, NULL, wl, NULL, NULL));
  const wl_spec *w = &f->sc.workload;
  assert_int_equal(w->ntrace, 2026);
  assert_int_equal(w->trace[0].t_us, 6011000);
  assert_int_equal(w->trace[0].input_tokens, 178);
  assert_int_equal(w->trace[0].output_tokens, 8);
}

/* ---- tabulated distributions ---- */

static const char *with_output(char *buf, size_t n, const char *output_tokens) {
  char arr[256];
  snprintf(arr, sizeof arr, "{\"type\": \"segments\", \"segments\": [%s]}", SEGMENTS);
  snprintf(buf, n,
           "\"workload\": {\"arrivals\": %s, \"input_tokens\": " CONST_TOKENS
           ", \"output_tokens\": %s}",
           arr, output_tokens);
  return buf;
}

static void samples_file_with_a_bad_row_names_the_file_and_line(void **state) {
  fx *f = *state;
  char wl[2048];
  with_output(wl, sizeof wl,
              "{\"dist\": \"empirical\", \"file\": \"r.csv\", \"column\": \"output_tokens\"}");
  data_file_fails(f, wl, "r.csv",
                  "batch,send_s,latency_s,output_tokens\n0,3.83,0.98,1\n1,5.04,1.01,x\n", 3,
                  "expected a sample from 0 to 10000000, found \"x\"");
  data_file_fails(f, wl, "r.csv", "batch,send_s,latency_s\n0,3.83,0.98\n", 1,
                  "expected a header with the column \"output_tokens\"");
  /* One sample per line, with a header. */
  with_output(wl, sizeof wl, "{\"dist\": \"empirical\", \"file\": [\"s.csv\"]}");
  data_file_fails(f, wl, "s.csv", "tokens\n1\n2\n-3\n", 4, "found \"-3\"");
  data_file_fails(f, wl, "s.csv", "1\n2,3\n", 2, "expected 1 field (one sample per line), found 2");
}

static void empirical_reads_files_columns_and_inline_values(void **state) {
  fx *f = *state;
  char wl[2048];
  with_output(wl, sizeof wl,
              "{\"dist\": \"empirical\", \"file\": [\"a.csv\", \"b.csv\"], \"column\": \"n\"}");
  write_file(f, "a.csv", "x,n\n0,1\n0,1\n", NULL, 0);
  write_file(f, "b.csv", "n,x\n2048,0\n", NULL, 0);
  load_ok(f, variant(f, NULL, wl,
                     "\"deployments\": [{\"name\": \"d\", \"gpu\": \"A100\", \"startup\": "
                     "{\"init_s\": {\"dist\": \"empirical\", \"values\": [30, 10, 20]}},\n"
                     "    \"model\": {\"type\": \"slots\", \"service_s\": {\"dist\": "
                     "\"quantiles\", \"points\": [[0, 1], [1, 3]]}}}]",
                     NULL));
  const dist *out = &f->sc.workload.output_tokens;
  assert_int_equal(out->kind, DIST_TABLE);
  assert_true(dist_quantile(out, 0.5) == 1 && dist_quantile(out, 0.7) == 2048);
  assert_true(fabs(dist_mean(out) - 2050.0 / 3) < 1e-9);
  const dist *init = &f->sc.deployments[0].startup.init_s;
  assert_int_equal(init->kind, DIST_TABLE);
  assert_true(dist_quantile(init, 0.1) == 10 && dist_quantile(init, 0.9) == 30);
  assert_true(dist_mean(&f->sc.deployments[0].slots.service_s) == 2);
  assert_int_equal(f->sc.ntables, 3); /* owned by the scenario, freed by scenario_free */
}

/* Measured runs hold a request once per run that completed it; with "key" it counts once, at
 * the median of its measurements, so requests that complete everywhere do not outweigh the
 * long ones that often fail. */
static void empirical_with_a_key_counts_each_request_once(void **state) {
  fx *f = *state;
  char wl[2048];
  with_output(wl, sizeof wl,
              "{\"dist\": \"empirical\", \"file\": [\"a.csv\", \"b.csv\"], \"column\": \"n\", "
              "\"key\": \"batch\"}");
  write_file(f, "a.csv", "batch,n\n1,1\n2,1\n3,2048\n", NULL, 0);
  write_file(f, "b.csv", "n,batch\n1,1\n3,1\n2,2\n", NULL, 0);
  load_ok(f, variant(f, NULL, wl, NULL, NULL));
  const dist *out = &f->sc.workload.output_tokens;
  /* batch 1: {1, 1} -> 1; batch 2: {1, 2} -> 1 (lower median); batch 3: {2048} -> 2048. */
  assert_true(fabs(dist_mean(out) - 2050.0 / 3) < 1e-9);
  assert_true(dist_quantile(out, 0.5) == 1 && dist_quantile(out, 0.7) == 2048);
}

/* AIBrix's PodAutoscaler writes the metric source's port as a string (`port: '8000'`). */
static void a_podautoscaler_port_may_be_a_string(void **state) {
  fx *f = *state;
  const char *kpa = "\"policies\": [{\"name\": \"k\", \"type\": \"kpa\", \"spec\": "
                    "{\"minReplicas\": 1, \"maxReplicas\": 4, \"metricsSources\": "
                    "[{\"metricSourceType\": \"pod\", \"port\": %s, \"targetMetric\": "
                    "\"gpu_cache_usage_perc\", \"targetValue\": \"0.5\"}]}}]";
  char pol[512];
  snprintf(pol, sizeof pol, kpa, "\"8000\"");
  load_ok(f, variant(f, NULL, NULL, NULL, pol));
  snprintf(pol, sizeof pol, kpa, "8000");
  load_ok(f, variant(f, NULL, NULL, NULL, pol));
  snprintf(pol, sizeof pol, kpa, "\"80x\"");
  load_fails(f, variant(f, NULL, NULL, NULL, pol), at(f, "policies[0].spec.metricsSources[0].port"),
             (const char *[]){"expected a port from 1 to 65535, found \"80x\"", NULL});
}

/* The keys that model a real cluster's client, gateway and protocol are checked like any other. */
static void cluster_behaviour_keys_are_checked(void **state) {
  fx *f = *state;
  load_fails(f, variant(f, "\"client\": {\"error_rate\": 1.5}", NULL, NULL, NULL),
             at(f, "client.error_rate"), (const char *[]){"found the number 1.5", NULL});
  load_fails(f, variant(f, "\"client\": {\"timeout_cancels\": 0}", NULL, NULL, NULL),
             at(f, "client.timeout_cancels"), (const char *[]){"expected true or false", NULL});
  load_fails(f, variant(f, "\"router\": {\"route_terminating\": \"yes\"}", NULL, NULL, NULL),
             at(f, "router.route_terminating"), (const char *[]){"expected true or false", NULL});
  load_fails(f, variant(f, "\"warmup_s\": -1", NULL, NULL, NULL), at(f, "warmup_s"),
             (const char *[]){"found the number -1", NULL});
  load_ok(f, variant(f,
                     "\"warmup_s\": 145, \"client\": {\"error_rate\": 0.034, "
                     "\"timeout_cancels\": false}, \"router\": {\"route_terminating\": true}",
                     NULL, NULL, NULL));
  assert_int_equal(f->sc.warmup_us, 145000000);
  assert_false(f->sc.timeout_cancels);
  assert_true(f->sc.route_terminating);
}

/* Names are data, never paths: the scenario's (the output directory), a deployment's (its profile
 * file) and a policy's are refused at load when they could not be a file name as they are. */
static void names_that_are_not_file_names_are_refused_at_load(void **state) {
  fx *f = *state;
  char long_name[301];
  memset(long_name, 'x', 300);
  long_name[300] = '\0';
  struct {
    const char *name, *needle;
  } bad[] = {{"..", "a name other than \".\" and \"..\""},
             {"../../escape", "a name without '/'"},
             {"a\\u0001b", "control characters"},
             {"a\xff", "a name in UTF-8"},
             {long_name, "a name of at most 200 bytes"}}; /* "" is not a name at all */
  char text[1024];
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    snprintf(text, sizeof text, "\"name\": \"%s\"", bad[i].name);
    load_fails(f, variant(f, text, NULL, NULL, NULL), at(f, "name"),
               (const char *[]){bad[i].needle, "it names the output directory", NULL});
    snprintf(text, sizeof text,
             "\"deployments\": [{\"name\": \"%s\", \"gpu\": \"A100\", \"model\": {\"type\": "
             "\"slots\", \"service_s\": {\"dist\": \"constant\", \"value\": 1}}}]",
             bad[i].name);
    load_fails(f, variant(f, NULL, NULL, text, NULL), at(f, "deployments[0].name"),
               (const char *[]){bad[i].needle, NULL});
    snprintf(text, sizeof text,
             "\"policies\": [{\"name\": \"%s\", \"type\": \"fixed\", \"replicas\": 1}]",
             bad[i].name);
    load_fails(f, variant(f, NULL, NULL, NULL, text), at(f, "policies[0].name"),
               (const char *[]){bad[i].needle, NULL});
  }
}

/* A NUL in any name (JSON's \u0000) is refused too, before the name could be cut short at it. */
static void a_nul_in_a_name_is_refused(void **state) {
  fx *f = *state;
  const char *const texts[] = {
      "\"name\": \"a\\u0000b\"",
      "\"deployments\": [{\"name\": \"a\\u0000b\", \"gpu\": \"A100\", \"model\": {\"type\": "
      "\"slots\", \"service_s\": {\"dist\": \"constant\", \"value\": 1}}}]",
      "\"policies\": [{\"name\": \"a\\u0000b\", \"type\": \"fixed\", \"replicas\": 1}]"};
  load_fails(f, variant(f, texts[0], NULL, NULL, NULL), f->path,
             (const char *[]){"expected no \\u0000 in a string", NULL});
  load_fails(f, variant(f, NULL, NULL, texts[1], NULL), f->path,
             (const char *[]){"expected no \\u0000 in a string", NULL});
  load_fails(f, variant(f, NULL, NULL, NULL, texts[2]), f->path,
             (const char *[]){"expected no \\u0000 in a string", NULL});
}

/* A run too big for memory or disk is refused at load with the estimate (run_size.h): 1e7 req/s
 * for 1e9 s is inside every key's range but 1e16 requests; 1e9 s at 1 req/s writes about 40 GB
 * of timeseries and decisions, unless output.max_bytes allows it. */
static void a_run_too_big_is_refused_at_load_with_its_estimate(void **state) {
  fx *f = *state;
  char wl[2048];
  load_fails(f,
             variant(f, NULL,
                     segments_workload(wl, sizeof wl, "{\"duration_s\": 1e9, \"rate\": 1e7}",
                                       CONST_TOKENS),
                     NULL, NULL),
             at(f, "(top level)"),
             (const char *[]){"expected a workload of at most 100000000 requests per policy",
                              "found an estimated 1e+16 over 1e+09 s", NULL});
  const char *slow = "{\"duration_s\": 1e9, \"rate\": 1e-6}";
  load_fails(f, variant(f, NULL, segments_workload(wl, sizeof wl, slow, CONST_TOKENS), NULL, NULL),
             at(f, "(top level)"),
             (const char *[]){"expected outputs of at most 1e+10 bytes (output.max_bytes)",
                              "timeseries.csv", "decisions.csv", NULL});
  load_ok(f, variant(f, "\"output\": {\"max_bytes\": 1e12}",
                     segments_workload(wl, sizeof wl, slow, CONST_TOKENS), NULL, NULL));
  assert_true(f->sc.output.max_bytes == 1e12);
  load_ok(f, variant(f, NULL, NULL, NULL, NULL));
  assert_true(f->sc.output.max_bytes == 1e10);
}

/* cJSON reads "a\u0000b" as "a": a \u0000 escape anywhere is refused with its place. */
static void a_nul_escape_in_a_string_is_refused(void **state) {
  fx *f = *state;
  load_fails(f, variant(f, "\"description\": \"a\\u0000b\"", NULL, NULL, NULL), f->path,
             (const char *[]){"expected no \\u0000 in a string", NULL});
  load_ok(f, variant(f, "\"description\": \"a\\\\u0000b\"", NULL, NULL, NULL)); /* escaped */
}

static void quantile_points_and_bins_out_of_order_are_reported_with_their_path(void **state) {
  fx *f = *state;
  char wl[2048];
  struct {
    const char *dist, *path, *needle;
  } bad[] = {
      {"{\"dist\": \"quantiles\", \"points\": [[0, 1], [0.6, 5], [0.5, 6], [1, 7]]}",
       "workload.output_tokens.points[2]",
       "expected p from 0.6 to 1 (p never decreases), found 0.5"},
      {"{\"dist\": \"quantiles\", \"points\": [[0, 1], [0.9, 5]]}",
       "workload.output_tokens.points[1]", "expected p from 1 to 1 (the last point is at 1)"},
      {"{\"dist\": \"quantiles\", \"points\": [[0.1, 1], [1, 5]]}",
       "workload.output_tokens.points[0]", "expected p from 0 to 0 (the first point is at 0)"},
      {"{\"dist\": \"quantiles\", \"points\": [[0, 9], [1, 5]]}",
       "workload.output_tokens.points[1]", "expected x from 9 to 1e+07 (x never decreases)"},
      {"{\"dist\": \"quantiles\", \"points\": [[0, 1], [1]]}", "workload.output_tokens.points[1]",
       "expected [p, x] (an array of 2 numbers), found"},
      {"{\"dist\": \"histogram\", \"bins\": [[0, 10, 1], [5, 20, 1]]}",
       "workload.output_tokens.bins[1]", "expected lo from 10 to"},
      {"{\"dist\": \"histogram\", \"bins\": [[0, 10, 0]]}", "workload.output_tokens.bins",
       "expected some bin with a positive weight"},
      {"{\"dist\": \"empirical\", \"values\": [1], \"column\": \"n\"}",
       "workload.output_tokens.column", "expected \"column\" only with \"file\""},
      {"{\"dist\": \"empirical\"}", "workload.output_tokens",
       "expected either \"file\" or \"values\", found neither"},
      {"{\"dist\": \"empirical\", \"values\": [1], \"key\": \"b\"}", "workload.output_tokens.key",
       "expected \"key\" only with \"file\""},
      {"{\"dist\": \"empirical\", \"file\": \"x.csv\", \"key\": \"b\"}",
       "workload.output_tokens.key", "expected \"key\" only with \"column\""},
      {"{\"dist\": \"histogram\", \"points\": [[0, 1], [1, 2]]}", "workload.output_tokens.bins",
       "required key is missing"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    with_output(wl, sizeof wl, bad[i].dist);
    load_fails(f, variant(f, NULL, wl, NULL, NULL), at(f, bad[i].path),
               (const char *[]){bad[i].needle, NULL});
  }
  /* A good table of each kind. */
  with_output(wl, sizeof wl, "{\"dist\": \"histogram\", \"bins\": [[0, 10, 3], [2048, 2048, 1]]}");
  load_ok(f, variant(f, NULL, wl, NULL, NULL));
  assert_true(dist_quantile(&f->sc.workload.output_tokens, 0.8) == 2048);
}

/* Sizes that no range of a single key catches, refused at load (docs/limits.md): more than 1024
 * entries in an array section, more than 10,000 pods in a policy's cluster, an HPA synced more
 * often than every second, a counts file past second 10,000,000, an empirical distribution over
 * more than 64 files, an optimizer over more than 64 deployments. */
static void structural_limits_are_refused_at_load(void **state) {
  fx *f = *state;
  char wl[2048];
  size_t cap = 200000, len = 0;
  char *big = malloc(cap);
  segments_workload(wl, sizeof wl, SEGMENTS, CONST_TOKENS);
  len += (size_t)snprintf(big, cap, "{%s, %s, %s, \"policies\": [", wl, GPUS, DEPLOYMENTS);
  for (int i = 0; i < 1025; i++)
    len += (size_t)snprintf(big + len, cap - len,
                            "%s{\"name\": \"p%d\", \"type\": \"fixed\", \"replicas\": 1}",
                            i ? ", " : "", i);
  snprintf(big + len, cap - len, "]}");
  load_fails(f, big, at(f, "policies"),
             (const char *[]){"expected at most 1024 entries, found 1025", NULL});
  load_fails(f,
             variant(f, NULL, NULL, NULL,
                     "\"policies\": [{\"name\": \"f\", \"type\": \"fixed\", \"replicas\": 10001}]"),
             at(f, "(top level)"),
             (const char *[]){"expected at most 10000 pods in a policy's cluster",
                              "found up to 10001", NULL});
  load_fails(f,
             variant(f, NULL, NULL, NULL,
                     "\"policies\": [{\"name\": \"h\", \"type\": \"hpa\", \"period_s\": 0.5, "
                     "\"spec\": {\"maxReplicas\": 4, \"targetMetric\": \"num_requests_running\", "
                     "\"targetValue\": \"2\"}}]"),
             at(f, "policies[0].period_s"),
             (const char *[]){"expected an HPA sync period of at least 1 s", NULL});
  counts_workload(wl, sizeof wl, "counts.csv", "rate");
  data_file_fails(f, wl, "counts.csv", "0,1\n10000001,1\n", 2,
                  "expected a second from 0 to 10000000, found 10000001");
  write_file(f, "s.csv", "1\n", NULL, 0);
  char files[65 * 8];
  size_t fl = 0;
  for (int i = 0; i < 65; i++)
    fl += (size_t)snprintf(files + fl, sizeof files - fl, "%s\"s.csv\"", i ? "," : "");
  char edist[1024];
  snprintf(edist, sizeof edist, "{\"dist\": \"empirical\", \"file\": [%s]}", files);
  with_output(wl, sizeof wl, edist);
  load_fails(f, variant(f, NULL, wl, NULL, NULL), at(f, "workload.output_tokens.file"),
             (const char *[]){"expected at most 64 files, found 65", NULL});
  len = (size_t)snprintf(big, cap, "{%s, %s, \"optimizer\": {}, \"deployments\": [",
                         segments_workload(wl, sizeof wl, SEGMENTS, CONST_TOKENS), GPUS);
  for (int i = 0; i < 65; i++)
    len += (size_t)snprintf(big + len, cap - len,
                            "%s{\"name\": \"d%d\", \"gpu\": \"A100\", \"model\": {\"type\": "
                            "\"slots\", \"service_s\": {\"dist\": \"constant\", \"value\": 1}}}",
                            i ? ", " : "", i);
  snprintf(big + len, cap - len, "], %s}", POLICIES);
  load_fails(f, big, at(f, "optimizer"),
             (const char *[]){"expected at most 64 deployments with an optimizer", NULL});
  free(big);
}

/* AIBrix's V100 runs: bimodal outputs, half at 1 token and 3% at the 2,048-token cap. */
static void empirical_from_the_v100_runs_keeps_their_shape(void **state) {
  fx *f = *state;
  char wl[2048];
#define RUN(p) "\"" PODSCALE_SOURCE_DIR "/scenarios/data/aibrix-v100-runs/set0/" p "/requests.csv\""
  with_output(wl, sizeof wl,
              "{\"dist\": \"empirical\", \"column\": \"output_tokens\", \"file\": [" RUN(
                  "apa") ", " RUN("hpa") ", " RUN("kpa") ", " RUN("optimizer-kpa") "]}");
#undef RUN
  load_ok(f, variant(f, NULL, wl, NULL, NULL));
  const dist *d = &f->sc.workload.output_tokens;
  assert_true(dist_quantile(d, 0.5) == 1);
  assert_true(dist_quantile(d, 0.58) <= 16 && dist_quantile(d, 0.6) > 16);
  assert_true(dist_quantile(d, 0.75) == 115);
  assert_true(dist_quantile(d, 0.95) == 753);
  assert_true(dist_quantile(d, 0.975) == 2048);
  /* 17,860 completed requests, mean 2785502 / 17860 tokens. */
  assert_true(fabs(dist_mean(d) - 2785502.0 / 17860) < 1e-9);
}

int main(void) {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(minimal_scenario_loads_with_defaults),
      T(explicit_values_override_defaults),
      T(syntax_error_is_reported_with_line_and_column),
      T(truncated_file_is_reported_as_unexpected_end_of_file),
      T(unknown_top_level_key_is_reported_with_the_keys_allowed),
      T(unknown_nested_key_is_reported_with_its_path),
      T(missing_workload_is_reported),
      T(missing_policy_name_is_reported_with_its_index),
      T(string_where_number_expected_is_reported),
      T(number_where_object_expected_is_reported),
      T(negative_rate_is_out_of_range),
      T(zero_slots_is_out_of_range),
      T(negative_seed_is_out_of_range),
      T(deployment_naming_an_unknown_gpu_is_reported),
      T(replicas_naming_an_unknown_deployment_are_reported),
      T(duplicate_policy_name_is_reported_at_the_second_one),
      T(lognormal_p99_below_the_mean_is_rejected),
      T(trace_token_dist_with_a_segments_workload_is_rejected),
      T(missing_counts_file_is_reported_with_its_path),
      T(non_number_in_count_file_is_reported_with_file_and_line),
      T(bad_timestamp_in_azure_trace_is_reported_with_file_and_line),
      T(count_file_with_header_loads_per_second_counts),
      T(count_file_in_rate_mode_becomes_one_second_step_segments),
      T(azure_trace_loads_records_relative_to_the_first),
      T(missing_key_inside_an_object_points_at_the_bad_character),
      T(distribution_parameter_of_another_kind_is_rejected),
      T(impossible_date_in_azure_trace_is_rejected),
      T(aibrix_jsonl_reads_both_key_styles),
      T(aibrix_jsonl_bad_line_names_file_and_line),
      T(aibrix_jsonl_unknown_output_length_needs_an_output_distribution),
      T(aibrix_jsonl_scales_exactly_as_an_azure_trace),
      T(aibrix_jsonl_reads_the_v100_workload),
      T(samples_file_with_a_bad_row_names_the_file_and_line),
      T(empirical_reads_files_columns_and_inline_values),
      T(empirical_with_a_key_counts_each_request_once),
      T(a_podautoscaler_port_may_be_a_string),
      T(cluster_behaviour_keys_are_checked),
      T(names_that_are_not_file_names_are_refused_at_load),
      T(a_nul_in_a_name_is_refused),
      T(a_run_too_big_is_refused_at_load_with_its_estimate),
      T(structural_limits_are_refused_at_load),
      T(a_nul_escape_in_a_string_is_refused),
      T(quantile_points_and_bins_out_of_order_are_reported_with_their_path),
      T(empirical_from_the_v100_runs_keeps_their_shape),
  };
#undef T
  return cmocka_run_group_tests(tests, NULL, NULL);
}
