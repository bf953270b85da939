/*
 * Policies of manifest files (docs/manifests.md): AIBrix's PodAutoscaler and Kubernetes'
 * HorizontalPodAutoscaler read from YAML, bound to deployments by spec.scaleTargetRef, one
 * autoscaler per deployment, each run at its own period. Every bad manifest fails with the file,
 * the line and the path.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "sim/run/cluster.h"
#include "sim/scenario/scenario.h"
#include "testutil.h"

#define S INT64_C(1000000)

/* Two deployments on one GPU type, `policies` as given. */
static const char *const scenario_head =
    "{\"name\": \"m\", \"seed\": 1, \"duration_s\": 60, \"warmup_s\": 0,\n"
    " \"workload\": {\"arrivals\": {\"type\": \"segments\", \"segments\": [{\"duration_s\": 60, "
    "\"rate\": 2}]},\n"
    "  \"input_tokens\": {\"dist\": \"constant\", \"value\": 100},\n"
    "  \"output_tokens\": {\"dist\": \"constant\", \"value\": 50}},\n"
    " \"gpus\": [{\"name\": \"V100-32GB\", \"count\": 8}],\n"
    " \"deployments\": [\n"
    "  {\"name\": \"chat\", \"gpu\": \"V100-32GB\", \"model\": {\"type\": \"llm\", \"llm\": "
    "\"deepseek-llm-7b-chat\"}},\n"
    "  {\"name\": \"code\", \"gpu\": \"V100-32GB\", \"model\": {\"type\": \"llm\", \"llm\": "
    "\"deepseek-llm-7b-chat\"}}],\n"
    " \"policies\": [";

/* A KPA for `chat` and an autoscaling/v2 HPA for `code`, in one file with a Service. */
static const char *const two_kinds =
    "apiVersion: v1\n"
    "kind: Service\n"
    "metadata: {name: chat}\n"
    "spec: {ports: [{port: 8000}]}\n"
    "---\n"
    "apiVersion: autoscaling.aibrix.ai/v1alpha1\n"
    "kind: PodAutoscaler\n"
    "metadata:\n"
    "  name: chat-kpa\n"
    "  namespace: default\n"
    "  annotations:\n"
    "    kpa.autoscaling.aibrix.ai/scale-down-delay: 2m\n"
    "    kubectl.kubernetes.io/last-applied-configuration: '{}'\n"
    "spec:\n"
    "  scalingStrategy: KPA\n"
    "  minReplicas: 1\n"
    "  maxReplicas: 4\n"
    "  metricsSources:\n"
    "    - {metricSourceType: pod, port: '8000', targetMetric: gpu_cache_usage_perc, "
    "targetValue: '0.5'}\n"
    "  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: chat}\n"
    "status: {desiredScale: 3}\n"
    "---\n"
    "apiVersion: autoscaling/v2\n"
    "kind: HorizontalPodAutoscaler\n"
    "metadata: {name: code-hpa}\n"
    "spec:\n"
    "  scaleTargetRef:\n"
    "    apiVersion: apps/v1\n"
    "    kind: Deployment\n"
    "    name: code\n"
    "  maxReplicas: 6\n"
    "  metrics:\n"
    "    - type: Pods\n"
    "      pods:\n"
    "        metric: {name: 'vllm:num_requests_waiting'}\n"
    "        target: {type: AverageValue, averageValue: 1500m}\n"
    "  behavior:\n"
    "    scaleDown:\n"
    "      stabilizationWindowSeconds: 60\n"
    "      policies: [{type: Percent, value: 50, periodSeconds: 30}]\n";

typedef struct fixture {
  char dir[64];
  char path[256];
  scenario sc;
  ps_err err;
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  tu_tmpdir(f->dir);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  scenario_free(&f->sc);
  tu_rmrf(f->dir);
  free(f);
  return 0;
}

static void put(fixture *f, const char *name, const char *text) {
  char path[256];
  tu_write(f->dir, name, text, path, sizeof path);
}

/* The scenario with `policies` (the JSON text inside the array) loads, or fails. */
static bool load(fixture *f, const char *policies) {
  size_t n = strlen(scenario_head) + strlen(policies) + 8;
  char *text = malloc(n);
  snprintf(text, n, "%s%s]}\n", scenario_head, policies);
  tu_write(f->dir, "s.json", text, f->path, sizeof f->path);
  free(text);
  scenario_free(&f->sc);
  return scenario_load(f->path, &f->sc, &f->err);
}

/* The failure's message from the scenario's folder on ("DIR/" left out). */
static const char *failure(fixture *f, const char *policies) {
  assert_false(load(f, policies));
  const char *m = strstr(f->err.msg, f->dir);
  return m ? m + strlen(f->dir) + 1 : f->err.msg;
}

/* Field by field (the structs' padding is not theirs to compare). */
static void kpa_params_same(const kpa_params *a, const kpa_params *b) {
  assert_true(a->target == b->target && a->total == b->total);
  assert_true(a->max_scale_up_rate == b->max_scale_up_rate);
  assert_true(a->max_scale_down_rate == b->max_scale_down_rate);
  assert_true(a->target_burst_capacity == b->target_burst_capacity);
  assert_int_equal(a->activation_scale, b->activation_scale);
  assert_true(a->panic_threshold == b->panic_threshold);
  assert_int_equal(a->stable_window_us, b->stable_window_us);
  assert_int_equal(a->panic_window_us, b->panic_window_us);
  assert_int_equal(a->scale_down_delay_us, b->scale_down_delay_us);
}

static void apa_params_same(const apa_params *a, const apa_params *b) {
  assert_true(a->target == b->target);
  assert_true(a->max_scale_up_rate == b->max_scale_up_rate);
  assert_true(a->max_scale_down_rate == b->max_scale_down_rate);
  assert_true(a->up_tolerance == b->up_tolerance && a->down_tolerance == b->down_tolerance);
  assert_int_equal(a->window_us, b->window_us);
}

static void hpa_params_same(const hpa_params *a, const hpa_params *b) {
  assert_int_equal(a->min_replicas, b->min_replicas);
  assert_int_equal(a->max_replicas, b->max_replicas);
  assert_int_equal(a->n_metrics, b->n_metrics);
  for (int32_t m = 0; m < a->n_metrics; m++) {
    assert_int_equal(a->metrics[m].kind, b->metrics[m].kind);
    assert_int_equal(a->metrics[m].target, b->metrics[m].target);
  }
  assert_int_equal(a->has_behavior, b->has_behavior);
  assert_true(a->tolerance_up == b->tolerance_up && a->tolerance_down == b->tolerance_down);
  assert_int_equal(a->sync_period_us, b->sync_period_us);
  assert_int_equal(a->downscale_stabilization_us, b->downscale_stabilization_us);
}

static void aibrix_manifests_load_as_their_inline_copies(void **state) {
  fixture *f = *state;
  scenario inl, man;
  assert_true(scenario_load(PODSCALE_SOURCE_DIR "/scenarios/aibrix-v100-set0.json", &inl, &f->err));
  assert_true(scenario_load(PODSCALE_SOURCE_DIR "/scenarios/aibrix-v100-set0-manifests.json", &man,
                            &f->err));
  assert_int_equal(inl.npolicies, 4);
  assert_int_equal(man.npolicies, 4);
  for (uint32_t i = 0; i < 4; i++) {
    const policy_config *a = &inl.policies[i].cfg, *b = sc_policy_config(&man.policies[i], 0);
    assert_string_equal(inl.policies[i].name, man.policies[i].name);
    assert_non_null(man.policies[i].per_deployment);
    assert_int_equal(a->kind, b->kind);
    assert_int_equal(a->variant, b->variant);
    assert_int_equal(a->period_us, b->period_us);
    assert_int_equal(a->initial_replicas, b->initial_replicas);
    assert_int_equal(a->min_replicas, b->min_replicas);
    assert_int_equal(a->max_replicas, b->max_replicas);
    assert_int_equal(a->metric, b->metric);
    assert_true(a->target_value == b->target_value);
    kpa_params_same(&a->kpa, &b->kpa);
    apa_params_same(&a->apa, &b->apa);
    hpa_params_same(&a->hpa, &b->hpa);
  }
  assert_int_equal(man.policies[1].cfg.kpa.scale_down_delay_us, 180 * S);
  scenario_free(&inl);
  scenario_free(&man);
}

static void each_deployment_gets_the_manifest_that_names_it(void **state) {
  fixture *f = *state;
  put(f, "both.yaml", two_kinds);
  assert_true(load(f, "{\"name\": \"mixed\", \"manifests\": [\"both.yaml\"]}"));
  const sc_policy *p = &f->sc.policies[0];
  const policy_config *chat = sc_policy_config(p, 0), *code = sc_policy_config(p, 1);
  assert_int_equal(chat->kind, POLICY_KPA);
  assert_int_equal(chat->variant, POLICY_AIBRIX_LEGACY);
  assert_int_equal(chat->period_us, 10 * S);
  assert_int_equal(chat->max_replicas, 4);
  assert_int_equal(chat->kpa.scale_down_delay_us, 120 * S);
  assert_int_equal(code->kind, POLICY_HPA);
  assert_int_equal(code->variant, POLICY_KUBERNETES);
  assert_int_equal(code->period_us, 15 * S);
  assert_int_equal(code->min_replicas, 1); /* Kubernetes' default */
  assert_int_equal(code->max_replicas, 6);
  assert_int_equal(code->metric, METRIC_WAITING);
  assert_true(code->target_value == 1.5);
  assert_int_equal(code->hpa.metrics[0].target, 1500); /* milli-units */
  assert_true(code->hpa.has_behavior);
  assert_int_equal(code->hpa.behavior.down.stabilization_s, 60);
  assert_int_equal(code->hpa.behavior.down.policies[0].value, 50);
  assert_false(scenario_policy_reads_optimizer(&f->sc, p));
}

typedef struct ticks {
  int64_t last_us[2];
  int64_t step_us[2];
  int n[2];
} ticks;

static void on_decision(void *ctx, const cluster_decision *d) {
  ticks *t = ctx;
  uint32_t k = d->deployment;
  if (t->n[k]++) t->step_us[k] = d->time_us - t->last_us[k];
  t->last_us[k] = d->time_us;
}

static void each_autoscaler_runs_at_its_own_period(void **state) {
  fixture *f = *state;
  put(f, "both.yaml", two_kinds);
  assert_true(load(f, "{\"name\": \"mixed\", \"manifests\": [\"both.yaml\"]}"));
  ticks t = {0};
  cluster_hooks h = {.ctx = &t, .decision = on_decision};
  cluster_result res;
  cluster_run(&f->sc, 0, f->sc.seed, &h, &res);
  assert_int_equal(t.step_us[0], 10 * S);
  assert_int_equal(t.step_us[1], 15 * S);
  assert_true(t.n[0] >= 6 && t.n[1] >= 4);
}

static void bindings_are_checked(void **state) {
  fixture *f = *state;
  put(f, "both.yaml", two_kinds);
  char *other = xstrdup(two_kinds);
  *strstr(other, "name: code\n") = 'N'; /* "Name: code": a key scaleTargetRef does not have */
  put(f, "other.yaml", other);
  memcpy(strstr(other, "Name: code\n"), "name: tool", 10);
  put(f, "tools.yaml", other);
  free(other);
  assert_string_equal(failure(f, "{\"name\": \"x\", \"manifests\": [\"tools.yaml\"]}"),
                      "tools.yaml:30: spec.scaleTargetRef.name: expected the name of one of the "
                      "scenario's deployments (\"chat\", \"code\"), found \"tool\"");
  assert_string_equal(failure(f, "{\"name\": \"x\", \"manifests\": [\"other.yaml\"]}"),
                      "other.yaml:30: spec.scaleTargetRef.Name: unknown key (expected one of: "
                      "apiVersion, kind, name)");
  const char *twice =
      failure(f, "{\"name\": \"x\", \"manifests\": [\"both.yaml\", \"both.yaml\"]}");
  assert_non_null(strstr(twice, "both.yaml:20: spec.scaleTargetRef.name: deployment \"chat\" has "
                                "an autoscaler already ("));
  assert_non_null(strstr(twice, "both.yaml:6); a policy gives each deployment one"));
}

static void every_deployment_needs_one_and_every_file_holds_one(void **state) {
  fixture *f = *state;
  char chat_only[2048];
  snprintf(chat_only, sizeof chat_only, "%.*s",
           (int)(strstr(two_kinds, "---\napiVersion: autoscaling/v2") - two_kinds), two_kinds);
  put(f, "chat.yaml", chat_only);
  assert_non_null(strstr(failure(f, "{\"name\": \"x\", \"manifests\": [\"chat.yaml\"]}"),
                         "s.json: policies[0].manifests: expected a manifest for every deployment, "
                         "found none whose spec.scaleTargetRef.name is \"code\""));
  assert_string_equal(
      failure(f, "{\"name\": \"x\", \"type\": \"kpa\", \"manifests\": [\"chat.yaml\"]}"),
      "s.json: policies[0].type: is not for a policy of manifests: each manifest gives its "
      "deployment's autoscaler (spec.scalingStrategy, or kind HorizontalPodAutoscaler), spec and "
      "annotations");
  put(f, "svc.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: chat}\n");
  assert_string_equal(failure(f, "{\"name\": \"x\", \"manifests\": [\"svc.yaml\"]}"),
                      "svc.yaml: expected a PodAutoscaler (autoscaling.aibrix.ai/v1alpha1) or a "
                      "HorizontalPodAutoscaler (autoscaling/v2), found none (objects of other "
                      "kinds are skipped)");
  assert_string_equal(failure(f, "{\"name\": \"x\", \"manifests\": [\"absent.yaml\"]}"),
                      "absent.yaml: cannot open: No such file or directory");
}

/* One manifest for `chat` with `spec` (YAML lines at two spaces) and annotations. */
static const char *chat_manifest(fixture *f, const char *kind, const char *spec,
                                 const char *annotations) {
  char text[2048];
  bool hpa = !strcmp(kind, "HorizontalPodAutoscaler");
  snprintf(text, sizeof text,
           "apiVersion: %s\nkind: %s\nmetadata:\n  annotations:\n%s\nspec:\n"
           "  scaleTargetRef: {kind: Deployment, name: chat}\n%s",
           hpa ? "autoscaling/v2" : "autoscaling.aibrix.ai/v1alpha1", kind,
           annotations ? annotations : "    a: b", spec);
  put(f, "c.yaml", text);
  put(f, "d.yaml",
      "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nspec:\n"
      "  scaleTargetRef: {kind: Deployment, name: code}\n  maxReplicas: 2\n"
      "  metrics: [{type: Pods, pods: {metric: {name: num_requests_running}, "
      "target: {type: AverageValue, averageValue: 4}}}]\n");
  return failure(f, "{\"name\": \"x\", \"manifests\": [\"c.yaml\", \"d.yaml\"]}");
}

#define HPA "HorizontalPodAutoscaler"
#define PA "PodAutoscaler"
#define POD_METRIC                                                                                 \
  "  metrics: [{type: Pods, pods: {metric: {name: gpu_cache_usage_perc}, target: {type: "          \
  "AverageValue, averageValue: %s}}}]\n"

static void manifest_errors_name_file_line_and_path(void **state) {
  fixture *f = *state;
  assert_string_equal(
      chat_manifest(f, HPA, "  maxReplicas: 4\n  metrics: [{type: Resource}]\n", NULL),
      "c.yaml:9: spec.metrics[0].type: podscale simulates Pods metrics only (a "
      "vLLM gauge of each pod, served by a custom-metrics adapter); Resource "
      "metrics are not simulated");
  assert_string_equal(chat_manifest(f, HPA, "  maxReplicas: 4\n", NULL),
                      "c.yaml:6: spec.metrics: required here: without it Kubernetes scales on "
                      "80 % CPU utilization, which podscale does not simulate; give one Pods "
                      "metric");
  char spec[512];
  snprintf(spec, sizeof spec, "  maxReplicas: 4\n" POD_METRIC, "5O");
  assert_string_equal(chat_manifest(f, HPA, spec, NULL),
                      "c.yaml:9: spec.metrics[0].pods.target.averageValue: expected a Kubernetes "
                      "quantity such as \"50\", \"500m\" or \"1.5k\", found the string \"5O\"");
  snprintf(
      spec, sizeof spec,
      "  maxReplicas: 4\n  metrics: [{type: Pods, pods: {metric: {name: gpu_cache_usage_perc}, "
      "target: {type: Utilization, averageUtilization: 50}}}]\n");
  assert_non_null(strstr(chat_manifest(f, HPA, spec, NULL),
                         "c.yaml:9: spec.metrics[0].pods.target.type: expected \"AverageValue\""));
  assert_string_equal(
      chat_manifest(f, PA,
                    "  scalingStrategy: KPA\n  maxReplicas: 4\n  metricsSources:\n"
                    "    - {targetMetric: gpu_cache_usage_perc, targetValue: '0.5'}\n",
                    "    autoscaling.aibrix.ai/scale-down-dealy: 1m"),
      "c.yaml:5: metadata.annotations.autoscaling.aibrix.ai/scale-down-dealy: annotation "
      "\"autoscaling.aibrix.ai/scale-down-dealy\" is not read by the AIBrix v0.2-v0.4.1 KPA "
      "(upstream ignores it silently)");
  assert_string_equal(
      chat_manifest(f, PA,
                    "  scalingStrategy: KPA\n  maxReplicas: 4\n  metricsSources:\n"
                    "    - {targetMetric: gpu_cache_usage_perc, targetValue: '70'}\n",
                    NULL),
      "c.yaml:6: spec: targetValue 70 is outside gpu_cache_usage_perc's range for "
      "the KPA, which reads cache usage as a fraction (0 to 1): it is never "
      "reached, so the KPA never scales up; write 0.7 for 70 %");
  assert_string_equal(chat_manifest(f, PA, "  scalingStrategy: XPA\n", NULL),
                      "c.yaml:8: spec.scalingStrategy: expected one of \"\", \"HPA\", \"KPA\", "
                      "\"APA\", found the string \"XPA\"");
  put(f, "v1.yaml", "apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nspec: {}\n");
  assert_non_null(strstr(failure(f, "{\"name\": \"x\", \"manifests\": [\"v1.yaml\"]}"),
                         "v1.yaml:1: apiVersion: expected \"autoscaling/v2\""));
  put(f, "bad.yaml", "spec:\n  a: [1\n");
  assert_string_equal(failure(f, "{\"name\": \"x\", \"manifests\": [\"bad.yaml\"]}"),
                      "bad.yaml:3:1: YAML syntax error: did not find expected ',' or ']' (while "
                      "parsing a flow sequence, at line 2)");
}

int main(void) {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(aibrix_manifests_load_as_their_inline_copies),
      T(each_deployment_gets_the_manifest_that_names_it),
      T(each_autoscaler_runs_at_its_own_period),
      T(bindings_are_checked),
      T(every_deployment_needs_one_and_every_file_holds_one),
      T(manifest_errors_name_file_line_and_path),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
