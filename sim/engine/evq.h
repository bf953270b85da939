/*
 * evq: the event queue of the discrete-event engine.
 *
 * An event is a plain value: a time in integer microseconds, a kind, a target index and a
 * 64-bit argument. The engine's owner (sim/run/cluster.c) gives kinds their meaning and dispatches
 * on them with a switch; the queue knows nothing of models.
 *
 * Order: events pop by (time_us, seq), where seq is the insertion counter of this queue. Two
 * events at the same microsecond therefore run first-in first-out, which makes every run
 * reproducible without any tie-breaking rule in the models.
 *
 * Cancellation is lazy: the owner keeps a generation counter per target and puts it in `arg`;
 * a popped event whose generation is stale is ignored. That keeps the heap a flat array.
 *
 * Error policy: pushing an event earlier than the last popped one is a bug in the caller and
 * fails an assertion. Memory exhaustion aborts with a message (xalloc.h).
 *
 * A queue is a self-contained value: no globals, so independent runs may use their own queues
 * in parallel threads.
 */
#ifndef PODSCALE_EVQ_H
#define PODSCALE_EVQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct evq_event {
  int64_t time_us; /* simulated time of the event, microseconds */
  uint64_t seq;    /* insertion number: FIFO among equal times */
  uint32_t kind;   /* owner-defined event kind */
  uint32_t target; /* owner-defined index (pod, request slot, ...) */
  uint64_t arg;    /* owner-defined payload, often a generation counter */
} evq_event;

typedef struct evq {
  evq_event *heap;   /* binary min-heap on (time_us, seq) */
  size_t len;        /* events queued */
  size_t cap;        /* allocated slots in heap */
  uint64_t next_seq; /* sequence number of the next push */
  int64_t now_us;    /* time of the last popped event (the clock) */
  uint64_t popped;   /* events popped so far */
} evq;

void evq_init(evq *q);
/* Set the clock of an empty queue that has popped nothing (a run that starts before time 0). */
void evq_start_at(evq *q, int64_t now_us);
void evq_free(evq *q);
/* Queue an event; time_us must not be earlier than the clock (evq_now). */
void evq_push(evq *q, int64_t time_us, uint32_t kind, uint32_t target, uint64_t arg);
/* Pop the earliest event into *ev and advance the clock; false when the queue is empty. */
bool evq_pop(evq *q, evq_event *ev);
/* Time of the earliest queued event, INT64_MAX when empty. */
int64_t evq_peek_time(const evq *q);
static inline int64_t evq_now(const evq *q) { return q->now_us; }
static inline size_t evq_len(const evq *q) { return q->len; }

#endif
