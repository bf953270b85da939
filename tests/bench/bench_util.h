/* Shared by the benchmarks: the median of repetitions (the clock is base/clock.h's). */
#ifndef PODSCALE_BENCH_UTIL_H
#define PODSCALE_BENCH_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "sim/scenario/scenario.h"

static inline int bench_cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Median of v[0..n); reorders v. */
static inline double bench_median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, bench_cmp_double);
  return v[n / 2];
}

/* Load a scenario given as JSON text (through a temporary file); exits on error. */
static inline void bench_load(const char *json, scenario *sc) {
  char path[] = "/tmp/podscale-bench-XXXXXX";
  int fd = mkstemp(path);
  FILE *fp = fd >= 0 ? fdopen(fd, "w") : NULL;
  if (!fp || fputs(json, fp) < 0 || fclose(fp) != 0) {
    fprintf(stderr, "cannot write %s\n", path);
    exit(1);
  }
  ps_err err;
  bool ok = scenario_load(path, sc, &err);
  unlink(path);
  if (!ok) {
    fprintf(stderr, "%s\n", err.msg);
    exit(1);
  }
}

#endif
