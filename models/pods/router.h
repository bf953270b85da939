/*
 * router: the gateway's choice of pod for a request, among the pods that are in routing
 * (ready and not terminating), as AIBrix's gateway routing strategies do:
 *   random         uniform over candidates, from the run's "router" stream
 *   round-robin    the next candidate after the last one chosen, in pod creation order
 *   least-request  the candidate with the fewest requests on it (running + waiting); ties go to
 *                  the oldest pod, so the choice is deterministic
 */
#ifndef PODSCALE_ROUTER_H
#define PODSCALE_ROUTER_H

#include <gsl/gsl_rng.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum router_kind { ROUTER_RANDOM, ROUTER_ROUND_ROBIN, ROUTER_LEAST_REQUEST } router_kind;

typedef struct router {
  router_kind kind;
  uint64_t rr_next; /* round-robin: count of choices made */
  gsl_rng *rng;     /* random: the "router" stream (borrowed) */
} router;

/* Index into candidates[0..n) of the chosen pod; load[i] is candidate i's requests. n >= 1. */
uint32_t router_pick(router *rt, const uint32_t *load, uint32_t n);
bool router_kind_parse(const char *s, router_kind *out);
const char *router_kind_name(router_kind k);

#endif
