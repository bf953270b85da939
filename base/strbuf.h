/*
 * strbuf: a growable string. `strbuf b = {0};` is empty; every append keeps b.s NUL-terminated
 * (b.s is NULL only before the first append), so b.s is a C string of b.len bytes. The owner
 * frees b.s (or takes it with sb_take). Memory: base/xalloc.h's policy.
 */
#ifndef PODSCALE_BASE_STRBUF_H
#define PODSCALE_BASE_STRBUF_H

#include <stddef.h>

typedef struct strbuf {
  char *s;    /* the text, NUL-terminated; NULL before the first append */
  size_t len; /* strlen(s) unless binary data was put */
  size_t cap; /* bytes allocated at s */
} strbuf;

void sb_put(strbuf *b, const char *p, size_t n); /* n bytes of p */
void sb_puts(strbuf *b, const char *s);          /* a C string */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void sb_printf(strbuf *b, const char *fmt, ...);
/* The text (never NULL: "" when nothing was appended), the caller's to free; b is empty after. */
char *sb_take(strbuf *b);

#endif
