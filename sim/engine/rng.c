#include "sim/engine/rng.h"

#include "base/hash.h"
#include "base/xalloc.h"

static uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t rng_stream_seed(uint64_t seed, const char *name) {
  return splitmix64(splitmix64(seed) ^ ps_fnv1a64(name));
}

double rng_uniform_at(uint64_t seed, const char *name, uint64_t i, uint64_t j) {
  uint64_t x =
      splitmix64(splitmix64(rng_stream_seed(seed, name) ^ i) ^ (j * 0x9e3779b97f4a7c15ULL));
  return ((double)(x >> 11) + 0.5) * 0x1p-53;
}

gsl_rng *rng_stream(uint64_t seed, const char *name) {
  gsl_rng *r = xcheck(gsl_rng_alloc(gsl_rng_mt19937), sizeof(gsl_rng));
  /* MT19937 in GSL takes 32 bits of seed; fold the 64-bit hash so both halves count. */
  uint64_t s = rng_stream_seed(seed, name);
  unsigned long s32 = (unsigned long)((s ^ (s >> 32)) & 0xffffffffUL);
  gsl_rng_set(r, s32 ? s32 : 1);
  return r;
}
