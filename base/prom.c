#include "base/prom.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/pyfloat.h"

void prom_family(strbuf *b, const char *name, const char *type, const char *help) {
  sb_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void put_escaped(strbuf *b, const char *v) {
  for (; *v; v++) {
    if (*v == '\\')
      sb_puts(b, "\\\\");
    else if (*v == '"')
      sb_puts(b, "\\\"");
    else if (*v == '\n')
      sb_puts(b, "\\n");
    else
      sb_put(b, v, 1);
  }
}

void prom_sample(strbuf *b, const char *name, const prom_label *labels, size_t n_labels,
                 const char *value) {
  sb_puts(b, name);
  for (size_t i = 0; i < n_labels; i++) {
    sb_puts(b, i ? "," : "{");
    sb_puts(b, labels[i].name);
    sb_puts(b, "=\"");
    put_escaped(b, labels[i].value);
    sb_puts(b, "\"");
  }
  if (n_labels) sb_puts(b, "}");
  sb_puts(b, " ");
  sb_puts(b, value);
  sb_puts(b, "\n");
}

const char *prom_float(char buf[PROM_NUM], double x) {
  if (isnan(x)) return strcpy(buf, "NaN");
  if (isinf(x)) return strcpy(buf, x > 0 ? "+Inf" : "-Inf");
  char s[PROM_NUM];
  ps_float_repr(x, s, sizeof s);
  const char *dot = strchr(s, '.');
  size_t at = dot ? (size_t)(dot - s) : 0;
  if (!(x > 0 && dot && at > 6)) return strcpy(buf, s);
  /* s[0] "." s[1:dot] s[dot+1:], trailing '0' and '.' dropped, then "e+0" (dot - 1) */
  /* repr has at most 17 digits and a point here, so everything fits in PROM_NUM */
  size_t n = 0;
  buf[n++] = s[0];
  buf[n++] = '.';
  memcpy(buf + n, s + 1, at - 1);
  n += at - 1;
  size_t frac = strlen(dot + 1);
  memcpy(buf + n, dot + 1, frac);
  n += frac;
  while (n > 0 && (buf[n - 1] == '0' || buf[n - 1] == '.'))
    n--;
  snprintf(buf + n, PROM_NUM - n, "e+0%d", (int)(at - 1) % 1000);
  return buf;
}

const char *prom_uint(char buf[PROM_NUM], uint64_t v) {
  snprintf(buf, PROM_NUM, "%" PRIu64, v);
  return buf;
}

const char *prom_int(char buf[PROM_NUM], int64_t v) {
  snprintf(buf, PROM_NUM, "%" PRId64, v);
  return buf;
}
