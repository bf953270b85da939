/*
 * ilp_search: an exact branch-and-bound for the optimizer's ILP when nothing bounds the units
 * (no min_units, max_units or availability), tried before GLPK. Internal to optimizer/ilp.c;
 * the formulation, the tie rule and the unit scale are ilp.h's.
 *
 * The problem. Active bucket i has slices S; its assign k (one per deployment that can serve
 * it, deployment dep[k]) takes n_k of them, each slice a load of nano[k] units / 1e9, exact
 * integers (the exact check's scale in ilp.c). A deployment's units are the ceiling of its
 * load, y_j = ceil(L_j / 1e9), so every answer is feasible in exact arithmetic by construction.
 * Minimise C = sum_j y_j ucost[j] (summed in problem order, as the result is).
 *
 * The bound. With w_k = ucost[dep[k]] nano[k] / 1e9 a slice's cost as load, m_i the least w of
 * bucket i and rho_k = w_k - m_i its regret, every solution costs
 *   C = sum_i S m_i + sum_k n_k rho_k + sum_j ucost[j] (y_j - L_j),
 * the LP bound plus regret plus rounding waste. The greedy answer (every slice on its cheapest
 * deployment) has no regret, so only moves whose regret is below the greedy's waste can do
 * better. The search fixes buckets one at a time, largest load first, each to a split of its
 * slices; a node's bound is its regret plus, per deployment, the least of: its waste as the
 * load stands, the regret of filling that waste by moving load in, and of emptying its last
 * unit by moving load out, at the cheapest rate (regret per unit of load, half a move's regret
 * to each of its two deployments) that the buckets still open offer. At a leaf the bound is the
 * cost. Nodes within TIE_TOL-style slack of the best are kept, so ties are decided by the rule:
 * a second pass finds the fewest units, then units on the earliest deployments, among answers
 * within ilp.c's slack of the least cost (OPT_ILP_TIE_SOLVER: the first least cost found).
 *
 * Budget: at most `step_budget` steps of work over both passes, a step being a node (a split
 * tried), a deployment bounded or a move looked at, so the budget bounds time whatever the
 * problem's size (a few ns a step: ilp.c's 100,000 take under 1 ms). Past it the search stops
 * (ILP_SEARCH_BUDGET) with the best answer it found, which ilp.c hands to GLPK as its first
 * incumbent, with every assign whose regret alone exceeds that answer's excess left out of the
 * model. No allocation failure aborts: it returns
 * ILP_SEARCH_NOMEM and GLPK is used.
 */
#ifndef PODSCALE_OPT_ILP_SEARCH_H
#define PODSCALE_OPT_ILP_SEARCH_H

#include <stdbool.h>
#include <stdint.h>

typedef struct ilp_search_problem {
  int n_dep;
  int n_active;
  int slice_factor;    /* S */
  const int *first;    /* [n_active + 1] assigns of bucket i: first[i] .. first[i + 1] - 1 */
  const int *dep;      /* [n_assign] deployment of each assign, increasing within a bucket */
  const int64_t *nano; /* [n_assign] one slice's load, units * 1e9, rounded */
  const double *ucost; /* [n_dep] cost per unit (per-pod cost / gpu_fraction), >= 0 */
  bool ordered_ties;   /* ilp.h's OPT_ILP_TIE_ORDERED; false: the first least cost */
  double tie_tol;      /* relative slack of "equal cost" (ilp.c's TIE_TOL) */
  double tie_units;    /* units of each deployment's cost added to that slack (TIE_UNITS) */
  long step_budget;    /* steps of work over both passes (see Budget); > 0 */
} ilp_search_problem;

typedef enum ilp_search_status {
  ILP_SEARCH_OPTIMAL, /* counts and units hold the optimum under the tie rule */
  ILP_SEARCH_BUDGET,  /* step_budget reached; counts and units hold the best answer found */
  ILP_SEARCH_NOMEM,   /* nothing written */
} ilp_search_status;

typedef struct ilp_search_stats {
  long nodes;  /* nodes tried */
  long steps;  /* steps of work */
  double base; /* the LP bound, sum_i S m_i */
  double cost; /* the answer's cost */
} ilp_search_stats;

/* counts: [n_assign] slices per assign; units: [n_dep]. */
ilp_search_status opt_ilp_search(const ilp_search_problem *p, int32_t *counts, int64_t *units,
                                 ilp_search_stats *stats);

#endif
