/*
 * err: how errors about input travel, in every layer. A function that can fail on input (a
 * file, a scenario, a profile, a Redis record, a request) takes a `ps_err *` (may be NULL) and
 * returns false with a complete message in it: the source (file, key), the place (line, JSON
 * path), what was expected and what was found. The program at the top prints it once and exits
 * with status 2; a library never prints or exits. Internal invariants are assertions instead.
 * The optimizer library's public name for the type is opt_err (optimizer/opt_err.h).
 */
#ifndef PODSCALE_BASE_ERR_H
#define PODSCALE_BASE_ERR_H

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
