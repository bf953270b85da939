/*
 * config: what `podscale serve` optimizes, from its JSON configuration file. AIBrix's optimizer
 * discovers Deployments labelled model.aibrix.ai/name through the Kubernetes API; podscale
 * serve takes them from this file (and from POST /monitor), so it needs no API access.
 *
 *   {"models": [{"name": "deepseek-llm-7b-chat",
 *                "gpu_limits": {"V100": 8},
 *                "deployments": [{"namespace": "default", "name": "deepseek-v100",
 *                                 "profile": "deepseek-v100", "profile_file": "v100.json",
 *                                 "gpu_type": "V100", "min_replicas": 0, "max_replicas": 8,
 *                                 "replicas": 1}]}]}
 *
 * namespace defaults to "default"; profile (the deployment part of the Redis key
 * aibrix:profile_<model>_<profile>) to the deployment's name; profile_file, a file read instead
 * of Redis (relative to the configuration file), to none; gpu_type to none; min_replicas,
 * max_replicas (0: none) and replicas (reported before the first decision) to 0. Unknown keys
 * are errors; every message names the file and the JSON path.
 */
#ifndef PODSCALE_SRV_CONFIG_H
#define PODSCALE_SRV_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "optimizer/opt_err.h"

#define SRV_NAME_MAX 253       /* a Kubernetes object name */
#define SRV_MAX_MODELS 64      /* models (loop threads) the service runs at most */
#define SRV_MAX_DEPLOYMENTS 64 /* monitored deployments of one model (the ILP's GPU types) */

typedef struct srv_dep_config {
  char *ns, *name;    /* Deployment namespace and name */
  char *profile;      /* profile key suffix */
  char *profile_file; /* NULL: Redis */
  char *gpu_type;     /* NULL: none */
  int64_t min_replicas, max_replicas, replicas;
} srv_dep_config;

typedef struct srv_limit_config {
  char *gpu_type;
  int64_t pods;
} srv_limit_config;

typedef struct srv_model_config {
  char *name;
  srv_dep_config *deps;
  size_t n_deps;
  srv_limit_config *limits;
  size_t n_limits;
  bool charge_unservable; /* traffic no profile serves is charged as AIBrix does */
} srv_model_config;

typedef struct srv_config {
  srv_model_config *models;
  size_t n_models;
} srv_config;

/* Read and check a configuration file. */
bool srv_config_read(const char *path, srv_config *out, opt_err *e);
void srv_config_free(srv_config *c);

/* Names that go into URLs, Redis keys and logs: 1 to SRV_NAME_MAX characters of [A-Za-z0-9._-],
 * and not "." or "..". */
bool srv_name_ok(const char *s, size_t len);

#endif
