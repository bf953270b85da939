/*
 * hash: FNV-1a, 64 bits (offset basis 14695981039346656037, prime 1099511628211), over bytes
 * taken as unsigned. Used for scenario and profile digests, named random streams and hash
 * tables; not for anything an adversary chooses.
 */
#ifndef PODSCALE_BASE_HASH_H
#define PODSCALE_BASE_HASH_H

#include <stddef.h>
#include <stdint.h>

#define PS_FNV1A64_BASIS 14695981039346656037ULL

/* Continue hash `h` (start with PS_FNV1A64_BASIS) over n bytes. */
static inline uint64_t ps_fnv1a64_add(uint64_t h, const void *data, size_t n) {
  const unsigned char *p = data;
  for (size_t i = 0; i < n; i++)
    h = (h ^ p[i]) * 1099511628211ULL;
  return h;
}

/* The hash of a NUL-terminated string (its bytes, not the NUL). */
static inline uint64_t ps_fnv1a64(const char *s) {
  uint64_t h = PS_FNV1A64_BASIS;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    h = (h ^ *p) * 1099511628211ULL;
  return h;
}

#endif
