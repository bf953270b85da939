/*
 * model: the GPU optimizer's loop for one model, as AIBrix's ModelMonitor runs it: the
 * deployments (one per GPU type) that serve the model, their profiles, the load monitor and the
 * ILP, and the value each deployment reports as vllm:deployment_replicas. `podscale serve` runs
 * one per model in production and the simulated optimizer-based KPA (sim/run/optsim.c) runs one per
 * simulated cluster: the same calls on the same inputs give the same decisions.
 *
 * A round (opt_model_round) steps the monitor with the trace records read in it, then, as the
 * monitor says: OPTIMIZE solves the ILP over the deployments that have a profile and makes a
 * decision (optimizer/decision.h); MINIMIZE (an empty window) sets every deployment to its
 * minimum; SKIP (points but no cluster) changes nothing. A round with clusters but no profile
 * changes nothing either (NO_PROFILE), and a failed solve is reported and changes nothing, as
 * upstream skips a void result.
 *
 * Units. Every reported value is in units of 1/gpu_fraction pod (1/100 GPU by default), so a
 * KPA with targetValue 100 makes pods = ceil(value / 100) of it. AIBrix mixes units (its
 * ModelMonitor; docs/optimizer.md): it reports ILP results in 1/100 GPU but
 * the Deployment's spec.replicas before the first optimisation, min_replicas after a minimising
 * round and manual overrides as raw pod counts, so min_replicas 3 gave 1 pod. Here all three are
 * converted: replicas x gpu_fraction. (Overrides are the server's; see optimizer/server/.)
 *
 * Bounds. A deployment's min_replicas and max_replicas (pods; 0: none) bound the ILP
 * (min_units = min x F, max_units = max x F), so a deployment kept at a minimum is counted as
 * capacity and none is sized beyond what its PodAutoscaler may run. Upstream applies
 * min_replicas only when minimising. GPU types may have an availability (opt_model_set_limit).
 *
 * Profiles. Deployments without a profile are left out of the ILP and report 0 after an
 * optimising round, as upstream. opt_model_offer_profile takes a profile when the deployment
 * has none, when it is newer (a greater "created"; a profile without "created" is older than
 * any with one), or when forced (GET /update_profile); all profiles of a model must share one
 * grid, so a profile on another grid is refused with a message naming both.
 *
 * Not thread-safe: one thread owns a model. No globals.
 */
#ifndef PODSCALE_OPT_MODEL_H
#define PODSCALE_OPT_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "optimizer/ilp.h"
#include "optimizer/monitor.h"
#include "optimizer/opt_err.h"
#include "optimizer/profile.h"

typedef struct opt_model opt_model;

typedef struct opt_model_deployment {
  const char *name;     /* the ILP's and the decision's name ("<namespace>/<name>" in a
                           cluster, AIBrix's result key); unique in the model */
  const char *gpu_type; /* for availability limits; NULL: none */
  int64_t min_replicas; /* pods; 0: none */
  int64_t max_replicas; /* pods; 0: none */
  int64_t replicas;     /* pods reported before the first decision (spec.replicas) */
} opt_model_deployment;

typedef enum opt_round_action {
  OPT_ROUND_OPTIMIZE,   /* the ILP sized the deployments */
  OPT_ROUND_MINIMIZE,   /* the window is empty: every deployment at its minimum */
  OPT_ROUND_SKIP,       /* points but no cluster: "Skip optimization, insufficient data" */
  OPT_ROUND_NO_PROFILE, /* clusters, but no deployment has a profile */
  OPT_ROUND_FAILED,     /* the solve failed (message in round.error); nothing changed */
} opt_round_action;

typedef struct opt_model_round {
  opt_round_action action;
  double total_rate;     /* req/s the ILP sized for (the monitor's) */
  double coverage_pct;   /* the monitor's clustering coverage */
  int64_t points;        /* points in the clustered window */
  double cost;           /* OPTIMIZE: the ILP's cost per hour */
  double uncovered_rate; /* OPTIMIZE: req/s no deployment can serve */
  double solve_ms;       /* OPTIMIZE: wall time of the solve */
  bool optimal;          /* OPTIMIZE: false when a search budget stopped the solve */
  double gap;           /* OPTIMIZE: how far above the least cost it may be, relative (0: proven) */
  const char *decision; /* OPTIMIZE: the decision-log line (no newline); owned by the model
                           until its next round */
  const char *log;      /* OPTIMIZE: AIBrix's log line; owned likewise */
  char error[1024];     /* FAILED: why */
} opt_model_round;

/* A model named `name` with the monitor and ILP settings given (NULL: the defaults). */
opt_model *opt_model_new(const char *name, const opt_monitor_config *mc, const opt_ilp_options *io,
                         opt_err *e);
void opt_model_free(opt_model *m);
const char *opt_model_name(const opt_model *m);

/* Add a deployment at the end (problem order is the order of addition); false when the name is
 * taken or the bounds are inconsistent. */
bool opt_model_add(opt_model *m, const opt_model_deployment *d, opt_err *e);
/* Remove a deployment; false when there is none of that name. */
bool opt_model_remove(opt_model *m, const char *name);
size_t opt_model_count(const opt_model *m);
/* Index of the deployment named `name`, or -1. */
long opt_model_find(const opt_model *m, const char *name);
const char *opt_model_deployment_name(const opt_model *m, size_t i);
/* The value deployment i reports now (vllm:deployment_replicas), in 1/gpu_fraction pod. */
int64_t opt_model_value(const opt_model *m, size_t i);
/* Deployment i's profile, or NULL. */
const opt_profile *opt_model_profile(const opt_model *m, size_t i);

/* Offer deployment `name` a profile (copied when taken): *taken says whether it replaced the
 * one in use (rules above). False, with a message, for an unknown deployment or a grid that
 * differs from the other deployments' profiles. */
bool opt_model_offer_profile(opt_model *m, const char *name, const opt_profile *p, bool force,
                             bool *taken, opt_err *e);
/* Offer several deployments a profile each at once (NULL: none for that one). Where the
 * profiles that would then be in use all share one grid, every wanted profile is taken
 * together, so that a model can move to a new grid when all its profiles are remade; otherwise
 * each is offered alone (opt_model_offer_profile). taken[i] says which were taken; false when a
 * name is unknown or a profile was refused (the message names the first refused). */
bool opt_model_offer_profiles(opt_model *m, const char *const *names, const opt_profile *const *ps,
                              size_t n, bool force, bool *taken, opt_err *e);
/* Pods of GPU type `gpu_type` available to this model (0 removes the limit). */
void opt_model_set_limit(opt_model *m, const char *gpu_type, int64_t max_pods);
/* Charge traffic that no deployment can serve as AIBrix does (on) or leave it out and report it
 * as uncovered (off, the default). Upstream a bucket with throughput 0 loads a GPU with 1e6 per
 * req/s, so the ILP buys about 1e6 x rate x gpu_fraction units of the cheapest deployment and
 * its PodAutoscaler goes to maxReplicas (reference section 3.5). With it on, after an OPTIMIZE
 * round the cheapest deployment with a profile (the first of equal cost) reports that many
 * units more than the ILP gave it; the decision keeps the ILP's own allocation. */
void opt_model_charge_unservable(opt_model *m, bool on);

/* One loop at now_us (Unix or simulated microseconds, never decreasing): the records read in
 * it (oldest first; may be none), then monitor, ILP and values as above. The decision's time is
 * now_us / 1e6 s; with_solve_time puts the solve's wall time into it (a simulation leaves it
 * out, so that its output is the same on every run). False only for an internal failure of
 * the monitor (a record older than the window's, say), with a message; a failed solve is a
 * FAILED round, not a false return. */
bool opt_model_round_run(opt_model *m, int64_t now_us, const opt_trace *traces, size_t n,
                         bool with_solve_time, opt_model_round *out, opt_err *e);

const char *opt_round_action_name(opt_round_action a);

#endif
