/*
 * The Kubernetes HPA: upstream unit-test vectors (kubernetes/kubernetes
 * pkg/controller/podautoscaler/replica_calculator_test.go and horizontal_test.go; AIBrix
 * hpa_resources_test.go), each in a test named after the upstream test it reproduces, then the
 * behaviours the simulator relies on: tolerance, missing and unready pods, stabilization windows,
 * policy selection, the legacy normalization and a few syncs in sequence.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "models/autoscalers/hpa.h"

#define S 1000000LL         /* one second in microseconds */
#define NOW (1000000LL * S) /* the clock of a vector; the Go zero time is 0 */
#define MAX_PODS 12

/* ------------------------------------------------------------------------------------------
 * The replica-calculator harness of replica_calculator_test.go: every pod has two containers,
 * each with the pod's listed request and usage level (so a pod's totals are twice the lists);
 * pod i has a sample when i < n_levels; Ready is True unless `ready` says 'F'; phase is Running
 * unless `phase` says 'P' (Pending), 'F' (Failed) or 'D' (Running, being deleted); start time is
 * the zero time unless `start` says 'h' (now: hot CPU) or 'c' (3 minutes ago: cool CPU). CPU
 * samples are stamped at the zero time with a 1-minute window; the calculator runs with
 * tolerance 0.1, CPU initialization period 2 min and initial readiness delay 10 s.
 * ------------------------------------------------------------------------------------------ */

typedef struct pods_spec {
  int n_levels;
  int64_t levels[MAX_PODS]; /* per container (CPU), per pod (custom), or the object total */
  int n_requests;
  int64_t requests[MAX_PODS]; /* per container, milli-cores */
  const char *ready;          /* 'T'/'F' per pod; NULL: all True */
  const char *phase;          /* 'R', 'P', 'F', 'D' per pod; NULL: all Running */
  const char *start;          /* 'h', 'c', '0' per pod; NULL: all zero time */
} pods_spec;

static hpa_params calc_params(hpa_metric_kind kind, int64_t target) {
  hpa_params p = hpa_params_default();
  p.max_replicas = 1000;
  p.n_metrics = 1;
  p.metrics[0] = (hpa_metric_spec){kind, target};
  p.cpu_init_period_us = 120 * S;
  p.initial_readiness_delay_us = 10 * S;
  return p;
}

static char at(const char *s, int i, char dflt) { return s && i < (int)strlen(s) ? s[i] : dflt; }

static int64_t start_time(char c) { return c == 'h' ? NOW : c == 'c' ? NOW - 180 * S : 0; }

/* Pods as groupPods sees them; returns how many. */
static int build_pods(const pods_spec *ps, int n_pods, bool cpu, const hpa_params *p,
                      hpa_pod_sample *out) {
  assert_true(n_pods <= MAX_PODS);
  for (int i = 0; i < n_pods; i++) {
    char phase = at(ps->phase, i, 'R');
    hpa_pod_sample *pod = &out[i];
    int64_t per_container = i < ps->n_levels ? ps->levels[i] : 0;
    *pod = (hpa_pod_sample){.value = cpu ? 2 * per_container : per_container,
                            .request = i < ps->n_requests ? 2 * ps->requests[i] : 0};
    if (phase == 'F' || phase == 'D')
      pod->state = HPA_POD_IGNORED;
    else if (phase == 'P')
      pod->state = HPA_POD_UNREADY;
    else if (i >= ps->n_levels)
      pod->state = HPA_POD_MISSING;
    else if (cpu) {
      hpa_cpu_pod c = {.has_start = true,
                       .has_ready_condition = true,
                       .ready = at(ps->ready, i, 'T') == 'T',
                       .start_us = start_time(at(ps->start, i, '0')),
                       .ready_change_us = 0,
                       .sample_us = 0,
                       .sample_window_us = 60 * S};
      pod->state = hpa_cpu_unready(&c, p, NOW) ? HPA_POD_UNREADY : HPA_POD_READY;
    } else
      pod->state = HPA_POD_READY;
  }
  return n_pods;
}

static int32_t count_ready_running(const pods_spec *ps, int n_pods) {
  int32_t n = 0;
  for (int i = 0; i < n_pods; i++)
    if (at(ps->phase, i, 'R') == 'R' && at(ps->ready, i, 'T') == 'T') n++;
  return n;
}

typedef struct calc_case {
  hpa_metric_kind kind;
  int64_t target; /* milli, or percent */
  int32_t current;
  pods_spec pods;
  int32_t expected;
  int64_t expected_usage; /* utilization %, mean milli-value, or per-pod value */
  int64_t expected_raw;   /* utilization: mean usage per pod with a sample */
  bool expect_error;
} calc_case;

static void run_calc(const calc_case *c) {
  hpa_params p = calc_params(c->kind, c->target);
  hpa_pod_sample pods[MAX_PODS];
  int n = c->current;
  if (c->pods.phase && (int)strlen(c->pods.phase) > n) n = (int)strlen(c->pods.phase);
  bool pod_kind = c->kind == HPA_PODS_AVERAGE_VALUE || c->kind == HPA_RESOURCE_UTILIZATION;
  build_pods(&c->pods, n, c->kind == HPA_RESOURCE_UTILIZATION, &p, pods);
  hpa_metric_obs obs = {.fetched = true,
                        .pods = pod_kind ? pods : NULL,
                        .n_pods = pod_kind ? n : 0,
                        .total = pod_kind ? 0 : c->pods.levels[0]};
  hpa_inputs in = {.current = c->current,
                   .status_replicas = c->current,
                   .pods = n,
                   .ready_pods = count_ready_running(&c->pods, n),
                   .metrics = &obs};
  hpa_metric_result r;
  bool ok = hpa_metric_replicas(&p, 0, &in, &r);
  if (c->expect_error) {
    assert_false(ok);
    assert_non_null(r.error);
    return;
  }
  assert_true(ok);
  assert_int_equal(r.replicas, c->expected);
  assert_int_equal(r.usage, c->expected_usage);
  if (c->kind == HPA_RESOURCE_UTILIZATION) assert_int_equal(r.raw, c->expected_raw);
}

/* clang-format off */
#define ONE_CPU 1000
#define R3 3, { ONE_CPU, ONE_CPU, ONE_CPU }
#define R4 4, { ONE_CPU, ONE_CPU, ONE_CPU, ONE_CPU }
#define R5 5, { ONE_CPU, ONE_CPU, ONE_CPU, ONE_CPU, ONE_CPU }
#define R7 7, { ONE_CPU, ONE_CPU, ONE_CPU, ONE_CPU, ONE_CPU, ONE_CPU, ONE_CPU }
#define UTIL HPA_RESOURCE_UTILIZATION
#define PODS HPA_PODS_AVERAGE_VALUE

static const calc_case TestReplicaCalcDisjointResourcesMetrics = {
    .kind = UTIL, 100, 1, {.n_levels = 0, {0}, 1, {ONE_CPU}}, .expect_error = true};
static const calc_case TestReplicaCalcScaleUp = {
    .kind = UTIL, 30, 3, {.n_levels = 3, {300, 500, 700}, R3}, 5, 50, 2 * 500};
static const calc_case TestReplicaCalcScaleUpUnreadyLessScale = {
    .kind = UTIL, 30, 3, {.n_levels = 3, {300, 500, 700}, R3, .ready = "FTT"}, 4, 60, 2 * 600};
static const calc_case TestReplicaCalcScaleUpHotCpuLessScale = {
    .kind = UTIL, 30, 3, {.n_levels = 3, {300, 500, 700}, R3, .start = "hcc"}, 4, 60, 2 * 600};
static const calc_case TestReplicaCalcScaleUpUnreadyNoScale = {
    .kind = UTIL, 30, 3, {.n_levels = 3, {400, 500, 700}, R3, .ready = "TFF"}, 3, 40, 2 * 400};
static const calc_case TestReplicaCalcScaleHotCpuNoScale = {
    .kind = UTIL, 30, 3, {.n_levels = 3, {400, 500, 700}, R3, .ready = "TFF", .start = "chh"}, 3,
    40, 2 * 400};
static const calc_case TestReplicaCalcScaleUpIgnoresFailedPods = {
    .kind = UTIL, 30, 2, {.n_levels = 2, {500, 700}, R4, .ready = "TTFF", .phase = "RRFF"}, 4, 60,
    2 * 600};
static const calc_case TestReplicaCalcScaleUpIgnoresDeletionPods = {
    .kind = UTIL, 30, 2, {.n_levels = 2, {500, 700}, R4, .ready = "TTFF", .phase = "RRDD"}, 4, 60,
    2 * 600};
static const calc_case TestReplicaCalcScaleUpCM = {
    .kind = PODS, 15000, 3, {.n_levels = 3, {20000, 10000, 30000}}, 4, 20000, 0};
static const calc_case TestReplicaCalcScaleUpCMUnreadyHotCpuNoLessScale = {
    .kind = PODS, 15000, 3, {.n_levels = 3, {50000, 10000, 30000}, .ready = "TTF", .start = "cch"},
    6, 30000, 0};
static const calc_case TestReplicaCalcScaleUpCMUnreadyHotCpuScaleWouldScaleDown = {
    .kind = PODS, 15000, 3, {.n_levels = 3, {50000, 15000, 30000}, .ready = "FTF", .start = "hch"},
    7, 31666, 0};
static const calc_case TestReplicaCalcScaleUpCMObject = {
    .kind = HPA_VALUE, 15000, 3, {.n_levels = 1, {20000}}, 4, 20000, 0};
static const calc_case TestReplicaCalcScaleUpCMPerPodObject = {
    .kind = HPA_AVERAGE_VALUE, 5000, 3, {.n_levels = 1, {20000}}, 4, 6667, 0};
static const calc_case TestReplicaCalcScaleUpCMObjectIgnoresUnreadyPods = {
    .kind = HPA_VALUE, 10000, 3, {.n_levels = 1, {50000}, .ready = "FTF"}, 5, 50000, 0};
static const calc_case TestReplicaCalcScaleUpCMExternal =
    {/* a pods metric upstream too */
     .kind = PODS, 4400, 1, {.n_levels = 1, {8600}}, 2, 8600, 0};
static const calc_case TestReplicaCalcScaleUpCMExternalIgnoresUnreadyPods = {
    .kind = HPA_VALUE, 4400, 3, {.n_levels = 1, {8600}, .ready = "FTF"}, 2, 8600, 0};
static const calc_case TestReplicaCalcScaleUpCMExternalNoLabels = {
    .kind = PODS, 4400, 1, {.n_levels = 1, {8600}}, 2, 8600, 0};
static const calc_case TestReplicaCalcScaleUpPerPodCMExternal = {
    .kind = HPA_AVERAGE_VALUE, 2150, 3, {.n_levels = 1, {8600}}, 4, 2867, 0};
static const calc_case TestReplicaCalcScaleDown = {
    .kind = UTIL, 50, 5, {.n_levels = 5, {100, 300, 500, 250, 250}, R5}, 3, 28, 2 * 280};
static const calc_case TestReplicaCalcScaleDownCM = {
    .kind = PODS, 20000, 5, {.n_levels = 5, {12000, 12000, 12000, 12000, 12000}}, 3, 12000, 0};
static const calc_case TestReplicaCalcScaleDownPerPodCMObject = {
    .kind = HPA_AVERAGE_VALUE, 2000, 5, {.n_levels = 1, {6000}}, 3, 1200, 0};
static const calc_case TestReplicaCalcScaleDownCMObject = {
    .kind = HPA_VALUE, 20000, 5, {.n_levels = 1, {12000}}, 3, 12000, 0};
static const calc_case TestReplicaCalcScaleDownCMExternal = {
    .kind = HPA_VALUE, 14334, 5, {.n_levels = 1, {8600}}, 3, 8600, 0};
static const calc_case TestReplicaCalcScaleDownPerPodCMExternal = {
    .kind = HPA_AVERAGE_VALUE, 2867, 5, {.n_levels = 1, {8600}}, 3, 1720, 0};
static const calc_case TestReplicaCalcScaleDownIncludeUnreadyPods = {
    .kind = UTIL, 50, 5, {.n_levels = 5, {100, 300, 500, 250, 250}, R5, .ready = "TTTFF"}, 2, 30,
    2 * 300};
static const calc_case TestReplicaCalcScaleDownExcludeUnscheduledPods = {
    .kind = UTIL, 50, 5, {.n_levels = 1, {100}, R5, .ready = "TFFFF", .phase = "RPPPP"}, 1, 10,
    2 * 100};
static const calc_case TestReplicaCalcScaleDownIgnoreHotCpuPods = {
    .kind = UTIL, 50, 5, {.n_levels = 5, {100, 300, 500, 250, 250}, R5, .start = "ccchh"}, 2, 30,
    2 * 300};
static const calc_case TestReplicaCalcScaleDownIgnoresFailedPods = {
    .kind = UTIL, 50, 5, {.n_levels = 5, {100, 300, 500, 250, 250}, R7, .ready = "TTTTTFF",
    .phase = "RRRRRFF"}, 3, 28, 2 * 280};
static const calc_case TestReplicaCalcScaleDownIgnoresDeletionPods = {
    .kind = UTIL, 50, 5, {.n_levels = 5, {100, 300, 500, 250, 250}, R7, .ready = "TTTTTFF",
    .phase = "RRRRRDD"}, 3, 28, 2 * 280};
static const calc_case TestReplicaCalcTolerance = {
    .kind = UTIL, 100, 3, {.n_levels = 3, {1010, 1030, 1020}, 3, {900, 1000, 1100}}, 3, 102,
    2 * 1020};
static const calc_case TestReplicaCalcToleranceCM = {
    .kind = PODS, 20000, 3, {.n_levels = 3, {20000, 21000, 21000}}, 3, 20666, 0};
static const calc_case TestReplicaCalcToleranceCMObject = {
    .kind = HPA_VALUE, 20000, 3, {.n_levels = 1, {20666}}, 3, 20666, 0};
static const calc_case TestReplicaCalcTolerancePerPodCMObject = {
    .kind = HPA_AVERAGE_VALUE, 5000, 4, {.n_levels = 1, {20166}}, 4, 5042, 0};
static const calc_case TestReplicaCalcToleranceCMExternal = {
    .kind = HPA_VALUE, 8888, 3, {.n_levels = 1, {8600}}, 3, 8600, 0};
static const calc_case TestReplicaCalcTolerancePerPodCMExternal = {
    .kind = HPA_AVERAGE_VALUE, 2900, 3, {.n_levels = 1, {8600}}, 3, 2867, 0};
/* Upstream also reports samples for two pods that do not exist; they never reach the
 * calculation here (the fast path averages over pods with requests only). */
static const calc_case TestReplicaCalcSuperfluousMetrics = {
    .kind = UTIL, 100, 4, {.n_levels = 4, {4000, 9500, 3000, 7000}, R4}, 24, 587, 2 * 5875};
static const calc_case TestReplicaCalcMissingMetrics = {
    .kind = UTIL, 100, 4, {.n_levels = 2, {400, 95}, R4}, 3, 24, 495};
static const calc_case TestReplicaCalcEmptyMetrics = {
    .kind = UTIL, 100, 4, {.n_levels = 0, {0}, R3}, .expect_error = true};
static const calc_case TestReplicaCalcEmptyCPURequest = {
    .kind = UTIL, 100, 1, {.n_levels = 1, {200}, 0, {0}}, .expect_error = true};
static const calc_case TestReplicaCalcMissingMetricsNoChangeEq = {
    .kind = UTIL, 100, 2, {.n_levels = 1, {1000}, 2, {ONE_CPU, ONE_CPU}}, 2, 100, 2 * 1000};
static const calc_case TestReplicaCalcMissingMetricsNoChangeGt = {
    .kind = UTIL, 100, 2, {.n_levels = 1, {1900}, 2, {ONE_CPU, ONE_CPU}}, 2, 190, 2 * 1900};
static const calc_case TestReplicaCalcMissingMetricsNoChangeLt = {
    .kind = UTIL, 100, 2, {.n_levels = 1, {600}, 2, {ONE_CPU, ONE_CPU}}, 2, 60, 2 * 600};
static const calc_case TestReplicaCalcMissingMetricsUnreadyChange = {
    .kind = UTIL, 50, 3, {.n_levels = 2, {100, 450}, R3, .ready = "FTT"}, 3, 45, 2 * 450};
static const calc_case TestReplicaCalcMissingMetricsHotCpuNoChange = {
    .kind = UTIL, 50, 3, {.n_levels = 2, {100, 450}, R3, .start = "hcc"}, 3, 45, 2 * 450};
static const calc_case TestReplicaCalcMissingMetricsUnreadyScaleUp = {
    .kind = UTIL, 50, 3, {.n_levels = 2, {100, 2000}, R3, .ready = "FTT"}, 4, 200, 2 * 2000};
static const calc_case TestReplicaCalcMissingMetricsHotCpuScaleUp = {
    .kind = UTIL, 50, 3, {.n_levels = 2, {100, 2000}, R3, .ready = "FTT", .start = "hcc"}, 4, 200,
    2 * 2000};
static const calc_case TestReplicaCalcMissingMetricsUnreadyScaleDown = {
    .kind = UTIL, 50, 4, {.n_levels = 3, {100, 100, 100}, R4, .ready = "FTTT"}, 3, 10, 2 * 100};
static const calc_case TestReplicaCalcDuringRollingUpdateWithMaxSurge = {
    .kind = UTIL, 50, 2, {.n_levels = 2, {100, 100}, R3, .phase = "RRR"}, 2, 10, 2 * 100};
/* clang-format on */

#define CALC_CASES(X)                                                                              \
  X(TestReplicaCalcDisjointResourcesMetrics)                                                       \
  X(TestReplicaCalcScaleUp)                                                                        \
  X(TestReplicaCalcScaleUpUnreadyLessScale)                                                        \
  X(TestReplicaCalcScaleUpHotCpuLessScale)                                                         \
  X(TestReplicaCalcScaleUpUnreadyNoScale)                                                          \
  X(TestReplicaCalcScaleHotCpuNoScale)                                                             \
  X(TestReplicaCalcScaleUpIgnoresFailedPods)                                                       \
  X(TestReplicaCalcScaleUpIgnoresDeletionPods)                                                     \
  X(TestReplicaCalcScaleUpCM)                                                                      \
  X(TestReplicaCalcScaleUpCMUnreadyHotCpuNoLessScale)                                              \
  X(TestReplicaCalcScaleUpCMUnreadyHotCpuScaleWouldScaleDown)                                      \
  X(TestReplicaCalcScaleUpCMObject)                                                                \
  X(TestReplicaCalcScaleUpCMPerPodObject)                                                          \
  X(TestReplicaCalcScaleUpCMObjectIgnoresUnreadyPods)                                              \
  X(TestReplicaCalcScaleUpCMExternal)                                                              \
  X(TestReplicaCalcScaleUpCMExternalIgnoresUnreadyPods)                                            \
  X(TestReplicaCalcScaleUpCMExternalNoLabels)                                                      \
  X(TestReplicaCalcScaleUpPerPodCMExternal)                                                        \
  X(TestReplicaCalcScaleDown)                                                                      \
  X(TestReplicaCalcScaleDownCM)                                                                    \
  X(TestReplicaCalcScaleDownPerPodCMObject)                                                        \
  X(TestReplicaCalcScaleDownCMObject)                                                              \
  X(TestReplicaCalcScaleDownCMExternal)                                                            \
  X(TestReplicaCalcScaleDownPerPodCMExternal)                                                      \
  X(TestReplicaCalcScaleDownIncludeUnreadyPods)                                                    \
  X(TestReplicaCalcScaleDownExcludeUnscheduledPods)                                                \
  X(TestReplicaCalcScaleDownIgnoreHotCpuPods)                                                      \
  X(TestReplicaCalcScaleDownIgnoresFailedPods)                                                     \
  X(TestReplicaCalcScaleDownIgnoresDeletionPods)                                                   \
  X(TestReplicaCalcTolerance)                                                                      \
  X(TestReplicaCalcToleranceCM)                                                                    \
  X(TestReplicaCalcToleranceCMObject)                                                              \
  X(TestReplicaCalcTolerancePerPodCMObject)                                                        \
  X(TestReplicaCalcToleranceCMExternal)                                                            \
  X(TestReplicaCalcTolerancePerPodCMExternal)                                                      \
  X(TestReplicaCalcSuperfluousMetrics)                                                             \
  X(TestReplicaCalcMissingMetrics)                                                                 \
  X(TestReplicaCalcEmptyMetrics)                                                                   \
  X(TestReplicaCalcEmptyCPURequest)                                                                \
  X(TestReplicaCalcMissingMetricsNoChangeEq)                                                       \
  X(TestReplicaCalcMissingMetricsNoChangeGt)                                                       \
  X(TestReplicaCalcMissingMetricsNoChangeLt)                                                       \
  X(TestReplicaCalcMissingMetricsUnreadyChange)                                                    \
  X(TestReplicaCalcMissingMetricsHotCpuNoChange)                                                   \
  X(TestReplicaCalcMissingMetricsUnreadyScaleUp)                                                   \
  X(TestReplicaCalcMissingMetricsHotCpuScaleUp)                                                    \
  X(TestReplicaCalcMissingMetricsUnreadyScaleDown)                                                 \
  X(TestReplicaCalcDuringRollingUpdateWithMaxSurge)

#define CALC_TEST(name)                                                                            \
  static void hpa_reproduces_##name(void **state) {                                                \
    (void)state;                                                                                   \
    run_calc(&name);                                                                               \
  }
CALC_CASES(CALC_TEST)

/* 10 pods at 150 m of ~300 m requested (50 %); target int32((1/(2*0.9)+0.01)*100) = 56 % scales
 * down to ceil(50/56*10) = 9; target int32((1/(2*0.9)+0.004)*100) = 55 % is within tolerance. */
static void hpa_reproduces_TestReplicaCalcComputedToleranceAlgImplementation(void **state) {
  (void)state;
  calc_case c = {.kind = UTIL,
                 56,
                 10,
                 {.n_levels = 10,
                  {150, 150, 150, 150, 150, 150, 150, 150, 150, 150},
                  10,
                  {400, 200, 310, 290, 302, 298, 301, 299, 300, 300}},
                 9,
                 50,
                 2 * 150};
  run_calc(&c);
  c.target = 55;
  c.expected = 10;
  run_calc(&c);
}

/* groupPods' CPU rules (replica_calculator_test.go TestGroupPods, the CPU rows; the missing and
 * pending rows are the caller's classification). Init period 2 min, readiness delay 10 s. */
static void hpa_reproduces_TestGroupPods(void **state) {
  (void)state;
  hpa_params p = calc_params(UTIL, 100);
  const struct {
    const char *name;
    hpa_cpu_pod pod;
    bool unready;
  } cases[] = {
      /* clang-format off */
      {"ignore a pod without ready condition", {.has_start = true, .start_us = NOW}, true},
      {"count in a ready pod with fresh metrics during initialization period", {true, true, true,
       NOW - 60 * S, NOW - 30 * S, NOW, 30 * S}, false},
      {"ignore a ready pod without fresh metrics during initialization period", {true, true, true,
       NOW - 60 * S, NOW - 30 * S, NOW, 60 * S}, true},
      {"ignore an unready pod during initialization period", {true, true, false, NOW - 600 * S,
       NOW - 594 * S, 0, 0}, true},
      {"count in a ready pod without fresh metrics after initialization period", {true, true, true,
       NOW - 180 * S, NOW - 180 * S, NOW - 120 * S, 60 * S}, false},
      {"count in an unready pod that was ready after initialization period", {true, true, false,
       NOW - 600 * S, NOW - 540 * S, 0, 0}, false},
      {"ignore pod that has never been ready after initialization period (boundary: counted)",
       {true, true, false, NOW - 600 * S, NOW - 590 * S, 0, 0}, false},
      {"several pods: lucretius (no ready condition)", {.has_start = true, .start_us = NOW}, true},
      {"several pods: niccolo", {true, true, true, NOW - 180 * S, NOW - 180 * S, 0, 0}, false},
      /* clang-format on */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    if (hpa_cpu_unready(&cases[i].pod, &p, NOW) != cases[i].unready) fail_msg("%s", cases[i].name);
  }
}

/* ------------------------------------------------------------------------------------------
 * horizontal_test.go
 * ------------------------------------------------------------------------------------------ */

typedef struct rec_at {
  int32_t replicas;
  int64_t ago_us;
} rec_at;

static void load_recs(hpa_state *s, const rec_at *r, int n) {
  for (int i = 0; i < n; i++)
    hpa_state_add_rec(s, r[i].replicas, NOW - r[i].ago_us);
}

#define MIN (60 * S)

static void hpa_reproduces_TestNormalizeDesiredReplicas(void **state) {
  (void)state;
  const struct {
    const char *name;
    int n;
    rec_at recs[4];
    int32_t prenormalized, expected;
    size_t log_len;
  } cases[] = {
      /* clang-format off */
      {"empty log", 0, {{0, 0}}, 5, 5, 1},
      {"stabilize", 2, {{4, 2 * MIN}, {5, 1 * MIN}}, 3, 5, 3},
      {"no stabilize", 2, {{1, 2 * MIN}, {2, 1 * MIN}}, 3, 3, 3},
      {"no stabilize - old recommendations", 2, {{10, 10 * MIN}, {9, 9 * MIN}}, 3, 3, 2},
      {"stabilize - old recommendations", 4, {{10, 10 * MIN}, {4, 1 * MIN}, {5, 2 * MIN}, {9,
       9 * MIN}}, 3, 5, 4},
      /* clang-format on */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    hpa_state s;
    hpa_state_init(&s);
    load_recs(&s, cases[i].recs, cases[i].n);
    int32_t r = hpa_stabilize_legacy(&s, 5 * MIN, cases[i].prenormalized, NOW);
    if (r != cases[i].expected || s.n_recs != cases[i].log_len)
      fail_msg("%s: got %d (log %zu), want %d (log %zu)", cases[i].name, r, s.n_recs,
               cases[i].expected, cases[i].log_len);
    hpa_state_free(&s);
  }
}

/* generateScalingRules(pods, podsPeriod, percent, percentPeriod, stabilizationWindow). */
typedef struct gen_rules {
  bool set; /* false: nil, the API defaults apply */
  int32_t pods, pods_period, percent, percent_period, stabilization;
} gen_rules;

static hpa_rules make_rules(gen_rules g, bool up) {
  hpa_behavior d = hpa_behavior_default();
  if (!g.set) return up ? d.up : d.down;
  hpa_rules r = {.stabilization_s = g.stabilization, .select = HPA_SELECT_MAX};
  if (g.pods) r.policies[r.n_policies++] = (hpa_policy){HPA_POLICY_PODS, g.pods, g.pods_period};
  if (g.percent)
    r.policies[r.n_policies++] = (hpa_policy){HPA_POLICY_PERCENT, g.percent, g.percent_period};
  return r;
}

#define RULES(...)                                                                                 \
  { true, __VA_ARGS__ }

/* generateEventsUniformDistribution: n events spread over the last period_s, each in the middle
 * of its segment, the offset truncated to whole seconds as time.Duration(float) does. */
static void uniform_events(hpa_state *s, bool up, const int32_t *changes, int n, int32_t period_s) {
  double segment = (double)period_s / n;
  for (int i = 0; i < n; i++) {
    int64_t ago_s = (int64_t)((double)period_s - segment * (i + 1) + segment / 2);
    hpa_state_add_event(s, up, changes[i], NOW - ago_s * S);
  }
}

static void hpa_reproduces_TestScalingWithRules(void **state) {
  (void)state;
  const struct {
    const char *name;
    int n_up;
    int32_t up_events[4];
    int n_down;
    int32_t down_events[4];
    int32_t min, max;
    gen_rules up, down;
    int32_t current, desired, expected;
    const char *condition;
  } cases[] = {
      /* clang-format off */
      {"prenormalized desired replicas within range", 0, {0}, 0, {0}, 3, 8, {0}, {0}, 5, 7, 7,
       "DesiredWithinRange"},
      {"prenormalized desired replicas < minReplicas", 0, {0}, 0, {0}, 2, 8, {0}, {0}, 3, 1, 2,
       "TooFewReplicas"},
      {"prenormalized desired replicas within range when minReplicas is 0", 0, {0}, 0, {0}, 0, 10,
       {0}, {0}, 1, 0, 0, "DesiredWithinRange"},
      {"maxReplicas is the limit because maxReplicas < scaleUpLimit", 0, {0}, 0, {0}, 1, 10, {0},
       {0}, 20, 1000, 10, "TooManyReplicas"},
      {"desired replica count is more than the maximum replica count", 0, {0}, 0, {0}, 100, 150,
       {0}, {0}, 100, 1000, 150, "TooManyReplicas"},
      {"scaleUpLimit is the limit because scaleUpLimit < maxReplicas with user policies", 0, {0}, 0,
       {0}, 1, 2000, RULES(0, 0, 1, 60, 0), {0}, 3, 1000, 4, "ScaleUpLimit"},
      {"scaleDownLimit is the limit because scaleDownLimit > minReplicas with user defined "
       "policies (skipped upstream by testThis)", 0, {0}, 0, {0}, 3, 2000, {0},
       RULES(20, 60, 0, 0, 0), 1000, 3, 980, "ScaleDownLimit"},
      {"scaleUp with default behavior", 0, {0}, 0, {0}, 1, 1000, {0}, {0}, 10, 50, 20,
       "ScaleUpLimit"},
      {"scaleUp with pods policy larger than percent policy", 0, {0}, 0, {0}, 1, 1000,
       RULES(100, 60, 100, 60, 0), {0}, 10, 500, 110, "ScaleUpLimit"},
      {"scaleUp with percent policy larger than pods policy", 0, {0}, 0, {0}, 1, 1000,
       RULES(2, 60, 100, 60, 0), {0}, 10, 500, 20, "ScaleUpLimit"},
      {"scaleUp with spec MaxReplicas limitation with large pod policy", 0, {0}, 0, {0}, 1, 1000,
       RULES(100, 60, 0, 0, 0), {0}, 10, 50, 50, "DesiredWithinRange"},
      {"scaleUp with spec MaxReplicas limitation with large percent policy", 0, {0}, 0, {0}, 1,
       1000, RULES(10000, 60, 0, 0, 0), {0}, 10, 50, 50, "DesiredWithinRange"},
      {"scaleUp with pod policy limitation", 0, {0}, 0, {0}, 1, 1000, RULES(30, 60, 0, 0, 0), {0},
       10, 50, 40, "ScaleUpLimit"},
      {"scaleUp with percent policy limitation", 0, {0}, 0, {0}, 1, 1000, RULES(0, 0, 200, 60, 0),
       {0}, 10, 50, 30, "ScaleUpLimit"},
      {"scaleDown with percent policy larger than pod policy", 0, {0}, 0, {0}, 1, 1000, {0},
       RULES(20, 60, 1, 60, 300), 100, 2, 80, "ScaleDownLimit"},
      {"scaleDown with pod policy larger than percent policy", 0, {0}, 0, {0}, 1, 1000, {0},
       RULES(2, 60, 1, 60, 300), 100, 2, 98, "ScaleDownLimit"},
      {"scaleDown with spec MinReplicas=nil limitation with large pod policy", 0, {0}, 0, {0}, 1,
       1000, {0}, RULES(100, 60, 0, 0, 300), 10, 0, 1, "TooFewReplicas"},
      {"scaleDown with spec MinReplicas limitation with large pod policy", 0, {0}, 0, {0}, 1, 1000,
       {0}, RULES(100, 60, 0, 0, 300), 10, 0, 1, "TooFewReplicas"},
      {"scaleDown with spec MinReplicas limitation with large percent policy", 0, {0}, 0, {0}, 5,
       1000, {0}, RULES(0, 0, 100, 60, 300), 10, 2, 5, "TooFewReplicas"},
      {"scaleDown with pod policy limitation", 0, {0}, 0, {0}, 1, 1000, {0},
       RULES(5, 60, 0, 0, 300), 10, 2, 5, "ScaleDownLimit"},
      {"scaleDown with percent policy limitation", 0, {0}, 0, {0}, 1, 1000, {0},
       RULES(0, 0, 50, 60, 300), 10, 5, 5, "DesiredWithinRange"},
      {"scaleUp with spec MaxReplicas limitation with large pod policy and events", 3, {1, 5, 9}, 0,
       {0}, 1, 200, RULES(300, 60, 0, 0, 0), {0}, 100, 500, 200, "TooManyReplicas"},
      {"scaleUp with spec MaxReplicas limitation with large percent policy and events", 3, {1, 5,
       9}, 0, {0}, 1, 200, RULES(0, 0, 10000, 60, 0), {0}, 100, 500, 200, "TooManyReplicas"},
      {"scaleUp with currentReplicas limitation with rate.PeriodSeconds with a lot of recent "
       "scale up events", 3, {1, 5, 9}, 0, {0}, 1, 1000, RULES(5, 120, 0, 0, 0), {0}, 100, 500, 100,
       "ScaleUpLimit"},
      {"scaleUp with pod policy and previous scale up events", 3, {1, 5, 9}, 0, {0}, 1, 1000,
       RULES(150, 120, 0, 0, 0), {0}, 100, 500, 235, "ScaleUpLimit"},
      {"scaleUp with percent policy and previous scale up events", 3, {1, 5, 9}, 0, {0}, 1, 1000,
       RULES(0, 0, 200, 120, 0), {0}, 100, 500, 255, "ScaleUpLimit"},
      {"scaleUp with percent policy and previous scale up and down events", 1, {4}, 1, {2}, 1, 1000,
       RULES(0, 0, 300, 300, 0), {0}, 6, 24, 16, "ScaleUpLimit"},
      {"scaleDown with default policy and previous events", 0, {0}, 3, {1, 5, 9}, 1, 1000, {0}, {0},
       10, 5, 5, "DesiredWithinRange"},
      {"scaleDown with spec MinReplicas=nil limitation with large pod policy and previous events",
       0, {0}, 3, {1, 5, 9}, 1, 1000, {0}, RULES(115, 120, 0, 0, 300), 100, 0, 1, "TooFewReplicas"},
      {"scaleDown with spec MinReplicas limitation with large pod policy and previous events", 0,
       {0}, 3, {1, 5, 9}, 5, 1000, {0}, RULES(130, 120, 0, 0, 300), 100, 0, 5, "TooFewReplicas"},
      {"scaleDown with spec MinReplicas limitation with large percent policy and previous "
       "events", 0, {0}, 3, {1, 5, 9}, 5, 1000, {0}, RULES(0, 0, 100, 120, 300), 100, 2, 5,
       "TooFewReplicas"},
      {"scaleDown with pod policy limitation and previous events", 0, {0}, 3, {1, 5, 9}, 1, 1000,
       {0}, RULES(5, 120, 0, 0, 300), 100, 2, 100, "ScaleDownLimit"},
      {"scaleDown with percent policy limitation and previous events", 0, {0}, 3, {2, 4, 6}, 1,
       1000, {0}, RULES(0, 0, 50, 120, 300), 100, 0, 56, "ScaleDownLimit"},
      {"scaleDown with percent policy and previous scale up and down events", 1, {2}, 1, {4}, 1,
       1000, {0}, RULES(0, 0, 50, 180, 0), 10, 1, 6, "ScaleDownLimit"},
      {"scaleDown with previous events preventing further scale down", 0, {0}, 3, {10, 10, 10}, 1,
       1000, {0}, RULES(0, 0, 10, 120, 300), 100, 0, 100, "ScaleDownLimit"},
      {"scaleDown with with previous events still allowing more scale down", 0, {0}, 3, {10, 10,
       10}, 1, 1000, {0}, RULES(0, 0, 1000, 120, 300), 10, 5, 5, "DesiredWithinRange"},
      {"check 'outdated' flag for events for one behavior for up", 4, {8, 12, 9, 11}, 0, {0}, 1,
       1000, RULES(1000, 60, 0, 0, 0), {0}, 100, 200, 200, "DesiredWithinRange"},
      {"check that events were not marked 'outdated' for two different policies in the "
       "behavior for up", 4, {8, 12, 9, 11}, 0, {0}, 1, 1000, RULES(1000, 120, 100, 60, 0), {0},
       100, 200, 200, "DesiredWithinRange"},
      {"check that events were marked 'outdated' for two different policies in the behavior "
       "for up", 4, {8, 12, 9, 11}, 0, {0}, 1, 1000, RULES(1000, 30, 100, 60, 0), {0}, 100, 200,
       200, "DesiredWithinRange"},
      {"check 'outdated' flag for events for one behavior for down", 0, {0}, 4, {8, 12, 9, 11}, 1,
       1000, {0}, RULES(1000, 60, 0, 0, 300), 100, 5, 5, "DesiredWithinRange"},
      {"check that events were not marked 'outdated' for two different policies in the "
       "behavior for down", 0, {0}, 4, {8, 12, 9, 11}, 1, 1000, {0}, RULES(1000, 120, 100, 60, 300),
       100, 5, 5, "DesiredWithinRange"},
      {"check that events were marked 'outdated' for two different policies in the behavior "
       "for down", 0, {0}, 4, {8, 12, 9, 11}, 1, 1000, {0}, RULES(1000, 30, 100, 60, 300), 100, 5,
       5, "DesiredWithinRange"},
      /* clang-format on */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    hpa_state s;
    hpa_state_init(&s);
    uniform_events(&s, true, cases[i].up_events, cases[i].n_up, 120);
    uniform_events(&s, false, cases[i].down_events, cases[i].n_down, 120);
    hpa_rules up = make_rules(cases[i].up, true), down = make_rules(cases[i].down, false);
    const char *cond = NULL;
    int32_t r = hpa_rate_limit(&s, &up, &down, cases[i].min, cases[i].max, cases[i].current,
                               cases[i].desired, NOW, &cond);
    if (r != cases[i].expected || strcmp(cond, cases[i].condition) != 0)
      fail_msg("%s: got %d %s, want %d %s", cases[i].name, r, cond, cases[i].expected,
               cases[i].condition);
    hpa_state_free(&s);
  }
}

static void hpa_reproduces_TestStoreScaleEvents(void **state) {
  (void)state;
  typedef struct {
    int32_t change;
    int64_t ago_s;
  } ev_at;
  typedef struct {
    int32_t change;
    bool outdated;
  } ev_want;
  const struct {
    const char *name;
    int32_t change;
    int n_prev;
    ev_at prev[4];
    int n_new;
    ev_want want[4];
    gen_rules rules;
    int32_t expected_change;
  } cases[] = {
      /* clang-format off */
      {"empty entries with default behavior", 5, 0, {{0, 0}}, 0, {{0, 0}}, {0}, 0},
      {"empty entries with two-policy-behavior", 5, 0, {{0, 0}}, 1, {{5, false}},
       RULES(10, 60, 100, 60, 0), 0},
      {"one outdated entry to be kept untouched without behavior", 5, 1, {{7, 61}}, 1, {{7, false}},
       {0}, 0},
      {"one outdated entry to be replaced with behavior", 5, 1, {{7, 61}}, 1, {{5, false}},
       RULES(10, 60, 100, 60, 0), 0},
      {"one actual entry to be not touched with behavior", 5, 1, {{7, 58}}, 2, {{7, false}, {5,
       false}}, RULES(10, 60, 100, 60, 0), 7},
      {"two entries, one of them to be replaced", 5, 2, {{7, 61}, {6, 59}}, 2, {{5, false}, {6,
       false}}, RULES(10, 60, 0, 0, 0), 6},
      {"replace one entry, use policies with different periods", 5, 4, {{8, 29}, {6, 59}, {7, 61},
       {9, 61}}, 4, {{8, false}, {6, false}, {7, true}, {5, false}}, RULES(10, 60, 100, 30, 0), 14},
      {"two entries, both actual", 5, 2, {{7, 58}, {6, 59}}, 3, {{7, false}, {6, false}, {5,
       false}}, RULES(10, 120, 100, 30, 0), 13},
      /* clang-format on */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    for (int dir = 0; dir < 2; dir++) {
      bool up = dir == 0;
      hpa_state s;
      hpa_state_init(&s);
      for (int k = 0; k < cases[i].n_prev; k++)
        hpa_state_add_event(&s, up, cases[i].prev[k].change, NOW - cases[i].prev[k].ago_s * S);
      const hpa_event *ev = up ? s.up : s.down;
      size_t n = up ? s.n_up : s.n_down;
      if (hpa_events_change(ev, n, 60, NOW) != cases[i].expected_change)
        fail_msg("%s (%s): change in the last 60 s", cases[i].name, up ? "up" : "down");
      hpa_behavior b = {0};
      if (up)
        b.up = make_rules(cases[i].rules, true);
      else
        b.down = make_rules(cases[i].rules, false);
      int32_t next = up ? 10 + cases[i].change : 10 - cases[i].change;
      hpa_store_event(&s, cases[i].rules.set ? &b : NULL, 10, next, NOW);
      ev = up ? s.up : s.down;
      n = up ? s.n_up : s.n_down;
      if (n != (size_t)cases[i].n_new)
        fail_msg("%s (%s): %zu events, want %d", cases[i].name, up ? "up" : "down", n,
                 cases[i].n_new);
      for (size_t k = 0; k < n; k++)
        if (ev[k].change != cases[i].want[k].change || ev[k].outdated != cases[i].want[k].outdated)
          fail_msg("%s (%s): event %zu is {%d, %d}", cases[i].name, up ? "up" : "down", k,
                   ev[k].change, ev[k].outdated);
      hpa_state_free(&s);
    }
  }
}

static void hpa_reproduces_TestNormalizeDesiredReplicasWithBehavior(void **state) {
  (void)state;
  const struct {
    const char *name;
    int n;
    rec_at recs[4];
    int32_t current, prenormalized, expected;
    int n_want; /* -1: not checked upstream */
    int32_t want[4];
    int32_t up_window_s, down_window_s;
  } cases[] = {
      /* clang-format off */
      {"empty recommendations for scaling down", 0, {{0, 0}}, 100, 5, 5, 1, {5}, 0, 0},
      {"simple scale down stabilization", 2, {{4, 2 * MIN}, {5, 1 * MIN}}, 100, 3, 5, 3, {4, 5, 3},
       0, 180},
      {"simple scale up stabilization", 2, {{4, 2 * MIN}, {5, 1 * MIN}}, 1, 7, 4, 3, {4, 5, 7}, 300,
       0},
      {"no scale down stabilization", 2, {{1, 2 * MIN}, {2, 1 * MIN}}, 100, 3, 3, 3, {1, 2, 3}, 300,
       0},
      {"no scale up stabilization", 2, {{4, 2 * MIN}, {5, 1 * MIN}}, 1, 3, 3, 3, {4, 5, 3}, 0, 300},
      {"no scale down stabilization, reuse recommendation element", 2, {{10, 10 * MIN}, {9,
       9 * MIN}}, 100, 3, 3, 2, {10, 3}, 0, 0},
      {"no scale up stabilization, reuse recommendation element", 2, {{10, 10 * MIN}, {9, 9 * MIN}},
       1, 100, 100, 2, {10, 100}, 0, 0},
      {"scale down stabilization, reuse one of obsolete recommendation element", 4, {{10, 10 * MIN},
       {4, 1 * MIN}, {5, 2 * MIN}, {9, 9 * MIN}}, 100, 3, 5, 4, {10, 4, 5, 3}, 0, 180},
      {"scale up stabilization, reuse one of obsolete recommendation element", 4, {{10, 100 * MIN},
       {6, 1 * MIN}, {5, 2 * MIN}, {9, 3 * MIN}}, 1, 100, 5, 4, {100, 6, 5, 9}, 300, 0},
      {"scale up and down stabilization, do not scale up when prenormalized rec goes down", 2, {{2,
       100 * MIN}, {3, 3 * MIN}}, 2, 1, 2, -1, {0}, 300, 300},
      {"scale up and down stabilization, do not scale down when prenormalized rec goes up", 2, {{2,
       100 * MIN}, {1, 3 * MIN}}, 2, 3, 2, -1, {0}, 300, 300},
      /* clang-format on */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    hpa_state s;
    hpa_state_init(&s);
    load_recs(&s, cases[i].recs, cases[i].n);
    int32_t r = hpa_stabilize(&s, cases[i].up_window_s, cases[i].down_window_s, cases[i].current,
                              cases[i].prenormalized, NOW);
    if (r != cases[i].expected) fail_msg("%s: got %d", cases[i].name, r);
    if (cases[i].n_want >= 0) {
      if (s.n_recs != (size_t)cases[i].n_want) fail_msg("%s: log has %zu", cases[i].name, s.n_recs);
      for (size_t k = 0; k < s.n_recs; k++)
        if (s.recs[k].replicas != cases[i].want[k])
          fail_msg("%s: log[%zu] = %d", cases[i].name, k, s.recs[k].replicas);
    }
    hpa_state_free(&s);
  }
}

/* Whole syncs (reconcileAutoscaler) with the harness of horizontal_test.go: legacy path,
 * scaleUpLimitFactor 8, tolerance 0.1; the pod list has one pod per CPU request (else
 * statusReplicas pods), all Running and Ready unless said otherwise. */
typedef struct sync_case {
  int32_t min, max, spec, status;
  bool has_metric; /* false: only the invalid metric ("CheddarCheese") */
  hpa_metric_kind kind;
  int64_t target;
  pods_spec pods;
  bool invalid_metric; /* an extra metric that cannot be computed */
  bool empty_recs;     /* tc.recommendations = []: no initial recommendation */
  bool behavior;       /* spec.behavior with scaleUp = generateScalingRules(up) */
  gen_rules up;
  int32_t expected;
  const char *able, *limit; /* expected conditions, NULL: not checked */
} sync_case;

static void run_sync(const sync_case *c) {
  hpa_params p = hpa_params_default();
  p.min_replicas = c->min;
  p.max_replicas = c->max;
  p.legacy_up_factor = 8;
  p.cpu_init_period_us = 120 * S;
  p.initial_readiness_delay_us = 10 * S;
  if (c->behavior) {
    p.has_behavior = true;
    p.behavior.up = make_rules(c->up, true);
  }
  int n_pods = c->pods.n_requests ? c->pods.n_requests : c->status;
  hpa_pod_sample pods[MAX_PODS];
  build_pods(&c->pods, n_pods, c->kind == HPA_RESOURCE_UTILIZATION, &p, pods);
  hpa_metric_obs obs[2];
  int n = 0;
  if (c->has_metric) {
    bool pod_kind = c->kind == HPA_PODS_AVERAGE_VALUE || c->kind == HPA_RESOURCE_UTILIZATION;
    p.metrics[n] = (hpa_metric_spec){c->kind, c->target};
    obs[n++] = (hpa_metric_obs){true, pod_kind ? pods : NULL, pod_kind ? n_pods : 0,
                                pod_kind ? 0 : c->pods.levels[0]};
  }
  if (c->invalid_metric || !c->has_metric) {
    p.metrics[n] = (hpa_metric_spec){HPA_PODS_AVERAGE_VALUE, 1000};
    obs[n++] = (hpa_metric_obs){.fetched = false};
  }
  p.n_metrics = n;
  ps_err e;
  assert_true(hpa_params_check(&p, &e));
  hpa_inputs in = {c->spec, c->status, n_pods, count_ready_running(&c->pods, n_pods), obs};
  hpa_state s;
  hpa_state_init(&s);
  s.started = c->empty_recs;
  hpa_result r;
  hpa_decide(&s, &p, &in, NOW, &r);
  assert_int_equal(r.desired, c->expected);
  assert_int_equal(r.rescale, c->expected != c->spec);
  if (c->able) assert_string_equal(r.able, c->able);
  if (c->limit) assert_string_equal(r.limit, c->limit);
  hpa_state_free(&s);
}

/* clang-format off */
static const sync_case TestScaleUp = {
    .min = 2, 6, 3, 3, true, UTIL, 30, {.n_levels = 3, {300, 500, 700}, R3}, .expected = 5};
static const sync_case TestScaleUpCM = {
    .min = 2, 6, 3, 3, true, PODS, 15000, {.n_levels = 3, {20000, 10000, 30000}, R3},
    .expected = 4};
static const sync_case TestScaleUpCMUnreadyandCpuHot = {
    .min = 2, 6, 3, 3, true, PODS, 15000, {.n_levels = 3, {50000, 15000, 30000}, R3, .ready = "FTF",
    .start = "hch"}, .expected = 6, .limit = "TooManyReplicas"};
static const sync_case TestScaleUpFromZeroCMObject = {
    .min = 0, 6, 0, 0, true, HPA_VALUE, 15000, {.n_levels = 1, {20000}}, .expected = 2};
static const sync_case TestScaleUpFromZeroIgnoresToleranceCMObject = {
    .min = 0, 6, 0, 0, true, HPA_VALUE, 1000, {.n_levels = 1, {1000}}, .expected = 1};
static const sync_case TestScaleUpPerPodCMObject = {
    .min = 2, 6, 3, 3, true, HPA_AVERAGE_VALUE, 10000, {.n_levels = 1, {40000}}, .expected = 4};
static const sync_case TestScaleUpCMExternal = {
    .min = 2, 6, 3, 3, true, HPA_VALUE, 6666, {.n_levels = 1, {8600}}, .expected = 4};
static const sync_case TestScaleUpPerPodCMExternal = {
    .min = 2, 6, 3, 3, true, HPA_AVERAGE_VALUE, 2222, {.n_levels = 1, {8600}}, .expected = 4};
static const sync_case TestScaleDown = {
    .min = 2, 6, 5, 5, true, UTIL, 50, {.n_levels = 5, {100, 300, 500, 250, 250}, R5},
    .empty_recs = true, .expected = 3};
static const sync_case TestScaleDownStabilizeInitialSize = {
    .min = 2, 6, 5, 5, true, UTIL, 50, {.n_levels = 5, {100, 300, 500, 250, 250}, R5},
    .expected = 5, .able = "ScaleDownStabilized"};
static const sync_case TestScaleDownWithScalingRules = {
    .min = 2, 6, 5, 5, true, UTIL, 50, {.n_levels = 5, {100, 300, 500, 250, 250}, R5},
    .empty_recs = true, .behavior = true, .up = RULES(0, 0, 100, 15, 30), .expected = 3};
static const sync_case TestScaleUpOneMetricInvalid = {
    .min = 2, 6, 3, 3, true, UTIL, 30, {.n_levels = 3, {300, 400, 500}, R3}, .invalid_metric = true,
    .expected = 4};
static const sync_case TestScaleUpFromZeroOneMetricInvalid = {
    .min = 0, 6, 0, 0, true, UTIL, 30, {.n_levels = 3, {300, 400, 500}, R3}, .invalid_metric = true,
    .empty_recs = true, .expected = 4};
static const sync_case TestScaleUpBothMetricsEmpty = {
    .min = 2, 6, 3, 3, false, PODS, 0, {.n_levels = 0, {0}, R3}, .expected = 3};
static const sync_case TestNoScaleDownOneMetricInvalid = {
    .min = 2, 6, 5, 5, true, UTIL, 50, {.n_levels = 5, {100, 300, 500, 250, 250}, R5},
    .invalid_metric = true, .empty_recs = true, .expected = 5};
/* clang-format on */

#define SYNC_CASES(X)                                                                              \
  X(TestScaleUp)                                                                                   \
  X(TestScaleUpCM)                                                                                 \
  X(TestScaleUpCMUnreadyandCpuHot)                                                                 \
  X(TestScaleUpFromZeroCMObject)                                                                   \
  X(TestScaleUpFromZeroIgnoresToleranceCMObject)                                                   \
  X(TestScaleUpPerPodCMObject)                                                                     \
  X(TestScaleUpCMExternal)                                                                         \
  X(TestScaleUpPerPodCMExternal)                                                                   \
  X(TestScaleDown)                                                                                 \
  X(TestScaleDownStabilizeInitialSize)                                                             \
  X(TestScaleDownWithScalingRules)                                                                 \
  X(TestScaleUpOneMetricInvalid)                                                                   \
  X(TestScaleUpFromZeroOneMetricInvalid)                                                           \
  X(TestScaleUpBothMetricsEmpty)                                                                   \
  X(TestNoScaleDownOneMetricInvalid)

#define SYNC_TEST(name)                                                                            \
  static void hpa_reproduces_##name(void **state) {                                                \
    (void)state;                                                                                   \
    run_sync(&name);                                                                               \
  }
SYNC_CASES(SYNC_TEST)

/* ------------------------------------------------------------------------------------------
 * AIBrix hpa_resources_test.go (HEAD)
 * ------------------------------------------------------------------------------------------ */

static void hpa_reproduces_TestMakeHPA(void **state) {
  (void)state;
  hpa_params p = hpa_params_default();
  hpa_aibrix_bounds(&p, 1, 5);
  assert_int_equal(p.min_replicas, 1);
  assert_int_equal(p.max_replicas, 5);
  hpa_behavior b = hpa_behavior_aibrix(2, 2, 0, 300);
  assert_int_equal(b.up.stabilization_s, 0);
  assert_int_equal(b.up.select, HPA_SELECT_MAX);
  assert_int_equal(b.up.n_policies, 1);
  assert_int_equal(b.up.policies[0].type, HPA_POLICY_PERCENT);
  assert_int_equal(b.up.policies[0].value, 100);
  assert_int_equal(b.up.policies[0].period_s, 60);
  assert_int_equal(b.down.stabilization_s, 300);
  assert_int_equal(b.down.select, HPA_SELECT_MIN);
  assert_int_equal(b.down.n_policies, 1);
  assert_int_equal(b.down.policies[0].type, HPA_POLICY_PERCENT);
  assert_int_equal(b.down.policies[0].value, 50);
  assert_int_equal(b.down.policies[0].period_s, 60);
  hpa_metric_spec m = hpa_aibrix_metric("gpu_cache_usage_perc", 50);
  assert_int_equal(m.kind, HPA_PODS_AVERAGE_VALUE);
  assert_int_equal(m.target, 50 * 1000);
  m = hpa_aibrix_metric("cpu", 30);
  assert_int_equal(m.kind, HPA_RESOURCE_UTILIZATION);
  assert_int_equal(m.target, 30);
  m = hpa_aibrix_metric("memory", 128);
  assert_int_equal(m.kind, HPA_PODS_AVERAGE_VALUE);
  assert_int_equal(m.target, 128LL * 1024 * 1024 * 1000);
}

static void hpa_reproduces_TestMakeHPAWithScheduledBounds(void **state) {
  (void)state;
  hpa_params p = hpa_params_default();
  hpa_aibrix_bounds(&p, 3, 12);
  assert_int_equal(p.min_replicas, 3);
  assert_int_equal(p.max_replicas, 12);
}

/* ------------------------------------------------------------------------------------------
 * Behaviours
 * ------------------------------------------------------------------------------------------ */

/* A Pods metric over n ready pods at the given values. */
static hpa_metric_result pods_metric(hpa_params *p, int32_t current, const hpa_pod_sample *pods,
                                     int n) {
  hpa_metric_obs obs = {true, pods, n, 0};
  hpa_inputs in = {current, current, n, n, &obs};
  hpa_metric_result r;
  assert_true(hpa_metric_replicas(p, 0, &in, &r));
  return r;
}

static void hpa_tolerance_is_inclusive_and_per_direction(void **state) {
  (void)state;
  hpa_params p = calc_params(PODS, 50000);
  hpa_pod_sample pods[10];
  const struct {
    int64_t value;
    int32_t expected;
    bool within;
  } cases[] = {{55000, 10, true}, {45000, 10, true}, {55010, 12, false}, {44990, 9, false}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    for (int k = 0; k < 10; k++)
      pods[k] = (hpa_pod_sample){HPA_POD_READY, cases[i].value, 0};
    hpa_metric_result r = pods_metric(&p, 10, pods, 10);
    assert_int_equal(r.replicas, cases[i].expected);
    assert_int_equal(r.within_tolerance, cases[i].within);
  }
  p.tolerance_up = 0.2; /* behavior.scaleUp.tolerance */
  for (int k = 0; k < 10; k++)
    pods[k] = (hpa_pod_sample){HPA_POD_READY, 59000, 0};
  assert_int_equal(pods_metric(&p, 10, pods, 10).replicas, 10);
  for (int k = 0; k < 10; k++)
    pods[k] = (hpa_pod_sample){HPA_POD_READY, 44990, 0};
  assert_int_equal(pods_metric(&p, 10, pods, 10).replicas, 9);
}

static void hpa_mean_is_integer_division_of_milli_values(void **state) {
  (void)state;
  hpa_params p = calc_params(PODS, 700); /* 0.7 */
  hpa_pod_sample pods[3] = {
      {HPA_POD_READY, 1000, 0}, {HPA_POD_READY, 1000, 0}, {HPA_POD_READY, 1001, 0}};
  hpa_metric_result r = pods_metric(&p, 3, pods, 3);
  assert_int_equal(r.usage, 1000); /* 3001 / 3 */
  assert_int_equal(r.replicas, 5); /* ceil(1000/700 * 3) = ceil(4.29) */
}

static void hpa_missing_pod_counts_at_target_and_holds_a_scale_down(void **state) {
  (void)state;
  hpa_params p = calc_params(PODS, 50000);
  hpa_pod_sample pods[4] = {{HPA_POD_READY, 40000, 0},
                            {HPA_POD_READY, 40000, 0},
                            {HPA_POD_READY, 40000, 0},
                            {HPA_POD_MISSING, 0, 0}};
  hpa_metric_result r = pods_metric(&p, 4, pods, 4);
  assert_true(r.rebalanced);
  assert_true(r.ratio == 0.8);
  assert_true(r.new_ratio == 0.85);                          /* (3*40000 + 50000) / 4 */
  assert_int_equal(r.replicas, 4);                           /* ceil(3.4) is not below 4 */
  assert_int_equal(pods_metric(&p, 3, pods, 3).replicas, 3); /* without the missing pod */
}

static void hpa_missing_pod_counts_at_zero_on_a_scale_up(void **state) {
  (void)state;
  hpa_params p = calc_params(PODS, 50000);
  hpa_pod_sample pods[3] = {
      {HPA_POD_READY, 54000, 0}, {HPA_POD_READY, 54000, 0}, {HPA_POD_MISSING, 0, 0}};
  /* 1.08 alone would be within tolerance; the missing pod at 0 makes it 0.72: the direction
   * turns around, so nothing changes. Samples of 80000 instead: 1.6 -> 160000/3 = 1.0666 is
   * within tolerance after rebalancing. 120000: 2.4 -> 1.6 -> ceil(4.8) = 5. */
  hpa_metric_result r = pods_metric(&p, 3, pods, 3);
  assert_int_equal(r.replicas, 3);
  pods[0].value = pods[1].value = 80000;
  r = pods_metric(&p, 3, pods, 3);
  assert_true(r.rebalanced && r.within_tolerance);
  assert_int_equal(r.replicas, 3);
  pods[0].value = pods[1].value = 120000;
  assert_int_equal(pods_metric(&p, 3, pods, 3).replicas, 5);
}

static void hpa_unready_pods_count_at_zero_only_on_a_scale_up(void **state) {
  (void)state;
  hpa_params p = calc_params(PODS, 50000);
  hpa_pod_sample pods[2] = {{HPA_POD_READY, 60000, 0}, {HPA_POD_UNREADY, 0, 0}};
  hpa_metric_result r = pods_metric(&p, 2, pods, 2); /* 1.2 -> 0.6: direction flips */
  assert_true(r.rebalanced);
  assert_int_equal(r.replicas, 2);
  pods[0].value = 20000; /* 0.4: a scale-down ignores the unready pod entirely */
  r = pods_metric(&p, 2, pods, 2);
  assert_false(r.rebalanced);
  assert_int_equal(r.replicas, 1);
}

static void hpa_without_samples_the_metric_is_invalid(void **state) {
  (void)state;
  hpa_params p = calc_params(PODS, 50000);
  hpa_pod_sample pods[2] = {{HPA_POD_MISSING, 0, 0}, {HPA_POD_UNREADY, 0, 0}};
  hpa_metric_obs obs = {true, pods, 2, 0};
  hpa_inputs in = {2, 2, 2, 0, &obs};
  hpa_metric_result r;
  assert_false(hpa_metric_replicas(&p, 0, &in, &r));
  obs.n_pods = 0;
  assert_false(hpa_metric_replicas(&p, 0, &in, &r));
}

/* A Pods-metric HPA over `n` ready pods that all report `value`. */
typedef struct one_metric {
  hpa_params p;
  hpa_pod_sample pods[MAX_PODS];
  hpa_metric_obs obs;
  hpa_inputs in;
} one_metric;

static void one_metric_init(one_metric *m, int64_t target, int32_t min, int32_t max) {
  m->p = hpa_params_default();
  m->p.min_replicas = min;
  m->p.max_replicas = max;
  m->p.n_metrics = 1;
  m->p.metrics[0] = (hpa_metric_spec){HPA_PODS_AVERAGE_VALUE, target};
  ps_err e;
  assert_true(hpa_params_check(&m->p, &e));
}

static void one_metric_observe(one_metric *m, int32_t current, int64_t value) {
  int n = current < MAX_PODS ? current : MAX_PODS;
  for (int i = 0; i < n; i++)
    m->pods[i] = (hpa_pod_sample){HPA_POD_READY, value, 0};
  m->obs = (hpa_metric_obs){true, m->pods, n, 0};
  m->in = (hpa_inputs){current, current, n, n, &m->obs};
}

static void hpa_legacy_scale_down_waits_five_minutes_for_lower_recommendations(void **state) {
  (void)state;
  one_metric m;
  one_metric_init(&m, 50000, 1, 100);
  hpa_state s;
  hpa_state_init(&s);
  hpa_result r;
  /* t0: the initial recommendation (10) pins the size; 20000/50000 asks for 4 every sync. */
  for (int64_t t = 0; t <= 300 * S; t += 15 * S) {
    one_metric_observe(&m, 10, 20000);
    hpa_decide(&s, &m.p, &m.in, t, &r);
    assert_int_equal(r.proposal, 4);
    assert_int_equal(r.desired, 10);
    assert_string_equal(r.able, "ScaleDownStabilized");
  }
  /* The legacy window keeps a recommendation made exactly 5 minutes ago; 15 s later it is gone. */
  hpa_decide(&s, &m.p, &m.in, 315 * S, &r);
  assert_int_equal(r.desired, 4);
  assert_true(r.rescale);
  assert_string_equal(r.able, "ReadyForNewScale");
  assert_int_equal(s.n_up + s.n_down, 0); /* no events without behavior */
  assert_true(s.n_recs <= 22);            /* expired slots are reused */
  hpa_state_free(&s);
}

static void hpa_legacy_scale_up_limit_is_twice_current_or_four(void **state) {
  (void)state;
  one_metric m;
  one_metric_init(&m, 10000, 1, 100);
  hpa_state s;
  hpa_state_init(&s);
  hpa_result r;
  one_metric_observe(&m, 1, 100000); /* asks for 10 */
  hpa_decide(&s, &m.p, &m.in, 0, &r);
  assert_int_equal(r.proposal, 10);
  assert_int_equal(r.desired, 4);
  assert_string_equal(r.limit, "ScaleUpLimit");
  one_metric_observe(&m, 4, 100000); /* asks for 40 */
  hpa_decide(&s, &m.p, &m.in, 15 * S, &r);
  assert_int_equal(r.desired, 8);
  m.p.max_replicas = 6;
  hpa_decide(&s, &m.p, &m.in, 30 * S, &r);
  assert_int_equal(r.desired, 6);
  assert_string_equal(r.limit, "TooManyReplicas");
  const char *limit;
  assert_int_equal(hpa_legacy_limit(&m.p, 4, 0, &limit), 1);
  assert_string_equal(limit, "TooFewReplicas");
  hpa_state_free(&s);
}

static void hpa_behavior_scale_down_waits_for_its_stabilization_window(void **state) {
  (void)state;
  one_metric m;
  one_metric_init(&m, 50000, 1, 100);
  m.p.has_behavior = true;
  m.p.behavior = hpa_behavior_default(); /* scale-down window: the controller's 300 s */
  hpa_state s;
  hpa_state_init(&s);
  hpa_result r;
  for (int64_t t = 0; t < 300 * S; t += 15 * S) {
    one_metric_observe(&m, 10, 20000);
    hpa_decide(&s, &m.p, &m.in, t, &r);
    assert_int_equal(r.desired, 10);
  }
  /* Strictly after now - 300 s: the initial recommendation at t0 has just left the window. */
  hpa_decide(&s, &m.p, &m.in, 300 * S, &r);
  assert_int_equal(r.desired, 4);
  assert_int_equal(s.n_down, 1);
  assert_int_equal(s.down[0].change, 6);
  hpa_state_free(&s);
}

static void hpa_behavior_scale_up_window_takes_the_lowest_recent_recommendation(void **state) {
  (void)state;
  one_metric m;
  one_metric_init(&m, 10000, 1, 100);
  m.p.has_behavior = true;
  m.p.behavior = hpa_behavior_default();
  m.p.behavior.up.stabilization_s = 60;
  hpa_state s;
  hpa_state_init(&s);
  hpa_result r;
  one_metric_observe(&m, 2, 10000); /* t0: 2, at target */
  hpa_decide(&s, &m.p, &m.in, 0, &r);
  assert_int_equal(r.desired, 2);
  one_metric_observe(&m, 2, 30000); /* asks for 6 from t15 on */
  for (int64_t t = 15 * S; t < 60 * S; t += 15 * S) {
    hpa_decide(&s, &m.p, &m.in, t, &r);
    assert_int_equal(r.proposal, 6);
    assert_int_equal(r.desired, 2);
    assert_string_equal(r.able, "ScaleUpStabilized");
  }
  /* Strictly after now - 60 s: at t60 the recommendations of t0 (2 and 2) have left. */
  hpa_decide(&s, &m.p, &m.in, 60 * S, &r);
  assert_int_equal(r.desired, 6);
  hpa_state_free(&s);
}

static void hpa_select_policy_picks_most_least_or_no_change(void **state) {
  (void)state;
  hpa_state s;
  hpa_state_init(&s);
  hpa_rules up = {0, HPA_SELECT_MAX, 2, {{HPA_POLICY_PODS, 4, 60}, {HPA_POLICY_PERCENT, 100, 60}}};
  hpa_rules down = {0, HPA_SELECT_MAX, 2, {{HPA_POLICY_PODS, 4, 60}, {HPA_POLICY_PERCENT, 50, 60}}};
  const char *limit;
  assert_int_equal(hpa_rate_limit(&s, &up, &down, 1, 1000, 10, 100, NOW, &limit), 20);
  assert_int_equal(hpa_rate_limit(&s, &up, &down, 1, 1000, 10, 1, NOW, &limit), 5);
  up.select = down.select = HPA_SELECT_MIN;
  assert_int_equal(hpa_rate_limit(&s, &up, &down, 1, 1000, 10, 100, NOW, &limit), 14);
  assert_int_equal(hpa_rate_limit(&s, &up, &down, 1, 1000, 10, 1, NOW, &limit), 6);
  up.select = down.select = HPA_SELECT_DISABLED;
  assert_int_equal(hpa_rate_limit(&s, &up, &down, 1, 1000, 10, 100, NOW, &limit), 10);
  assert_string_equal(limit, "ScaleUpLimit");
  assert_int_equal(hpa_rate_limit(&s, &up, &down, 1, 1000, 10, 1, NOW, &limit), 10);
  assert_string_equal(limit, "ScaleDownLimit");
  hpa_state_free(&s);
}

/* AIBrix HEAD: +100 % per 60 s. Each sync at 15 s sees the earlier scale-ups of the period. */
static void hpa_aibrix_rate_limit_counts_scale_events_of_the_last_60s(void **state) {
  (void)state;
  one_metric m;
  one_metric_init(&m, 10000, 1, 100);
  m.p.has_behavior = true;
  m.p.behavior = hpa_behavior_aibrix(2, 2, 0, 300);
  hpa_state s;
  hpa_state_init(&s);
  hpa_result r;
  int32_t current = 2;
  const int32_t want[] = {4, 4, 4, 4, 8, 8, 8, 8, 16};
  for (int k = 0; k < 9; k++) {
    one_metric_observe(&m, current, 1000000); /* far above target */
    hpa_decide(&s, &m.p, &m.in, k * 15 * S, &r);
    assert_int_equal(r.desired, want[k]);
    current = r.desired;
  }
  hpa_state_free(&s);
}

static void hpa_sync_goes_straight_to_the_bounds(void **state) {
  (void)state;
  one_metric m;
  one_metric_init(&m, 10000, 2, 5);
  m.p.has_behavior = true;
  hpa_state s;
  hpa_state_init(&s);
  hpa_result r;
  one_metric_observe(&m, 0, 0); /* a target scaled to zero by hand: HPA disabled */
  hpa_decide(&s, &m.p, &m.in, 0, &r);
  assert_false(r.rescale);
  assert_int_equal(r.desired, 0);
  assert_string_equal(r.active, "ScalingDisabled");
  one_metric_observe(&m, 9, 0);
  hpa_decide(&s, &m.p, &m.in, 15 * S, &r);
  assert_int_equal(r.desired, 5);
  assert_int_equal(r.proposal, -1); /* no metrics were read */
  assert_int_equal(s.n_down, 1);    /* with behavior, the event is kept */
  one_metric_observe(&m, 1, 1000000);
  hpa_decide(&s, &m.p, &m.in, 30 * S, &r);
  assert_int_equal(r.desired, 2);
  assert_int_equal(s.n_up, 1);
  hpa_state_free(&s);
}

static void hpa_broken_metric_blocks_scale_down_but_not_scale_up(void **state) {
  (void)state;
  hpa_params p = hpa_params_default();
  p.max_replicas = 100;
  p.n_metrics = 2;
  p.metrics[0] = (hpa_metric_spec){HPA_PODS_AVERAGE_VALUE, 10000};
  p.metrics[1] = (hpa_metric_spec){HPA_PODS_AVERAGE_VALUE, 10000};
  hpa_pod_sample pods[4];
  for (int i = 0; i < 4; i++)
    pods[i] = (hpa_pod_sample){HPA_POD_READY, 2000, 0};
  hpa_metric_obs obs[2] = {{true, pods, 4, 0}, {false, NULL, 0, 0}};
  hpa_inputs in = {4, 4, 4, 4, obs};
  hpa_state s;
  hpa_state_init(&s);
  s.started = true;
  hpa_result r;
  hpa_decide(&s, &p, &in, 0, &r);
  assert_int_equal(r.desired, 4);
  assert_int_equal(r.proposal, -1);
  assert_string_equal(r.active, "FailedGetPodsMetric");
  assert_int_equal(s.n_recs, 0); /* nothing was recorded */
  for (int i = 0; i < 4; i++)
    pods[i].value = 20000;
  hpa_decide(&s, &p, &in, 15 * S, &r);
  assert_int_equal(r.desired, 8);
  assert_string_equal(r.active, "ValidMetricFound");
  hpa_state_free(&s);
}

static void hpa_highest_metric_proposal_wins(void **state) {
  (void)state;
  hpa_params p = hpa_params_default();
  p.max_replicas = 100;
  p.n_metrics = 2;
  p.metrics[0] = (hpa_metric_spec){HPA_PODS_AVERAGE_VALUE, 10000};
  p.metrics[1] = (hpa_metric_spec){HPA_PODS_AVERAGE_VALUE, 1000};
  hpa_pod_sample a[2] = {{HPA_POD_READY, 30000, 0}, {HPA_POD_READY, 30000, 0}};
  hpa_pod_sample b[2] = {{HPA_POD_READY, 2500, 0}, {HPA_POD_READY, 2500, 0}};
  hpa_metric_obs obs[2] = {{true, a, 2, 0}, {true, b, 2, 0}};
  hpa_inputs in = {2, 2, 2, 2, obs};
  hpa_state s;
  hpa_state_init(&s);
  hpa_result r;
  hpa_decide(&s, &p, &in, 0, &r);
  assert_int_equal(r.metrics[0].replicas, 6);
  assert_int_equal(r.metrics[1].replicas, 5);
  assert_int_equal(r.metric, 0);
  assert_int_equal(r.desired, 4); /* legacy limit max(2*2, 4) */
  hpa_state_free(&s);
}

static void hpa_params_check_rejects_what_the_api_server_rejects(void **state) {
  (void)state;
  ps_err e;
  hpa_params p = hpa_params_default();
  assert_false(hpa_params_check(&p, &e)); /* maxReplicas unset */
  p.max_replicas = 4;
  assert_false(hpa_params_check(&p, &e)); /* no metric */
  p.n_metrics = 1;
  p.metrics[0] = hpa_aibrix_metric("gpu_cache_usage_perc", 0.5); /* int64(0.5) = 0 */
  assert_int_equal(p.metrics[0].target, 0);
  assert_false(hpa_params_check(&p, &e));
  assert_non_null(strstr(e.msg, "target must be positive"));
  p.metrics[0] = hpa_aibrix_metric("gpu_cache_usage_perc", 50);
  assert_true(hpa_params_check(&p, &e));
  p.min_replicas = 5;
  assert_false(hpa_params_check(&p, &e));
  p.min_replicas = 1;
  p.has_behavior = true;
  p.behavior = hpa_behavior_aibrix(1.0, 2, 0, 300); /* +0 % is not a valid policy */
  assert_false(hpa_params_check(&p, &e));
  assert_non_null(strstr(e.msg, "scaleUp.policies[0].value"));
  p.behavior = hpa_behavior_default();
  p.behavior.down.policies[0].period_s = 1801;
  assert_false(hpa_params_check(&p, &e));
  p.behavior = hpa_behavior_default();
  p.behavior.up.stabilization_s = 3601;
  assert_false(hpa_params_check(&p, &e));
  p.behavior.up.stabilization_s = HPA_UNSET;
  assert_true(hpa_params_check(&p, &e));
}

static void hpa_aibrix_behavior_truncates_percents_like_go(void **state) {
  (void)state;
  hpa_behavior b = hpa_behavior_aibrix(1.1, 1.25, 0.9, 30.5);
  assert_int_equal(b.up.policies[0].value, 10);   /* (1.1-1)*100 = 10.000000000000009 */
  assert_int_equal(b.down.policies[0].value, 19); /* (1-1/1.25)*100 = 19.999999999999996 */
  assert_int_equal(b.up.stabilization_s, 0);
  assert_int_equal(b.down.stabilization_s, 30);
  b = hpa_behavior_aibrix(0.5, 0.5, 0, 0); /* below 1: replaced by 100 % */
  assert_int_equal(b.up.policies[0].value, 100);
  assert_int_equal(b.down.policies[0].value, 100);
  hpa_params p = hpa_params_default();
  hpa_aibrix_bounds(&p, 0, 0); /* minReplicas omitted -> 1; maxReplicas 0 -> MaxInt32 */
  assert_int_equal(p.min_replicas, 1);
  assert_int_equal(p.max_replicas, INT32_MAX);
  hpa_metric_spec cpu = hpa_aibrix_metric("CPU", 30.2);
  assert_int_equal(cpu.kind, HPA_RESOURCE_UTILIZATION);
  assert_int_equal(cpu.target, 31);
}

int main(void) {
#define CALC_UNIT(name) cmocka_unit_test(hpa_reproduces_##name),
#define SYNC_UNIT(name) cmocka_unit_test(hpa_reproduces_##name),
  const struct CMUnitTest tests[] = {
      CALC_CASES(CALC_UNIT)
          cmocka_unit_test(hpa_reproduces_TestReplicaCalcComputedToleranceAlgImplementation),
      cmocka_unit_test(hpa_reproduces_TestGroupPods),
      cmocka_unit_test(hpa_reproduces_TestNormalizeDesiredReplicas),
      cmocka_unit_test(hpa_reproduces_TestScalingWithRules),
      cmocka_unit_test(hpa_reproduces_TestStoreScaleEvents),
      cmocka_unit_test(hpa_reproduces_TestNormalizeDesiredReplicasWithBehavior),
      SYNC_CASES(SYNC_UNIT) cmocka_unit_test(hpa_reproduces_TestMakeHPA),
      cmocka_unit_test(hpa_reproduces_TestMakeHPAWithScheduledBounds),
      cmocka_unit_test(hpa_tolerance_is_inclusive_and_per_direction),
      cmocka_unit_test(hpa_mean_is_integer_division_of_milli_values),
      cmocka_unit_test(hpa_missing_pod_counts_at_target_and_holds_a_scale_down),
      cmocka_unit_test(hpa_missing_pod_counts_at_zero_on_a_scale_up),
      cmocka_unit_test(hpa_unready_pods_count_at_zero_only_on_a_scale_up),
      cmocka_unit_test(hpa_without_samples_the_metric_is_invalid),
      cmocka_unit_test(hpa_legacy_scale_down_waits_five_minutes_for_lower_recommendations),
      cmocka_unit_test(hpa_legacy_scale_up_limit_is_twice_current_or_four),
      cmocka_unit_test(hpa_behavior_scale_down_waits_for_its_stabilization_window),
      cmocka_unit_test(hpa_behavior_scale_up_window_takes_the_lowest_recent_recommendation),
      cmocka_unit_test(hpa_select_policy_picks_most_least_or_no_change),
      cmocka_unit_test(hpa_aibrix_rate_limit_counts_scale_events_of_the_last_60s),
      cmocka_unit_test(hpa_sync_goes_straight_to_the_bounds),
      cmocka_unit_test(hpa_broken_metric_blocks_scale_down_but_not_scale_up),
      cmocka_unit_test(hpa_highest_metric_proposal_wins),
      cmocka_unit_test(hpa_params_check_rejects_what_the_api_server_rejects),
      cmocka_unit_test(hpa_aibrix_behavior_truncates_percents_like_go),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
