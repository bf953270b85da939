/*
 * knative_int: what the parts of models/autoscalers/knative (the windows, the configuration,
 * the decider and reconciler) share; internal to them. The constants are Knative Serving's.
 */
#ifndef PODSCALE_KNATIVE_INT_H
#define PODSCALE_KNATIVE_INT_H

#include <math.h>
#include <stdint.h>

#include "models/autoscalers/gosem.h"
#include "models/autoscalers/knative.h"

#define US_PER_S 1000000LL
#define NS_PER_US 1000LL
#define KN_ANN "autoscaling.knative.dev/"
#define TARGET_MIN 0.01                              /* autoscaling.TargetMin */
#define WINDOW_MIN_US (6 * US_PER_S)                 /* autoscaling.WindowMin */
#define WINDOW_MAX_US (3600 * US_PER_S)              /* autoscaling.WindowMax */
#define TARGET_UTILIZATION 0.7                       /* config.go TargetUtilization (rps) */
#define ACTIVATION_TIMEOUT_BUFFER_US (10 * US_PER_S) /* kpa/scaler.go activationTimeoutBuffer */
#define MIN_EXPONENT 0.2                             /* bucketing.go minExponent */
#define WEIGHT_PRECISION 0.9999                      /* bucketing.go weightPrecision */

/* --- Numbers as Go computes them --- */

static inline int64_t kn_trunc_to(int64_t t, int64_t g) { return floor_div64(t, g) * g; }

static inline int32_t kn_max_i32(int32_t a, int32_t b) { return a >= b ? a : b; }
static inline int64_t kn_max_i64(int64_t a, int64_t b) { return a >= b ? a : b; }

/* roundToNDigits(6, f): floor to 6 decimals. */
static inline double kn_round6(double f) { return floor(f * 1e6) / 1e6; }

#endif
