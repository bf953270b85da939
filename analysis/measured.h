/*
 * measured: autoscaler runs measured on a real cluster, and a `podscale run` directory reduced
 * to the same figures, so that `podscale compare --measured` and `podscale plot --measured` can
 * set the simulation beside the measurement policy by policy.
 *
 * A measured set is a directory in the measured-run format (docs/compare.md, "Measured-run
 * format"), the layout of AIBrix's V100 runs in scenarios/data/aibrix-v100-runs/set0:
 *   runs.csv            policy,sent,completed    one row per policy run
 *   POLICY/requests.csv batch,send_s,latency_s,output_tokens   one row per completed request
 *   POLICY/pods.csv     t_s,running,pending,init                the pods about once a second
 * The reader is strict, since users export these files from their own clusters: every column
 * must be known and present (any order), every field a number >= 0 (counts whole), runs.csv's
 * `completed` must be the number of rows of the policy's requests.csv and at most `sent`,
 * pods.csv's times must not decrease, and each policy of runs.csv must have its directory.
 * Other files and directories (vllm-stats/) are not read.
 *
 * Figures of a policy (struct meas_policy), on either side:
 *   - sent, completed, failed = sent - completed. Simulated: summary.csv `requests`, `ok`, and
 *     `timeout + failed` (every request not ok).
 *   - mean, P50, P90, P99 of the latency of completed requests. Measured: sample_mean and
 *     sample_quantile (analysis/stats.h), the definitions summary.csv uses; simulated:
 *     summary.csv `e2e_mean_s`, `e2e_p50_s`, `e2e_p90_s`, `e2e_p99_s`, computed by them.
 *   - pod-hours as AIBrix bills them: the integral of running + pending + init over pods.csv,
 *     each sample held until the next (the last one holds for no time), in hours. Simulated:
 *     summary.csv `gpu_hours` (each pod from its creation to its stop: one GPU per pod).
 *   - pods over time, a step function. Simulated: timeseries.csv pending + starting + ready +
 *     terminating summed over deployments; Kubernetes shows a terminating pod as Running until
 *     it is gone, so AIBrix's count includes it too.
 * The simulated side is read with analysis/compare.h (summary.csv) and analysis/plot.h
 * (requests.csv, timeseries.csv), so its files follow the same rules as for compare and plot.
 *
 * Comparing (meas_compare): relative error is sim / meas - 1 (the measurement is the
 * reference): 0 for 0 vs 0, +-inf against a measured 0, NaN when either is missing. Pods over
 * time are compared on the common time range [max of first samples, min of last samples]: the
 * time-averaged pod count on each side, and the mean absolute difference |sim(t) - meas(t)|.
 *
 * Errors: every problem of the files is a ps_err "FILE:LINE: expected ..., found ..." (or
 * "FILE: ..." for a missing file); nothing is printed and nothing exits. Wrong indexes and
 * unsorted series are caller bugs and fail assertions. Values are owned by the set and freed by
 * meas_set_free; no globals.
 */
#ifndef PODSCALE_MEASURED_H
#define PODSCALE_MEASURED_H

#include <stdbool.h>
#include <stddef.h>

#include "analysis/stats.h"
#include "base/err.h"

/* Pods over time: a step function, pods[i] from t_s[i] until t_s[i+1]. */
typedef struct meas_series {
  double *t_s;   /* sample times, s, non-decreasing */
  long *pods;    /* pods at each sample */
  size_t n, cap; /* samples, allocated samples */
} meas_series;

typedef struct meas_policy {
  char *name;                  /* policy name, matched across sides */
  long sent;                   /* requests sent */
  long completed;              /* requests answered (HTTP 200; simulated: status ok) */
  long failed;                 /* sent - completed */
  double e2e_mean_s;           /* latency of completed requests: mean, s; NAN when none */
  double e2e_p50_s, e2e_p90_s; /* its 50th and 90th percentiles, s; NAN when none */
  double e2e_p99_s;            /* its 99th percentile, s; NAN when none */
  double pod_hours;            /* pods integrated over time, hours */
  sample e2e_s;                /* latencies of completed requests, s, sorted */
  meas_series pods;            /* pods over time */
} meas_policy;

typedef struct meas_set {
  char *dir;             /* the directory read, as given */
  meas_policy *policies; /* in runs.csv (or summary.csv) order */
  size_t npolicies;      /* at least 1 once read */
} meas_set;

/* Read a measured set in the measured-run format. */
bool meas_read(const char *dir, meas_set *set, ps_err *err);
/* Reduce a `podscale run` output directory (summary.csv, requests.csv, timeseries.csv). */
bool meas_read_run(const char *dir, meas_set *set, ps_err *err);
void meas_set_free(meas_set *set);
/* Index of the policy named name, or -1. */
long meas_policy_index(const meas_set *set, const char *name);

void meas_series_add(meas_series *s, double t_s, long pods); /* t_s >= the last time */
void meas_series_free(meas_series *s);
/* Integral of the step function over [t0_s, t1_s] within its samples, pod-seconds. */
double meas_series_integral(const meas_series *s, double t0_s, double t1_s);

/* The figures compared, in the order they are shown; names as in --check. */
typedef enum meas_metric {
  MEAS_SENT,
  MEAS_COMPLETED,
  MEAS_FAILED,
  MEAS_E2E_MEAN,
  MEAS_E2E_P50,
  MEAS_E2E_P90,
  MEAS_E2E_P99,
  MEAS_POD_HOURS,
  MEAS_PODS_MEAN, /* time-averaged pods over the common time range */
  MEAS_PODS_MAE,  /* mean |sim - meas| pods; its "relative error" is MAE / measured pods_mean */
  MEAS_NMETRICS
} meas_metric;

extern const char *const meas_metric_names[MEAS_NMETRICS]; /* "sent", ..., "pods_mae" */

/* One policy on both sides. */
typedef struct meas_cmp {
  double meas[MEAS_NMETRICS]; /* measured values; NAN for pods_mae (a difference) */
  double sim[MEAS_NMETRICS];  /* simulated values; pods_mae holds the MAE, pods */
  double rel[MEAS_NMETRICS];  /* sim / meas - 1; for pods_mae, MAE / measured pods_mean */
  double t0_s, t1_s;          /* common time range of the pods; NAN when they do not overlap */
} meas_cmp;

void meas_compare(const meas_policy *meas, const meas_policy *sim, meas_cmp *c);
/* Whether metric m is off by more than tol relative: |rel| > tol. A value missing on one side
 * only (rel NaN) is; missing on both sides (no completed request, pods not overlapping) is not. */
bool meas_beyond(const meas_cmp *c, meas_metric m, double tol);

/* Of the n(n-1)/2 pairs of a[] (and b[]), how many are ordered alike: a_i < a_j and
 * b_i < b_j, or both >, or both equal. */
size_t meas_pairs_alike(const double *a, const double *b, size_t n);

#endif
