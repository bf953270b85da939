/*
 * decision: one optimizer decision as one JSON line, with everything needed to make it again,
 * and the replay that checks a build still decides the same.
 *
 * A line holds the inputs (the model, the profiles by digest and name, the profiles' grid, the
 * monitor's total rate, coverage and cluster centres with their rates, the request rate per
 * bucket the ILP was given, the ILP options) and the outputs (units per deployment, the cost,
 * the uncovered rate, the solve time, and AIBrix's log line). Numbers are written so that they
 * read back to the same doubles (cJSON prints up to 17 significant digits when needed).
 *
 *   {"time_s": 392, "model": "deepseek-llm-7b-chat", "grid": {"out": [...], "in": [...]},
 *    "options": {"gpu_fraction": 100, "slice_factor": 4}, "total_rate": 4.3,
 *    "coverage_pct": 90.1, "clusters": [{"out_log2": 7.2, "in_log2": 8.3, "rate": 3.9}, ...],
 *    "rates": [[row, column, req/s], ...],
 *    "deployments": [{"name": "d", "profile": "<digest>", "units": 112, "cost": 2.7776}],
 *    "limits": [{"gpu_type": "V100", "max_units": 800}],
 *    "cost": 2.7776, "uncovered_rate": 0, "optimal": true, "solve_ms": 0.21,
 *    "log": "deepseek-... took ..."}
 *
 * "optimal" says whether the solve proved its answer; when it did not (a search budget ended
 * it), "gap" is how far above the least cost it may be, relative. "repaired" (when not 0)
 * counts deployments the exact feasibility check gave more units than the solver. Lines
 * without "optimal" (written before it existed) read as optimal.
 *
 * A deployment also carries "gpu_type", "min_units" and "max_units" when the ILP had them, and
 * "limits" is there when GPU availability bounded the ILP, so that a replay solves the same
 * problem. A profile's digest is FNV-1a 64 (hex) of its JSON as opt_profile_to_json writes it, so
 * the same profile has the same digest whichever file or Redis key it came from. Replay
 * (opt_decision_resolve) rebuilds the ILP from the line and the profiles with those digests;
 * opt_decision_compare reports a changed cost (relative difference above 1e-9) or changed units.
 */
#ifndef PODSCALE_OPT_DECISION_H
#define PODSCALE_OPT_DECISION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "optimizer/ilp.h"
#include "optimizer/opt_err.h"
#include "optimizer/profile.h"

#define OPT_DIGEST_LEN 17 /* 16 hex digits and the terminating NUL */

typedef struct opt_decision_cluster {
  double out_log2, in_log2; /* centre */
  double rate;              /* req/s */
} opt_decision_cluster;

typedef struct opt_decision_dep {
  char *name;                   /* deployment */
  char profile[OPT_DIGEST_LEN]; /* its profile's digest */
  char *gpu_type;               /* its GPU type, for limits; NULL: none */
  int64_t min_units, max_units; /* the ILP's bounds (0: none) */
  int64_t units;                /* outputs: 1/gpu_fraction pods */
  double cost;                  /* outputs: per hour */
} opt_decision_dep;

typedef struct opt_decision_limit {
  char *gpu_type;
  int64_t max_units; /* units available of that type */
} opt_decision_limit;

typedef struct opt_decision {
  double time_s; /* when it was made (simulated or Unix seconds) */
  char *model;
  int32_t n_out, n_in;
  int32_t *out_ticks, *in_ticks; /* the profiles' grid */
  double gpu_fraction;
  int slice_factor;
  double total_rate, coverage_pct;
  opt_decision_cluster *clusters;
  int n_clusters;
  double *rates; /* [n_out * n_in] req/s per bucket, row-major */
  opt_decision_dep *deps;
  int n_deps;
  opt_decision_limit *limits; /* GPU availability the ILP was given */
  int n_limits;
  double cost, uncovered_rate;
  bool optimal;    /* the solve proved it (false: stopped at a budget; gap says how far) */
  double gap;      /* (cost - a lower bound on the least cost) / cost; 0 when proven */
  int repaired;    /* deployments the exact feasibility check gave more units (ilp.h) */
  double solve_ms; /* NaN: not recorded (the simulator leaves wall time out of its outputs) */
  char *log;       /* AIBrix's log line, or NULL */
} opt_decision;

/* The digest of a profile (of its canonical JSON). */
void opt_profile_digest(const opt_profile *p, char out[OPT_DIGEST_LEN]);

/* Fill a decision from a solved problem: the deployments' profiles (in problem order, for
 * their digests and grid), the monitor's figures and clusters (may be 0 / NULL), and the
 * result. Without with_solve_time the wall-clock solve time is left out (solve_ms NaN, and
 * the log line says 0.0 ms), so that a simulation's log is the same on every run. Copies
 * everything; free with opt_decision_free. */
void opt_decision_make(opt_decision *d, double time_s, const char *model,
                       const opt_profile *const *profiles, const opt_ilp_problem *p,
                       double total_rate, double coverage_pct, const opt_decision_cluster *clusters,
                       int n_clusters, const opt_ilp_result *r, bool with_solve_time);
void opt_decision_free(opt_decision *d);

/* One line of JSON, without a newline; malloc'd. */
char *opt_decision_to_json(const opt_decision *d);
/* Parse a line; `source` ("FILE:LINE") prefixes messages. */
bool opt_decision_parse(const char *line, const char *source, opt_decision *out, opt_err *e);

/* Solve the decision's problem again with profiles[i] for deployment i (their digests must be
 * the decision's: checked). */
bool opt_decision_resolve(const opt_decision *d, const opt_profile *const *profiles,
                          opt_ilp_result *out, opt_err *e);
/* True when r decides as d did (units equal, cost within 1e-9 relative); otherwise false with
 * every difference, one per line, in buf. */
bool opt_decision_compare(const opt_decision *d, const opt_ilp_result *r, char *buf, size_t n);

#endif
