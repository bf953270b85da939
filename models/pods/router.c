#include "models/pods/router.h"

#include <assert.h>
#include <string.h>

static const char *names[] = {"random", "round-robin", "least-request"};

uint32_t router_pick(router *rt, const uint32_t *load, uint32_t n) {
  assert(n >= 1);
  switch (rt->kind) {
  case ROUTER_RANDOM: return (uint32_t)gsl_rng_uniform_int(rt->rng, n);
  case ROUTER_ROUND_ROBIN: return (uint32_t)(rt->rr_next++ % n);
  case ROUTER_LEAST_REQUEST: {
    uint32_t best = 0;
    for (uint32_t i = 1; i < n; i++)
      if (load[i] < load[best]) best = i;
    return best;
  }
  }
  assert(0);
  return 0;
}

bool router_kind_parse(const char *s, router_kind *out) {
  for (int k = 0; k < 3; k++)
    if (!strcmp(s, names[k])) {
      *out = (router_kind)k;
      return true;
    }
  return false;
}

const char *router_kind_name(router_kind k) { return names[k]; }
