/*
 * xalloc: allocation that never returns NULL. Running out of memory in the middle of a
 * simulation is not recoverable input error; the program says so and exits with status 1.
 */
#ifndef PODSCALE_XALLOC_H
#define PODSCALE_XALLOC_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline void *xalloc_check(void *p, size_t n) {
  if (!p && n) {
    fprintf(stderr, "podscale: out of memory (%zu bytes)\n", n);
    exit(1);
  }
  return p;
}
static inline void *xmalloc(size_t n) { return xalloc_check(malloc(n), n); }
static inline void *xcalloc(size_t k, size_t n) { return xalloc_check(calloc(k, n), k * n); }
static inline void *xrealloc(void *p, size_t n) { return xalloc_check(realloc(p, n), n); }
static inline char *xstrdup(const char *s) {
  size_t n = strlen(s) + 1;
  return memcpy(xmalloc(n), s, n);
}

#endif
