/*
 * names: the closest names to one that is not known, for "did you mean" hints.
 *
 * Closeness, case-insensitive: a candidate that begins with the name, or that the name begins
 * with ("A100" and "A100-80GB"), is closest; then the edit distance (insertions, deletions,
 * substitutions and swaps of neighbours, each 1), and only a distance of at most a third of the
 * longer name, and at most 3, counts; only the closest are named, ties in the candidates' order.
 * Names longer than NAMES_MAX_LEN bytes are compared on their first NAMES_MAX_LEN bytes.
 */
#ifndef PODSCALE_BASE_NAMES_H
#define PODSCALE_BASE_NAMES_H

#include <stddef.h>

#define NAMES_MAX_LEN 64

/* The candidates are `count` items `stride` bytes apart from `first`, each beginning with its
 * name (a const char *, as in an array of strings or of structs named by their first member).
 * Writes into buf (n bytes) `did you mean "A" or "B"?` with up to 3 closest candidates, or,
 * when none is close, `known: A, B, C` (up to 12 names, then ", ..."), or "" for no candidates.
 * Returns buf. */
const char *names_hint(const char *name, const void *first, size_t stride, size_t count, char *buf,
                       size_t n);

#endif
