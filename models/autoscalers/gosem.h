/*
 * gosem: Go's semantics where the upstream autoscalers (AIBrix and Knative are Go programs)
 * depend on them: math.Max / math.Min with their NaN and signed-zero rules, int32(x)
 * conversions, integer floor division for bucket indices, and the parsers behind PodAutoscaler
 * annotations and targetValue (strconv.ParseFloat, strconv.ParseInt(s, 10, 32),
 * strconv.ParseBool, time.ParseDuration), Kubernetes' resource quantities (an HPA's targets),
 * plus a table-driven setter that parses an annotation into a field of a parameter struct.
 *
 * No globals, no I/O; the parsers never accept what Go rejects (tests/test_kpa.c pins them).
 */
#ifndef PODSCALE_GOSEM_H
#define PODSCALE_GOSEM_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* math.Max: +Inf wins, then NaN, then +0 over -0. */
static inline double go_max(double x, double y) {
  if ((isinf(x) && x > 0) || (isinf(y) && y > 0)) return INFINITY;
  if (isnan(x) || isnan(y)) return NAN;
  if (x == 0 && y == 0) return signbit(x) ? y : x;
  return x > y ? x : y;
}

/* math.Min: -Inf wins, then NaN, then -0 over +0. */
static inline double go_min(double x, double y) {
  if ((isinf(x) && x < 0) || (isinf(y) && y < 0)) return -INFINITY;
  if (isnan(x) || isnan(y)) return NAN;
  if (x == 0 && y == 0) return signbit(x) ? x : y;
  return x < y ? x : y;
}

/* int32(x): Go leaves NaN and out-of-range conversions to the platform; saturate (NaN -> 0). */
static inline int32_t go_to_i32(double x) {
  if (isnan(x)) return 0;
  if (x >= (double)INT32_MAX) return INT32_MAX;
  if (x <= (double)INT32_MIN) return INT32_MIN;
  return (int32_t)x;
}

/* floor(a / b) for b > 0, also for negative a (a bucket index before time 0). */
static inline int64_t floor_div64(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

/* strconv.ParseFloat(s, 64): decimal or hex (needs a p exponent) with Go's underscore rules,
 * "inf"/"infinity" with an optional sign, "nan"; no spaces; false on overflow to infinity. */
bool go_parse_float(const char *s, double *out);
/* strconv.ParseInt(s, 10, 32): optional sign and decimal digits only, within int32. */
bool go_parse_int32(const char *s, int32_t *out);
/* time.ParseDuration: e.g. "30s", "3m", "1h30m", "1.5h", "-2m", "0"; units ns, us (or µs, μs),
 * ms, s, m, h required after every number except a lone "0"; false on int64 overflow. */
bool go_parse_duration(const char *s, int64_t *out_ns);
/* strconv.ParseBool: 1 t T TRUE true True, 0 f F FALSE false False. */
bool go_parse_bool(const char *s, bool *out);
/* Kubernetes' resource.ParseQuantity (k8s.io/apimachinery/pkg/api/resource/quantity.go) as a
 * double: an optionally signed decimal number ("1", "1.5", ".5", "2.") and a suffix: none,
 * decimal SI (n u m k M G T P E), binary SI (Ki Mi Gi Ti Pi Ei) or a power of ten (e3, E-3):
 * "500m" is 0.5, "2k" 2000, "1Ki" 1024, "1e3" 1000. No spaces; false on anything else or on a
 * value beyond a double. (Kubernetes keeps it exact and rounds milli-values up; a double holds
 * every target written with at most 15 digits.) */
bool go_parse_quantity(const char *s, double *out);

/* --- Annotations into parameter structs --- */

typedef enum go_kind {
  GO_FLOAT,    /* double, ParseFloat */
  GO_INT32,    /* int32_t, ParseInt base 10, 32 bits */
  GO_DURATION, /* int64_t microseconds: ParseDuration, not negative, rounded up to 1 us */
  GO_BOOL,     /* bool, ParseBool */
} go_kind;

typedef struct go_field {
  const char *key; /* the annotation key */
  go_kind kind;
  size_t offset; /* offsetof the field in the parameter struct */
} go_field;

/* The entry of `key` in fields[0..n), or NULL. */
const go_field *go_field_find(const go_field *fields, size_t n, const char *key);
/* Parse `value` into the field f of the struct at obj; false with a message "WHO: KEY: ..." in
 * *e (may be NULL) and the struct unchanged when it does not parse. */
bool go_field_set(void *obj, const go_field *f, const char *value, const char *who, ps_err *e);

#endif
