/* Helpers shared by the tests: temporary directories and scenario files. */
#ifndef PODSCALE_TESTUTIL_H
#define PODSCALE_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Write `text` to DIR/NAME and return the path in buf. */
static inline const char *tu_write(const char *dir, const char *name, const char *text, char *buf,
                                   size_t n) {
  snprintf(buf, n, "%s/%s", dir, name);
  FILE *fp = fopen(buf, "w");
  if (!fp) abort();
  fputs(text, fp);
  fclose(fp);
  return buf;
}

/* SET/POLICY/requests.csv and pods.csv of a measured set (docs/compare.md), the directory made
 * here; returns 0, or -1 when the directory cannot be made. */
static inline int tu_write_measured_policy(const char *set, const char *policy,
                                           const char *requests_csv, const char *pods_csv) {
  char sub[512], path[600];
  snprintf(sub, sizeof sub, "%s/%s", set, policy);
  if (mkdir(sub, 0755) != 0) return -1;
  tu_write(sub, "requests.csv", requests_csv, path, sizeof path);
  tu_write(sub, "pods.csv", pods_csv, path, sizeof path);
  return 0;
}

/* A fresh directory under /tmp; the caller removes it with tu_rmrf. */
static inline char *tu_tmpdir(char buf[64]) {
  strcpy(buf, "/tmp/podscale-test-XXXXXX");
  if (!mkdtemp(buf)) abort();
  return buf;
}

/* Remove dir and everything below it (rm -rf). */
static inline void tu_rmrf(const char *dir) {
  char cmd[256];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

/* Whole file into a malloc'd string (NULL if it cannot be read). */
static inline char *tu_slurp(const char *path, size_t *len) {
  FILE *fp = fopen(path, "rb");
  if (!fp) return NULL;
  fseek(fp, 0, SEEK_END);
  long n = ftell(fp);
  fseek(fp, 0, SEEK_SET);
  char *s = malloc((size_t)n + 1);
  size_t got = fread(s, 1, (size_t)n, fp);
  fclose(fp);
  s[got] = '\0';
  if (len) *len = got;
  return s;
}

/* A cmocka assertion (use it after including cmocka.h): the string haystack contains needle;
 * when not, both are printed. */
#define assert_contains(haystack, needle)                                                          \
  do {                                                                                             \
    const char *h_ = (haystack), *n_ = (needle);                                                   \
    if (!strstr(h_, n_)) {                                                                         \
      print_error("expected \"%s\" in:\n%s\n", n_, h_);                                            \
      fail();                                                                                      \
    }                                                                                              \
  } while (0)

#endif
