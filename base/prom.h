/*
 * prom: the Prometheus text exposition format (version 0.0.4), written into a strbuf. Used by
 * `podscale serve`'s /metrics and the mock vLLM server's.
 *
 * A metric family is its HELP and TYPE lines (prom_family) and then its samples (prom_sample),
 * each a name, labels and a value. Labels come as an array of name/value pairs; values are
 * escaped as the format wants (backslash, double quote and line feed), names are the
 * caller's and must be valid. A value is text made by prom_float or prom_uint.
 *
 * prom_float writes a number as Python's prometheus_client does (utils.floatToGoString, which
 * vLLM's /metrics uses): "+Inf", "-Inf", "NaN", else Python's repr, except that a positive
 * number with more than six digits before the point goes to Go's exponent form
 * (1234567.0 -> "1.234567e+06"), as Go's client would write it.
 */
#ifndef PODSCALE_BASE_PROM_H
#define PODSCALE_BASE_PROM_H

#include <stddef.h>
#include <stdint.h>

#include "base/strbuf.h"

typedef struct prom_label {
  const char *name;
  const char *value;
} prom_label;

#define PROM_NUM 48 /* room for any value prom_float or prom_uint writes */

/* "# HELP name help\n# TYPE name type\n" (help: one line, no backslash). */
void prom_family(strbuf *b, const char *name, const char *type, const char *help);
/* "name{l1="v1",...} value\n" (no braces without labels). */
void prom_sample(strbuf *b, const char *name, const prom_label *labels, size_t n_labels,
                 const char *value);
/* The value text of x (see above); returns buf. */
const char *prom_float(char buf[PROM_NUM], double x);
/* The value text of a count or a whole number, in decimal; returns buf. */
const char *prom_uint(char buf[PROM_NUM], uint64_t v);
const char *prom_int(char buf[PROM_NUM], int64_t v);

#endif
