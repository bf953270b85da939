#include "base/pyfloat.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Add one unit in the last digit of a %.*e text, in place, if the digit count stays. */
static bool next_decimal_up(char *sci) {
  for (char *c = strchr(sci, 'e') - 1; c >= sci && *c != '-'; c--) {
    if (*c == '.') continue;
    if (*c < '9') return ++*c, true;
    *c = '0';
  }
  return false; /* 9.99 -> 10.0: a shorter decimal, tried at a lower precision */
}

/* The shortest d.ddde±XX text that reads back as x: the digits of Python's repr (David Gay's
 * mode 0). glibc's printf rounds exactly, so the first precision whose %.*e text reads back is
 * the shortest, except at a power of two, where the gap to the double below is half the gap
 * above: there the decimal just above the rounded one can read back when the rounded one,
 * below x, does not. */
void ps_shortest_sci(double x, char sci[40]) {
  int e2;
  bool power_of_two = fabs(frexp(x, &e2)) == 0.5;
  for (int prec = 0; prec < 16; prec++) {
    snprintf(sci, 40, "%.*e", prec, x);
    if (strtod(sci, NULL) == x) return;
    if (power_of_two && next_decimal_up(sci) && strtod(sci, NULL) == x) return;
  }
  snprintf(sci, 40, "%.16e", x); /* 17 digits always read back */
}

/* Python's repr(float): the shortest round-trip digits, positional when the decimal exponent
 * is in [-4, 16) (with ".0" when whole), else d.ddde-XX (CPython pystrtod.c, mode 'r'). */
void sb_pyfloat(strbuf *b, double x) {
  if (!isfinite(x)) {
    sb_puts(b, isnan(x) ? "nan" : x < 0 ? "-inf" : "inf");
    return;
  }
  char sci[40], digits[24];
  ps_shortest_sci(x, sci);
  const char *c = sci;
  if (*c == '-') sb_put(b, c++, 1);
  int nd = 0;
  for (; *c != 'e'; c++)
    if (*c != '.') digits[nd++] = *c;
  int exp10 = atoi(c + 1); /* x = d.ddd * 10^exp10 */
  if (exp10 < -4 || exp10 >= 16) {
    sb_put(b, digits, 1);
    if (nd > 1) sb_put(b, ".", 1), sb_put(b, digits + 1, (size_t)nd - 1);
    char e[8];
    sb_put(b, e, (size_t)snprintf(e, sizeof e, "e%c%02d", exp10 < 0 ? '-' : '+', abs(exp10)));
  } else if (exp10 < 0) {
    sb_puts(b, "0.");
    for (int k = -1; k > exp10; k--)
      sb_put(b, "0", 1);
    sb_put(b, digits, (size_t)nd);
  } else if (exp10 + 1 >= nd) {
    sb_put(b, digits, (size_t)nd);
    for (int k = nd; k < exp10 + 1; k++)
      sb_put(b, "0", 1);
    sb_puts(b, ".0");
  } else {
    sb_put(b, digits, (size_t)exp10 + 1);
    sb_put(b, ".", 1);
    sb_put(b, digits + exp10 + 1, (size_t)(nd - exp10 - 1));
  }
}

size_t ps_float_repr(double x, char *buf, size_t n) {
  strbuf b = {0};
  sb_pyfloat(&b, x);
  snprintf(buf, n, "%s", b.s);
  free(b.s);
  return b.len;
}
