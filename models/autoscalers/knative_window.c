/* knative_window: Knative's two windows: the bucketed metric window with linear or weighted
 * average (TimedFloat64Buckets, WeightedFloat64Buckets) and the max window of the scale-down
 * delay (max.TimeWindow). */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "models/autoscalers/knative_int.h"

/* --- kn_buckets --- */

void kn_buckets_init(kn_buckets *b, int64_t window_us, int64_t granularity_us, kn_aggregation agg) {
  assert(window_us > 0 && granularity_us > 0);
  memset(b, 0, sizeof *b);
  /* Knative: number of buckets is window / granularity rounded up. */
  b->n = (window_us + granularity_us - 1) / granularity_us;
  b->buckets = xcalloc((size_t)b->n, sizeof *b->buckets);
  b->window_us = window_us;
  b->granularity_us = granularity_us;
  b->agg = agg;
  b->smoothing = fmax(1 - pow(1 - WEIGHT_PRECISION, 1 / (double)b->n), MIN_EXPONENT);
}

void kn_buckets_free(kn_buckets *b) {
  free(b->buckets);
  b->buckets = NULL;
}

static int64_t bucket_index(const kn_buckets *b, int64_t t_us) {
  return floor_div64(t_us, b->granularity_us);
}

/* Where bucket index i is kept: i mod n, in [0, n) also for the negative indexes of times
 * before 0 (a scenario's warm-up), which Go's % (Unix times) never meets. */
static int64_t slot(const kn_buckets *b, int64_t i) {
  int64_t k = i % b->n;
  return k < 0 ? k + b->n : k;
}

static void buckets_reset(kn_buckets *b, int64_t bucket_us) {
  memset(b->buckets, 0, (size_t)b->n * sizeof *b->buckets);
  b->window_total = 0;
  b->first_write_us = bucket_us;
  b->last_write_us = bucket_us;
  b->written = true;
}

void kn_buckets_record(kn_buckets *b, int64_t t_us, double value) {
  int64_t bt = kn_trunc_to(t_us, b->granularity_us);
  int64_t widx = bucket_index(b, t_us);
  if (!b->written) {
    buckets_reset(b, bt);
  } else if (b->last_write_us != bt) {
    if (!(bt + b->window_us > b->last_write_us)) return; /* a window before the newest write */
    if (b->first_write_us > bt) b->first_write_us = bt;
    if (bt > b->last_write_us) {
      if (bt - b->last_write_us >= b->window_us) {
        buckets_reset(b, bt); /* nothing for a whole window: start afresh */
      } else {
        /* Zero the buckets skipped since the last write, and this one. */
        for (int64_t i = bucket_index(b, b->last_write_us) + 1; i <= widx; i++) {
          int64_t k = slot(b, i);
          b->window_total -= b->buckets[k];
          b->buckets[k] = 0;
        }
      }
      b->last_write_us = bt;
    }
  }
  b->buckets[slot(b, widx)] += value;
  b->window_total += value;
}

bool kn_buckets_empty(const kn_buckets *b, int64_t now_us) {
  if (!b->written) return true;
  return kn_trunc_to(now_us, b->granularity_us) - b->last_write_us > b->window_us;
}

static double linear_average(const kn_buckets *b, int64_t now) {
  int64_t d = now - b->last_write_us;
  double since_first = (double)((b->last_write_us - b->first_write_us) / b->granularity_us) + 1;
  if (d <= 0) return kn_round6(b->window_total / fmin(since_first, (double)b->n));
  if (d >= b->window_us) return 0;
  /* Leave out the buckets after the last write: they hold data older than the window. */
  int64_t st = bucket_index(b, b->last_write_us), e = bucket_index(b, now);
  double ret = b->window_total;
  for (int64_t i = st + 1; i <= e; i++)
    ret -= b->buckets[slot(b, i)];
  return kn_round6(ret / fmin(since_first, (double)(b->n - (e - st))));
}

static double weighted_average(const kn_buckets *b, int64_t now) {
  if (now - b->last_write_us > b->window_us) return 0;
  int64_t num_b = b->n;
  double a = b->smoothing, mult = a;
  if (now > b->last_write_us) {
    int64_t zeros = (now - b->last_write_us) / b->granularity_us;
    mult = mult * pow(1 - a, (double)zeros);
    num_b -= zeros;
  }
  int64_t start = bucket_index(b, b->last_write_us) + b->n;
  double ret = 0;
  for (int64_t i = 0; i < num_b; i++) {
    ret += b->buckets[slot(b, start - i)] * mult;
    mult *= 1 - a;
  }
  return ret;
}

double kn_buckets_average(const kn_buckets *b, int64_t now_us) {
  if (!b->written) return 0;
  int64_t now = kn_trunc_to(now_us, b->granularity_us);
  return b->agg == KN_AGG_LINEAR ? linear_average(b, now) : weighted_average(b, now);
}

/* --- kn_maxwin --- */

void kn_maxwin_init(kn_maxwin *w, int64_t duration_us, int64_t granularity_us) {
  assert(duration_us > 0 && granularity_us > 0);
  int64_t size = (duration_us + granularity_us - 1) / granularity_us;
  assert(size <= INT32_MAX);
  w->size = (int32_t)size;
  w->maxima = xcalloc((size_t)w->size, sizeof *w->maxima);
  w->first = 0;
  w->length = 0;
  w->granularity_us = granularity_us;
}

void kn_maxwin_free(kn_maxwin *w) {
  free(w->maxima);
  w->maxima = NULL;
}

static kn_maxwin_entry *maxwin_at(kn_maxwin *w, int32_t i) { return &w->maxima[i % w->size]; }

void kn_maxwin_record(kn_maxwin *w, int64_t t_us, int32_t value) {
  int64_t index = floor_div64(t_us, w->granularity_us);
  /* A smaller, older candidate can never be the maximum again. */
  for (; w->length > 0; w->length--)
    if (value < maxwin_at(w, w->first + w->length - 1)->value) break;
  /* Candidates that left the window. */
  while (w->length > 0 && index - w->maxima[w->first].index >= w->size) {
    w->length--;
    w->first = (w->first + 1) % w->size;
  }
  /* Two records at one index: keep the larger. */
  if (w->length > 0) {
    kn_maxwin_entry *last = maxwin_at(w, w->first + w->length - 1);
    if (last->index == index) {
      if (last->value > value) value = last->value;
      w->length--;
    }
  }
  *maxwin_at(w, w->first + w->length) = (kn_maxwin_entry){index, value};
  w->length++;
  assert(w->length <= w->size);
}

int32_t kn_maxwin_current(const kn_maxwin *w) { return w->maxima[w->first].value; }
