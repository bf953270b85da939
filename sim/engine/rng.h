/*
 * rng: named random-number streams on GSL.
 *
 * Every random quantity in a run comes from a stream named for what it draws ("arrivals",
 * "input_tokens", "router", ...). A stream's seed is a fixed hash of (scenario seed, stream
 * name): FNV-1a over the name, mixed with the seed by SplitMix64. Adding a stream therefore
 * never shifts the numbers of another, and a stream can be recreated anywhere (for example
 * once per policy, so every policy sees the same draws).
 *
 * The generator is GSL's MT19937. Streams are plain gsl_rng values owned by the caller: no
 * global state, safe for concurrent runs in separate threads.
 */
#ifndef PODSCALE_RNG_H
#define PODSCALE_RNG_H

#include <gsl/gsl_rng.h>
#include <stdint.h>

/* The 64-bit seed of stream `name` under scenario seed `seed`. */
uint64_t rng_stream_seed(uint64_t seed, const char *name);
/* A new generator for stream `name`; free with gsl_rng_free. */
gsl_rng *rng_stream(uint64_t seed, const char *name);
/* A uniform in (0,1) that depends only on (seed, name, i, j): for draws tied to an identity
 * (the j-th delay of the i-th pod) rather than to an order of events. */
double rng_uniform_at(uint64_t seed, const char *name, uint64_t i, uint64_t j);

#endif
