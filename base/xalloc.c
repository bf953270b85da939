#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ps_oom_report(size_t bytes) {
  if (bytes)
    fprintf(stderr, "podscale: out of memory (%zu bytes)\n", bytes);
  else
    fprintf(stderr, "podscale: out of memory\n");
}

static void oom_default(size_t bytes) {
  ps_oom_report(bytes);
  abort();
}

static ps_oom_handler oom = oom_default;

ps_oom_handler ps_set_oom_handler(ps_oom_handler h) {
  ps_oom_handler old = oom;
  oom = h ? h : oom_default;
  return old;
}

static void *check(void *p, size_t n) {
  if (!p && n) {
    oom(n);
    abort(); /* a handler that returns breaks the contract */
  }
  return p;
}

char *xstrdup_or_null(const char *s) { return s ? xstrdup(s) : NULL; }

void *xcheck(void *p, size_t bytes) {
  if (!p) {
    oom(bytes);
    abort();
  }
  return p;
}

void *xmalloc(size_t n) { return check(malloc(n), n); }
void *xcalloc(size_t k, size_t n) { return check(calloc(k, n), k * n); }
void *xrealloc(void *p, size_t n) { return check(realloc(p, n), n); }
char *xstrdup(const char *s) {
  size_t n = strlen(s) + 1;
  return memcpy(xmalloc(n), s, n);
}
