/*
 * window: the sliding time window of the legacy AIBrix PodAutoscaler (v0.2.0 ... v0.4.1), which
 * holds the KPA's stable and panic samples, the KPA's scale-down delay and the APA's samples.
 *
 * Upstream: vllm-project/aibrix pkg/controller/podautoscaler/aggregation/window.go (TimeWindow
 * over a ring `window`), docs/autoscalers.md. It is not Knative's bucketed window
 * (models/autoscalers/knative.h) nor the HEAD AIBrix one (one bucket per second, last write wins):
 * it keeps samples, not sums.
 *
 * A window of duration D and granularity g holds at most N = ceil(D / g) entries, each a value
 * and the index floor(t / g) of the time it was recorded at. Recording at t first drops, from the
 * oldest end, every entry whose index is <= floor(t / g) - N (so an entry exactly N granules old
 * is gone), then appends the new entry only if fewer than N remain: a second sample in the same
 * granule is a separate entry (it does not overwrite), and a sample that finds the ring full is
 * silently dropped. Nothing ages on reading: avg, max and min look at whatever the last record
 * left. avg is the plain mean of the entries (not time weighted; gaps are not zero), summed
 * oldest first as upstream does, so results are bit-identical. With 10 s samples a 60 s window
 * holds 6 samples, a 30 s window 3 and a 10 s window only the latest.
 *
 * Times are int64 microseconds on the simulator clock. Upstream takes whole Unix seconds and
 * divides by the granularity in whole seconds (sub-second granularities would divide by zero),
 * so the granularity must be a positive whole number of seconds; the index is floor(t / g) also
 * for negative times (Go's zero time is before 1970; the upstream tests use it). D = 0 gives a
 * window that never holds anything.
 *
 * Errors: reading an empty window is not an error here but a false return (upstream returns
 * "no data available"; its callers then skip the decision). Broken invariants (a non-whole or
 * non-positive granularity, a negative duration) are assertions. The ring grows on demand up to
 * N entries, so a long window that sees few samples stays small; twin_free releases it.
 */
#ifndef PODSCALE_WINDOW_H
#define PODSCALE_WINDOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TWIN_SECOND_US 1000000LL /* upstream granularity: every AIBrix window uses 1 s */

typedef struct twin_entry {
  double value;  /* the recorded sample */
  int64_t index; /* floor(t / granularity) of the time it was recorded at */
} twin_entry;

typedef struct twin {
  int64_t granularity_us; /* g: whole seconds */
  int64_t size;           /* N = ceil(D / g): most entries held */
  twin_entry *ring;       /* cap slots; entries first .. first+len-1 (mod cap), oldest first */
  size_t cap;             /* allocated slots, <= size */
  size_t first;           /* slot of the oldest entry */
  size_t len;             /* entries held */
} twin;

void twin_init(twin *w, int64_t duration_us, int64_t granularity_us);
void twin_free(twin *w);
/* Drop expired entries, then keep (t_us, value) if the ring has room. */
void twin_record(twin *w, int64_t t_us, double value);
/* Mean, largest or smallest held value; false (and *out untouched) when empty. */
bool twin_avg(const twin *w, double *out);
bool twin_max(const twin *w, double *out);
bool twin_min(const twin *w, double *out);
static inline size_t twin_len(const twin *w) { return w->len; }
/* The i-th held entry, oldest first (i < twin_len). */
twin_entry twin_at(const twin *w, size_t i);

#endif
