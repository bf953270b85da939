/*
 * workload: open-loop request arrivals with token lengths.
 *
 * Sources of arrival times:
 *   segments  a piecewise rate function (each segment constant, or linear from its start rate
 *             to its end rate) driving a Poisson or gamma renewal process
 *   counts    a per-second count file: second s gets exactly its count of arrivals, spread
 *             uniformly over [s, s+1) (a count file can also be turned into step segments)
 *   trace     recorded arrivals (the Azure LLM trace), optionally with their token lengths
 *
 * Non-stationary arrivals use time rescaling: the points of a unit-rate renewal process
 * (exponential gaps for Poisson, gamma gaps with mean 1 and the given coefficient of variation)
 * are mapped through the inverse of the cumulative rate Lambda(t), which is closed-form for
 * piecewise-linear rates. rate_scale multiplies the rate; time_scale stretches time (a time
 * scale of 2 makes the workload twice as long at half the rate). A rate scale k gives a second
 * of a count file with count c floor(ck) arrivals plus one more with probability frac(ck), and
 * each trace record floor(k) copies plus one more with probability frac(k), the extra copies
 * placed uniformly before the next recorded arrival.
 *
 * A generator is a pure function of its spec and its four GSL streams (arrivals, input tokens,
 * output tokens, service); creating it again from the same seeds yields the same requests,
 * which is how every policy of a scenario sees identical arrivals without storing them.
 */
#ifndef PODSCALE_WORKLOAD_H
#define PODSCALE_WORKLOAD_H

#include <gsl/gsl_rng.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/workload/dist.h"

typedef enum wl_source { WL_SEGMENTS, WL_COUNTS, WL_TRACE } wl_source;
typedef enum wl_process { WL_POISSON, WL_GAMMA } wl_process;

typedef struct wl_segment {
  double duration_s; /* length of the segment, seconds (before time_scale) */
  double rate_rps;   /* rate at the start, requests per second (before rate_scale) */
  double end_rps;    /* rate at the end; equal to rate_rps for a step segment */
} wl_segment;

typedef struct wl_trace_rec {
  int64_t t_us;          /* arrival relative to the first record, microseconds */
  int32_t input_tokens;  /* prompt length recorded in the trace */
  int32_t output_tokens; /* generated length recorded in the trace */
} wl_trace_rec;

typedef struct wl_spec {
  wl_source source;
  wl_process process; /* for segments */
  double cv;          /* coefficient of variation of gamma inter-arrivals */
  const wl_segment *segments;
  size_t nsegments;
  const int32_t *counts; /* counts[s] = arrivals in second s */
  size_t ncounts;
  const wl_trace_rec *trace; /* sorted by t_us */
  size_t ntrace;
  double rate_scale; /* > 0 */
  double time_scale; /* > 0 */
  dist input_tokens; /* DIST_TRACE only with a trace source */
  dist output_tokens;
  int32_t max_output_tokens; /* cap on output length, 0 for none */
  int64_t duration_us;       /* arrivals at or after this time are not generated */
} wl_spec;

typedef struct wl_request {
  uint64_t id;           /* 0, 1, 2, ... in arrival order */
  int64_t arrival_us;    /* arrival at the gateway */
  int32_t input_tokens;  /* prompt tokens, >= 1 */
  int32_t output_tokens; /* tokens to generate, >= 1 */
  double service_u;      /* uniform (0,1) for the pod's service-time quantile */
} wl_request;

typedef struct wl_gen wl_gen;

/* The generator borrows spec (and the arrays it points to) and the streams for its lifetime. */
wl_gen *wl_gen_new(const wl_spec *spec, gsl_rng *arrivals, gsl_rng *input, gsl_rng *output,
                   gsl_rng *service);
/* The next request in arrival order; false when the workload is exhausted. */
bool wl_gen_next(wl_gen *g, wl_request *out);
void wl_gen_free(wl_gen *g);

/* Natural length of the workload in microseconds (after time_scale). */
int64_t wl_spec_span_us(const wl_spec *spec);
/* Expected number of arrivals before duration_us (for progress reports and tests). */
double wl_spec_expected_count(const wl_spec *spec);
/* The share (0 to 1) of requests that a context window of len tokens cannot hold: prompt plus
 * max_output_tokens above len when there is a cap (vLLM checks prompt + max_tokens), else prompt
 * plus output. Exact over the trace records that arrive before duration_us (all when it is 0);
 * otherwise the two independent length distributions are taken at 1,024 quantiles each. */
double wl_spec_share_over(const wl_spec *spec, int32_t len);

#endif
