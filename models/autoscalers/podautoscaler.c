/* podautoscaler: AIBrix's PodAutoscaler resource (its spec and annotations) read from JSON into
 * a policy configuration; see podautoscaler.h. */
#include "models/autoscalers/podautoscaler.h"

#include <string.h>

#include "models/autoscalers/gosem.h"

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
bool pa_spec_load(jv *v, policy_config *cfg, const cJSON *spec) {
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

bool pa_annotations_load(jv *v, policy_config *cfg, const cJSON *ann) {
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
