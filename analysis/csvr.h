/*
 * csvr: read a CSV file row by row with libcsv, keeping the line number of every row so that
 * callers can report "FILE:LINE: expected ..., found ...".
 *
 * The callback gets the fields of one row (NUL-terminated) and returns false to stop with an
 * error it has written into *err. Blank lines are skipped.
 */
#ifndef PODSCALE_CSVR_H
#define PODSCALE_CSVR_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

typedef bool (*csvr_row_fn)(void *ctx, long line, char **fields, size_t nfields, ps_err *err);

bool csvr_read(const char *path, csvr_row_fn fn, void *ctx, ps_err *err);

/* Parse a whole field as a number; false on empty, junk or trailing characters. */
bool csvr_long(const char *s, long *out);
bool csvr_double(const char *s, double *out);

#endif
