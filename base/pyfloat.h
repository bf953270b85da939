/*
 * pyfloat: Python's repr(float), the text AIBrix's Python writes for a number (json.dumps, str,
 * f-strings, log lines): the shortest digits that read back as the same double (David Gay's
 * mode 0), positional when the decimal exponent is in [-4, 16) (with ".0" when whole), else
 * d.ddde+XX / d.ddde-XX with at least two exponent digits (CPython's pystrtod.c, mode 'r');
 * "nan", "inf", "-inf" and "-0.0" as Python writes them. Checked against CPython for every
 * power of two and a random sample in tests/test_base.c.
 */
#ifndef PODSCALE_BASE_PYFLOAT_H
#define PODSCALE_BASE_PYFLOAT_H

#include <stddef.h>

#include "base/strbuf.h"

/* The shortest "%.*e" text of finite x that reads back as x: "d.ddde+XX" (at most 17 digits). */
void ps_shortest_sci(double x, char sci[40]);
/* Append repr(x). */
void sb_pyfloat(strbuf *b, double x);
/* repr(x) into buf (cut to n - 1 bytes, as snprintf); returns its whole length. */
size_t ps_float_repr(double x, char *buf, size_t n);

#endif
