/*
 * err: how user-facing errors travel. A function that can fail on user input takes a
 * `ps_err *` and returns false with a complete message in it: the file, the place (JSON path,
 * or CSV line), what was expected and what was found. The caller prints it once and exits
 * with status 2. Internal invariants are assertions instead, never ps_err.
 */
#ifndef PODSCALE_ERR_H
#define PODSCALE_ERR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

typedef struct ps_err {
  char msg[1024]; /* the whole message, without a trailing newline */
} ps_err;

/* Format a message into *e (if e is not NULL) and return false, for `return ps_fail(...)`. */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static inline bool
ps_fail(ps_err *e, const char *fmt, ...) {
  if (e) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
  }
  return false;
}

#endif
