/*
 * load: what the parts of the scenario loader share, internal to sim/scenario/.
 *
 * The loader (scenario.h) is one file per job: the top level and the output section
 * (scenario.c), the data files a scenario names (inputs.c), the workload (workload.c), the
 * cluster's GPUs, LLMs, deployments, router and client (pods.c), the policies (policies.c) and
 * the optimizer with its profiles (optimizer.c). A section loader reads the member it is given
 * with the JSON path already entered, and reports the first problem through jsonv.h as every
 * part does; nothing here is for callers outside sim/scenario/.
 */
#ifndef PODSCALE_SCENARIO_LOAD_H
#define PODSCALE_SCENARIO_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/jsonv.h"
#include "models/workload/dist.h"
#include "models/workload/workload.h"
#include "sim/scenario/scenario.h"

#define MAX_SECONDS 1e9 /* about 31 years: any longer is a typo */
#define MAX_TOKENS 10e6 /* a request's input or output tokens */

/* ---- scenario.c: helpers every section uses ---- */

/* Index of `name` in base[n], structs of `size` bytes that each start with a char *name; or -1. */
int scl_find_name(const char *name, const void *base, size_t size, size_t n);
/* obj's "name" can name a file (it names `what`): analysis/outfile.h's rule, checked at load. */
bool scl_file_name_ok(jv *v, const cJSON *obj, const char *name, const char *what);

/* ---- inputs.c: the data files a scenario names ---- */

/* `file` relative to the scenario's folder (absolute names as they are); malloc'd. */
char *scl_resolve(const scenario *sc, const char *file);
/* A count CSV (second,count) into *counts (malloc'd, by second), *n; nothing kept on failure. */
bool scl_read_counts(const char *path, int32_t **counts, size_t *n, ps_err *err);
/* An Azure trace CSV into *recs (malloc'd, times from the first), *n; nothing kept on failure. */
bool scl_read_azure(const char *path, wl_trace_rec **recs, size_t *n, ps_err *err);

/* Samples read from files (or inline values) for an empirical distribution. */
typedef struct scl_samples {
  const char *path;   /* the file being read */
  const char *column; /* the CSV column of the samples; NULL for one value per line */
  int col;            /* its index, -1 before the header */
  const char *key;    /* the CSV column naming what a sample measures (a request); or NULL */
  int kcol;           /* its index, -1 before the header */
  char **keys;        /* per sample, its key (with `key`) */
  size_t ncols;       /* fields of the header */
  double hi;          /* largest value allowed */
  double *xs;         /* samples of every file so far */
  size_t n, cap;
} scl_samples;

/* Append sample x (and a copy of its key, with c->key); false past the most samples allowed. */
bool scl_add_sample(scl_samples *c, double x, const char *key);
/* One file of samples (`name`, element `index` of "file" or -1 for "file" itself) into c. */
bool scl_read_samples(jv *v, const scenario *sc, const cJSON *name, int index, scl_samples *c);
/* With `key`: one sample per key, the (lower) median of its samples; frees the keys. */
void scl_samples_by_key(scl_samples *c);

/* ---- workload.c: the workload section and the distributions every section uses ---- */

/* obj's `key` as a distribution of `unit` ("tokens", "seconds"); absent and optional: *out kept. */
bool scl_load_dist(jv *v, scenario *sc, const cJSON *obj, const char *key, bool required,
                   bool allow_trace, const char *unit, dist *out);
/* "workload": arrivals, token lengths and scales into sc->workload. */
bool scl_load_workload(jv *v, scenario *sc, const cJSON *node);

/* ---- pods.c: the cluster ---- */

/* The catalog's LLMs into sc->llms, before "llms" adds to them or overrides them. */
void scl_catalog_llms(scenario *sc);
/* "gpus": the GPU types and their counts. */
bool scl_load_gpus(jv *v, scenario *sc, const cJSON *arr);
/* "llms": entries over the catalog's LLMs. */
bool scl_load_llms(jv *v, scenario *sc, const cJSON *arr);
/* "deployments": each one's GPU, pod model and start-up (after "gpus" and "llms"). */
bool scl_load_deployments(jv *v, scenario *sc, const cJSON *arr);
/* "router": the gateway's routing policy. */
bool scl_load_router(jv *v, scenario *sc, const cJSON *node);
/* "client": timeouts and connection errors. */
bool scl_load_client(jv *v, scenario *sc, const cJSON *node);

/* ---- policies.c: the policies ---- */

/* "policies": fixed replicas or PodAutoscalers (after "deployments"). */
bool scl_load_policies(jv *v, scenario *sc, const cJSON *arr);

/* ---- optimizer.c: the GPU optimizer ---- */

/* "optimizer": its SLOs, interval and profile files (after "deployments"). */
bool scl_load_optimizer(jv *v, scenario *sc, const cJSON *node);
/* Every deployment's profile, read or generated from the simulated benchmark; one grid. */
bool scl_optimizer_profiles(scenario *sc, ps_err *err);

#endif
