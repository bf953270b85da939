/* base/: the library every layer uses. Linked against podscale_base alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/hash.h"
#include "base/names.h"
#include "base/prom.h"
#include "base/pyfloat.h"
#include "base/readfile.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "testutil.h"

/* Every line of tests/data/base/pyfloat-repr.txt: CPython's repr of the double with those bits
 * (all 2,098 powers of two, random bit patterns, 17-digit integers, special values). */
static void float_repr_matches_cpython(void **state) {
  (void)state;
  char *text = ps_read_text(PODSCALE_SOURCE_DIR "/tests/data/base/pyfloat-repr.txt", NULL);
  assert_non_null(text);
  int n = 0, wrong = 0;
  for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
    if (line[0] == '#') continue;
    unsigned long long bits;
    char want[64], got[64];
    assert_int_equal(sscanf(line, "%llx %63s", &bits, want), 2);
    double x;
    uint64_t b = bits;
    memcpy(&x, &b, sizeof x);
    size_t len = ps_float_repr(x, got, sizeof got);
    assert_int_equal(len, strlen(got));
    if (strcmp(got, want) != 0 && wrong++ < 5) fprintf(stderr, "%s: got %s\n", line, got);
    n++;
  }
  free(text);
  assert_true(n > 7000);
  assert_int_equal(wrong, 0);
}

static void float_repr_cuts_like_snprintf(void **state) {
  (void)state;
  char small[4];
  assert_int_equal(ps_float_repr(0.125, small, sizeof small), 5);
  assert_string_equal(small, "0.1");
  strbuf b = {0};
  sb_pyfloat(&b, 1e16);
  sb_puts(&b, " ");
  sb_pyfloat(&b, -0.0);
  char *s = sb_take(&b);
  assert_string_equal(s, "1e+16 -0.0");
  free(s);
}

static void strbuf_grows_and_hands_over(void **state) {
  (void)state;
  strbuf b = {0};
  char *empty = sb_take(&b);
  assert_string_equal(empty, "");
  free(empty);
  for (int i = 0; i < 1000; i++)
    sb_printf(&b, "%d,", i);
  assert_int_equal(b.len, strlen(b.s));
  assert_memory_equal(b.s, "0,1,2,", 6);
  assert_string_equal(b.s + b.len - 4, "999,");
  char big[3000];
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  size_t before = b.len;
  sb_printf(&b, "%s", big); /* longer than the room left */
  assert_int_equal(b.len, before + sizeof big - 1);
  sb_put(&b, "a\0b", 3); /* bytes, NUL included */
  assert_int_equal(b.len, before + sizeof big - 1 + 3);
  assert_int_equal(b.s[b.len], '\0');
  free(sb_take(&b));
  assert_null(b.s);
  assert_int_equal(b.len, 0);
}

/* FNV-1a 64 test vectors (Fowler, Noll and Vo's reference set). */
static void fnv1a64_vectors(void **state) {
  (void)state;
  assert_true(ps_fnv1a64("") == 0xcbf29ce484222325ULL);
  assert_true(ps_fnv1a64("a") == 0xaf63dc4c8601ec8cULL);
  assert_true(ps_fnv1a64("foobar") == 0x85944171f73967e8ULL);
  uint64_t h = ps_fnv1a64_add(PS_FNV1A64_BASIS, "foo", 3);
  assert_true(ps_fnv1a64_add(h, "bar", 3) == ps_fnv1a64("foobar"));
}

/* prometheus_client's floatToGoString, on values where its rules differ (expected texts from
 * Python 3.11 and prometheus_client's utils.py). */
static void prom_float_is_prometheus_clients(void **state) {
  (void)state;
  const struct {
    double x;
    const char *text;
  } cases[] = {
      {1234567.0, "1.234567e+06"},
      {1e7, "1e+07"},
      {0.5, "0.5"},
      {5.0, "5.0"},
      {123456.0, "123456.0"},
      {12345678901.5, "1.23456789015e+010"},
      {-1234567.0, "-1234567.0"},
      {1e16, "1e+16"},
      {1.5e16, "1.5e+16"},
      {12345678901234567.0, "1.2345678901234568e+16"},
      {2.5e-7, "2.5e-07"},
      {1e15, "1e+015"},
      {INFINITY, "+Inf"},
      {-INFINITY, "-Inf"},
      {NAN, "NaN"},
  };
  char buf[PROM_NUM];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    assert_string_equal(prom_float(buf, cases[i].x), cases[i].text);
  assert_string_equal(prom_uint(buf, UINT64_MAX), "18446744073709551615");
  assert_string_equal(prom_int(buf, -3), "-3");
}

static void prom_writes_families_and_escapes_labels(void **state) {
  (void)state;
  strbuf b = {0};
  char v[PROM_NUM];
  prom_family(&b, "x_total", "counter", "Things.");
  prom_label l[2] = {{"model", "a\\b\"c\nd"}, {"le", "+Inf"}};
  prom_sample(&b, "x_total", l, 2, prom_uint(v, 7));
  prom_sample(&b, "y", NULL, 0, prom_float(v, 0.25));
  char *t = sb_take(&b);
  assert_string_equal(t, "# HELP x_total Things.\n# TYPE x_total counter\n"
                         "x_total{model=\"a\\\\b\\\"c\\nd\",le=\"+Inf\"} 7\ny 0.25\n");
  free(t);
}

static void clock_is_monotonic(void **state) {
  (void)state;
  int64_t a = ps_mono_ns();
  double s = ps_mono_s();
  nanosleep(&(struct timespec){0, 2000000}, NULL);
  int64_t b = ps_mono_ns();
  assert_true(b - a >= 2000000);
  assert_true(ps_mono_s() - s >= 0.002);
  assert_true(fabs(s - (double)a * 1e-9) < 1.0);
}

static jmp_buf oom_jump;
static size_t oom_bytes;
static void oom_catch(size_t bytes) {
  oom_bytes = bytes;
  longjmp(oom_jump, 1);
}

/* The handler a program installs is called with the size; the default is restored by NULL. */
static void oom_goes_to_the_handler(void **state) {
  (void)state;
  ps_oom_handler old = ps_set_oom_handler(oom_catch);
  if (setjmp(oom_jump) == 0) {
    xcheck(NULL, 12345);
    fail_msg("the handler returned");
  }
  assert_int_equal(oom_bytes, 12345);
  assert_ptr_equal(ps_set_oom_handler(NULL), oom_catch);
  assert_ptr_equal(ps_set_oom_handler(old), ps_set_oom_handler(old));
  void *p = xcheck(malloc(8), 8);
  free(p);
}

static void read_text_names_the_file(void **state) {
  (void)state;
  char dir[64], path[128];
  tu_tmpdir(dir);
  ps_err e = {0};
  snprintf(path, sizeof path, "%s/missing", dir);
  assert_null(ps_read_text(path, &e));
  assert_non_null(strstr(e.msg, "missing: cannot open"));
  assert_null(ps_read_text(dir, &e));
  assert_non_null(strstr(e.msg, "expected a file, found a directory"));
  snprintf(path, sizeof path, "%s/nul", dir);
  FILE *fp = fopen(path, "wb");
  fwrite("ab\0c", 1, 4, fp);
  fclose(fp);
  assert_null(ps_read_text(path, &e));
  assert_non_null(strstr(e.msg, "expected text, found a NUL byte at offset 2"));
  char *t = ps_read_text(tu_write(dir, "ok", "hello\n", path, sizeof path), &e);
  assert_string_equal(t, "hello\n");
  free(t);
  tu_rmrf(dir);
}

static void names_hint_names_the_closest(void **state) {
  (void)state;
  static const char *const gpus[] = {"V100-32GB", "A10-24GB",  "L20-48GB",
                                     "A40-48GB",  "A100-80GB", "H100-80GB"};
  static const char *const llms[] = {"llama-2-7b", "deepseek-llm-7b-chat", "llama-3-8b"};
  char b[256];
  const struct {
    const char *name;
    const char *const *cands;
    size_t n;
    const char *want;
  } cases[] = {
      {"A100", gpus, 6, "did you mean \"A100-80GB\"?"},
      {"a10", gpus, 6, "did you mean \"A10-24GB\" or \"A100-80GB\"?"},
      {"H100-80G", gpus, 6, "did you mean \"H100-80GB\"?"},
      {"llama3-8b", llms, 3, "did you mean \"llama-3-8b\"?"},
      {"deepseek-llm-7b-caht", llms, 3, "did you mean \"deepseek-llm-7b-chat\"?"},
      {"Z9", gpus, 6, "known: V100-32GB, A10-24GB, L20-48GB, A40-48GB, A100-80GB, H100-80GB"},
      {"", gpus, 6, "known: V100-32GB, A10-24GB, L20-48GB, A40-48GB, A100-80GB, H100-80GB"},
      {"x", gpus, 0, ""},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    names_hint(cases[i].name, cases[i].cands, sizeof(char *), cases[i].n, b, sizeof b);
    if (strcmp(b, cases[i].want) != 0)
      fail_msg("names_hint(\"%s\"): \"%s\", expected \"%s\"", cases[i].name, b, cases[i].want);
  }
  /* A small buffer is cut, never overrun; a long name is compared on its first bytes. */
  char small[8];
  names_hint("A100", gpus, sizeof(char *), 6, small, sizeof small);
  assert_int_equal(strlen(small), 7);
  char longname[300];
  memset(longname, 'a', sizeof longname - 1);
  longname[sizeof longname - 1] = '\0';
  names_hint(longname, llms, sizeof(char *), 3, b, sizeof b);
  assert_non_null(strstr(b, "known: "));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(float_repr_matches_cpython),
      cmocka_unit_test(float_repr_cuts_like_snprintf),
      cmocka_unit_test(strbuf_grows_and_hands_over),
      cmocka_unit_test(fnv1a64_vectors),
      cmocka_unit_test(clock_is_monotonic),
      cmocka_unit_test(oom_goes_to_the_handler),
      cmocka_unit_test(read_text_names_the_file),
      cmocka_unit_test(prom_float_is_prometheus_clients),
      cmocka_unit_test(prom_writes_families_and_escapes_labels),
      cmocka_unit_test(names_hint_names_the_closest),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
