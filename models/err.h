/*
 * err: how user-facing errors travel. A function that can fail on user input takes a
 * `ps_err *` and returns false with a complete message in it: the file, the place (JSON path,
 * or CSV line), what was expected and what was found. The caller prints it once and exits
 * with status 2. Internal invariants are assertions instead, never ps_err.
 *
 * It is the optimizer library's error type (optimizer/opt_err.h) under the simulator's name:
 * one type, so a message from the library passes through unchanged.
 */
#ifndef PODSCALE_ERR_H
#define PODSCALE_ERR_H

#include "optimizer/opt_err.h"

typedef opt_err ps_err;

/* Format a message into *e (if e is not NULL) and return false, for `return ps_fail(...)`. */
#define ps_fail opt_fail

#endif
