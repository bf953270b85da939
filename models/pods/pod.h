/*
 * pod: the interface every pod model implements (the slot model in models/pods/slotpod.c now, the
 * LLM continuous-batching engine later).
 *
 * A pod is a state machine in simulated time. It never touches the event queue: the engine
 * asks it when it next changes on its own (next_us), moves it forward (advance), and hands it
 * requests (submit) or takes them back (cancel). Callers advance a pod to the current time
 * before any other call, so a pod only ever sees time move forward, and everything a pod does
 * at time t (a completion exactly at t) has happened before a request is submitted at t.
 *
 * When a request completes, the pod fills in its times and calls the completion callback; the
 * request then belongs to the caller again. The callback may run inside submit (a request the
 * pod rejects at once), advance and evict.
 */
#ifndef PODSCALE_POD_H
#define PODSCALE_POD_H

#include <stdint.h>

#include "models/workload/request.h"

typedef struct pod_gauges {
  int32_t running; /* vllm:num_requests_running */
  int32_t waiting; /* vllm:num_requests_waiting */
  double kv_usage; /* vllm:gpu_cache_usage_perc, a 0-1 fraction */
} pod_gauges;

/* A request leaves the pod at t_us: RQ_OK when complete, RQ_FAILED when the pod rejected it
 * (it can never fit: longer than the context window or the KV cache). */
typedef void (*pod_done_fn)(void *ctx, request *r, int64_t t_us, rq_status status);

typedef struct pod_ops {
  const char *name;
  /* Accept a request at now_us (the pod has been advanced to now_us); a request the pod can
   * never serve is handed straight back through `done` with RQ_FAILED. */
  void (*submit)(void *self, request *r, int64_t now_us, pod_done_fn done, void *ctx);
  /* Drop a request that is queued or running on this pod at now_us. */
  void (*cancel)(void *self, request *r, int64_t now_us);
  /* When the pod next changes state by itself; INT64_MAX when idle. */
  int64_t (*next_us)(const void *self);
  /* Process everything that happens up to and including t_us, reporting completions. */
  void (*advance)(void *self, int64_t t_us, pod_done_fn done, void *ctx);
  void (*gauges)(const void *self, pod_gauges *g);
  /* Remove every request (running, then queued in order), passing each to `out`. */
  void (*evict)(void *self, int64_t now_us, pod_done_fn out, void *ctx);
  void (*free)(void *self);
} pod_ops;

/* A pod model instance: its operations and its state. */
typedef struct pod_model {
  const pod_ops *ops;
  void *self;
} pod_model;

#endif
