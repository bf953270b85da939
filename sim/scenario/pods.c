/* pods: the cluster a scenario describes (docs/scenarios.md, gpus to client): its GPU types,
 * LLMs, deployments (pod model, performance, start-up), the gateway's router and the client. */
#include "sim/scenario/load.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/names.h"
#include "base/xalloc.h"

#define GIB_BYTES (1024.0 * 1024.0 * 1024.0)
#define MAX_SLOTS 4096 /* a slots pod's servers (each event scans them) */

/* ---- GPUs and LLMs ---- */

bool scl_load_gpus(jv *v, scenario *sc, const cJSON *arr) {
  static const char *const keys[] = {"name",           "price_per_hour", "count", "tflops",
                                     "bandwidth_gbps", "memory_gib",     NULL};
  sc->ngpus = (uint32_t)cJSON_GetArraySize(arr);
  sc->gpus = xcalloc(sc->ngpus, sizeof *sc->gpus);
  int i = 0;
  for (const cJSON *g = arr->child; g; g = g->next, i++) {
    size_t mark = jv_enter_index(v, i);
    const char *name;
    int64_t count = 1000000;
    sc_gpu *gpu = &sc->gpus[i];
    if (!jv_object(v, g, keys) || !jv_string(v, g, "name", true, &name)) return false;
    const gpu_spec *cat = catalog_gpu(name);
    char hint[512];
    if (!cat && !cJSON_GetObjectItemCaseSensitive(g, "price_per_hour"))
      return jv_fail_at(
          v, "name",
          "\"%s\" is not a GPU of the catalog (%s); a GPU type of your own needs "
          "price_per_hour, and tflops, bandwidth_gbps and memory_gib for the llm model",
          name, catalog_gpu_hint(name, hint, sizeof hint));
    double tflops = cat ? cat->flops / 1e12 : NAN, gbps = cat ? cat->bandwidth / 1e9 : NAN,
           gib = cat ? cat->memory / GIB_BYTES : NAN;
    gpu->price_per_hour = cat ? cat->price_per_hour : NAN;
    /* A catalog GPU may leave its price out; any other needs one. */
    if (!jv_number(v, g, "price_per_hour", !cat, 0, 1e6, &gpu->price_per_hour) ||
        !jv_int(v, g, "count", false, 1, 1000000, &count) ||
        !jv_number(v, g, "tflops", false, 1e-3, 1e6, &tflops) ||
        !jv_number(v, g, "bandwidth_gbps", false, 1e-3, 1e7, &gbps) ||
        !jv_number(v, g, "memory_gib", false, 1e-3, 1e6, &gib))
      return false;
    for (int k = 0; k < i; k++)
      if (!strcmp(sc->gpus[k].name, name))
        return jv_fail_at(v, "name",
                          "expected a name not used by another GPU type, found \"%s\" again", name);
    gpu->name = xstrdup(name);
    gpu->count = (int32_t)count;
    gpu->spec =
        (gpu_spec){gpu->name, tflops * 1e12, gbps * 1e9, gib * GIB_BYTES, gpu->price_per_hour};
    gpu->has_spec = !isnan(tflops) && !isnan(gbps) && !isnan(gib);
    jv_leave(v, mark);
  }
  return true;
}

/* The catalog's LLMs, then the scenario's "llms" entries: a known name overrides fields of the
 * catalog entry, a new name must give every field. */
bool scl_load_llms(jv *v, scenario *sc, const cJSON *arr) {
  static const char *const keys[] = {"name",     "layers",   "hidden",           "heads",
                                     "kv_heads", "params_b", "bytes_per_weight", "max_model_len",
                                     "kv_bytes", NULL};
  int i = 0;
  for (const cJSON *e = arr->child; e; e = e->next, i++) {
    size_t mark = jv_enter_index(v, i);
    const char *name;
    if (!jv_object(v, e, keys) || !jv_string(v, e, "name", true, &name)) return false;
    uint32_t k = 0;
    while (k < sc->nllms && strcmp(sc->llms[k].name, name))
      k++;
    bool known = k < sc->nllms;
    if (!known) {
      sc->llms = xrealloc(sc->llms, (sc->nllms + 1) * sizeof *sc->llms);
      sc->llms[sc->nllms++] = (sc_llm){xstrdup(name), {0}};
    }
    llm_spec *m = &sc->llms[k].spec;
    int64_t layers = m->layers, hidden = m->hidden, heads = m->heads, kv = m->kv_heads,
            len = m->max_model_len;
    double params_b = m->params / 1e9;
    if (!jv_int(v, e, "layers", !known, 1, 1000, &layers) ||
        !jv_int(v, e, "hidden", !known, 1, 1000000, &hidden) ||
        !jv_int(v, e, "heads", !known, 1, 10000, &heads) ||
        !jv_int(v, e, "kv_heads", !known, 1, heads, &kv) ||
        !jv_number(v, e, "params_b", !known, 1e-6, 1e6, &params_b) ||
        !jv_number(v, e, "bytes_per_weight", !known, 0.125, 8, &m->bytes_per_weight) ||
        !jv_int(v, e, "max_model_len", !known, 1, 10000000, &len))
      return false;
    double kv_bytes = known ? m->kv_bytes : 2;
    if (!jv_number(v, e, "kv_bytes", false, 0.5, 8, &kv_bytes)) return false;
    if (hidden % heads != 0)
      return jv_fail_at(v, "hidden", "expected a multiple of heads (%lld), found %lld",
                        (long long)heads, (long long)hidden);
    if (kv > heads || heads % kv != 0) /* grouped-query attention shares KV heads evenly */
      return jv_fail(v, "expected kv_heads (%lld) to divide heads (%lld)", (long long)kv,
                     (long long)heads);
    *m = (llm_spec){sc->llms[k].name,    (int32_t)layers, (int32_t)hidden,
                    (int32_t)heads,      (int32_t)kv,     params_b * 1e9,
                    m->bytes_per_weight, (int32_t)len,    kv_bytes};
    jv_leave(v, mark);
  }
  return true;
}

void scl_catalog_llms(scenario *sc) {
  const llm_spec *m;
  for (int i = 0; (m = catalog_llm_at(i)); i++) {
    sc->llms = xrealloc(sc->llms, (sc->nllms + 1) * sizeof *sc->llms);
    sc->llms[sc->nllms] = (sc_llm){xstrdup(m->name), *m};
    sc->llms[sc->nllms].spec.name = sc->llms[sc->nllms].name;
    sc->nllms++;
  }
}

/* ---- deployments ---- */

static bool load_perf(jv *v, const cJSON *m, perf_params *pp) {
  static const char *const keys[] = {"eff_compute", "eff_memory", "overhead_s", "overhead_seq_s",
                                     NULL};
  const cJSON *node = cJSON_GetObjectItemCaseSensitive(m, "perf");
  if (!node) return true; /* the factors given in *pp stay for the keys not set */
  size_t mark = jv_enter(v, "perf");
  bool ok = jv_object(v, node, keys) &&
            jv_number(v, node, "eff_compute", false, 1e-4, 1, &pp->eff_compute) &&
            jv_number(v, node, "eff_memory", false, 1e-4, 1, &pp->eff_memory) &&
            jv_number(v, node, "overhead_s", false, 0, 10, &pp->overhead_s) &&
            jv_number(v, node, "overhead_seq_s", false, 0, 1, &pp->overhead_seq_s);
  jv_leave(v, mark);
  return ok;
}

/* A vLLM server on the deployment's GPU, configured as vLLM's engine arguments are. */
static bool load_llm_model(jv *v, scenario *sc, sc_deployment *d, const cJSON *m) {
  const char *name;
  if (!jv_string(v, m, "llm", true, &name)) return false;
  uint32_t k = 0;
  while (k < sc->nllms && strcmp(sc->llms[k].name, name))
    k++;
  if (k == sc->nllms) {
    char hint[512];
    return jv_fail_at(v, "llm", "expected an LLM of the catalog or of \"llms\", found \"%s\" (%s)",
                      name,
                      names_hint(name, sc->llms, sizeof *sc->llms, sc->nllms, hint, sizeof hint));
  }
  const llm_spec *spec = &sc->llms[k].spec;
  const sc_gpu *gpu = &sc->gpus[d->gpu];
  if (!gpu->has_spec)
    return jv_fail(v,
                   "expected GPU type \"%s\" to have tflops, bandwidth_gbps and memory_gib "
                   "(it is not in the catalog), found some missing",
                   gpu->name);
  llm_engine_args a = llm_engine_args_for(&gpu->spec, spec); /* calibrated for known pairs */
  double reserve_gib = a.activation_reserve_bytes / GIB_BYTES;
  int64_t seqs = a.max_num_seqs, block = a.block_size, len = 0, batched = 0, blocks = 0;
  bool stepped = false;
  if (!jv_int(v, m, "max_num_seqs", false, 1, 4096, &seqs) ||
      !jv_int(v, m, "block_size", false, 1, 256, &block) ||
      !jv_int(v, m, "max_model_len", false, 1, spec->max_model_len, &len) ||
      !jv_int(v, m, "max_num_batched_tokens", false, 1, 100000000, &batched) ||
      !jv_number(v, m, "gpu_memory_utilization", false, 0.01, 1, &a.gpu_memory_utilization) ||
      !jv_number(v, m, "activation_reserve_gib", false, 0, 1e4, &reserve_gib) ||
      !jv_int(v, m, "num_gpu_blocks_override", false, 1, 100000000, &blocks) ||
      !jv_bool(v, m, "enable_chunked_prefill", &a.enable_chunked_prefill) ||
      !jv_bool(v, m, "stepped", &stepped) || !load_perf(v, m, &a.perf))
    return false;
  a.max_num_seqs = (int32_t)seqs;
  a.block_size = (int32_t)block;
  a.max_model_len = (int32_t)len;
  a.max_num_batched_tokens = (int32_t)batched;
  static const char *const sizing[] = {"block_size", "gpu_memory_utilization",
                                       "activation_reserve_gib", NULL};
  for (const char *const *key = sizing; *key; key++) /* the KV cache sized from memory */
    if (cJSON_GetObjectItemCaseSensitive(m, *key)) a.num_gpu_blocks = 0;
  if (blocks) a.num_gpu_blocks = (int32_t)blocks;
  a.activation_reserve_bytes = reserve_gib * GIB_BYTES;
  char why[512];
  if (!llmpod_configure(&gpu->spec, spec, &a, &d->llm, why, sizeof why))
    return jv_fail(v, "expected a configuration vLLM can start with, found that %s", why);
  d->model = SC_MODEL_LLM;
  d->llm_args = a;
  d->llm_index = k;
  d->llm.stepped = stepped;
  return true;
}

static bool load_model(jv *v, scenario *sc, sc_deployment *d, const cJSON *m) {
  static const char *const types[] = {"slots", "llm", NULL};
  static const char *const slot_keys[] = {"type", "slots", "service_s", NULL};
  static const char *const llm_keys[] = {"type",
                                         "llm",
                                         "max_num_seqs",
                                         "block_size",
                                         "max_model_len",
                                         "max_num_batched_tokens",
                                         "gpu_memory_utilization",
                                         "activation_reserve_gib",
                                         "num_gpu_blocks_override",
                                         "enable_chunked_prefill",
                                         "perf",
                                         "stepped",
                                         NULL};
  int type = 0;
  if (!cJSON_IsObject(m)) return jv_object(v, m, slot_keys);
  if (!jv_choice(v, m, "type", true, types, &type)) return false;
  if (type == 1) return jv_object(v, m, llm_keys) && load_llm_model(v, sc, d, m);
  int64_t slots = 1;
  if (!jv_object(v, m, slot_keys) || !jv_int(v, m, "slots", false, 1, MAX_SLOTS, &slots) ||
      !scl_load_dist(v, sc, m, "service_s", true, false, "seconds", &d->slots.service_s))
    return false;
  d->model = SC_MODEL_SLOTS;
  d->slots.slots = (int32_t)slots;
  return true;
}

/* "startup_s": a fixed time to Ready; or "startup": the lifecycle's parts; else the defaults. */
static bool load_startup(jv *v, scenario *sc, const cJSON *dn, lifecycle_config *out) {
  static const char *const keys[] = {"init_s", "load_s", "readiness_initial_delay_s",
                                     "readiness_period_s", NULL};
  const cJSON *node = cJSON_GetObjectItemCaseSensitive(dn, "startup");
  int64_t fixed = -1;
  *out = lifecycle_default();
  if (!jv_seconds(v, dn, "startup_s", false, 0, 86400, &fixed)) return false;
  if (fixed >= 0 && node)
    return jv_fail_at(v, "startup", "expected either \"startup_s\" or \"startup\", found both");
  if (fixed >= 0) *out = lifecycle_constant(fixed);
  if (!node) return true;
  size_t mark = jv_enter(v, "startup");
  bool ok =
      jv_object(v, node, keys) &&
      scl_load_dist(v, sc, node, "init_s", false, false, "seconds", &out->init_s) &&
      scl_load_dist(v, sc, node, "load_s", false, false, "seconds", &out->load_s) &&
      jv_seconds(v, node, "readiness_initial_delay_s", false, 0, 86400, &out->probe_delay_us) &&
      jv_seconds(v, node, "readiness_period_s", false, 0.001, 86400, &out->probe_period_us);
  jv_leave(v, mark);
  return ok;
}

bool scl_load_deployments(jv *v, scenario *sc, const cJSON *arr) {
  static const char *const keys[] = {"name",           "gpu",     "model",
                                     "startup_s",      "startup", "termination_grace_s",
                                     "prestop_poll_s", NULL};
  sc->ndeployments = (uint32_t)cJSON_GetArraySize(arr);
  sc->deployments = xcalloc(sc->ndeployments, sizeof *sc->deployments);
  int i = 0;
  for (const cJSON *dn = arr->child; dn; dn = dn->next, i++) {
    size_t mark = jv_enter_index(v, i);
    sc_deployment *d = &sc->deployments[i];
    const char *name, *gpu;
    const cJSON *model;
    d->grace_us = 60 * INT64_C(1000000);
    if (!jv_object(v, dn, keys) || !jv_string(v, dn, "name", true, &name) ||
        !jv_string(v, dn, "gpu", true, &gpu) || !jv_require(v, dn, "model", &model) ||
        !jv_seconds(v, dn, "termination_grace_s", false, 0, 86400, &d->grace_us) ||
        !jv_seconds(v, dn, "prestop_poll_s", false, 0, 86400, &d->prestop_poll_us) ||
        !load_startup(v, sc, dn, &d->startup))
      return false;
    if (!scl_file_name_ok(v, dn, name, "the deployment's profile file in the output")) return false;
    if (scl_find_name(name, sc->deployments, sizeof *d, (size_t)i) >= 0)
      return jv_fail_at(v, "name",
                        "expected a name not used by another deployment, found \"%s\" again", name);
    d->name = xstrdup(name);
    int g = scl_find_name(gpu, sc->gpus, sizeof *sc->gpus, sc->ngpus);
    char hint[512];
    if (g < 0)
      return jv_fail_at(v, "gpu", "expected the name of a GPU type in \"gpus\", found \"%s\" (%s)",
                        gpu,
                        names_hint(gpu, sc->gpus, sizeof *sc->gpus, sc->ngpus, hint, sizeof hint));
    d->gpu = (uint32_t)g;
    size_t m2 = jv_enter(v, "model");
    bool ok = load_model(v, sc, d, model);
    jv_leave(v, m2);
    if (!ok) return false;
    jv_leave(v, mark);
  }
  return true;
}

/* ---- the gateway and the client ---- */

bool scl_load_router(jv *v, scenario *sc, const cJSON *node) {
  static const char *const keys[] = {"policy", "route_terminating", NULL};
  static const char *const kinds[] = {"random", "round-robin", "least-request", NULL};
  int k = (int)sc->router;
  if (!jv_object(v, node, keys) || !jv_choice(v, node, "policy", false, kinds, &k) ||
      !jv_bool(v, node, "route_terminating", &sc->route_terminating))
    return false;
  sc->router = (router_kind)k;
  return true;
}

bool scl_load_client(jv *v, scenario *sc, const cJSON *node) {
  static const char *const keys[] = {"timeout_s", "error_rate", "timeout_cancels", NULL};
  return jv_object(v, node, keys) &&
         jv_seconds(v, node, "timeout_s", false, 0, MAX_SECONDS, &sc->timeout_us) &&
         jv_number(v, node, "error_rate", false, 0, 1, &sc->error_rate) &&
         jv_bool(v, node, "timeout_cancels", &sc->timeout_cancels);
}
