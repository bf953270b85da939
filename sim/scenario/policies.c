/* policies: the scenario's policies (docs/scenarios.md, policies): fixed replicas, or an
 * autoscaler written as AIBrix's PodAutoscaler (spec, metric source, behavior, annotations). */
#include "sim/scenario/load.h"

#include "base/xalloc.h"
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

/* An autoscaler policy: type, variant, spec, annotations. */
static bool load_autoscaler(jv *v, sc_policy *p, const cJSON *pn, policy_kind kind) {
  static const char *const variants[] = {"aibrix-legacy", "aibrix-v0.5", "knative", "kubernetes",
                                         NULL};
  int variant = POLICY_AIBRIX_LEGACY;
  if (!jv_choice(v, pn, "variant", false, variants, &variant)) return false;
  policy_config *cfg = &p->cfg;
  policy_config_defaults(cfg, kind, (policy_variant)variant);
  const cJSON *spec, *ann = cJSON_GetObjectItemCaseSensitive(pn, "annotations");
  int64_t initial = -1;
  if (!jv_seconds(v, pn, "period_s", false, 1e-3, 86400, &cfg->period_us) ||
      !jv_int(v, pn, "initial_replicas", false, 0, 100000, &initial) ||
      !jv_require(v, pn, "spec", &spec))
    return false;
  if (kind == POLICY_HPA && cfg->period_us < (int64_t)(MIN_HPA_PERIOD_S * 1e6))
    return jv_fail_at(v, "period_s",
                      "expected an HPA sync period of at least %g s (its recommendation history "
                      "holds a window's worth of periods), found %g",
                      MIN_HPA_PERIOD_S, (double)cfg->period_us * 1e-6);
  if (cfg->variant == POLICY_KNATIVE && cJSON_GetObjectItemCaseSensitive(pn, "period_s"))
    return jv_fail_at(v, "period_s",
                      "the Knative KPA scrapes every 1 s and decides every 2 s; "
                      "its period cannot be set");
  cfg->initial_replicas = (int32_t)initial;
  size_t mark = jv_enter(v, "spec");
  bool ok = pa_spec_load(v, cfg, spec);
  jv_leave(v, mark);
  if (ok && ann) {
    mark = jv_enter(v, "annotations");
    ok = pa_annotations_load(v, cfg, ann);
    jv_leave(v, mark);
  }
  if (!ok) return false;
  if (kind == POLICY_HPA) cfg->hpa.sync_period_us = cfg->period_us;
  ps_err e = {0};
  if (!policy_config_finish(cfg, &e)) return jv_fail(v, "%s", e.msg);
  return true;
}

bool scl_load_policies(jv *v, scenario *sc, const cJSON *arr) {
  static const char *const keys[] = {"name",     "type",        "variant",
                                     "replicas", "period_s",    "initial_replicas",
                                     "spec",     "annotations", NULL};
  static const char *const types[] = {"fixed", "hpa", "kpa", "apa", NULL};
  sc->npolicies = (uint32_t)cJSON_GetArraySize(arr);
  sc->policies = xcalloc(sc->npolicies, sizeof *sc->policies);
  int i = 0;
  for (const cJSON *pn = arr->child; pn; pn = pn->next, i++) {
    size_t mark = jv_enter_index(v, i);
    sc_policy *p = &sc->policies[i];
    const char *name;
    int type = 0;
    if (!jv_object(v, pn, keys) || !jv_string(v, pn, "name", true, &name) ||
        !jv_choice(v, pn, "type", true, types, &type))
      return false;
    if (!scl_file_name_ok(v, pn, name, "a policy in the outputs")) return false;
    if (scl_find_name(name, sc->policies, sizeof *p, (size_t)i) >= 0)
      return jv_fail_at(v, "name", "expected a name not used by another policy, found \"%s\"",
                        name);
    p->name = xstrdup(name);
    if (type == POLICY_FIXED) {
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
