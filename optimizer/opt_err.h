/*
 * opt_err: how the optimizer library reports bad input (a profile, a benchmark line, a trace
 * record, an infeasible request): base/err.h's ps_err under the library's name, so a message
 * passes between the layers unchanged. A function that can fail on input takes an `opt_err *`
 * (may be NULL) and returns false with a complete message in it: the source (file, Redis key),
 * the place (line, JSON path), what was expected and what was found.
 */
#ifndef PODSCALE_OPT_ERR_H
#define PODSCALE_OPT_ERR_H

#include "base/err.h"

typedef ps_err opt_err;

/* Format a message into *e (if e is not NULL) and return false. */
#define opt_fail ps_fail

#endif
