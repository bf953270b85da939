/* policies: the scenario's policies (docs/scenarios.md, policies): fixed replicas, or an
 * autoscaler written as AIBrix's PodAutoscaler (spec, metric source, behavior, annotations). */
#include "sim/scenario/load.h"

#include <stdint.h>
#include <string.h>

#include "base/xalloc.h"
#include "models/autoscalers/gosem.h"

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

/* port: a string, as AIBrix's PodAutoscaler has it (`port: '8000'`, Go's strconv), or a plain
 * integer. */
static bool load_port(jv *v, const cJSON *src) {
  const cJSON *node = cJSON_GetObjectItemCaseSensitive(src, "port");
  int64_t port = 8000;
  if (!cJSON_IsString(node)) return jv_int(v, src, "port", false, 1, 65535, &port);
  int32_t n;
  if (!go_parse_int32(node->valuestring, &n) || n < 1 || n > 65535)
    return jv_fail_at(v, "port", "expected a port from 1 to 65535, found \"%s\"",
                      node->valuestring);
  return true;
}

/* targetValue: a string, as the PodAutoscaler has it (Go's ParseFloat), or a plain number. */
static bool load_target_value(jv *v, const cJSON *src, double *out) {
  const cJSON *node;
  if (!jv_require(v, src, "targetValue", &node)) return false;
  if (cJSON_IsNumber(node)) {
    *out = node->valuedouble;
    return true;
  }
  if (cJSON_IsString(node) && go_parse_float(node->valuestring, out)) return true;
  char found[96];
  jv_describe(node, found, sizeof found);
  return jv_fail_at(v, "targetValue", "expected a number or a string holding one, found %s", found);
}

/* spec.metricsSources: exactly one (the legacy controller requires exactly one): a pod gauge
 * (`pod`), or the GPU optimizer's vllm:deployment_replicas (`domain`). */
static bool load_metric_source(jv *v, policy_config *cfg, const cJSON *arr) {
  static const char *const keys[] = {"metricSourceType", "protocolType", "endpoint", "port", "path",
                                     "targetMetric",     "targetValue",  NULL};
  static const char *const source_types[] = {"pod", "domain", NULL};
  static const char *const protocols[] = {"http", "https", NULL};
  /* Registry keys, and the raw vLLM names that the legacy substring match also finds. */
  static const char *const metrics[] = {
      "gpu_cache_usage_perc",      "kv_cache_usage_perc",       "num_requests_running",
      "num_requests_waiting",      "vllm:gpu_cache_usage_perc", "vllm:kv_cache_usage_perc",
      "vllm:num_requests_running", "vllm:num_requests_waiting", NULL};
  if (cJSON_GetArraySize(arr) != 1)
    return jv_fail(v, "expected exactly one metric source, found %d", cJSON_GetArraySize(arr));
  size_t mark = jv_enter_index(v, 0);
  const cJSON *src = arr->child;
  int type = 0, proto = 0, metric = 0;
  const char *path = NULL, *endpoint = NULL, *name = NULL;
  bool ok = jv_object(v, src, keys) &&
            jv_choice(v, src, "metricSourceType", false, source_types, &type) &&
            jv_choice(v, src, "protocolType", false, protocols, &proto) &&
            jv_string(v, src, "endpoint", false, &endpoint) && load_port(v, src) &&
            jv_string(v, src, "path", false, &path) &&
            load_target_value(v, src, &cfg->target_value);
  if (ok && type == 1) { /* domain: the GPU optimizer's endpoint */
    ok = jv_string(v, src, "targetMetric", true, &name);
    if (ok && strcmp(name, "vllm:deployment_replicas") != 0)
      ok = jv_fail_at(v, "targetMetric",
                      "a domain source reads the GPU optimizer's \"vllm:deployment_replicas\", "
                      "found \"%s\"",
                      name);
    cfg->metric = METRIC_OPTIMIZER;
  } else if (ok) {
    ok = jv_choice(v, src, "targetMetric", true, metrics, &metric);
    cfg->metric = (policy_metric)(metric % METRIC_COUNT);
  }
  if (ok && type == 0 && metric >= METRIC_COUNT && cfg->variant == POLICY_AIBRIX_V05 &&
      cfg->kind != POLICY_HPA)
    ok = jv_fail_at(v, "targetMetric",
                    "AIBrix v0.5+ looks the metric up in its registry, whose keys have no vllm: "
                    "prefix (it would read 0); use \"%s\"",
                    policy_metric_name(cfg->metric));
  jv_leave(v, mark);
  return ok;
}

/* One direction of an HPA's spec.behavior, over the Kubernetes defaults already in *r. */
static bool load_hpa_rules(jv *v, const cJSON *node, hpa_rules *r, double *tolerance) {
  static const char *const keys[] = {"stabilizationWindowSeconds", "selectPolicy", "policies",
                                     "tolerance", NULL};
  static const char *const selects[] = {"Max", "Min", "Disabled", NULL};
  static const char *const pol_keys[] = {"type", "value", "periodSeconds", NULL};
  static const char *const pol_types[] = {"Pods", "Percent", NULL};
  int64_t stab = r->stabilization_s;
  int select = (int)r->select;
  const cJSON *pols;
  if (!jv_object(v, node, keys) ||
      !jv_int(v, node, "stabilizationWindowSeconds", false, 0, 3600, &stab) ||
      !jv_choice(v, node, "selectPolicy", false, selects, &select) ||
      !jv_number(v, node, "tolerance", false, 0, 1e6, tolerance) ||
      !jv_array(v, node, "policies", false, 1, &pols))
    return false;
  r->stabilization_s = (int32_t)stab;
  r->select = (hpa_select)select;
  if (!pols) return true;
  if (cJSON_GetArraySize(pols) > HPA_MAX_POLICIES)
    return jv_fail_at(v, "policies", "expected at most %d policies, found %d", HPA_MAX_POLICIES,
                      cJSON_GetArraySize(pols));
  size_t mark = jv_enter(v, "policies");
  r->n_policies = 0;
  int i = 0;
  for (const cJSON *pn = pols->child; pn; pn = pn->next, i++) {
    size_t m2 = jv_enter_index(v, i);
    int type = 0;
    int64_t value = 0, period = 0;
    if (!jv_object(v, pn, pol_keys) || !jv_choice(v, pn, "type", true, pol_types, &type) ||
        !jv_int(v, pn, "value", true, 1, INT32_MAX, &value) ||
        !jv_int(v, pn, "periodSeconds", true, 1, 1800, &period))
      return false;
    r->policies[r->n_policies++] =
        (hpa_policy){type ? HPA_POLICY_PERCENT : HPA_POLICY_PODS, (int32_t)value, (int32_t)period};
    jv_leave(v, m2);
  }
  jv_leave(v, mark);
  return true;
}

/* spec.behavior of a hand-written HPA (variant kubernetes). */
static bool load_hpa_behavior(jv *v, policy_config *cfg, const cJSON *node) {
  static const char *const keys[] = {"scaleUp", "scaleDown", NULL};
  if (cfg->kind != POLICY_HPA || cfg->variant != POLICY_KUBERNETES)
    return jv_fail(v, "is read only by hpa policies of variant \"kubernetes\" (AIBrix writes its "
                      "own behavior)");
  if (!jv_object(v, node, keys)) return false;
  hpa_params *h = &cfg->hpa;
  h->has_behavior = true;
  h->behavior = hpa_behavior_default();
  for (int d = 0; d < 2; d++) {
    const char *key = d ? "scaleDown" : "scaleUp";
    const cJSON *rules = cJSON_GetObjectItemCaseSensitive(node, key);
    if (!rules) continue;
    size_t mark = jv_enter(v, key);
    bool ok = load_hpa_rules(v, rules, d ? &h->behavior.down : &h->behavior.up,
                             d ? &h->tolerance_down : &h->tolerance_up);
    jv_leave(v, mark);
    if (!ok) return false;
  }
  return true;
}

/* spec: the PodAutoscaler spec fields, by their upstream names. */
static bool load_pa_spec(jv *v, policy_config *cfg, const cJSON *spec) {
  static const char *const keys[] = {
      "scalingStrategy",      "minReplicas",        "maxReplicas", "metricsSources",
      "observeWindowSeconds", "panicWindowSeconds", "behavior",    NULL};
  static const char *const strategies[] = {"", "HPA", "KPA", "APA", NULL};
  int strategy = (int)cfg->kind;
  int64_t lo = cfg->min_replicas, hi = 0;
  const cJSON *sources;
  if (!jv_object(v, spec, keys) ||
      !jv_choice(v, spec, "scalingStrategy", false, strategies, &strategy) ||
      !jv_int(v, spec, "minReplicas", false, 0, 100000, &lo) ||
      !jv_int(v, spec, "maxReplicas", true, 1, 100000, &hi) ||
      !jv_array(v, spec, "metricsSources", true, 1, &sources))
    return false;
  if (strategy != (int)cfg->kind)
    return jv_fail_at(v, "scalingStrategy", "expected %s, the policy's type, found %s",
                      strategies[cfg->kind], strategies[strategy]);
  cfg->min_replicas = (int32_t)lo;
  cfg->max_replicas = (int32_t)hi;
  size_t mark = jv_enter(v, "metricsSources");
  bool ok = load_metric_source(v, cfg, sources);
  jv_leave(v, mark);
  if (!ok) return false;
  for (int w = 0; w < 2; w++) {
    const char *key = w ? "panicWindowSeconds" : "observeWindowSeconds";
    if (!cJSON_GetObjectItemCaseSensitive(spec, key)) continue;
    if (cfg->variant != POLICY_AIBRIX_V05 || cfg->kind == POLICY_HPA)
      return jv_fail_at(v, key,
                        "is read only by the AIBrix v0.5+ KPA and APA (variant "
                        "\"aibrix-v0.5\")");
    int64_t sec = 0;
    if (!jv_int(v, spec, key, true, 1, 3600, &sec)) return false;
    *(w ? &cfg->aibrix5.panic_window_us : &cfg->aibrix5.stable_window_us) = sec * INT64_C(1000000);
  }
  const cJSON *behavior = cJSON_GetObjectItemCaseSensitive(spec, "behavior");
  if (!behavior) return true;
  mark = jv_enter(v, "behavior");
  ok = load_hpa_behavior(v, cfg, behavior);
  jv_leave(v, mark);
  return ok;
}

static bool load_annotations(jv *v, policy_config *cfg, const cJSON *ann) {
  if (!jv_object(v, ann, NULL)) return false;
  for (const cJSON *a = ann->child; a; a = a->next) {
    if (!cJSON_IsString(a)) {
      char found[96];
      jv_describe(a, found, sizeof found);
      return jv_fail_at(v, a->string, "expected a string (annotation values are strings), found %s",
                        found);
    }
    ps_err e = {0};
    if (!policy_annotation_set(cfg, a->string, a->valuestring, &e))
      return jv_fail_at(v, a->string, "%s", e.msg);
  }
  return true;
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
  bool ok = load_pa_spec(v, cfg, spec);
  jv_leave(v, mark);
  if (ok && ann) {
    mark = jv_enter(v, "annotations");
    ok = load_annotations(v, cfg, ann);
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
