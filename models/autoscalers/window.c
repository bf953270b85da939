#include "models/autoscalers/window.h"

#include <assert.h>
#include <stdlib.h>

#include "base/xalloc.h"
#include "models/autoscalers/gosem.h"

void twin_init(twin *w, int64_t duration_us, int64_t granularity_us) {
  assert(duration_us >= 0);
  assert(granularity_us > 0 && granularity_us % TWIN_SECOND_US == 0);
  w->granularity_us = granularity_us;
  w->size = duration_us / granularity_us + (duration_us % granularity_us != 0);
  w->ring = NULL;
  w->cap = 0;
  w->first = 0;
  w->len = 0;
}

void twin_free(twin *w) {
  free(w->ring);
  w->ring = NULL;
  w->cap = w->len = w->first = 0;
}

twin_entry twin_at(const twin *w, size_t i) {
  assert(i < w->len);
  return w->ring[(w->first + i) % w->cap];
}

/* Room for one more entry: double the ring (up to N), oldest entry moved to slot 0. */
static void grow(twin *w) {
  size_t cap = w->cap ? 2 * w->cap : 8;
  if ((int64_t)cap > w->size) cap = (size_t)w->size;
  twin_entry *ring = xmalloc(cap * sizeof *ring);
  for (size_t i = 0; i < w->len; i++)
    ring[i] = twin_at(w, i);
  free(w->ring);
  w->ring = ring;
  w->cap = cap;
  w->first = 0;
}

void twin_record(twin *w, int64_t t_us, double value) {
  int64_t index = floor_div64(t_us, w->granularity_us);
  while (w->len > 0 && w->ring[w->first].index <= index - w->size) {
    w->first = (w->first + 1) % w->cap;
    w->len--;
  }
  if ((int64_t)w->len >= w->size) return;
  if (w->len == w->cap) grow(w);
  w->ring[(w->first + w->len) % w->cap] = (twin_entry){value, index};
  w->len++;
}

bool twin_avg(const twin *w, double *out) {
  if (w->len == 0) return false;
  double sum = 0.0;
  for (size_t i = 0; i < w->len; i++)
    sum += twin_at(w, i).value;
  *out = sum / (double)w->len;
  return true;
}

bool twin_max(const twin *w, double *out) {
  if (w->len == 0) return false;
  double m = twin_at(w, 0).value;
  for (size_t i = 1; i < w->len; i++)
    if (twin_at(w, i).value > m) m = twin_at(w, i).value;
  *out = m;
  return true;
}

bool twin_min(const twin *w, double *out) {
  if (w->len == 0) return false;
  double m = twin_at(w, 0).value;
  for (size_t i = 1; i < w->len; i++)
    if (twin_at(w, i).value < m) m = twin_at(w, i).value;
  *out = m;
  return true;
}
