/*
 * ilp: how many units of each deployment (GPU type) serve a request-rate histogram at the least
 * cost: AIBrix's GPU-optimizer ILP (Mélange's formulation, as AIBrix wraps it), solved with GLPK.
 *
 * Upstream: vllm-project/aibrix, python/aibrix/aibrix/gpu_optimizer/optimizer/solver/melange/
 * solver.py (MelangeSolver.run) and util.py (tputs_to_loads_2d), optimizer/optimizer.py
 * (Optimizer: gpu_fraction, slice factor) and load_monitor/monitor.py (ModelMonitor._optimize:
 * the result as replicas, the log line); summarised in
 * docs/optimizer.md; tests/test_opt_ilp.c runs AIBrix's vectors (tests/aibrix_vectors.h).
 *
 * Inputs are plain data, one grid of buckets for all deployments (row-major, output-length rows
 * and input-length columns as in a profile; the ILP only needs the flat index): per bucket b the
 * request rate r_b (req/s); per deployment j its cost per GPU-hour c_j and tput_jb, the request
 * rate one pod sustains for bucket b (0: cannot serve it). With gpu_fraction F (100 in AIBrix)
 * and slice factor S (4), a "unit" is 1/F of a pod: rates are multiplied by F and costs divided
 * by F, so y_j counts hundredths of a pod and the cost is the dollar cost of that fraction.
 *
 * Formulation. Each bucket's scaled rate F r_b is cut into S equal slices; every slice goes to
 * one deployment, and a slice of b on j needs (1 / tput_jb) (F r_b / S) units of j. Integer y_j
 * must cover the load of the slices it takes; minimise sum_j y_j c_j / F. AIBrix writes one
 * binary x per (slice, deployment); here the slices of one bucket, being identical, are counted
 * instead (an integer n_jb in 0..S per bucket and deployment). The y a solution can have are the
 * same, without the S! symmetric copies of each that slow branch-and-bound. Buckets of zero rate
 * carry no load and are left out (AIBrix assigns them too, to no effect on y).
 *
 * Deliberate differences from AIBrix (its faults; section 8 item 5 and section 3.5-3.6):
 *  - tput 0 forbids the assignment (no variable) instead of a load of 1e6 per req/s;
 *  - traffic no deployment can serve is reported as uncovered (rate per bucket) and left out,
 *    instead of buying about 1e6 x rate x F units;
 *  - optional bounds: per deployment min_units..max_units, per GPU type an availability in units
 *    that counts whole pods (sum over the type's deployments of ceil(y_j / F) pods times F must
 *    not exceed it, since the autoscaler rounds each deployment up to pods). When the bounds
 *    cannot carry all the traffic, the most request rate that fits is served (coverage first,
 *    then cost), and the rest is reported as uncovered, rather than failing the round;
 *  - ties are broken deterministically (OPT_ILP_TIE_ORDERED): least cost, then fewest units in
 *    total, then units as early in problem order as they can go (least sum_j j y_j). Done as a
 *    second and third solve, each with the previous optimum as a row (cost <= C*, units <= U*)
 *    and as the first incumbent; a solve is skipped when its answer is forced (one deployment
 *    or equal costs; all units already as early as the bounds allow). A single weighted
 *    objective was not used: weights that keep cost, units and order apart exactly overflow
 *    GLPK's tolerances at realistic unit counts. Costs within 1e-9 relative (plus a millionth
 *    of a unit of each deployment, GLPK's slack) count as equal.
 *    A tie left after the third criterion (three or more deployments whose costs trade off
 *    exactly) goes to whichever GLPK finds, the same every time for the same input.
 *    OPT_ILP_TIE_SOLVER stops after the cost solve, as AIBrix does.
 * The result cost is summed as AIBrix sums it (0 + y_0 c_0 / F + y_1 c_1 / F ..., in problem
 * order), so it equals AIBrix's double when the units agree.
 *
 * Result. units (y_j) is what AIBrix reports as the deployment's replicas
 * (vllm:deployment_replicas, in 1/F pod); pods = ceil(units / F) is what a KPA with targetValue
 * F makes of it. AIBrix gives deployments without a profile 0; such deployments are simply not
 * part of the problem. Feasibility is proved, not assumed: GLPK accepts a load above its units
 * by its tolerances (1e-4 units was seen at 290,000 units), so after the solve the slice counts
 * are taken as whole numbers and each deployment's load is summed in exact integer arithmetic,
 * every slice's load (the ILP's coefficient) in integers of 1e-9 unit, rounded to the nearest;
 * a unit count below that sum is raised to its ceiling, the least that carries it
 * (result.repaired counts them). The only slack is that rounding: half a billionth of a unit per
 * slice. (The rows are still not scaled: a scaled row lets GLPK hunt for slice combinations
 * that land within 1e-8 relative of a whole number.)
 *
 * Search. A problem without unit bounds (no min_units, max_units or availability; the common
 * case) goes first to an exact branch-and-bound of its own (optimizer/ilp_search.h): the
 * greedy answer (every slice on its cheapest deployment) and the LP bound leave only moves
 * whose regret is below the greedy's rounding waste, and the search tries those, bucket by
 * bucket, with a bound that prices each deployment's rounding, in exact integer loads. Within
 * 100,000 steps of work (under 1 ms) it proves the optimum, ties included, of one GPU type, of
 * the few loaded buckets the load monitor's clusters give, and of nearly all small random
 * instances (tests/bench/bench_solve.c). Otherwise its best answer becomes GLPK's first incumbent,
 * and every slice assignment whose regret alone exceeds that answer's excess is left out of the
 * model. GLPK's branch-and-bound is helped by a rounding heuristic at every node (round the
 * slices of the node's LP solution, buy the units their load needs; at the root also a local
 * search that moves slices to free a unit) and by Gomory cuts. Where two GPUs come within a
 * fraction of a percent per request over many loaded buckets, or GPU types cost the same per
 * request, proving the optimum can take GLPK seconds, so the work of a decision is bounded by
 * counts, not time, and the answer stays deterministic: the cost stage stops after
 * options.node_limit nodes (default 100), each tie stage after a quarter of that, and all
 * stages together after options.iter_limit simplex iterations (default 20,000). A stopped
 * decision has the best allocation found, result.optimal false and result.gap the most it may
 * be above the optimum (a stop in a tie stage keeps the least cost as the cost stage left it,
 * proven or not). Both counts are needed: GLPK can revisit a node without end (about 2 million
 * selections within 1,000 nodes on three nearly identical GPU types), and a node of a dense
 * grid costs 0.1 to 0.3 ms. On tests/bench/bench_solve.c's sets the worst decision takes about
 * 35 ms (docs/performance.md). Identical deployments are solved as one (opt_ilp_solve merges
 * them); GPU types whose costs are merely proportional to their throughput in every bucket are
 * not: every move between them has no regret, the search's bound cannot prune, and such a
 * decision often ends at the budgets, not proven optimal, with its gap (docs/optimizer.md).
 *
 * GLPK. Messages are off (glp_term_out, restored afterwards; msg_lev off) and nothing random or
 * time-dependent is used unless options.time_limit_ms is set (a time limit ends the decision
 * with an error). Presolve is off so each stage warm-starts from the previous basis. Threads:
 * GLPK keeps its environment (terminal switch, memory accounting) in thread-local storage
 * (Debian's libglpk 5.0 is built so), so threads may solve concurrently, each in its own
 * environment, which the library frees when the thread exits (a thread-specific key's
 * destructor; callers do not call glp_free_env); a GLPK problem object must not be shared
 * between threads (none outlives opt_ilp_solve). GLPK aborts the process on invalid calls, so every
 * input is validated before GLPK sees it.
 *
 * Errors: bad input (a NaN or negative rate, tput or cost, min above max, minimums that exceed
 * an availability, duplicate names) gets an opt_err saying which deployment or bucket and what
 * was found; so does a GLPK failure (time limit, numerical trouble). No global state; the result
 * owns its arrays (opt_ilp_result_free).
 */
#ifndef PODSCALE_OPT_ILP_H
#define PODSCALE_OPT_ILP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "optimizer/opt_err.h"

#define OPT_ILP_GPU_FRACTION 100.0 /* ModelMonitor default: units of 1/100 pod */
#define OPT_ILP_SLICE_FACTOR 4     /* MEL/runner.py Config.slice_factor */
#define OPT_ILP_NODE_LIMIT 100     /* default node_limit (see Search above) */
#define OPT_ILP_ITER_LIMIT 20000   /* default iter_limit (see Search above) */

typedef enum opt_ilp_tie {
  OPT_ILP_TIE_ORDERED, /* least cost, then fewest units, then units on the earliest deployments */
  OPT_ILP_TIE_SOLVER,  /* least cost only; among equal costs whatever GLPK finds (as AIBrix) */
} opt_ilp_tie;

typedef struct opt_ilp_deployment {
  const char *name;     /* "<namespace>/<deployment>", AIBrix's result key; unique */
  const char *gpu_type; /* pool for availability limits; NULL: none */
  double cost;          /* profile cost per pod-hour (before the division by gpu_fraction) */
  const double *tputs;  /* [n_buckets] req/s one pod sustains per bucket; 0: cannot serve */
  int64_t min_units;    /* lower bound on y_j, units; 0: none */
  int64_t max_units;    /* upper bound on y_j, units; 0: none (leave a deployment out to stop it) */
} opt_ilp_deployment;

typedef struct opt_ilp_limit {
  const char *gpu_type; /* matches opt_ilp_deployment.gpu_type; a type no deployment has is
                           ignored */
  int64_t max_units;    /* units available, counted in whole pods of gpu_fraction units */
} opt_ilp_limit;

typedef struct opt_ilp_options {
  double gpu_fraction; /* units per pod, a whole number >= 1 (AIBrix: 100) */
  int slice_factor;    /* slices per bucket, 1..1024 (AIBrix: 4) */
  opt_ilp_tie tie;     /* OPT_ILP_TIE_ORDERED */
  int node_limit;      /* branch-and-bound nodes of GLPK's cost stage (a quarter per tie stage),
                          then the best found; 0: none */
  int time_limit_ms;   /* per GLPK solve, then an error; 0: none */
  int iter_limit;      /* simplex iterations of a decision's GLPK stages, then the best found;
                          0: none */
} opt_ilp_options;

typedef struct opt_ilp_problem {
  int n_buckets;                         /* grid size (rows x columns of the profiles) */
  const double *rates;                   /* [n_buckets] req/s, unscaled */
  int n_deployments;                     /* 0 is allowed: everything is uncovered */
  const opt_ilp_deployment *deployments; /* [n_deployments] */
  int n_limits;                          /* availability per GPU type */
  const opt_ilp_limit *limits;           /* [n_limits], distinct gpu_type */
  opt_ilp_options options;
} opt_ilp_problem;

typedef struct opt_ilp_alloc {
  int64_t units; /* y_j, 1/gpu_fraction pod: AIBrix's reported replicas */
  int64_t pods;  /* ceil(units / gpu_fraction): a KPA's pods at targetValue gpu_fraction */
  double cost;   /* units * cost / gpu_fraction, per hour (AIBrix's "($...)" per deployment) */
  double load;   /* units of load assigned (a double sum; the exact sum is <= units) */
} opt_ilp_alloc;

typedef struct opt_ilp_result {
  int n_deployments;
  opt_ilp_alloc *alloc;  /* [n_deployments], in problem order */
  double cost;           /* sum of alloc[].cost in problem order, from 0, as AIBrix sums it */
  int64_t units;         /* sum of alloc[].units */
  double covered_rate;   /* req/s assigned to some deployment */
  double uncovered_rate; /* req/s of no deployment: none can serve it, or limits are full */
  int n_buckets;
  double *uncovered;       /* [n_buckets] uncovered req/s per bucket */
  int n_uncovered_buckets; /* buckets with uncovered > 0 */
  int32_t *slices;         /* [n_buckets * n_deployments] slices of bucket b on deployment j */
  int repaired;            /* deployments whose units the exact check raised (see above) */
  int solves;              /* GLPK branch-and-bound runs (0: the exact search proved it) */
  bool optimal;            /* false: a run stopped at node_limit; the best allocation found */
  double cost_bound;       /* a lower bound on the least cost (= cost when the cost is proven) */
  double gap;              /* (cost - cost_bound) / cost: 0 when proven, else how far it may be */
  double solve_ms;         /* wall time of opt_ilp_solve (CLOCK_MONOTONIC), ms */
} opt_ilp_result;

/* gpu_fraction 100, slice factor 4, ordered ties, node limit 100, iteration limit 20,000, no
 * time limit. */
opt_ilp_options opt_ilp_options_default(void);
/* Solve; on success *out is filled (free with opt_ilp_result_free), else false with a message. */
bool opt_ilp_solve(const opt_ilp_problem *p, opt_ilp_result *out, opt_err *e);
void opt_ilp_result_free(opt_ilp_result *r);
/* ModelMonitor._optimize's INFO line, without a newline: "<model> optimization took <ms> ms,
 * cost $<cost>, coverage: <pct>%: [<name>: <units>($<cost>), ...]", floats as Python's repr.
 * coverage_pct is the monitor's clustering coverage (section 3.4), not covered_rate. Overrides
 * and deployments without a profile are the decision log's. Returns the length it needed
 * (like snprintf); the line is cut to fit n bytes. */
size_t opt_ilp_log_line(const opt_ilp_problem *p, const opt_ilp_result *r, const char *model,
                        double coverage_pct, char *buf, size_t n);

#endif
