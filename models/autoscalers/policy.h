/*
 * policy: how many replicas each deployment should have, and the metric pipeline that feeds the
 * autoscalers what a cluster would show them.
 *
 * A policy is one scenario entry: a fixed replica count, or a PodAutoscaler strategy (HPA, KPA,
 * APA) in one of the upstream generations (variant). Each deployment gets its own autoscaler
 * instance (policy_new), which the engine calls every policy_period_us with what the pods of that
 * deployment show at that instant (policy_obs: every pod not yet stopped, its phase and its vLLM
 * gauges). The instance scrapes, aggregates and windows exactly as its upstream generation does,
 * runs the decision function of its module (models/autoscalers/kpa.h, apa.h, aibrix5.h, knative.h,
 * hpa.h) and returns the replica count to set. It never sees the event queue.
 *
 * Who is scraped and counted (upstream's controllers; docs/autoscalers.md, "What they see"):
 *  - AIBrix legacy KPA/APA (v0.2-v0.4.1): Ready pods only; the tick's sample is the SUM of their
 *    values; rate limits and the APA's per-pod division use the Ready count. No Ready pod: the
 *    KPA records nothing, the APA records 0.
 *  - AIBrix v0.5+ KPA/APA: every pod with an IP (scheduled); a pod whose /metrics does not answer
 *    (still initializing or loading) counts as 0; the sample is the MEAN; the algorithm gets
 *    spec.replicas.
 *  - Knative KPA: Ready pods, the sum, one scrape per second, a decision every 2 s.
 *  - Kubernetes HPA: Pending pods are unready, a Running pod without a sample is missing, a
 *    Running pod with one counts whatever its readiness (custom metrics), a terminating pod is
 *    ignored.
 *  - The GPU optimizer's metric (metricSourceType domain, vllm:deployment_replicas, AIBrix
 *    legacy KPA only): one value per tick, whatever the pods, recorded as the tick's sample.
 * Terminating pods (draining) are out of routing and not counted as Ready by any generation; the
 * v0.5+ scrape still reads them (they keep their IP and answer until stopped).
 *
 * Units: the KPA and APA compare the raw vLLM gauge with targetValue, so gpu_cache_usage_perc is a
 * 0-1 fraction for them (a target of 70 % is "0.7"). The HPA reads a Pods metric through a custom
 * metrics adapter and AIBrix writes its target as an integer (int64(targetValue)), so the
 * simulated adapter exposes cache usage in percent (a target of 70 % is "70").
 */
#ifndef PODSCALE_POLICY_H
#define PODSCALE_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "models/autoscalers/aibrix5.h"
#include "models/autoscalers/apa.h"
#include "models/autoscalers/hpa.h"
#include "models/autoscalers/knative.h"
#include "models/autoscalers/kpa.h"

typedef enum policy_kind { POLICY_FIXED, POLICY_HPA, POLICY_KPA, POLICY_APA } policy_kind;

typedef enum policy_variant {
  POLICY_AIBRIX_LEGACY, /* AIBrix v0.2.0 ... v0.4.1 (the default) */
  POLICY_AIBRIX_V05,    /* AIBrix v0.5.0 and later */
  POLICY_KNATIVE,       /* Knative Serving's KPA (kpa only) */
  POLICY_KUBERNETES,    /* an HPA as written by hand, with spec.behavior if given (hpa only) */
} policy_variant;

/* The pod gauges an autoscaler can scale on (AIBrix's metric registry keys). */
typedef enum policy_metric {
  METRIC_GPU_CACHE_USAGE,          /* gpu_cache_usage_perc -> vllm:gpu_cache_usage_perc, 0-1 */
  METRIC_KV_CACHE_USAGE,           /* kv_cache_usage_perc -> vllm:kv_cache_usage_perc, 0-1 */
  METRIC_RUNNING,                  /* num_requests_running -> vllm:num_requests_running */
  METRIC_WAITING,                  /* num_requests_waiting -> vllm:num_requests_waiting */
  METRIC_COUNT,                    /* the pod gauges end here */
  METRIC_OPTIMIZER = METRIC_COUNT, /* vllm:deployment_replicas from the GPU optimizer (domain) */
} policy_metric;

typedef struct policy_config {
  policy_kind kind;
  policy_variant variant;
  int64_t period_us;        /* how often policy_tick is called */
  const int32_t *replicas;  /* fixed: replicas per deployment */
  int32_t initial_replicas; /* autoscalers: spec.replicas of each deployment at time 0 */
  /* Autoscalers (the PodAutoscaler spec). */
  int32_t min_replicas;   /* minReplicas (controller default 1) */
  int32_t max_replicas;   /* maxReplicas */
  policy_metric metric;   /* targetMetric */
  double target_value;    /* targetValue, as parsed */
  kpa_params kpa;         /* kind KPA, AIBrix legacy */
  apa_params apa;         /* kind APA, AIBrix legacy */
  aibrix5_params aibrix5; /* KPA/APA/HPA, AIBrix v0.5+ */
  kn_params kn;           /* kind KPA, Knative */
  hpa_params hpa;         /* kind HPA (every variant) */
} policy_config;

/* Pod phases as the autoscalers can tell them apart. */
typedef enum policy_pod_phase {
  POD_PHASE_UNSCHEDULED,  /* Pending, waiting for a GPU: no node, no IP */
  POD_PHASE_INITIALIZING, /* Pending on its node: image pull, container start; /metrics down */
  POD_PHASE_LOADING,      /* Running, vLLM loading the model: /metrics down */
  POD_PHASE_UNREADY,      /* Running and serving, readiness probe not passed yet */
  POD_PHASE_READY,        /* Running and Ready: routed */
  POD_PHASE_TERMINATING,  /* being deleted: out of routing, draining */
} policy_pod_phase;

typedef struct policy_pod {
  policy_pod_phase phase;
  int32_t running, waiting; /* vLLM gauges (0 while not serving) */
  double kv_usage;          /* 0-1 */
} policy_pod;

/* What a policy sees of one deployment at one tick. */
typedef struct policy_obs {
  int64_t now_us;
  uint32_t deployment;    /* index in the scenario's deployments */
  int32_t current;        /* spec.replicas: the replicas the deployment asks for now */
  const policy_pod *pods; /* every pod of the deployment not yet stopped, oldest first */
  uint32_t npods;
  double optimizer; /* vllm:deployment_replicas the GPU optimizer serves for it, or NaN */
} policy_obs;

/* One evaluation, for decisions.csv. Fields that do not apply are NaN or -1. */
typedef struct policy_decision {
  bool logged;            /* false: a tick that only scraped (Knative's 1 s scrapes) */
  int32_t desired;        /* replicas to have now (== current: leave them) */
  int32_t ready;          /* ready pods the algorithm was given */
  double value;           /* this tick's sample: sum, mean or HPA usage; NaN if none */
  double stable, panic;   /* window averages the decision used; NaN if none */
  int panic_mode;         /* 1 panicking, 0 not, -1 no panic mode */
  int32_t recommendation; /* the algorithm's count before bounds and stabilization, -1 none */
  const char *reason;     /* short static text */
} policy_decision;

typedef struct policy_inst policy_inst;

/* A policy's default settings before the scenario's keys: period and upstream defaults. */
void policy_config_defaults(policy_config *cfg, policy_kind kind, policy_variant variant);
/* Finish a configuration after the scenario's keys (targets, bounds into each module's
 * parameters); false with a message when the combination is invalid. */
bool policy_config_finish(policy_config *cfg, ps_err *e);
/* Set one annotation for the configured kind and variant; false with a message when that
 * generation does not read the key or the value does not parse. */
bool policy_annotation_set(policy_config *cfg, const char *key, const char *value, ps_err *e);

/* An autoscaler for one deployment (the config must outlive it). */
policy_inst *policy_new(const policy_config *cfg, uint32_t deployment);
void policy_free(policy_inst *p);
/* One tick at obs->now_us; fills *out and returns the replicas to have. */
int32_t policy_tick(policy_inst *p, const policy_obs *obs, policy_decision *out);

/* The metric's value for one pod, in the units the autoscaler of `kind` sees. */
double policy_metric_value(policy_metric m, policy_kind kind, const policy_pod *pod);

const char *policy_kind_name(policy_kind k);
const char *policy_variant_name(policy_variant v);
const char *policy_metric_name(policy_metric m);

#endif
