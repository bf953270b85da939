/*
 * endpoint_bench: `podscale benchmark --endpoint URL`, aibrix_benchmark's measurement of one run
 * against a real OpenAI-compatible server (vLLM), with sim/bench/benchmark.c's grid, arrivals,
 * aggregation and JSON lines.
 *
 * What a run sends, after AIBrix's gpu_benchmark.py (python/aibrix/aibrix/gpu_optimizer/
 * optimizer/profiling/gpu_benchmark.py): `total` POSTs to URL/v1/completions at the send times
 * of bench_arrivals_us (the simulated benchmark's Poisson schedule), each with the body
 * {"model", "prompt": "hi " repeated `input` times, "max_tokens": output, "temperature",
 * "stream": true, "ignore_eos": true} and, with a key, "Authorization: Bearer KEY". ignore_eos
 * is vLLM's extension that makes the server generate exactly max_tokens tokens, so every request
 * of a run has the run's output length (aibrix_benchmark does not send it, and its lengths vary
 * with where the model stops).
 *
 * Design: one thread and one libcurl multi handle drive every request of a run; there is no
 * thread per request. The loop adds each request's easy handle when its send time comes and
 * otherwise waits in curl_multi_poll for the earlier of curl's next timeout and the next send.
 * The server-sent events are parsed as they arrive, in the write callback: every `data: {...}`
 * event with a non-empty "choices" is one token (vLLM streams one event per token) and is
 * stamped with the monotonic clock when its line is complete; `data: [DONE]` ends the stream.
 *
 * Per request (times from the run's monotonic clock):
 *   E2E  = end of the response - the send of its first attempt (a retry's time is included, as
 *          aibrix_benchmark's loop includes it);
 *   TTFT = first token - the send (podscale's definition: what a user waits), or, with
 *          aibrix_ttft, first token - end of the response headers of the attempt that succeeded
 *          (aibrix_benchmark's timer starts inside the response context; vLLM sends the headers
 *          with the first token, so that figure is near 0 on vLLM);
 *   TPOT = the gaps between consecutive token events, pooled over the run's requests. Events
 *          that arrive in one read get gaps of 0, so the mean stays (last - first) / (n - 1).
 * A run's TPUT is completed requests / wall time and TT completed requests x `output` / wall
 * time, the wall time running from the run's start (the first send) to the end of its last
 * request. Statistics are bench_stats4's over the completed requests, and the point is written
 * with bench_write_point.
 *
 * Error policy: a request fails on a transport error (refused connection, reset, the per-attempt
 * timeout), an HTTP status >= 400, an event with "error", a 200 that is not an event stream, or
 * a stream that ends before `data: [DONE]` or without a token. It is sent again at once up to
 * `retries` times (aibrix_benchmark resends without limit) and is otherwise counted as failed,
 * with the first failure's reason kept for the report. Failures never abort the process; the
 * caller decides what a run with failures means.
 */
#ifndef PODSCALE_ENDPOINT_BENCH_H
#define PODSCALE_ENDPOINT_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/bench/benchmark.h"

typedef struct eb_config {
  const char *url;          /* base URL, "http[s]://host[:port][/prefix]", no trailing '/' */
  const char *model;        /* "model" sent in each request */
  const char *api_key;      /* sent as "Authorization: Bearer KEY"; NULL or "" for none */
  double temperature;       /* "temperature" sent */
  bool aibrix_ttft;         /* TTFT from the end of the response headers, not from the send */
  double request_timeout_s; /* limit on one attempt, from the send to the last byte */
  int32_t retries;          /* attempts after a failed one, at most */
} eb_config;

/* What happened to the requests of one run. */
typedef struct eb_outcome {
  int32_t completed;     /* requests that streamed tokens and `data: [DONE]` */
  int32_t failed;        /* requests whose every attempt failed */
  int32_t unreachable;   /* of the failed: no connection to the server (refused, no host) */
  char first_error[256]; /* why the first request to fail failed; "" when none did */
} eb_outcome;

/* What GET URL/v1/models said about cfg->model. */
typedef enum eb_probe_result {
  EB_PROBE_SERVED,      /* the model is listed */
  EB_PROBE_UNKNOWN,     /* no usable list (another status, not vLLM's JSON): go ahead */
  EB_PROBE_NOT_SERVED,  /* a list without the model; `why` names what is served */
  EB_PROBE_REFUSED,     /* 401 or 403: the key is missing or wrong */
  EB_PROBE_UNREACHABLE, /* no HTTP answer; `why` says why */
} eb_probe_result;

typedef struct eb_client eb_client;

/* A client for cfg (which must outlive it); NULL only when libcurl cannot start. */
eb_client *eb_client_new(const eb_config *cfg);
void eb_client_free(eb_client *c);
/* Ask the server for its models. *max_model_len gets the model's "max_model_len" (vLLM lists
 * it) when served and listed, else 0. */
eb_probe_result eb_probe(eb_client *c, int32_t *max_model_len, char *why, size_t why_len);
/* Run one grid point: `total` requests of `input` prompt tokens asking for `output` tokens at
 * Poisson arrivals of `rate` req/s from `seed`. Returns true and fills *pt (samples = total)
 * when at least one request completed; *out counts the failures either way. */
bool eb_run_point(eb_client *c, int32_t input, int32_t output, double rate, int32_t total,
                  uint64_t seed, bench_point *pt, eb_outcome *out);

#endif
