/*
 * bench_evq: events per second of the engine's event queue driving an M/M/1 queue.
 *
 * Arrivals (rate 0.9) and departures (rate 1) are events on an evq; the handler keeps the
 * queue length and schedules the next departure, drawing exponential variates from a named
 * GSL stream, as the simulator does. Reports the median of several repetitions.
 *
 *   bench_evq [EVENTS_PER_REP] [REPS]     (defaults 20000000 and 5)
 */
#include <gsl/gsl_randist.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench_util.h"
#include "sim/engine/evq.h"
#include "sim/engine/rng.h"

enum { ARRIVAL, DEPARTURE };

static int64_t exp_us(gsl_rng *r, double mean_s) {
  return (int64_t)(gsl_ran_exponential(r, mean_s) * 1e6) + 1;
}

static double one_rep(uint64_t events, uint64_t seed, double *mean_len) {
  evq q;
  evq_init(&q);
  gsl_rng *ra = rng_stream(seed, "arrivals"), *rs = rng_stream(seed, "service");
  evq_push(&q, exp_us(ra, 1 / 0.9), ARRIVAL, 0, 0);
  uint64_t in_system = 0;
  double area = 0;
  int64_t last = 0;
  evq_event ev;
  double t0 = ps_mono_s();
  while (q.popped < events && evq_pop(&q, &ev)) {
    area += (double)in_system * (double)(ev.time_us - last);
    last = ev.time_us;
    if (ev.kind == ARRIVAL) {
      if (in_system++ == 0) evq_push(&q, ev.time_us + exp_us(rs, 1.0), DEPARTURE, 0, 0);
      evq_push(&q, ev.time_us + exp_us(ra, 1 / 0.9), ARRIVAL, 0, 0);
    } else if (--in_system > 0) {
      evq_push(&q, ev.time_us + exp_us(rs, 1.0), DEPARTURE, 0, 0);
    }
  }
  double dt = ps_mono_s() - t0;
  *mean_len = area / (double)last;
  gsl_rng_free(ra);
  gsl_rng_free(rs);
  evq_free(&q);
  return (double)events / dt;
}

int main(int argc, char **argv) {
  uint64_t events = argc > 1 ? strtoull(argv[1], NULL, 10) : 20000000;
  int reps = argc > 2 ? atoi(argv[2]) : 5;
  if (reps < 1 || reps > 100) reps = 5;
  double rate[100], len = 0;
  for (int i = 0; i < reps; i++) {
    rate[i] = one_rep(events, (uint64_t)i + 1, &len);
    printf("rep %d: %.2f M events/s (mean number in system %.2f, M/M/1 theory 9.00)\n", i + 1,
           rate[i] / 1e6, len);
  }
  printf("median: %.2f M events/s over %d reps of %llu events (M/M/1, rho 0.9)\n",
         bench_median(rate, reps) / 1e6, reps, (unsigned long long)events);
  return 0;
}
