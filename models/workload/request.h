/*
 * request: one request's life in a run, from gateway arrival to its final status.
 *
 * Records are owned by the run's pool (sim/run/cluster.c) and keep a stable address while the
 * request is in flight, so pods and the gateway link them into their queues intrusively with
 * rq_list. The pod that serves a request writes its start, first-token and finish times.
 */
#ifndef PODSCALE_REQUEST_H
#define PODSCALE_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum rq_status {
  RQ_PENDING, /* in the gateway or on a pod */
  RQ_OK,      /* finished within the client timeout */
  RQ_TIMEOUT, /* the client gave up (client.timeout_s) */
  RQ_FAILED,  /* lost: its pod stopped, or the run ended before it finished */
} rq_status;

/* Why a request did not end ok (requests.csv's `reason`); RQ_NO_REASON while pending and when
 * ok. Whoever ends it sets it: the pod for what it refuses, the run for the rest. */
typedef enum rq_reason {
  RQ_NO_REASON,
  RQ_CLIENT_TIMEOUT,     /* client.timeout_s passed first */
  RQ_CLIENT_ERROR,       /* lost to a connection error before the gateway (client.error_rate) */
  RQ_TOO_LONG,           /* prompt + output, or prompt + max_tokens, exceeds max_model_len */
  RQ_KV_CACHE_TOO_SMALL, /* needs more KV cache blocks than the pod has */
  RQ_POD_STOPPED,        /* its pod stopped (the grace period ended) before it finished */
  RQ_RUN_ENDED,          /* the run's drain time ended before it finished */
} rq_reason;

typedef struct request request;
struct request {
  uint64_t id;            /* arrival order, from 0 */
  int64_t arrival_us;     /* at the gateway */
  int64_t start_us;       /* service began on a pod, -1 before */
  int64_t first_token_us; /* first output token, -1 before */
  int64_t finish_us;      /* last token, or when it timed out or failed; -1 before */
  double service_u;       /* uniform (0,1) for service-time quantiles (common random numbers) */
  int32_t input_tokens;   /* prompt tokens */
  int32_t output_tokens;  /* tokens to generate */
  int32_t max_tokens;     /* the client's max_tokens, 0 for none (output_tokens <= it) */
  int32_t pod;            /* index of the serving pod in the run, -1 while unrouted */
  int32_t preemptions;    /* times the request was preempted */
  int32_t generated;      /* output tokens produced so far (kept by the serving pod) */
  uint32_t slot;          /* index of this record in the run's pool */
  rq_status status;
  rq_reason reason;
  bool abandoned; /* the client gave up (its final status is out) but its pod still serves it */
  request *prev, *next; /* links in the one queue that holds it */
};

/* An intrusive FIFO of requests. */
typedef struct rq_list {
  request *head, *tail;
  uint32_t len;
} rq_list;

static inline void rq_push(rq_list *l, request *r) {
  r->next = NULL;
  r->prev = l->tail;
  if (l->tail)
    l->tail->next = r;
  else
    l->head = r;
  l->tail = r;
  l->len++;
}

static inline void rq_unlink(rq_list *l, request *r) {
  if (r->prev)
    r->prev->next = r->next;
  else
    l->head = r->next;
  if (r->next)
    r->next->prev = r->prev;
  else
    l->tail = r->prev;
  r->prev = r->next = NULL;
  l->len--;
}

static inline request *rq_pop(rq_list *l) {
  request *r = l->head;
  if (r) rq_unlink(l, r);
  return r;
}

#endif
