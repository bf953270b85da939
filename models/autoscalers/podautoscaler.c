/* podautoscaler: AIBrix's PodAutoscaler resource (its spec and annotations) read from JSON into
 * a policy configuration; see podautoscaler.h. */
#include "models/autoscalers/podautoscaler.h"

#include <math.h>
#include <string.h>

#include "models/autoscalers/gosem.h"

/* The pod gauges by name (policy_metric's order, then again with the vLLM prefix): AIBrix's
 * registry keys, and the raw vLLM names that the legacy substring match also finds. */
static const char *const metrics[] = {
    "gpu_cache_usage_perc",      "kv_cache_usage_perc",       "num_requests_running",
    "num_requests_waiting",      "vllm:gpu_cache_usage_perc", "vllm:kv_cache_usage_perc",
    "vllm:num_requests_running", "vllm:num_requests_waiting", NULL};

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

static const char *const strategies[] = {"", "HPA", "KPA", "APA", NULL};

/* spec: the PodAutoscaler spec fields, by their upstream names; a manifest's spec also holds
 * scaleTargetRef (read by the caller). */
static bool spec_load(jv *v, policy_config *cfg, const cJSON *spec, bool manifest) {
  static const char *const keys[] = {
      "scalingStrategy",      "minReplicas",        "maxReplicas", "metricsSources",
      "observeWindowSeconds", "panicWindowSeconds", "behavior",    NULL};
  static const char *const manifest_keys[] = {
      "scalingStrategy", "minReplicas",          "maxReplicas",
      "metricsSources",  "observeWindowSeconds", "panicWindowSeconds",
      "behavior",        "scaleTargetRef",       NULL};
  int strategy = (int)cfg->kind;
  int64_t lo = cfg->min_replicas, hi = 0;
  const cJSON *sources;
  if (!jv_object(v, spec, manifest ? manifest_keys : keys) ||
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

bool pa_spec_load(jv *v, policy_config *cfg, const cJSON *spec) {
  return spec_load(v, cfg, spec, false);
}

static bool starts_with(const char *s, const char *prefix) {
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Whether the configured generation reads annotation `key` (policy_annotation_set's dispatch). */
static bool generation_reads(const policy_config *cfg, const char *key) {
  switch (cfg->variant) {
  case POLICY_AIBRIX_LEGACY:
    if (cfg->kind == POLICY_KPA) return kpa_annotation_known(key);
    return cfg->kind == POLICY_APA && apa_annotation_known(key);
  case POLICY_AIBRIX_V05: return aibrix5_annotation_known(key);
  case POLICY_KNATIVE: return starts_with(key, "autoscaling.knative.dev/");
  case POLICY_KUBERNETES: return false;
  }
  return false;
}

/* A manifest's annotation that the configured generation does not read and that is no typo:
 * another controller's (kubectl.kubernetes.io/last-applied-configuration), one that another
 * generation reads (a manifest written for several), or one of the un-prefixed fluctuation
 * tolerances of AIBrix's own samples (no generation reads those). Upstream ignores all of them. */
static bool manifest_ignores(const policy_config *cfg, const char *key) {
  if (generation_reads(cfg, key)) return false;
  if (!strstr(key, "autoscaling.aibrix.ai/")) return true; /* Knative's keys included */
  return kpa_annotation_known(key) || apa_annotation_known(key) || aibrix5_annotation_known(key) ||
         !strcmp(key, "autoscaling.aibrix.ai/up-fluctuation-tolerance") ||
         !strcmp(key, "autoscaling.aibrix.ai/down-fluctuation-tolerance");
}

static bool annotations_load(jv *v, policy_config *cfg, const cJSON *ann, bool manifest) {
  if (!jv_object(v, ann, NULL)) return false;
  for (const cJSON *a = ann->child; a; a = a->next) {
    if (!cJSON_IsString(a)) {
      char found[96];
      jv_describe(a, found, sizeof found);
      return jv_fail_at(v, a->string, "expected a string (annotation values are strings), found %s",
                        found);
    }
    if (manifest && manifest_ignores(cfg, a->string)) continue;
    ps_err e = {0};
    if (!policy_annotation_set(cfg, a->string, a->valuestring, &e))
      return jv_fail_at(v, a->string, "%s", e.msg);
  }
  return true;
}

bool pa_annotations_load(jv *v, policy_config *cfg, const cJSON *ann) {
  return annotations_load(v, cfg, ann, false);
}

/* ---- manifests ---- */

/* metadata: any key (name, namespace, labels, what the API server adds); annotations are read. */
static bool metadata_load(jv *v, policy_config *cfg, const cJSON *doc) {
  const cJSON *meta = cJSON_GetObjectItemCaseSensitive(doc, "metadata"), *ann = NULL;
  if (!meta) return true;
  size_t mark = jv_enter(v, "metadata");
  bool ok = jv_object(v, meta, NULL);
  ann = ok ? cJSON_GetObjectItemCaseSensitive(meta, "annotations") : NULL;
  if (ann && !cJSON_IsNull(ann)) {
    size_t m2 = jv_enter(v, "annotations");
    ok = annotations_load(v, cfg, ann, true);
    jv_leave(v, m2);
  }
  jv_leave(v, mark);
  return ok;
}

/* spec.scaleTargetRef: a Deployment by name (an ObjectReference for AIBrix, where kind may be
 * left out; a CrossVersionObjectReference for the HPA, where it is required). */
static bool target_load(jv *v, const cJSON *spec, bool hpa, const char **name) {
  static const char *const keys[] = {"apiVersion",      "kind",      "name", "namespace", "uid",
                                     "resourceVersion", "fieldPath", NULL};
  static const char *const hpa_keys[] = {"apiVersion", "kind", "name", NULL};
  const cJSON *ref;
  const char *kind = NULL, *api = NULL;
  if (!jv_require(v, spec, "scaleTargetRef", &ref)) return false;
  size_t mark = jv_enter(v, "scaleTargetRef");
  bool ok = jv_object(v, ref, hpa ? hpa_keys : keys) && jv_string(v, ref, "kind", hpa, &kind) &&
            jv_string(v, ref, "apiVersion", false, &api) && jv_string(v, ref, "name", true, name);
  if (ok && kind && strcmp(kind, "Deployment") != 0)
    ok = jv_fail_at(v, "kind",
                    "expected \"Deployment\" (the scenario's deployments are "
                    "Deployments), found \"%s\"",
                    kind);
  jv_leave(v, mark);
  return ok;
}

/* A Kubernetes quantity, as a string ("500m") or a plain number. */
static bool quantity_load(jv *v, const cJSON *obj, const char *key, double *out) {
  const cJSON *node;
  if (!jv_require(v, obj, key, &node)) return false;
  if (cJSON_IsNumber(node) && isfinite(node->valuedouble)) {
    *out = node->valuedouble;
    return true;
  }
  if (cJSON_IsString(node) && go_parse_quantity(node->valuestring, out)) return true;
  char found[96];
  jv_describe(node, found, sizeof found);
  return jv_fail_at(v, key,
                    "expected a Kubernetes quantity such as \"50\", \"500m\" or \"1.5k\", found %s",
                    found);
}

/* One autoscaling/v2 metric: type Pods, a vLLM gauge by name, an AverageValue target. */
static bool hpa_metric_load(jv *v, policy_config *cfg, const cJSON *m) {
  static const char *const keys[] = {"type",   "pods",     "resource", "containerResource",
                                     "object", "external", NULL};
  static const char *const types[] = {"Pods",   "Resource", "ContainerResource",
                                      "Object", "External", NULL};
  static const char *const pods_keys[] = {"metric", "target", NULL};
  static const char *const metric_keys[] = {"name", "selector", NULL};
  static const char *const target_keys[] = {"type", "averageValue", "value", "averageUtilization",
                                            NULL};
  static const char *const target_types[] = {"AverageValue", "Value", "Utilization", NULL};
  int type = 0, target_type = 0, metric = 0;
  const cJSON *pods, *name, *target;
  if (!jv_object(v, m, keys) || !jv_choice(v, m, "type", true, types, &type)) return false;
  if (type != 0)
    return jv_fail_at(v, "type",
                      "podscale simulates Pods metrics only (a vLLM gauge of each pod, served by "
                      "a custom-metrics adapter); %s metrics are not simulated",
                      types[type]);
  if (!jv_require(v, m, "pods", &pods)) return false;
  size_t mark = jv_enter(v, "pods");
  bool ok = jv_object(v, pods, pods_keys) && jv_require(v, pods, "metric", &name) &&
            jv_require(v, pods, "target", &target);
  size_t m2 = jv_enter(v, "metric");
  ok = ok && jv_object(v, name, metric_keys) && jv_choice(v, name, "name", true, metrics, &metric);
  jv_leave(v, m2);
  m2 = jv_enter(v, "target");
  ok = ok && jv_object(v, target, target_keys) &&
       jv_choice(v, target, "type", true, target_types, &target_type);
  if (ok && target_type != 0)
    ok = jv_fail_at(v, "type",
                    "expected \"AverageValue\": a Pods metric's target is the mean "
                    "over the pods (Kubernetes allows no other)");
  for (int k = 2; ok && k < 4; k++)
    if (cJSON_GetObjectItemCaseSensitive(target, target_keys[k]))
      ok = jv_fail_at(v, target_keys[k],
                      "is for other target types; an AverageValue target "
                      "has averageValue only");
  ok = ok && quantity_load(v, target, "averageValue", &cfg->target_value);
  jv_leave(v, m2);
  jv_leave(v, mark);
  cfg->metric = (policy_metric)(metric % METRIC_COUNT);
  return ok;
}

/* An autoscaling/v2 HorizontalPodAutoscaler's spec (scaleTargetRef read by the caller). */
static bool hpa_spec_load(jv *v, policy_config *cfg, const cJSON *spec) {
  static const char *const keys[] = {"scaleTargetRef", "minReplicas", "maxReplicas",
                                     "metrics",        "behavior",    NULL};
  int64_t lo = cfg->min_replicas, hi = 0;
  const cJSON *ms;
  if (!jv_object(v, spec, keys) || !jv_int(v, spec, "minReplicas", false, 0, 100000, &lo) ||
      !jv_int(v, spec, "maxReplicas", true, 1, 100000, &hi))
    return false;
  if (!cJSON_GetObjectItemCaseSensitive(spec, "metrics"))
    return jv_fail_at(v, "metrics",
                      "required here: without it Kubernetes scales on 80 %% CPU utilization, "
                      "which podscale does not simulate; give one Pods metric");
  if (!jv_array(v, spec, "metrics", true, 1, &ms)) return false;
  if (cJSON_GetArraySize(ms) != 1)
    return jv_fail_at(v, "metrics",
                      "expected one metric (podscale feeds an HPA one Pods metric), "
                      "found %d",
                      cJSON_GetArraySize(ms));
  cfg->min_replicas = (int32_t)lo;
  cfg->max_replicas = (int32_t)hi;
  size_t mark = jv_enter(v, "metrics");
  jv_enter_index(v, 0);
  bool ok = hpa_metric_load(v, cfg, ms->child);
  jv_leave(v, mark);
  const cJSON *behavior = cJSON_GetObjectItemCaseSensitive(spec, "behavior");
  if (!ok || !behavior) return ok;
  mark = jv_enter(v, "behavior");
  ok = load_hpa_behavior(v, cfg, behavior);
  jv_leave(v, mark);
  return ok;
}

bool pa_manifest_load(jv *v, const cJSON *doc, policy_variant variant, policy_config *cfg,
                      const char **target) {
  static const char *const keys[] = {"apiVersion", "kind", "metadata", "spec", "status", NULL};
  const char *api = NULL, *kind = NULL;
  const cJSON *spec;
  *target = NULL;
  if (!jv_object(v, doc, NULL) || !jv_string(v, doc, "apiVersion", true, &api) ||
      !jv_string(v, doc, "kind", true, &kind))
    return false;
  bool aibrix = !strcmp(kind, "PodAutoscaler") && starts_with(api, "autoscaling.aibrix.ai/");
  bool hpa = !strcmp(kind, "HorizontalPodAutoscaler") && starts_with(api, "autoscaling/");
  if (!aibrix && !hpa) return true; /* another kind of object: not an autoscaler */
  if (aibrix && strcmp(api, "autoscaling.aibrix.ai/v1alpha1") != 0)
    return jv_fail_at(v, "apiVersion", "expected \"autoscaling.aibrix.ai/v1alpha1\", found \"%s\"",
                      api);
  if (hpa && strcmp(api, "autoscaling/v2") != 0 && strcmp(api, "autoscaling/v2beta2") != 0)
    return jv_fail_at(v, "apiVersion",
                      "expected \"autoscaling/v2\" (or \"autoscaling/v2beta2\", the same "
                      "schema), found \"%s\": podscale simulates Pods metrics, not v1's CPU "
                      "utilization",
                      api);
  if (!jv_object(v, doc, keys) || !jv_require(v, doc, "spec", &spec)) return false;
  size_t mark = jv_enter(v, "spec");
  int strategy = 0;
  bool ok;
  if (aibrix) {
    ok = jv_object(v, spec, NULL) &&
         jv_choice(v, spec, "scalingStrategy", true, strategies, &strategy);
    if (ok) policy_config_defaults(cfg, (policy_kind)strategy, variant);
    ok = ok && spec_load(v, cfg, spec, true) && target_load(v, spec, false, target);
  } else {
    policy_config_defaults(cfg, POLICY_HPA, POLICY_KUBERNETES);
    ok = hpa_spec_load(v, cfg, spec) && target_load(v, spec, true, target);
  }
  jv_leave(v, mark);
  return ok && metadata_load(v, cfg, doc);
}
