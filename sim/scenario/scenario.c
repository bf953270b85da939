/* scenario: a scenario file loaded (scenario.h): the top level, its dispatch to the sections
 * (load.h lists the files that read them), the output section, and the checks of the whole. */
#include "sim/scenario/scenario.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/outfile.h"
#include "base/hash.h"
#include "base/jsonv.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "sim/scenario/load.h"
#include "sim/scenario/run_size.h"

#define MAX_ENTRIES 1024 /* gpus, llms, deployments, policies: each */

/* ---- helpers every section uses ---- */

int scl_find_name(const char *name, const void *base, size_t size, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!strcmp(*(char *const *)((const char *)base + i * size), name)) return (int)i;
  return -1;
}

/* obj's "name" can name a file (it names `what`): analysis/outfile.h's rule, checked at load. */
bool scl_file_name_ok(jv *v, const cJSON *obj, const char *name, const char *what) {
  const char *why;
  if (outfile_name_ok(name, &why)) return true;
  char found[200];
  jv_describe(cJSON_GetObjectItemCaseSensitive(obj, "name"), found, sizeof found);
  return jv_fail_at(v, "name", "expected %s: it names %s, found %s", why, what, found);
}

/* ---- the top level ---- */

static bool load_output(jv *v, scenario *sc, const cJSON *node) {
  static const char *const keys[] = {"dir", "interval_s", "requests", "max_bytes", "slo", NULL};
  static const char *const slo_keys[] = {"e2e_s", "ttft_s", NULL};
  const char *dir = NULL;
  const cJSON *slo = cJSON_GetObjectItemCaseSensitive(node, "slo");
  if (!jv_object(v, node, keys) || !jv_string(v, node, "dir", false, &dir) ||
      !jv_seconds(v, node, "interval_s", false, 1e-3, 86400, &sc->output.interval_us) ||
      !jv_bool(v, node, "requests", &sc->output.requests) ||
      !jv_number(v, node, "max_bytes", false, 1e3, 1e15, &sc->output.max_bytes))
    return false;
  if (dir) sc->output.dir = xstrdup(dir);
  if (!slo) return true;
  size_t mark = jv_enter(v, "slo");
  bool ok = jv_object(v, slo, slo_keys) &&
            jv_number(v, slo, "e2e_s", false, 1e-6, MAX_SECONDS, &sc->output.slo_e2e_s) &&
            jv_number(v, slo, "ttft_s", false, 1e-6, MAX_SECONDS, &sc->output.slo_ttft_s);
  jv_leave(v, mark);
  return ok;
}

/* Run `fn` on member `key` of obj with the path entered; absent optional members are skipped. */
typedef bool (*section_fn)(jv *, scenario *, const cJSON *);
static bool section(jv *v, scenario *sc, const cJSON *obj, const char *key, bool required,
                    bool is_array, section_fn fn) {
  const cJSON *node = NULL;
  if (is_array   ? !jv_array(v, obj, key, required, 1, &node)
      : required ? !jv_require(v, obj, key, &node)
                 : false)
    return false;
  if (!is_array) node = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!node) return true;
  if (is_array && cJSON_GetArraySize(node) > MAX_ENTRIES)
    return jv_fail_at(v, key, "expected at most %d entries, found %d", MAX_ENTRIES,
                      cJSON_GetArraySize(node));
  size_t mark = jv_enter(v, key);
  bool ok = fn(v, sc, node);
  jv_leave(v, mark);
  return ok;
}

static void digest(const char *text, char out[17]) {
  snprintf(out, 17, "%016llx", (unsigned long long)ps_fnv1a64(text));
}

static char *default_name(const char *path) {
  char *copy = xstrdup(path);
  char *base = xstrdup(basename(copy));
  free(copy);
  char *dot = strrchr(base, '.');
  if (dot && dot != base) *dot = '\0';
  return base;
}

/* The run this scenario makes fits run_size.h's limits: refused here, before anything runs,
 * rather than out of memory or disk halfway through. */
static bool size_ok(jv *v, const scenario *sc) {
  run_size z = run_size_estimate(sc);
  double span_s = (double)sc->duration_us * 1e-6;
  if (z.pods > RUN_MAX_PODS)
    return jv_fail(v,
                   "expected at most %d pods in a policy's cluster (replicas, maxReplicas and "
                   "initial_replicas over its deployments), found up to %.0f",
                   RUN_MAX_PODS, z.pods);
  if (z.requests > RUN_MAX_REQUESTS)
    return jv_fail(v,
                   "expected a workload of at most %.0f requests per policy (each one in flight "
                   "is held in memory), found an estimated %.3g over %.6g s",
                   RUN_MAX_REQUESTS, z.requests, span_s);
  if (z.bytes > sc->output.max_bytes)
    return jv_fail(v,
                   "expected outputs of at most %.3g bytes (output.max_bytes), found an estimated "
                   "%.3g: %s %.3g, %s %.3g, %s %.3g, %s %.3g",
                   sc->output.max_bytes, z.bytes, RUN_SIZE_FILES[0], z.file_bytes[0],
                   RUN_SIZE_FILES[1], z.file_bytes[1], RUN_SIZE_FILES[2], z.file_bytes[2],
                   RUN_SIZE_FILES[3], z.file_bytes[3]);
  return true;
}

static bool load_top(jv *v, scenario *sc, const cJSON *root) {
  static const char *const keys[] = {
      "name", "description", "seed",   "duration_s", "drain_s",  "warmup_s", "workload",  "gpus",
      "llms", "deployments", "router", "client",     "policies", "output",   "optimizer", NULL};
  const char *name = NULL, *desc = NULL;
  int64_t seed = 1;
  sc->drain_us = 600 * INT64_C(1000000);
  sc->duration_us = -1;
  sc->router = ROUTER_RANDOM;
  sc->timeout_cancels = true;
  sc->output.interval_us = 10 * INT64_C(1000000);
  sc->output.requests = true;
  sc->output.max_bytes = RUN_MAX_BYTES_DEFAULT;
  if (!jv_object(v, root, keys) || !jv_string(v, root, "name", false, &name) ||
      !jv_string(v, root, "description", false, &desc) ||
      !jv_int(v, root, "seed", false, 0, INT64_C(9007199254740991), &seed) ||
      !jv_seconds(v, root, "duration_s", false, 1e-3, MAX_SECONDS, &sc->duration_us) ||
      !jv_seconds(v, root, "drain_s", false, 0, MAX_SECONDS, &sc->drain_us) ||
      !jv_seconds(v, root, "warmup_s", false, 0, 86400, &sc->warmup_us) ||
      !section(v, sc, root, "workload", true, false, scl_load_workload) ||
      !section(v, sc, root, "gpus", true, true, scl_load_gpus) ||
      !section(v, sc, root, "llms", false, true, scl_load_llms) ||
      !section(v, sc, root, "deployments", true, true, scl_load_deployments) ||
      !section(v, sc, root, "router", false, false, scl_load_router) ||
      !section(v, sc, root, "client", false, false, scl_load_client) ||
      !section(v, sc, root, "policies", true, true, scl_load_policies) ||
      !section(v, sc, root, "output", false, false, load_output) ||
      !section(v, sc, root, "optimizer", false, false, scl_load_optimizer))
    return false;
  if (name && !scl_file_name_ok(v, root, name, "the output directory")) return false;
  sc->name = name ? xstrdup(name) : default_name(sc->path);
  sc->seed = (uint64_t)seed;
  if (sc->duration_us < 0) sc->duration_us = wl_spec_span_us(&sc->workload);
  if (sc->duration_us <= 0)
    return jv_fail(
        v, "expected a workload that lasts some time (or \"duration_s\"), found one of length 0");
  sc->workload.duration_us = sc->duration_us;
  return size_ok(v, sc);
}

/* A num_requests_running target a pod can reach: at most its batch (max_num_seqs) or its slots.
 * A higher one is never reached, so the autoscaler never scales up. */
static bool running_target_reachable(const scenario *sc, uint32_t i, ps_err *err) {
  for (uint32_t d = 0; d < sc->ndeployments; d++) {
    const policy_config *cfg = sc_policy_config(&sc->policies[i], d);
    const sc_deployment *dep = &sc->deployments[d];
    int32_t most = dep->model == SC_MODEL_LLM ? dep->llm.max_num_seqs : dep->slots.slots;
    if (cfg->kind == POLICY_FIXED || cfg->metric != METRIC_RUNNING || cfg->target_value <= most)
      continue;
    return ps_fail(err,
                   "%s: policies[%u]: targetValue %g is outside num_requests_running's range for "
                   "deployments[%u] (%s), whose pods run at most %d requests at once (%s): it is "
                   "never reached, so the autoscaler never scales up",
                   sc->path, i, cfg->target_value, d, dep->name, most,
                   dep->model == SC_MODEL_LLM ? "max_num_seqs" : "slots");
  }
  return true;
}

/* Requests that a deployment's max_model_len cannot hold: vLLM refuses them at once. */
static void warn_context_windows(scenario *sc) {
  double n = wl_spec_expected_count(&sc->workload);
  for (uint32_t d = 0; d < sc->ndeployments; d++) {
    const sc_deployment *dep = &sc->deployments[d];
    if (dep->model != SC_MODEL_LLM) continue;
    int32_t len = dep->llm.max_model_len;
    double share = wl_spec_share_over(&sc->workload, len);
    if (share <= 0) continue;
    char what[96] = "prompt + output";
    if (sc->workload.max_output_tokens > 0)
      snprintf(what, sizeof what, "prompt + max_output_tokens (%d)",
               sc->workload.max_output_tokens);
    strbuf w = {0};
    sb_printf(&w,
              "%s: workload: about %.3g%% of requests (%.0f of %.0f) have %s above "
              "deployments[%u] (%s)'s max_model_len %d; vLLM refuses them at once (status "
              "failed, reason exceeds_max_model_len in requests.csv)",
              sc->path, share * 100, share * n, n, what, d, dep->name, len);
    sc->warnings = xrealloc(sc->warnings, (sc->nwarnings + 1) * sizeof *sc->warnings);
    sc->warnings[sc->nwarnings++] = sb_take(&w);
  }
}

bool scenario_load(const char *path, scenario *sc, ps_err *err) {
  char *text = NULL;
  cJSON *root = jv_parse_file(path, &text, err);
  if (!root) {
    *sc = (scenario){0};
    return false;
  }
  bool ok = scenario_load_tree(path, root, text, sc, err);
  free(text);
  cJSON_Delete(root);
  return ok;
}

bool scenario_load_tree(const char *path, const cJSON *root, const char *text, scenario *sc,
                        ps_err *err) {
  *sc = (scenario){0};
  sc->path = xstrdup(path);
  digest(text, sc->digest);
  jv v = {.file = path, .err = err};
  scl_catalog_llms(sc);
  bool ok = load_top(&v, sc, root);
  for (uint32_t i = 0; ok && i < sc->npolicies; i++)
    if (scenario_policy_reads_optimizer(sc, &sc->policies[i]) && !sc->optimizer.enabled)
      ok = ps_fail(err,
                   "%s: policies[%u] reads the GPU optimizer (vllm:deployment_replicas): add an "
                   "\"optimizer\" section (its SLOs, or profile files)",
                   path, i);
  for (uint32_t i = 0; ok && i < sc->npolicies; i++)
    ok = running_target_reachable(sc, i, err);
  if (ok && sc->optimizer.enabled) ok = scl_optimizer_profiles(sc, err);
  if (ok) warn_context_windows(sc);
  if (!ok) scenario_free(sc);
  return ok;
}

void scenario_free(scenario *sc) {
  free(sc->path);
  free(sc->name);
  free(sc->segments);
  free(sc->counts);
  free(sc->trace);
  for (uint32_t i = 0; i < sc->ntables; i++)
    dist_table_free(sc->tables[i]);
  free(sc->tables);
  for (uint32_t i = 0; i < sc->ngpus; i++)
    free(sc->gpus[i].name);
  free(sc->gpus);
  for (uint32_t i = 0; i < sc->nllms; i++)
    free(sc->llms[i].name);
  free(sc->llms);
  for (uint32_t i = 0; i < sc->ndeployments; i++)
    free(sc->deployments[i].name);
  free(sc->deployments);
  for (uint32_t i = 0; i < sc->npolicies; i++) {
    free(sc->policies[i].name);
    free(sc->policies[i].replicas);
    free(sc->policies[i].per_deployment);
  }
  free(sc->policies);
  free(sc->output.dir);
  for (uint32_t d = 0; sc->optimizer.profile_files && d < sc->ndeployments; d++)
    free(sc->optimizer.profile_files[d]);
  free(sc->optimizer.profile_files);
  for (uint32_t d = 0; sc->optimizer.profiles && d < sc->ndeployments; d++)
    opt_profile_free(&sc->optimizer.profiles[d]);
  free(sc->optimizer.profiles);
  for (uint32_t i = 0; i < sc->nwarnings; i++)
    free(sc->warnings[i]);
  free(sc->warnings);
  *sc = (scenario){0};
}

int scenario_policy_index(const scenario *sc, const char *name) {
  return scl_find_name(name, sc->policies, sizeof *sc->policies, sc->npolicies);
}
