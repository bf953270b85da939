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

#include "sim/scenario.h"

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
                     "\"deployments\": [{\"name\": \"d\", \"gpu\": \"A100\", \"startup_s\": 0, \"model\": {\"type\": "
                     "\"slots\", \"slots\": 0, \"service_s\": {\"dist\": \"constant\", \"value\": "
                     "1}}}]",
                     NULL),
             at(f, "deployments[0].model.slots"),
             (const char *[]){"expected an integer from 1 to 100000", "found the number 0", NULL});
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
                     "\"deployments\": [{\"name\": \"d\", \"gpu\": \"H100\", \"startup_s\": 0, \"model\": {\"type\": "
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
  };
#undef T
  return cmocka_run_group_tests(tests, NULL, NULL);
}
