/*
 * xalloc: allocation that never returns NULL, with one out-of-memory policy for the whole
 * program. Running out of memory is not an input error: there is nothing useful to report to
 * the caller, so on failure the allocators call the out-of-memory handler, which must not
 * return. The default handler prints "podscale: out of memory (N bytes)" and calls abort(): a
 * library (the optimizer, linked into other programs) never calls exit(). A program may install
 * its own (podscale's main() exits with status 1 after the same message).
 *
 * A request of 0 bytes may return NULL, as malloc may; it is not a failure.
 */
#ifndef PODSCALE_BASE_XALLOC_H
#define PODSCALE_BASE_XALLOC_H

#include <stddef.h>

/* Called with the size that could not be allocated (0 when unknown); must not return. */
typedef void (*ps_oom_handler)(size_t bytes);
/* The message every handler prints: "podscale: out of memory (N bytes)" on stderr. */
void ps_oom_report(size_t bytes);

/* Install `h` (NULL: the default); returns the previous handler. Not thread-safe: call it
 * before starting threads. */
ps_oom_handler ps_set_oom_handler(ps_oom_handler h);

void *xmalloc(size_t n);
void *xcalloc(size_t k, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrdup_or_null(const char *s); /* a copy of s, or NULL for NULL */
/* p itself, or the handler's call when p is NULL: for what other allocators return (cJSON,
 * strdup). `bytes` is the size asked for, 0 when unknown. */
void *xcheck(void *p, size_t bytes);

#endif
