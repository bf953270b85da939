#include "models/autoscalers/policy.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

#define SECOND_US 1000000LL
#define AIBRIX_TICK_US 10000000LL /* resyncInterval, both generations */

struct policy_inst {
  const policy_config *cfg;
  uint32_t deployment;
  bool started;           /* the per-deployment state exists (created at the first tick) */
  kpa_state kpa;          /* KPA, AIBrix legacy */
  apa_state apa;          /* APA, AIBrix legacy */
  kn_state kn;            /* KPA, Knative */
  hpa_state hpa;          /* HPA */
  aibrix5_client client;  /* AIBrix v0.5+: the metric windows */
  aibrix5_history recent; /* AIBrix v0.5+: the cooldown history */
  double *values;         /* scratch: one tick's scraped values */
  hpa_pod_sample *samples;
  uint32_t cap;
};

const char *policy_kind_name(policy_kind k) {
  static const char *const names[] = {"fixed", "hpa", "kpa", "apa"};
  return names[k];
}

const char *policy_variant_name(policy_variant v) {
  static const char *const names[] = {"aibrix-legacy", "aibrix-v0.5", "knative", "kubernetes"};
  return names[v];
}

const char *policy_metric_name(policy_metric m) {
  static const char *const names[] = {"gpu_cache_usage_perc", "kv_cache_usage_perc",
                                      "num_requests_running", "num_requests_waiting",
                                      "vllm:deployment_replicas"};
  return names[m];
}

double policy_metric_value(policy_metric m, policy_kind kind, const policy_pod *pod) {
  /* The HPA reads through the custom-metrics adapter, which exposes cache usage in percent. */
  double cache_scale = kind == POLICY_HPA ? 100.0 : 1.0;
  switch (m) {
  case METRIC_GPU_CACHE_USAGE:
  case METRIC_KV_CACHE_USAGE: return pod->kv_usage * cache_scale;
  case METRIC_RUNNING: return pod->running;
  case METRIC_WAITING: return pod->waiting;
  case METRIC_OPTIMIZER: break; /* not a pod gauge */
  }
  assert(0);
  return 0;
}

/* ---- configuration ---- */

void policy_config_defaults(policy_config *cfg, policy_kind kind, policy_variant variant) {
  memset(cfg, 0, sizeof *cfg);
  cfg->kind = kind;
  cfg->variant = variant;
  cfg->min_replicas = 1;
  cfg->max_replicas = 0;
  cfg->initial_replicas = -1;
  cfg->metric = METRIC_GPU_CACHE_USAGE;
  cfg->target_value = NAN;
  cfg->kpa = kpa_params_default(1);
  cfg->apa = apa_params_default(1);
  cfg->aibrix5 = aibrix5_params_default(1);
  cfg->kn = kn_params_default();
  cfg->hpa = hpa_params_default();
  switch (kind) {
  case POLICY_FIXED: cfg->period_us = 30 * SECOND_US; break;
  case POLICY_HPA: cfg->period_us = cfg->hpa.sync_period_us; break;
  case POLICY_KPA:
  case POLICY_APA: cfg->period_us = variant == POLICY_KNATIVE ? KN_SCRAPE_US : AIBRIX_TICK_US;
  }
  /* The Knative variant compares the gauge with the target as given: no utilization factor. */
  if (variant == POLICY_KNATIVE) {
    bool ok = kn_params_set(&cfg->kn, "autoscaling.knative.dev/target-utilization-percentage",
                            "100", NULL);
    assert(ok);
    (void)ok;
  }
}

bool policy_annotation_set(policy_config *cfg, const char *key, const char *value, ps_err *e) {
  const char *who = NULL;
  bool known = false;
  switch (cfg->variant) {
  case POLICY_AIBRIX_LEGACY:
    if (cfg->kind == POLICY_KPA) {
      who = "the AIBrix v0.2-v0.4.1 KPA";
      known = kpa_annotation_known(key);
      if (known) return kpa_params_set(&cfg->kpa, key, value, e);
    } else if (cfg->kind == POLICY_APA) {
      who = "the AIBrix v0.2-v0.4.1 APA";
      known = apa_annotation_known(key);
      if (known) return apa_params_set(&cfg->apa, key, value, e);
    } else {
      who = "the HPA that AIBrix v0.2-v0.4.1 generates (it sets no behavior)";
    }
    break;
  case POLICY_AIBRIX_V05:
    who = "AIBrix v0.5+";
    known = aibrix5_annotation_known(key);
    if (known) return aibrix5_params_set(&cfg->aibrix5, key, value, e);
    break;
  case POLICY_KNATIVE: {
    /* These three come from the PodAutoscaler spec (targetValue, minReplicas, maxReplicas). */
    static const char *const from_spec[] = {
        "autoscaling.knative.dev/target",    "autoscaling.knative.dev/min-scale",
        "autoscaling.knative.dev/max-scale", "autoscaling.knative.dev/minScale",
        "autoscaling.knative.dev/maxScale",  NULL};
    for (const char *const *k = from_spec; *k; k++)
      if (!strcmp(key, *k))
        return ps_fail(e,
                       "annotation \"%s\" is set from spec (targetValue, minReplicas, "
                       "maxReplicas); set it there",
                       key);
    return kn_params_set(&cfg->kn, key, value, e);
  }
  case POLICY_KUBERNETES: who = "a Kubernetes HPA (set spec.behavior instead)"; break;
  }
  return ps_fail(e, "annotation \"%s\" is not read by %s (upstream ignores it silently)", key, who);
}

/* The AIBrix HPA strategy: one Pods metric, min/max as the PodAutoscaler gives them. */
static bool finish_hpa(policy_config *cfg, ps_err *e) {
  hpa_params *h = &cfg->hpa;
  if (cfg->variant == POLICY_KUBERNETES) { /* the bounds as written; behavior set by the caller */
    h->min_replicas = cfg->min_replicas;
    h->max_replicas = cfg->max_replicas;
  } else {
    hpa_aibrix_bounds(h, cfg->min_replicas, cfg->max_replicas);
  }
  h->n_metrics = 1;
  h->metrics[0] = hpa_aibrix_metric(policy_metric_name(cfg->metric), cfg->target_value);
  if (cfg->variant == POLICY_KUBERNETES) /* a Pods metric AverageValue as written (milli) */
    h->metrics[0] = (hpa_metric_spec){HPA_PODS_AVERAGE_VALUE, llround(cfg->target_value * 1e3)};
  if (cfg->variant == POLICY_AIBRIX_V05) {
    const aibrix5_params *p = &cfg->aibrix5;
    h->has_behavior = true;
    h->behavior = hpa_behavior_aibrix(p->max_scale_up_rate, p->max_scale_down_rate,
                                      (double)p->scale_up_cooldown_us * 1e-6,
                                      (double)p->scale_down_cooldown_us * 1e-6);
  }
  if (h->metrics[0].target <= 0 && cfg->variant != POLICY_KUBERNETES)
    return ps_fail(e,
                   "target_value %g becomes the HPA AverageValue %lld (AIBrix writes "
                   "int64(targetValue)), which Kubernetes rejects; the HPA sees cache usage in "
                   "percent, so 70 %% is 70",
                   cfg->target_value, (long long)(h->metrics[0].target / 1000));
  return hpa_params_check(h, e);
}

/* A target the metric can reach: cache usage is a fraction (0 to 1) for the KPA and APA and a
 * percentage (0 to 100) for the HPA, which reads it through the custom-metrics adapter. A target
 * outside that range is never reached, so the autoscaler never scales up (a KPA at "70"). */
static bool target_in_range(const policy_config *cfg, ps_err *e) {
  if (cfg->metric != METRIC_GPU_CACHE_USAGE && cfg->metric != METRIC_KV_CACHE_USAGE) return true;
  double t = cfg->target_value;
  const char *m = policy_metric_name(cfg->metric);
  static const char *const strategy[] = {"", "HPA", "KPA", "APA"}; /* spec.scalingStrategy */
  const char *who = strategy[cfg->kind];
  if (cfg->kind == POLICY_HPA) {
    if (t >= 1 && t <= 100) return true;
    if (t > 100)
      return ps_fail(e,
                     "targetValue %g is outside %s's range for the HPA, which reads cache usage "
                     "in percent (0 to 100): it is never reached, so the HPA only scales down",
                     t, m);
    return ps_fail(e,
                   "targetValue %g is below 1 on %s, which the HPA reads in percent (0 to 100): "
                   "%g means %g %%; write %g for %g %%",
                   t, m, t, t, t * 100, t * 100);
  }
  if (t <= 1) return true;
  if (t <= 100)
    return ps_fail(e,
                   "targetValue %g is outside %s's range for the %s, which reads cache usage as a "
                   "fraction (0 to 1): it is never reached, so the %s never scales up; write %g "
                   "for %g %%",
                   t, m, who, who, t / 100, t);
  return ps_fail(e,
                 "targetValue %g is outside %s's range for the %s, which reads cache usage as a "
                 "fraction (0 to 1): it is never reached, so the %s never scales up",
                 t, m, who, who);
}

bool policy_config_finish(policy_config *cfg, ps_err *e) {
  if (cfg->kind == POLICY_FIXED) return true;
  if (cfg->variant == POLICY_KNATIVE && cfg->kind != POLICY_KPA)
    return ps_fail(e, "variant knative applies to kpa only");
  if (cfg->variant == POLICY_KUBERNETES && cfg->kind != POLICY_HPA)
    return ps_fail(e, "variant kubernetes applies to hpa only");
  if (cfg->metric == METRIC_OPTIMIZER &&
      (cfg->kind != POLICY_KPA || cfg->variant != POLICY_AIBRIX_LEGACY))
    return ps_fail(e, "the GPU optimizer's vllm:deployment_replicas is read by the AIBrix "
                      "legacy KPA only (AIBrix v0.5+ reads 0 from it; the HPA and APA do not read "
                      "domain sources)");
  if (cfg->initial_replicas < 0)
    cfg->initial_replicas = cfg->min_replicas > 0 ? cfg->min_replicas : 1;
  if (cfg->max_replicas < 1)
    return ps_fail(e, "max_replicas must be at least 1, got %d", cfg->max_replicas);
  if (cfg->min_replicas < 0 || cfg->min_replicas > cfg->max_replicas)
    return ps_fail(e, "min_replicas must be within 0..max_replicas (%d), got %d", cfg->max_replicas,
                   cfg->min_replicas);
  if (!(cfg->target_value > 0) || !isfinite(cfg->target_value))
    return ps_fail(e, "target_value must be a number greater than 0, got %g", cfg->target_value);
  if (!target_in_range(cfg, e)) return false;
  if (cfg->kind == POLICY_HPA) return finish_hpa(cfg, e);
  switch (cfg->variant) {
  case POLICY_AIBRIX_LEGACY:
    cfg->kpa.target = cfg->target_value;
    cfg->apa.target = cfg->target_value;
    return cfg->kind == POLICY_KPA ? kpa_params_check(&cfg->kpa, e)
                                   : apa_params_check(&cfg->apa, e);
  case POLICY_AIBRIX_V05:
    cfg->aibrix5.target = cfg->target_value;
    return aibrix5_params_check(&cfg->aibrix5, e);
  case POLICY_KUBERNETES: break; /* rejected above */
  case POLICY_KNATIVE: {
    char buf[64];
    snprintf(buf, sizeof buf, "%.17g", cfg->target_value);
    char lo[16], hi[16];
    snprintf(lo, sizeof lo, "%d", cfg->min_replicas);
    snprintf(hi, sizeof hi, "%d", cfg->max_replicas);
    /* targetValue and the PodAutoscaler bounds become the revision's annotations. */
    return kn_params_set(&cfg->kn, "autoscaling.knative.dev/target", buf, e) &&
           kn_params_set(&cfg->kn, "autoscaling.knative.dev/min-scale", lo, e) &&
           kn_params_set(&cfg->kn, "autoscaling.knative.dev/max-scale", hi, e) &&
           kn_params_check(&cfg->kn, e);
  }
  }
  assert(0);
  return false;
}

/* ---- instances ---- */

policy_inst *policy_new(const policy_config *cfg, uint32_t deployment) {
  policy_inst *p = xcalloc(1, sizeof *p);
  p->cfg = cfg;
  p->deployment = deployment;
  return p;
}

void policy_free(policy_inst *p) {
  if (!p) return;
  if (p->started) {
    const policy_config *c = p->cfg;
    if (c->kind == POLICY_HPA)
      hpa_state_free(&p->hpa);
    else if (c->variant == POLICY_KNATIVE)
      kn_state_free(&p->kn);
    else if (c->variant == POLICY_AIBRIX_V05) {
      aibrix5_client_free(&p->client);
      aibrix5_history_free(&p->recent);
    } else if (c->kind == POLICY_KPA)
      kpa_state_free(&p->kpa);
    else if (c->kind == POLICY_APA)
      apa_state_free(&p->apa);
  }
  free(p->values);
  free(p->samples);
  free(p);
}

static void reserve(policy_inst *p, uint32_t n) {
  if (n <= p->cap) return;
  p->cap = n > 2 * p->cap ? n : 2 * p->cap;
  p->values = xrealloc(p->values, p->cap * sizeof *p->values);
  p->samples = xrealloc(p->samples, p->cap * sizeof *p->samples);
}

static int32_t count_ready(const policy_obs *o) {
  int32_t n = 0;
  for (uint32_t i = 0; i < o->npods; i++)
    n += o->pods[i].phase == POD_PHASE_READY;
  return n;
}

/* The values of the pods that answer a legacy or Knative scrape: Ready pods. */
static uint32_t scrape_ready(policy_inst *p, const policy_obs *o) {
  reserve(p, o->npods);
  uint32_t n = 0;
  for (uint32_t i = 0; i < o->npods; i++)
    if (o->pods[i].phase == POD_PHASE_READY)
      p->values[n++] = policy_metric_value(p->cfg->metric, p->cfg->kind, &o->pods[i]);
  return n;
}

/* AIBrix v0.5+: every pod with an IP; one whose /metrics is down reads 0. */
static uint32_t scrape_all(policy_inst *p, const policy_obs *o) {
  reserve(p, o->npods);
  uint32_t n = 0;
  for (uint32_t i = 0; i < o->npods; i++) {
    const policy_pod *pod = &o->pods[i];
    if (pod->phase == POD_PHASE_UNSCHEDULED) continue;
    bool answers = pod->phase >= POD_PHASE_UNREADY;
    p->values[n++] = answers ? policy_metric_value(p->cfg->metric, p->cfg->kind, pod) : 0.0;
  }
  return n;
}

static double sum_of(const double *v, uint32_t n) {
  double s = 0;
  for (uint32_t i = 0; i < n; i++)
    s += v[i];
  return s;
}

static void decision_init(policy_decision *d, const policy_obs *o) {
  *d = (policy_decision){.logged = true,
                         .desired = o->current,
                         .ready = count_ready(o),
                         .value = NAN,
                         .stable = NAN,
                         .panic = NAN,
                         .panic_mode = -1,
                         .recommendation = -1,
                         .reason = ""};
}

/* The legacy controller's boundary checks; true when the algorithm is to run. */
static bool legacy_gate(const policy_config *c, const policy_obs *o, policy_decision *d) {
  int32_t desired;
  switch (aibrix_legacy_check(o->current, c->min_replicas, c->max_replicas, &desired)) {
  case AIBRIX_LEGACY_DISABLED: d->reason = "scaled to zero: autoscaling off"; return false;
  case AIBRIX_LEGACY_TO_MAX: d->reason = "above max_replicas"; break;
  case AIBRIX_LEGACY_TO_MIN: d->reason = "below min_replicas"; break;
  case AIBRIX_LEGACY_RUN: return true;
  }
  d->desired = desired;
  return false;
}

static void legacy_result(const policy_config *c, int32_t rec, policy_decision *d) {
  d->recommendation = rec;
  d->desired = aibrix_legacy_bound(c->min_replicas, c->max_replicas, rec);
}

static void tick_legacy_kpa(policy_inst *p, const policy_obs *o, policy_decision *d) {
  const policy_config *c = p->cfg;
  if (!p->started) kpa_state_init(&p->kpa, &c->kpa, o->current, o->now_us);
  p->started = true;
  if (c->metric == METRIC_OPTIMIZER) { /* one GET of the optimizer's endpoint */
    assert(!isnan(o->optimizer));      /* the engine runs an optimizer for this policy */
    kpa_record(&p->kpa, o->now_us, o->optimizer);
    d->value = o->optimizer;
  } else {
    uint32_t n = scrape_ready(p, o);
    if (kpa_record_pods(&p->kpa, o->now_us, p->values, n)) d->value = sum_of(p->values, n);
  }
  if (!legacy_gate(c, o, d)) return;
  kpa_result r;
  if (!kpa_scale(&p->kpa, d->ready, o->now_us, &r)) {
    d->reason = "no metric data yet";
    return;
  }
  d->stable = r.stable;
  d->panic = r.panic;
  d->panic_mode = r.panicking;
  legacy_result(c, r.desired, d);
  d->reason = r.panicking ? "panic window" : "stable window";
}

static void tick_legacy_apa(policy_inst *p, const policy_obs *o, policy_decision *d) {
  const policy_config *c = p->cfg;
  if (!p->started) apa_state_init(&p->apa, &c->apa);
  p->started = true;
  uint32_t n = scrape_ready(p, o);
  apa_record_pods(&p->apa, o->now_us, p->values, n);
  d->value = sum_of(p->values, n);
  if (!legacy_gate(c, o, d)) return;
  apa_result r;
  if (!apa_scale(&p->apa, d->ready, &r)) {
    d->reason = d->ready ? "no metric data yet" : "no ready pod";
    return;
  }
  d->stable = r.value;
  legacy_result(c, r.desired, d);
  d->reason = r.move == APA_UP     ? "above the up tolerance"
              : r.move == APA_DOWN ? "below the down tolerance"
                                   : "within tolerance";
}

static void tick_knative(policy_inst *p, const policy_obs *o, policy_decision *d) {
  const policy_config *c = p->cfg;
  if (!p->started) {
    kn_spec spec;
    kn_spec_from_params(&c->kn, &spec);
    kn_state_init(&p->kn, &spec, d->ready, o->now_us);
  }
  p->started = true;
  uint32_t n = scrape_ready(p, o);
  d->value = sum_of(p->values, n);
  kn_record(&p->kn, o->now_us, d->value, 0);
  if (o->now_us % KN_TICK_US != 0) { /* a scrape without a decision */
    d->logged = false;
    return;
  }
  kn_result r;
  int32_t want = kn_scale(&p->kn, d->ready, o->now_us, &r);
  if (r.valid) {
    d->stable = r.observed_stable;
    d->panic = r.observed_panic;
    d->panic_mode = r.panicking;
    d->recommendation = r.decider_desired;
  }
  if (want >= 0) d->desired = want;
  d->reason = r.reason;
}

static void tick_v05(policy_inst *p, const policy_obs *o, policy_decision *d) {
  const policy_config *c = p->cfg;
  if (!p->started) {
    aibrix5_client_init(&p->client, &c->aibrix5);
    aibrix5_history_init(&p->recent);
  }
  p->started = true;
  aibrix5_bounds b = {c->min_replicas, c->max_replicas};
  int32_t gated;
  aibrix5_gate gate = aibrix5_check(o->current, b, &gated);
  if (gate != AIBRIX5_RUN) { /* the short-cuts come before the scrape: nothing is recorded */
    d->desired = gated;
    d->reason = gate == AIBRIX5_DISABLED ? "scaled to zero: autoscaling off"
                : gate == AIBRIX5_TO_MAX ? "above max_replicas"
                                         : "below min_replicas";
    return;
  }
  uint32_t n = scrape_all(p, o);
  if (!aibrix5_client_update(&p->client, o->now_us, p->values, n)) {
    d->reason = "no pod to scrape";
    return;
  }
  d->value = sum_of(p->values, n) / n;
  d->stable = aibrix5_client_stable(&p->client);
  d->panic = aibrix5_client_panic(&p->client);
  int32_t rec;
  if (c->kind == POLICY_KPA) {
    aibrix5_kpa_result r;
    aibrix5_kpa_compute(&c->aibrix5, o->current, d->stable, d->panic, NULL, &r);
    d->panic_mode = r.in_panic;
    rec = r.desired;
  } else {
    aibrix5_apa_result r;
    aibrix5_apa_compute(&c->aibrix5, o->current, d->stable, &r);
    rec = r.desired;
  }
  rec = aibrix5_clamp(rec, b);
  d->recommendation = rec;
  int32_t stabilized = aibrix5_stabilize(&p->recent, &c->aibrix5, rec, o->current, o->now_us);
  d->desired = aibrix5_bound(stabilized, b); /* the controller's final clamp */
  d->reason = stabilized != rec    ? "held by the cooldown window"
              : d->panic_mode == 1 ? "panic window"
                                   : "stable window";
}

/* Kubernetes HPA: how each pod shows to the replica calculator for a Pods metric. */
static void tick_hpa(policy_inst *p, const policy_obs *o, policy_decision *d) {
  const policy_config *c = p->cfg;
  if (!p->started) hpa_state_init(&p->hpa);
  p->started = true;
  reserve(p, o->npods);
  int32_t live = 0, sampled = 0;
  double sum = 0;
  for (uint32_t i = 0; i < o->npods; i++) {
    const policy_pod *pod = &o->pods[i];
    hpa_pod_sample *s = &p->samples[i];
    *s = (hpa_pod_sample){.state = HPA_POD_READY};
    live += pod->phase != POD_PHASE_TERMINATING;
    switch (pod->phase) {
    case POD_PHASE_UNSCHEDULED:
    case POD_PHASE_INITIALIZING: s->state = HPA_POD_UNREADY; break;
    case POD_PHASE_LOADING: s->state = HPA_POD_MISSING; break;
    case POD_PHASE_TERMINATING: s->state = HPA_POD_IGNORED; break;
    case POD_PHASE_UNREADY:
    case POD_PHASE_READY: {
      double v = policy_metric_value(c->metric, c->kind, pod);
      s->value = llround(v * 1000.0);
      sum += v;
      sampled++;
    }
    }
  }
  hpa_metric_obs m = {.fetched = true, .pods = p->samples, .n_pods = (int32_t)o->npods};
  hpa_inputs in = {.current = o->current,
                   .status_replicas = live,
                   .pods = (int32_t)o->npods,
                   .ready_pods = d->ready,
                   .metrics = &m};
  hpa_result r;
  hpa_decide(&p->hpa, &c->hpa, &in, o->now_us, &r);
  if (sampled) d->value = sum / sampled;
  d->recommendation = r.proposal;
  d->desired = r.desired;
  d->reason = r.reason;
}

int32_t policy_tick(policy_inst *p, const policy_obs *o, policy_decision *d) {
  const policy_config *c = p->cfg;
  decision_init(d, o);
  switch (c->kind) {
  case POLICY_FIXED:
    d->desired = c->replicas[o->deployment];
    d->reason = d->desired == o->current ? "fixed: hold" : "fixed: set replicas";
    break;
  case POLICY_HPA: tick_hpa(p, o, d); break;
  case POLICY_KPA:
  case POLICY_APA:
    if (c->variant == POLICY_KNATIVE)
      tick_knative(p, o, d);
    else if (c->variant == POLICY_AIBRIX_V05)
      tick_v05(p, o, d);
    else if (c->kind == POLICY_KPA)
      tick_legacy_kpa(p, o, d);
    else
      tick_legacy_apa(p, o, d);
    break;
  }
  return d->desired;
}
