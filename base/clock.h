/*
 * clock: the monotonic clock, for wall-time measurements, timeouts and rate limits; never for
 * anything a simulation's result depends on (simulated time is the event queue's). Seconds as
 * double, or whole nanoseconds.
 */
#ifndef PODSCALE_BASE_CLOCK_H
#define PODSCALE_BASE_CLOCK_H

#include <stdint.h>

int64_t ps_mono_ns(void); /* CLOCK_MONOTONIC, ns since an arbitrary start */
double ps_mono_s(void);   /* the same in seconds */

#endif
