/* names: closest-name hints (names.h). */
#include "base/names.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define FAR (NAMES_MAX_LEN * 2)

static size_t lower(const char *s, char *out) {
  size_t n = 0;
  for (; s[n] && n < NAMES_MAX_LEN; n++)
    out[n] = (char)tolower((unsigned char)s[n]);
  return n;
}

/* Optimal string alignment distance of a[0..na) and b[0..nb). */
static int distance(const char *a, size_t na, const char *b, size_t nb) {
  int d[NAMES_MAX_LEN + 1][NAMES_MAX_LEN + 1];
  for (size_t i = 0; i <= na; i++)
    d[i][0] = (int)i;
  for (size_t j = 0; j <= nb; j++)
    d[0][j] = (int)j;
  for (size_t i = 1; i <= na; i++)
    for (size_t j = 1; j <= nb; j++) {
      int best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
      if (d[i - 1][j] + 1 < best) best = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
          d[i - 2][j - 2] + 1 < best)
        best = d[i - 2][j - 2] + 1;
      d[i][j] = best;
    }
  return d[na][nb];
}

/* 0 for a prefix either way, 1 + the distance when close, FAR otherwise. */
static int closeness(const char *name, const char *cand) {
  char a[NAMES_MAX_LEN], b[NAMES_MAX_LEN];
  size_t na = lower(name, a), nb = lower(cand, b);
  size_t shorter = na < nb ? na : nb, longer = na < nb ? nb : na;
  if (shorter > 0 && memcmp(a, b, shorter) == 0) return 0;
  int dist = distance(a, na, b, nb);
  return dist <= 3 && (size_t)dist * 3 <= longer ? 1 + dist : FAR;
}

/* The name of candidate i. */
static const char *cand(const void *first, size_t stride, size_t i) {
  const char *at = (const char *)first + i * stride;
  const char *s;
  memcpy(&s, at, sizeof s);
  return s;
}

const char *names_hint(const char *name, const void *first, size_t stride, size_t ncands, char *buf,
                       size_t n) {
  enum { SHOWN = 3, LISTED = 12 };
  size_t best[SHOWN];
  int score[SHOWN];
  size_t nbest = 0;
  for (size_t i = 0; i < ncands; i++) {
    int s = closeness(name, cand(first, stride, i));
    if (s == FAR) continue;
    size_t at = nbest < SHOWN ? nbest++ : SHOWN;
    while (at > 0 && score[at - 1] > s) { /* insertion keeps ties in the candidates' order */
      if (at < SHOWN) {
        best[at] = best[at - 1];
        score[at] = score[at - 1];
      }
      at--;
    }
    if (at < SHOWN) {
      best[at] = i;
      score[at] = s;
    }
  }
  while (nbest > 1 && score[nbest - 1] > score[0]) /* only the closest */
    nbest--;
  size_t len = 0;
  buf[0] = '\0';
#define PUT(...)                                                                                   \
  do {                                                                                             \
    int k = snprintf(buf + len, n - len, __VA_ARGS__);                                             \
    if (k > 0) len = len + (size_t)k < n ? len + (size_t)k : n - 1;                                \
  } while (0)
  if (nbest > 0) {
    PUT("did you mean ");
    for (size_t i = 0; i < nbest; i++)
      PUT("%s\"%s\"", i == 0 ? "" : i + 1 == nbest ? " or " : ", ", cand(first, stride, best[i]));
    PUT("?");
  } else if (ncands > 0) {
    PUT("known: ");
    for (size_t i = 0; i < ncands && i < LISTED; i++)
      PUT("%s%s", i ? ", " : "", cand(first, stride, i));
    if (ncands > LISTED) PUT(", ...");
  }
#undef PUT
  return buf;
}
