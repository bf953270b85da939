#include "sim/engine/evq.h"

#include <assert.h>
#include <stdlib.h>

#include "base/xalloc.h"

static inline bool before(const evq_event *a, const evq_event *b) {
  return a->time_us < b->time_us || (a->time_us == b->time_us && a->seq < b->seq);
}

void evq_init(evq *q) { *q = (evq){0}; }

void evq_start_at(evq *q, int64_t now_us) {
  assert(q->len == 0 && q->popped == 0);
  q->now_us = now_us;
}

void evq_free(evq *q) {
  free(q->heap);
  *q = (evq){0};
}

void evq_push(evq *q, int64_t time_us, uint32_t kind, uint32_t target, uint64_t arg) {
  assert(time_us >= q->now_us && "event scheduled in the past");
  if (q->len == q->cap) {
    q->cap = q->cap ? q->cap * 2 : 64;
    q->heap = xrealloc(q->heap, q->cap * sizeof *q->heap);
  }
  evq_event ev = {time_us, q->next_seq++, kind, target, arg};
  size_t i = q->len++;
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!before(&ev, &q->heap[parent])) break;
    q->heap[i] = q->heap[parent];
    i = parent;
  }
  q->heap[i] = ev;
}

bool evq_pop(evq *q, evq_event *out) {
  if (q->len == 0) return false;
  *out = q->heap[0];
  evq_event last = q->heap[--q->len];
  size_t n = q->len, i = 0;
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && before(&q->heap[child + 1], &q->heap[child])) child++;
    if (!before(&q->heap[child], &last)) break;
    q->heap[i] = q->heap[child];
    i = child;
  }
  if (n > 0) q->heap[i] = last;
  q->now_us = out->time_us;
  q->popped++;
  return true;
}

int64_t evq_peek_time(const evq *q) { return q->len ? q->heap[0].time_us : INT64_MAX; }
