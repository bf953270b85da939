/*
 * opt_err: how the optimizer library reports bad input (a profile, a benchmark line, a trace
 * record, an infeasible request). A function that can fail on input takes an `opt_err *` (may
 * be NULL) and returns false with a complete message in it: the source (file, Redis key), the
 * place (line, JSON path), what was expected and what was found. Internal invariants are
 * assertions. The library does not depend on the simulator, so this is its own type.
 */
#ifndef PODSCALE_OPT_ERR_H
#define PODSCALE_OPT_ERR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

typedef struct opt_err {
  char msg[1024]; /* the whole message, without a trailing newline */
} opt_err;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static inline bool
opt_fail(opt_err *e, const char *fmt, ...) {
  if (e) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
  }
  return false;
}

#endif
