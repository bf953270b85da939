/* base/yamlv.h: YAML files into cJSON trees. Linked against podscale_yaml alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonv.h"
#include "base/yamlv.h"
#include "testutil.h"

/* Load `text` as a file; the caller frees f. */
static bool load(const char *text, yv_file *f, ps_err *err) {
  char dir[64], path[128];
  tu_tmpdir(dir);
  tu_write(dir, "m.yaml", text, path, sizeof path);
  bool ok = yv_load(path, f, err);
  tu_rmrf(dir);
  return ok;
}

/* The message of loading `text`, without the temporary file's name (from the first ':'). */
static const char *failure(const char *text) {
  static ps_err err;
  yv_file f;
  assert_false(load(text, &f, &err));
  assert_int_equal(f.ndocs, 0);
  const char *at = strstr(err.msg, "m.yaml");
  assert_non_null(at);
  return at + strlen("m.yaml");
}

static const cJSON *get(const cJSON *obj, const char *key) {
  const cJSON *node = cJSON_GetObjectItemCaseSensitive(obj, key);
  assert_non_null(node);
  return node;
}

static void scalars_are_typed_as_kubernetes_reads_them(void **state) {
  (void)state;
  yv_file f;
  ps_err err = {0};
  assert_true(load("minReplicas: 1\n"
                   "quoted: '0.5'\n"
                   "double: \"100\"\n"
                   "window: 30s\n"
                   "ratio: 0.25\n"
                   "big: 1e3\n"
                   "hex: 0x1F\n"
                   "oct: 0o17\n"
                   "yes_is_text: yes\n"
                   "flag: true\n"
                   "Flag: False\n"
                   "nothing:\n"
                   "tilde: ~\n"
                   "forced: !!str 42\n"
                   "number: !!float 3\n"
                   "inf: -.inf\n"
                   "folded: >\n  a\n  b\n",
                   &f, &err));
  assert_int_equal(f.ndocs, 1);
  const cJSON *r = f.docs[0].root;
  assert_true(cJSON_IsNumber(get(r, "minReplicas")));
  assert_int_equal(get(r, "minReplicas")->valuedouble, 1);
  assert_string_equal(get(r, "quoted")->valuestring, "0.5");
  assert_string_equal(get(r, "double")->valuestring, "100");
  assert_string_equal(get(r, "window")->valuestring, "30s");
  assert_true(get(r, "ratio")->valuedouble == 0.25);
  assert_true(get(r, "big")->valuedouble == 1000);
  assert_true(get(r, "hex")->valuedouble == 31);
  assert_true(get(r, "oct")->valuedouble == 15);
  assert_string_equal(get(r, "yes_is_text")->valuestring, "yes");
  assert_true(cJSON_IsTrue(get(r, "flag")));
  assert_true(cJSON_IsFalse(get(r, "Flag")));
  assert_true(cJSON_IsNull(get(r, "nothing")));
  assert_true(cJSON_IsNull(get(r, "tilde")));
  assert_string_equal(get(r, "forced")->valuestring, "42");
  assert_true(get(r, "number")->valuedouble == 3);
  assert_true(isinf(get(r, "inf")->valuedouble) && get(r, "inf")->valuedouble < 0);
  assert_string_equal(get(r, "folded")->valuestring, "a b\n");
  yv_free(&f);
}

static void documents_are_read_in_order_and_empty_ones_skipped(void **state) {
  (void)state;
  yv_file f;
  ps_err err = {0};
  assert_true(load("---\nkind: A\n---\n---\n# only a comment\n---\nkind: B\nlist: [1, {x: 2}]\n",
                   &f, &err));
  assert_int_equal(f.ndocs, 2);
  assert_string_equal(get(f.docs[0].root, "kind")->valuestring, "A");
  assert_string_equal(get(f.docs[1].root, "kind")->valuestring, "B");
  assert_int_equal(f.docs[1].line, 7);
  const cJSON *list = get(f.docs[1].root, "list");
  assert_int_equal(cJSON_GetArraySize(list), 2);
  assert_true(get(cJSON_GetArrayItem(list, 1), "x")->valuedouble == 2);
  yv_free(&f);
}

static void lines_follow_json_paths(void **state) {
  (void)state;
  yv_file f;
  ps_err err = {0};
  assert_true(load("# a manifest\n"
                   "metadata:\n"
                   "  annotations:\n"
                   "    kpa.autoscaling.aibrix.ai/scale-down-delay: 3m\n"
                   "spec:\n"
                   "  metricsSources:\n"
                   "    - port: '8000'\n"
                   "      targetValue: '0.5'\n",
                   &f, &err));
  const yv_doc *d = &f.docs[0];
  assert_int_equal(yv_doc_line(d, ""), 2);
  assert_int_equal(yv_doc_line(d, "spec.metricsSources[0].targetValue"), 8);
  assert_int_equal(yv_doc_line(d, "spec.metricsSources[0]"), 7);
  assert_int_equal(
      yv_doc_line(d, "metadata.annotations.kpa.autoscaling.aibrix.ai/scale-down-delay"), 4);
  /* missing: the nearest ancestor */
  assert_int_equal(yv_doc_line(d, "spec.maxReplicas"), 5);
  assert_int_equal(yv_doc_line(d, "spec.metricsSources[3].x"), 6);
  assert_int_equal(yv_doc_line(d, "spec.metricsSources[x"), 6);

  /* a jv with the document's lines says FILE:LINE */
  jv v = {.file = "m.yaml", .err = &err, .line_of = yv_doc_line, .line_ctx = d};
  size_t mark = jv_enter(&v, "spec");
  const cJSON *node;
  assert_false(jv_require(&v, get(d->root, "spec"), "maxReplicas", &node));
  assert_string_equal(err.msg, "m.yaml:5: spec.maxReplicas: required key is missing");
  jv_enter(&v, "metricsSources");
  jv_enter_index(&v, 0);
  double x = 0;
  assert_false(jv_number(&v, get(get(d->root, "spec"), "metricsSources")->child, "targetValue",
                         true, 0, 1, &x));
  assert_string_equal(err.msg, "m.yaml:8: spec.metricsSources[0].targetValue: expected a number "
                               "from 0 to 1, found the string \"0.5\"");
  jv_leave(&v, mark);
  yv_free(&f);
}

static void syntax_errors_name_line_and_column(void **state) {
  (void)state;
  assert_string_equal(failure("a: [1, 2\nb: 3\n"),
                      ":2:2: YAML syntax error: did not find expected ',' or ']' (while parsing a "
                      "flow sequence, at line 1)");
  assert_string_equal(failure("a: 1\n b: 2\n"),
                      ":2:3: YAML syntax error: mapping values are not allowed in this context");
  assert_string_equal(failure("a: \"open\n"),
                      ":2:1: YAML syntax error: found unexpected end of stream (while scanning a "
                      "quoted scalar, at line 1)");
  assert_non_null(strstr(failure("a: \xff\n"), ":1:4: YAML syntax error: invalid"));
}

static void aliases_duplicates_and_odd_tags_are_refused(void **state) {
  (void)state;
  assert_string_equal(failure("a: &x [1, 2]\nb: *x\n"),
                      ":2:4: expected no alias (*name): write the value out where it is used");
  assert_string_equal(failure("spec:\n  min: 1\n  max: 2\n  min: 3\n"),
                      ":4: expected each key once in a mapping, found \"min\" again (first at "
                      "line 2)");
  assert_string_equal(failure("? [a]\n: 1\n"),
                      ":1:3: expected a scalar as a mapping's key, found a collection");
  assert_string_equal(failure("a: !!int x\n"), ":1:4: expected a value of type !!int, found \"x\"");
  assert_string_equal(failure("a: !custom x\n"),
                      ":1:4: expected no tag or one of !!str, !!int, !!float, !!bool, !!null, "
                      "found !custom");
  assert_string_equal(failure("a: \"x\\0y\"\n"),
                      ":1:4: expected no NUL character (\\0) in a scalar, found one");
}

static void sizes_are_bounded(void **state) {
  (void)state;
  char deep[4 * YV_MAX_DEPTH + 16] = "";
  for (int i = 0; i <= YV_MAX_DEPTH; i++)
    strcat(deep, "[");
  assert_non_null(strstr(failure(deep), "expected at most 64 nested collections, found more"));
  char *many = malloc(2 * (size_t)YV_MAX_NODES + 8), *p = many;
  *p++ = '[';
  for (int i = 0; i <= YV_MAX_NODES; i++)
    *p++ = '1', *p++ = ',';
  strcpy(p - 1, "]\n");
  assert_non_null(strstr(failure(many), "expected at most 100000 values in a file, found more"));
  free(many);
}

static void a_missing_file_is_named(void **state) {
  (void)state;
  yv_file f;
  ps_err err = {0};
  assert_false(yv_load("/nonexistent/x.yaml", &f, &err));
  assert_non_null(strstr(err.msg, "/nonexistent/x.yaml"));
  yv_free(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(scalars_are_typed_as_kubernetes_reads_them),
      cmocka_unit_test(documents_are_read_in_order_and_empty_ones_skipped),
      cmocka_unit_test(lines_follow_json_paths),
      cmocka_unit_test(syntax_errors_name_line_and_column),
      cmocka_unit_test(aliases_duplicates_and_odd_tags_are_refused),
      cmocka_unit_test(sizes_are_bounded),
      cmocka_unit_test(a_missing_file_is_named),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
