/*
 * What the AIBrix autoscaler tests share: an exact double comparison (the algorithms must agree
 * with Go bit for bit) and the rows of AIBrix HEAD's algorithm/apa_test.go
 * (TestAPAAlgorithm_ComputeTargetReplicas), which both the v0.5+ APA and the legacy APA formula
 * reproduce. Include after <cmocka.h>.
 */
#ifndef PODSCALE_AIBRIX_VECTORS_H
#define PODSCALE_AIBRIX_VECTORS_H

#include <stdint.h>

#define assert_double_exact(got, want)                                                             \
  do {                                                                                             \
    double g_ = (got), w_ = (want);                                                                \
    if (!(g_ == w_)) {                                                                             \
      print_error("%s = %.17g, expected %.17g\n", #got, g_, w_);                                   \
      fail();                                                                                      \
    }                                                                                              \
  } while (0)

typedef struct apa_head_row {
  const char *name;
  int32_t current;
  double use_per_pod, up_rate, down_rate, target;
  int32_t expected;
} apa_head_row;

/* Tolerances 0.1 / 0.1. The last row (target 0) exists only at HEAD, which returns current. */
static const apa_head_row APA_HEAD_ROWS[] = {
    {"basic_scale_up", 2, 45, 2, 2, 30, 3},
    {"scale_up_upto_ceiling", 2, 35, 2, 2, 30, 3},
    {"scale_up_upto_max_scale_up", 2, 90, 2, 2, 30, 4},
    {"scale_up_upto_max_scale_up_ceiling", 2, 90, 2.5, 2, 30, 5},
    {"basic_scale_down", 6, 20, 2, 2, 30, 4},
    {"scale_down_upto_ceiling", 6, 18, 2, 2, 30, 4}, /* 6 * (18 / 30) = 3.5999999999999996 */
    {"scale_down_upto_max_scale_down", 6, 10, 2, 2, 30, 3},
    {"scale_down_upto_max_scale_down_floor", 6, 5, 2, 2.5, 30, 2},
    {"no_scaling_as_within_up_tolerance", 2, 33, 2, 2, 30, 2}, /* 33 / 30 > 1.1 is false */
    {"no_scaling_as_within_down_tolerance", 2, 27, 2, 2, 30, 2},
    {"division_by_zero", 1, 10, 1000, 2, 0, 1},
};
#define N_APA_HEAD_ROWS (sizeof APA_HEAD_ROWS / sizeof APA_HEAD_ROWS[0])

#endif
