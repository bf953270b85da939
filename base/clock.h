/*
 * clock: the monotonic clock, for wall-time measurements, timeouts and rate limits; never for
 * anything a simulation's result depends on (simulated time is the event queue's). Seconds as
 * double, or whole nanoseconds; and condition variables that wait on it, so that a step of the
 * system clock neither stalls nor hurries a server's loop.
 */
#ifndef PODSCALE_BASE_CLOCK_H
#define PODSCALE_BASE_CLOCK_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

int64_t ps_mono_ns(void); /* CLOCK_MONOTONIC, ns since an arbitrary start */
double ps_mono_s(void);   /* the same in seconds */

/* The CLOCK_MONOTONIC instant ns (as ps_mono_ns counts), for pthread_cond_timedwait on a
 * condition made by ps_cond_init_mono. */
struct timespec ps_mono_timespec(int64_t ns);
/* pthread_cond_init with CLOCK_MONOTONIC as the clock of its timed waits; 0 or an errno. */
int ps_cond_init_mono(pthread_cond_t *c);

#endif
