/*
 * csvw: CSV rows written field by field. Text fields are quoted (by libcsv) only when they
 * hold a comma, quote, line break or edge space; numbers are printed with fixed formats so the
 * same values give the same bytes. Times are integer microseconds printed as seconds with six
 * decimals, exactly, never through floating point.
 */
#ifndef PODSCALE_CSVW_H
#define PODSCALE_CSVW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct csvw {
  FILE *fp;
  bool row_started; /* a field has been written on the current row */
} csvw;

void csvw_header(csvw *w, const char *const *columns); /* NULL-terminated list */
void csvw_str(csvw *w, const char *s);
void csvw_int(csvw *w, long long v);
void csvw_time(csvw *w, int64_t us);  /* seconds.micro; a negative time writes an empty field */
void csvw_clock(csvw *w, int64_t us); /* seconds.micro of a clock that may be negative */
void csvw_num(csvw *w, double v);     /* %.6f; NaN writes an empty field */
void csvw_end(csvw *w);
size_t csvw_columns(const char *const *columns);

#endif
