#include "base/strbuf.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/xalloc.h"

/* Room for n more bytes and the NUL. */
static void reserve(strbuf *b, size_t n) {
  if (b->len + n + 1 <= b->cap) return;
  b->cap = (b->len + n + 1) * 2;
  b->s = xrealloc(b->s, b->cap);
  b->s[b->len] = '\0';
}

void sb_put(strbuf *b, const char *p, size_t n) {
  reserve(b, n);
  memcpy(b->s + b->len, p, n);
  b->len += n;
  b->s[b->len] = '\0';
}

void sb_puts(strbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

void sb_printf(strbuf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  reserve(b, 0);
  int n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
  va_end(ap);
  assert(n >= 0); /* only an invalid format fails */
  if ((size_t)n >= b->cap - b->len) {
    reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
  }
  b->len += (size_t)n;
}

char *sb_take(strbuf *b) {
  reserve(b, 0);
  char *s = b->s;
  *b = (strbuf){0};
  return s;
}
