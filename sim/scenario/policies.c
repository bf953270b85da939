/* policies: the scenario's policies (docs/scenarios.md, policies): fixed replicas, an
 * autoscaler written as AIBrix's PodAutoscaler (spec, metric source, behavior, annotations), or
 * the PodAutoscaler and HorizontalPodAutoscaler manifests of YAML files, one per deployment
 * (docs/manifests.md). */
#include "sim/scenario/load.h"

#include "base/xalloc.h"
#include "base/yamlv.h"
#include "models/autoscalers/podautoscaler.h"

#define MIN_HPA_PERIOD_S 1.0 /* an HPA keeps window / period recommendations and scans them */

static bool load_replicas(jv *v, scenario *sc, sc_policy *p, const cJSON *pol) {
  const cJSON *node;
  if (!jv_require(v, pol, "replicas", &node)) return false;
  p->replicas = xcalloc(sc->ndeployments, sizeof(int32_t));
  int64_t r = 0;
  if (cJSON_IsNumber(node)) {
    if (!jv_int(v, pol, "replicas", true, 0, 100000, &r)) return false;
    for (uint32_t d = 0; d < sc->ndeployments; d++)
      p->replicas[d] = (int32_t)r;
    return true;
  }
  size_t mark = jv_enter(v, "replicas");
  bool ok = true;
  if (!cJSON_IsObject(node)) {
    char found[96];
    jv_describe(node, found, sizeof found);
    ok =
        jv_fail(v, "expected an integer, or an object of replicas per deployment, found %s", found);
  }
  for (const cJSON *m = ok ? node->child : NULL; m && ok; m = m->next) {
    if (scl_find_name(m->string, sc->deployments, sizeof *sc->deployments, sc->ndeployments) < 0) {
      ok = jv_fail_at(v, m->string, "expected the name of a deployment, found an unknown one");
    }
  }
  for (uint32_t d = 0; d < sc->ndeployments && ok; d++) {
    ok = jv_int(v, node, sc->deployments[d].name, true, 0, 100000, &r);
    p->replicas[d] = (int32_t)r;
  }
  jv_leave(v, mark);
  return ok;
}

static const char *const variants[] = {"aibrix-legacy", "aibrix-v0.5", "knative", "kubernetes",
                                       NULL};

/* The policy's own settings over an autoscaler's configuration of a known kind: period_s,
 * initial_replicas (the jv is at the policy). */
static bool settings_apply(jv *v, const cJSON *pn, policy_config *cfg) {
  int64_t initial = -1;
  if (!jv_seconds(v, pn, "period_s", false, 1e-3, 86400, &cfg->period_us) ||
      !jv_int(v, pn, "initial_replicas", false, 0, 100000, &initial))
    return false;
  if (cfg->kind == POLICY_HPA && cfg->period_us < (int64_t)(MIN_HPA_PERIOD_S * 1e6))
    return jv_fail_at(v, "period_s",
                      "expected an HPA sync period of at least %g s (its recommendation history "
                      "holds a window's worth of periods), found %g",
                      MIN_HPA_PERIOD_S, (double)cfg->period_us * 1e-6);
  if (cfg->variant == POLICY_KNATIVE && cJSON_GetObjectItemCaseSensitive(pn, "period_s"))
    return jv_fail_at(v, "period_s",
                      "the Knative KPA scrapes every 1 s and decides every 2 s; "
                      "its period cannot be set");
  cfg->initial_replicas = (int32_t)initial;
  return true;
}

/* The configuration complete: what policy_config_finish finds wrong is reported at `v`. */
static bool config_finish(jv *v, policy_config *cfg) {
  if (cfg->kind == POLICY_HPA) cfg->hpa.sync_period_us = cfg->period_us;
  ps_err e = {0};
  if (!policy_config_finish(cfg, &e)) return jv_fail(v, "%s", e.msg);
  return true;
}

/* An autoscaler policy: type, variant, spec, annotations. */
static bool load_autoscaler(jv *v, sc_policy *p, const cJSON *pn, policy_kind kind) {
  int variant = POLICY_AIBRIX_LEGACY;
  if (!jv_choice(v, pn, "variant", false, variants, &variant)) return false;
  policy_config *cfg = &p->cfg;
  policy_config_defaults(cfg, kind, (policy_variant)variant);
  const cJSON *spec, *ann = cJSON_GetObjectItemCaseSensitive(pn, "annotations");
  if (!settings_apply(v, pn, cfg) || !jv_require(v, pn, "spec", &spec)) return false;
  size_t mark = jv_enter(v, "spec");
  bool ok = pa_spec_load(v, cfg, spec);
  jv_leave(v, mark);
  if (ok && ann) {
    mark = jv_enter(v, "annotations");
    ok = pa_annotations_load(v, cfg, ann);
    jv_leave(v, mark);
  }
  return ok && config_finish(v, cfg);
}

/* The deployments' names, for a message: "a", "b", ... (at most what fits). */
static void deployment_names(const scenario *sc, char *buf, size_t n) {
  size_t len = 0;
  buf[0] = '\0';
  for (uint32_t d = 0; d < sc->ndeployments && len < n; d++)
    len += (size_t)snprintf(buf + len, n - len, "%s\"%s\"", d ? ", " : "", sc->deployments[d].name);
}

/* Where each deployment's manifest was found ("FILE:LINE"), for the message about a second. */
typedef struct bound_at {
  char where[320];
} bound_at;

/* The autoscalers of one manifest file into p->per_deployment; *found counts them. */
static bool load_manifest_file(jv *v, const scenario *sc, sc_policy *p, const cJSON *pn,
                               const char *path, policy_variant variant, bound_at *bound,
                               int *found) {
  yv_file f;
  if (!yv_load(path, &f, v->err)) return false;
  bool ok = true;
  for (uint32_t i = 0; ok && i < f.ndocs; i++) {
    const yv_doc *doc = &f.docs[i];
    jv mv = {.file = path, .err = v->err, .line_of = yv_doc_line, .line_ctx = doc};
    policy_config cfg;
    const char *target = NULL;
    if (!(ok = pa_manifest_load(&mv, doc->root, variant, &cfg, &target)) || !target) continue;
    ++*found;
    size_t mark = jv_enter(&mv, "spec.scaleTargetRef.name");
    int d = scl_find_name(target, sc->deployments, sizeof *sc->deployments, sc->ndeployments);
    if (d < 0) {
      char names[400];
      deployment_names(sc, names, sizeof names);
      ok = jv_fail(&mv, "expected the name of one of the scenario's deployments (%s), found \"%s\"",
                   names, target);
    } else if (bound[d].where[0]) {
      ok = jv_fail(&mv,
                   "deployment \"%s\" has an autoscaler already (%s); a policy gives each "
                   "deployment one",
                   target, bound[d].where);
    }
    jv_leave(&mv, mark);
    mark = jv_enter(&mv, "spec"); /* what the policy's finish finds wrong is in the spec */
    ok = ok && settings_apply(v, pn, &cfg) && config_finish(&mv, &cfg);
    jv_leave(&mv, mark);
    if (!ok) continue;
    snprintf(bound[d].where, sizeof bound[d].where, "%s:%ld", path, yv_doc_line(doc, ""));
    p->per_deployment[d] = cfg;
  }
  if (ok && !*found)
    ok = ps_fail(v->err,
                 "%s: expected a PodAutoscaler (autoscaling.aibrix.ai/v1alpha1) or a "
                 "HorizontalPodAutoscaler (autoscaling/v2), found none (objects of other kinds "
                 "are skipped)",
                 path);
  yv_free(&f);
  return ok;
}

/* A policy of manifest files: each deployment's autoscaler from the one that names it. */
static bool load_manifests(jv *v, scenario *sc, sc_policy *p, const cJSON *pn, const cJSON *files) {
  static const char *const inline_only[] = {"type", "spec", "annotations", "replicas", NULL};
  for (const char *const *k = inline_only; *k; k++)
    if (cJSON_GetObjectItemCaseSensitive(pn, *k))
      return jv_fail_at(v, *k,
                        "is not for a policy of manifests: each manifest gives its deployment's "
                        "autoscaler (spec.scalingStrategy, or kind HorizontalPodAutoscaler), "
                        "spec and annotations");
  int variant = POLICY_AIBRIX_LEGACY;
  if (!jv_choice(v, pn, "variant", false, variants, &variant)) return false;
  p->per_deployment = xcalloc(sc->ndeployments, sizeof *p->per_deployment);
  bound_at *bound = xcalloc(sc->ndeployments, sizeof *bound);
  size_t mark = jv_enter(v, "manifests");
  bool ok = true;
  int i = 0;
  for (const cJSON *fn = files->child; ok && fn; fn = fn->next, i++) {
    size_t m2 = jv_enter_index(v, i);
    int found = 0;
    if (!cJSON_IsString(fn) || !fn->valuestring[0]) {
      char what[96];
      jv_describe(fn, what, sizeof what);
      ok = jv_fail(v, "expected the name of a YAML file, found %s", what);
    } else {
      char *path = scl_resolve(sc, fn->valuestring);
      jv_leave(v, mark);
      ok = load_manifest_file(v, sc, p, pn, path, (policy_variant)variant, bound, &found);
      jv_enter(v, "manifests");
      jv_enter_index(v, i);
      free(path);
    }
    jv_leave(v, m2);
  }
  for (uint32_t d = 0; ok && d < sc->ndeployments; d++)
    if (!bound[d].where[0])
      ok = jv_fail(v,
                   "expected a manifest for every deployment, found none whose "
                   "spec.scaleTargetRef.name is \"%s\" (a deployment at a fixed count is a fixed "
                   "policy)",
                   sc->deployments[d].name);
  jv_leave(v, mark);
  free(bound);
  if (ok) p->cfg = p->per_deployment[0];
  return ok;
}

bool scl_load_policies(jv *v, scenario *sc, const cJSON *arr) {
  static const char *const keys[] = {"name",        "type",      "variant",          "replicas",
                                     "period_s",    "manifests", "initial_replicas", "spec",
                                     "annotations", NULL};
  static const char *const types[] = {"fixed", "hpa", "kpa", "apa", NULL};
  sc->npolicies = (uint32_t)cJSON_GetArraySize(arr);
  sc->policies = xcalloc(sc->npolicies, sizeof *sc->policies);
  int i = 0;
  for (const cJSON *pn = arr->child; pn; pn = pn->next, i++) {
    size_t mark = jv_enter_index(v, i);
    sc_policy *p = &sc->policies[i];
    const char *name;
    const cJSON *files;
    int type = 0;
    if (!jv_object(v, pn, keys) || !jv_string(v, pn, "name", true, &name) ||
        !jv_array(v, pn, "manifests", false, 1, &files) ||
        (!files && !jv_choice(v, pn, "type", true, types, &type)))
      return false;
    if (!scl_file_name_ok(v, pn, name, "a policy in the outputs")) return false;
    if (scl_find_name(name, sc->policies, sizeof *p, (size_t)i) >= 0)
      return jv_fail_at(v, "name", "expected a name not used by another policy, found \"%s\"",
                        name);
    p->name = xstrdup(name);
    if (files) {
      if (!load_manifests(v, sc, p, pn, files)) return false;
    } else if (type == POLICY_FIXED) {
      static const char *const fixed_only[] = {"variant", "spec", "annotations", NULL};
      for (const char *const *k = fixed_only; *k; k++)
        if (cJSON_GetObjectItemCaseSensitive(pn, *k))
          return jv_fail_at(v, *k, "is for autoscaler policies (type hpa, kpa or apa), not fixed");
      policy_config_defaults(&p->cfg, POLICY_FIXED, POLICY_AIBRIX_LEGACY);
      int64_t initial = -1;
      if (!jv_seconds(v, pn, "period_s", false, 1e-3, 86400, &p->cfg.period_us) ||
          !jv_int(v, pn, "initial_replicas", false, 0, 100000, &initial) ||
          !load_replicas(v, sc, p, pn))
        return false;
      p->cfg.initial_replicas = (int32_t)initial;
      p->cfg.replicas = p->replicas;
    } else {
      if (cJSON_GetObjectItemCaseSensitive(pn, "replicas"))
        return jv_fail_at(v, "replicas",
                          "is for fixed policies; an autoscaler starts from "
                          "initial_replicas within spec.minReplicas..maxReplicas");
      if (!load_autoscaler(v, p, pn, (policy_kind)type)) return false;
    }
    jv_leave(v, mark);
  }
  return true;
}

bool scenario_policy_reads_optimizer(const scenario *sc, const sc_policy *p) {
  for (uint32_t d = 0; d < sc->ndeployments; d++)
    if (sc_policy_config(p, d)->metric == METRIC_OPTIMIZER) return true;
  return false;
}
