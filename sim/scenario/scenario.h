/*
 * scenario: a scenario file (JSON) loaded and checked into plain structs.
 *
 * Loading validates everything before a run starts: syntax, unknown keys, types, ranges, and
 * references between sections (a deployment's GPU type, a policy's deployments, the file a
 * workload reads). The first problem is reported as "FILE: JSON.PATH: expected ..., found ..."
 * (or FILE:LINE:COL for JSON syntax, FILE:LINE for the CSV files it reads) and the load fails;
 * the caller exits with status 2 before any output exists. docs/scenarios.md documents every
 * key; keep the two in step.
 *
 * Relative file names in a scenario are relative to the scenario file's directory.
 */
#ifndef PODSCALE_SCENARIO_H
#define PODSCALE_SCENARIO_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "models/autoscalers/policy.h"
#include "models/pods/lifecycle.h"
#include "models/pods/llmpod.h"
#include "models/pods/router.h"
#include "models/pods/slotpod.h"
#include "models/workload/workload.h"
#include "optimizer/profile.h"

typedef struct sc_gpu {
  char *name;
  double price_per_hour; /* dollars per GPU-hour */
  int32_t count;         /* GPUs of this type in the cluster's pool */
  gpu_spec spec;         /* performance figures (catalog entry, overridden); spec.name = name */
  bool has_spec;         /* spec is complete (a catalog entry, or all figures given) */
} sc_gpu;

typedef struct sc_llm {
  char *name;
  llm_spec spec; /* spec.name = name */
} sc_llm;

typedef enum sc_model_kind { SC_MODEL_SLOTS, SC_MODEL_LLM } sc_model_kind;

typedef struct sc_deployment {
  char *name;
  uint32_t gpu; /* index into gpus */
  sc_model_kind model;
  slotpod_config slots;     /* model "slots" */
  llmpod_config llm;        /* model "llm" */
  llm_engine_args llm_args; /* model "llm": the engine arguments llm was configured from */
  uint32_t llm_index;       /* model "llm": index into llms */
  lifecycle_config startup; /* from getting a GPU to Ready */
  int64_t grace_us;         /* terminationGracePeriodSeconds: drain time on scale-down */
  int64_t prestop_poll_us;  /* preStop hook polls for an idle pod this often; 0: stops when idle */
} sc_deployment;

/* A policy: one configuration for every deployment (fixed, or a spec written in the scenario),
 * or one per deployment (manifests, each bound to its deployment by spec.scaleTargetRef). */
typedef struct sc_policy {
  char *name;
  policy_config cfg;             /* every deployment's; with manifests, deployment 0's */
  int32_t *replicas;             /* fixed: per deployment */
  policy_config *per_deployment; /* manifests: each deployment's (ndeployments); else NULL */
} sc_policy;

/* The configuration of deployment d's autoscaler under policy p. */
static inline const policy_config *sc_policy_config(const sc_policy *p, uint32_t d) {
  return p->per_deployment ? &p->per_deployment[d] : &p->cfg;
}

typedef struct sc_output {
  char *dir;           /* default output directory, NULL for out/<name> */
  int64_t interval_us; /* timeseries.csv sampling interval */
  bool requests;       /* write requests.csv */
  double max_bytes;    /* the most output a run may write (run_size.h), bytes */
  double slo_e2e_s;    /* SLO on end-to-end latency, 0 for none */
  double slo_ttft_s;   /* SLO on time to first token, 0 for none */
} sc_output;

/* The simulated GPU optimizer: one profile per deployment (from a file, or made at load from the
 * simulated benchmark of the deployment's GPU and model with the SLOs given). */
typedef struct sc_optimizer {
  bool enabled;           /* the scenario has an "optimizer" section */
  opt_slos slos;          /* for generated profiles (gen_profile's --e2e, --percentile, ...) */
  char **profile_files;   /* per deployment: a profile file, or NULL to generate one */
  opt_profile *profiles;  /* per deployment, ready once the scenario is loaded */
  int64_t interval_us;    /* how often the optimizer solves: 10 s */
  bool gpu_limits;        /* the ILP may not use more GPUs of a type than gpus[].count */
  bool charge_unservable; /* traffic no profile can serve is charged as AIBrix does */
} sc_optimizer;

typedef struct scenario {
  char *path; /* the file it was loaded from */
  char *name;
  char digest[17]; /* FNV-1a 64 of the file's bytes, hex */
  uint64_t seed;
  int64_t duration_us; /* arrivals stop here; pods are billed at least to here */
  int64_t drain_us;    /* after duration, the most time given to requests in flight */
  int64_t warmup_us;   /* autoscalers run from -warmup_us; initial pods turn Ready at 0 */
  wl_spec workload;    /* points into the arrays below */
  wl_segment *segments;
  int32_t *counts;
  wl_trace_rec *trace;
  dist_table **tables; /* every table a dist of this scenario borrows (dist.h: Ownership) */
  uint32_t ntables;
  sc_gpu *gpus;
  uint32_t ngpus;
  sc_llm *llms; /* the catalog's LLMs with the scenario's additions and overrides */
  uint32_t nllms;
  sc_deployment *deployments;
  uint32_t ndeployments;
  router_kind router;
  bool route_terminating; /* the gateway keeps routing to a pod being deleted until it stops */
  int64_t timeout_us;     /* client timeout, 0 for none */
  double error_rate;      /* fraction of requests the client loses to connection errors, 0-1 */
  bool timeout_cancels;   /* a timed-out request is removed from its pod (else served unseen) */
  sc_policy *policies;
  uint32_t npolicies;
  sc_output output;
  sc_optimizer optimizer;
  char **warnings; /* what loads but is likely a mistake: "FILE: PLACE: ..." each */
  uint32_t nwarnings;
} scenario;

bool scenario_load(const char *path, scenario *out, ps_err *err);
/* The same from a parsed document (root) whose JSON text is `text` (for the digest); `path`
 * names it in messages and relative data files are found beside it. root is not changed. */
typedef struct cJSON cJSON;
bool scenario_load_tree(const char *path, const cJSON *root, const char *text, scenario *out,
                        ps_err *err);
void scenario_free(scenario *sc);
/* Index of the policy named `name`, -1 if none. */
int scenario_policy_index(const scenario *sc, const char *name);
/* Whether policy p scales some deployment on the GPU optimizer's vllm:deployment_replicas. */
bool scenario_policy_reads_optimizer(const scenario *sc, const sc_policy *p);

#endif
