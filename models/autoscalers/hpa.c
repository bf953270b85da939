#include "models/autoscalers/hpa.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <strings.h>

#include "base/xalloc.h"

#define US_PER_S 1000000LL

/* --- Numbers as Go computes them --- */

/* int32(x) for a float already rounded: Go leaves out-of-range conversions undefined; saturate
 * (only reachable with absurd inputs) so C has no undefined behaviour either. */
static int32_t trunc_i32(double x) {
  if (isnan(x)) return 0;
  if (x >= (double)INT32_MAX) return INT32_MAX;
  if (x <= (double)INT32_MIN) return INT32_MIN;
  return (int32_t)x;
}

static int32_t ceil_i32(double x) { return trunc_i32(ceil(x)); }

static int32_t clamp_i32(int64_t x) {
  return x > INT32_MAX ? INT32_MAX : x < INT32_MIN ? INT32_MIN : (int32_t)x;
}

static int32_t min_i32(int32_t a, int32_t b) { return a <= b ? a : b; }
static int32_t max_i32(int32_t a, int32_t b) { return a >= b ? a : b; }

/* Tolerances.isWithin: inclusive at both ends. */
static bool within(const hpa_params *p, double ratio) {
  return 1.0 - p->tolerance_down <= ratio && ratio <= 1.0 + p->tolerance_up;
}

/* --- Defaults, validation, AIBrix --- */

hpa_behavior hpa_behavior_default(void) {
  hpa_behavior b = {
      .up = {.stabilization_s = 0,
             .select = HPA_SELECT_MAX,
             .n_policies = 2,
             .policies = {{HPA_POLICY_PODS, 4, 15}, {HPA_POLICY_PERCENT, 100, 15}}},
      .down = {.stabilization_s = HPA_UNSET,
               .select = HPA_SELECT_MAX,
               .n_policies = 1,
               .policies = {{HPA_POLICY_PERCENT, 100, 15}}},
  };
  return b;
}

hpa_params hpa_params_default(void) {
  hpa_params p = {
      .min_replicas = 1,
      .max_replicas = 0,
      .n_metrics = 0,
      .has_behavior = false,
      .behavior = hpa_behavior_default(),
      .tolerance_up = 0.1,
      .tolerance_down = 0.1,
      .sync_period_us = 15 * US_PER_S,
      .downscale_stabilization_us = 300 * US_PER_S,
      .cpu_init_period_us = 300 * US_PER_S,
      .initial_readiness_delay_us = 30 * US_PER_S,
      .legacy_up_factor = 2.0,
      .legacy_up_minimum = 4,
  };
  return p;
}

static bool check_rules(const hpa_rules *r, const char *dir, ps_err *e) {
  if (r->stabilization_s != HPA_UNSET && (r->stabilization_s < 0 || r->stabilization_s > 3600))
    return ps_fail(e, "hpa: behavior.%s.stabilizationWindowSeconds must be in 0..3600, got %d", dir,
                   r->stabilization_s);
  if (r->select != HPA_SELECT_MAX && r->select != HPA_SELECT_MIN &&
      r->select != HPA_SELECT_DISABLED)
    return ps_fail(e, "hpa: behavior.%s.selectPolicy must be Max, Min or Disabled", dir);
  if (r->n_policies < 1 || r->n_policies > HPA_MAX_POLICIES)
    return ps_fail(e, "hpa: behavior.%s.policies must have 1..%d entries, got %d", dir,
                   HPA_MAX_POLICIES, r->n_policies);
  for (int32_t i = 0; i < r->n_policies; i++) {
    const hpa_policy *pol = &r->policies[i];
    if (pol->type != HPA_POLICY_PODS && pol->type != HPA_POLICY_PERCENT)
      return ps_fail(e, "hpa: behavior.%s.policies[%d].type must be Pods or Percent", dir, i);
    if (pol->value <= 0)
      return ps_fail(e, "hpa: behavior.%s.policies[%d].value must be greater than zero, got %d",
                     dir, i, pol->value);
    if (pol->period_s <= 0 || pol->period_s > 1800)
      return ps_fail(e, "hpa: behavior.%s.policies[%d].periodSeconds must be in 1..1800, got %d",
                     dir, i, pol->period_s);
  }
  return true;
}

bool hpa_params_check(const hpa_params *p, ps_err *e) {
  if (p->min_replicas < 0)
    return ps_fail(e, "hpa: minReplicas must be >= 0, got %d", p->min_replicas);
  if (p->max_replicas < 1)
    return ps_fail(e, "hpa: maxReplicas must be >= 1, got %d", p->max_replicas);
  if (p->max_replicas < p->min_replicas)
    return ps_fail(e, "hpa: maxReplicas (%d) must be >= minReplicas (%d)", p->max_replicas,
                   p->min_replicas);
  if (p->n_metrics < 1 || p->n_metrics > HPA_MAX_METRICS)
    return ps_fail(e, "hpa: 1..%d metrics are supported, got %d", HPA_MAX_METRICS, p->n_metrics);
  for (int32_t i = 0; i < p->n_metrics; i++) {
    const hpa_metric_spec *m = &p->metrics[i];
    if ((int)m->kind < (int)HPA_PODS_AVERAGE_VALUE || (int)m->kind > (int)HPA_AVERAGE_VALUE)
      return ps_fail(e, "hpa: metrics[%d] has an unknown kind", i);
    if (m->target <= 0)
      return ps_fail(e, "hpa: metrics[%d] target must be positive, got %lld (milli-units, or %%)",
                     i, (long long)m->target);
  }
  if (!(p->tolerance_up >= 0) || !(p->tolerance_down >= 0))
    return ps_fail(e, "hpa: tolerances must be >= 0, got up %g down %g", p->tolerance_up,
                   p->tolerance_down);
  if (p->sync_period_us <= 0)
    return ps_fail(e, "hpa: sync period must be positive, got %lld us",
                   (long long)p->sync_period_us);
  if (p->downscale_stabilization_us < 0 || p->cpu_init_period_us < 0 ||
      p->initial_readiness_delay_us < 0)
    return ps_fail(e, "hpa: controller durations must be >= 0");
  if (!(p->legacy_up_factor > 0) || p->legacy_up_minimum < 0)
    return ps_fail(e, "hpa: legacy scale-up limit needs factor > 0 and minimum >= 0");
  if (p->has_behavior && (!check_rules(&p->behavior.up, "scaleUp", e) ||
                          !check_rules(&p->behavior.down, "scaleDown", e)))
    return false;
  return true;
}

void hpa_aibrix_bounds(hpa_params *p, int32_t pa_min, int32_t pa_max) {
  p->min_replicas = pa_min > 0 ? pa_min : 1;
  p->max_replicas = pa_max == 0 ? INT32_MAX : pa_max;
}

hpa_metric_spec hpa_aibrix_metric(const char *target_metric, double target_value) {
  if (strcasecmp(target_metric, "cpu") == 0)
    return (hpa_metric_spec){HPA_RESOURCE_UTILIZATION, ceil_i32(target_value)};
  /* int64(targetValue): truncation toward zero, as Go converts a float. */
  double whole = trunc(target_value);
  if (strcasecmp(target_metric, "memory") == 0)
    return (hpa_metric_spec){HPA_PODS_AVERAGE_VALUE, (int64_t)whole * 1024 * 1024 * 1000};
  return (hpa_metric_spec){HPA_PODS_AVERAGE_VALUE, (int64_t)whole * 1000};
}

hpa_behavior hpa_behavior_aibrix(double up_rate, double down_rate, double up_cooldown_s,
                                 double down_cooldown_s) {
  int32_t up_pct = trunc_i32((up_rate - 1.0) * 100);
  if (up_pct < 0) up_pct = 100;
  int32_t down_pct = trunc_i32((1.0 - 1.0 / down_rate) * 100);
  if (down_pct < 0) down_pct = 100;
  hpa_behavior b = {
      .up = {.stabilization_s = trunc_i32(up_cooldown_s),
             .select = HPA_SELECT_MAX,
             .n_policies = 1,
             .policies = {{HPA_POLICY_PERCENT, up_pct, 60}}},
      .down = {.stabilization_s = trunc_i32(down_cooldown_s),
               .select = HPA_SELECT_MIN,
               .n_policies = 1,
               .policies = {{HPA_POLICY_PERCENT, down_pct, 60}}},
  };
  return b;
}

bool hpa_cpu_unready(const hpa_cpu_pod *c, const hpa_params *p, int64_t now_us) {
  if (!c->has_ready_condition || !c->has_start) return true;
  if (c->start_us + p->cpu_init_period_us > now_us)
    /* Still initializing: unready, or the sample began before the last readiness change. */
    return !c->ready || c->sample_us < c->ready_change_us + c->sample_window_us;
  /* Afterwards: unready only if it never became ready within the initial readiness delay. */
  return !c->ready && c->start_us + p->initial_readiness_delay_us > c->ready_change_us;
}

/* --- State --- */

void hpa_state_init(hpa_state *s) { *s = (hpa_state){0}; }

void hpa_state_free(hpa_state *s) {
  free(s->recs);
  free(s->up);
  free(s->down);
  *s = (hpa_state){0};
}

void hpa_state_add_rec(hpa_state *s, int32_t replicas, int64_t t_us) {
  if (s->n_recs == s->cap_recs) {
    s->cap_recs = s->cap_recs ? 2 * s->cap_recs : 8;
    s->recs = xrealloc(s->recs, s->cap_recs * sizeof *s->recs);
  }
  s->recs[s->n_recs++] = (hpa_rec){replicas, t_us};
}

static void add_event(hpa_event **ev, size_t *n, size_t *cap, hpa_event e) {
  if (*n == *cap) {
    *cap = *cap ? 2 * *cap : 8;
    *ev = xrealloc(*ev, *cap * sizeof **ev);
  }
  (*ev)[(*n)++] = e;
}

void hpa_state_add_event(hpa_state *s, bool up, int32_t change, int64_t t_us) {
  hpa_event e = {change, t_us, false};
  if (up)
    add_event(&s->up, &s->n_up, &s->cap_up, e);
  else
    add_event(&s->down, &s->n_down, &s->cap_down, e);
}

/* --- Per-metric replica count (replica_calculator.go) --- */

static bool fail(hpa_metric_result *out, const char *why) {
  out->valid = false;
  out->error = why;
  return false;
}

static void count_groups(const hpa_metric_obs *o, hpa_metric_result *out) {
  for (int32_t i = 0; i < o->n_pods; i++) {
    switch (o->pods[i].state) {
    case HPA_POD_READY: out->ready++; break;
    case HPA_POD_UNREADY: out->unready++; break;
    case HPA_POD_MISSING: out->missing++; break;
    case HPA_POD_IGNORED: out->ignored++; break;
    default: assert(0 && "unknown pod state");
    }
  }
}

/* The fast path: no missing pods, and no unready pods on a scale-up. */
static bool propose(const hpa_params *p, int32_t current, double ratio, int32_t ready,
                    hpa_metric_result *out) {
  out->valid = true;
  if (within(p, ratio)) {
    out->within_tolerance = true;
    out->replicas = current;
  } else {
    out->replicas = ceil_i32(ratio * (double)ready);
  }
  return true;
}

/* After counting missing/unready pods conservatively: n pods now take part. */
static bool propose_rebalanced(const hpa_params *p, int32_t current, double ratio, double new_ratio,
                               int64_t n, hpa_metric_result *out) {
  out->valid = true;
  out->rebalanced = true;
  out->new_ratio = new_ratio;
  out->replicas = current;
  if (within(p, new_ratio)) {
    out->within_tolerance = true;
    return true;
  }
  if ((ratio < 1.0 && new_ratio > 1.0) || (ratio > 1.0 && new_ratio < 1.0)) return true;
  int32_t proposal = ceil_i32(new_ratio * (double)n);
  if ((new_ratio < 1.0 && proposal > current) || (new_ratio > 1.0 && proposal < current))
    return true; /* the pod count would turn the direction around */
  out->replicas = proposal;
  return true;
}

/* calcPlainMetricReplicas: Pods metrics and Resource AverageValue. */
static bool pods_average(const hpa_params *p, int64_t target, const hpa_metric_obs *o,
                         int32_t current, hpa_metric_result *out) {
  if (o->n_pods == 0) return fail(out, "no pods returned by selector");
  int64_t sum = 0;
  for (int32_t i = 0; i < o->n_pods; i++)
    if (o->pods[i].state == HPA_POD_READY) sum += o->pods[i].value;
  if (out->ready == 0) return fail(out, "did not receive metrics for targeted pods");
  out->usage = sum / out->ready;
  double ratio = (double)out->usage / (double)target;
  out->ratio = out->new_ratio = ratio;
  bool up_with_unready = out->unready > 0 && ratio > 1.0;
  if (!up_with_unready && out->missing == 0) return propose(p, current, ratio, out->ready, out);

  int64_t n = out->ready;
  if (out->missing > 0 && ratio < 1.0) { /* scale-down: missing pods at the target */
    sum += out->missing * target;
    n += out->missing;
  } else if (out->missing > 0 && ratio > 1.0) { /* scale-up: missing pods at 0 */
    n += out->missing;
  }
  if (up_with_unready) n += out->unready; /* at 0 */
  double new_ratio = (double)(sum / n) / (double)target;
  return propose_rebalanced(p, current, ratio, new_ratio, n, out);
}

/* GetResourceReplicas: utilization in percent of the pods' requests. */
static bool utilization(const hpa_params *p, int64_t target_pct, const hpa_metric_obs *o,
                        int32_t current, hpa_metric_result *out) {
  if (o->n_pods == 0) return fail(out, "no pods returned by selector");
  if (out->ready == 0) return fail(out, "did not receive metrics for targeted pods");
  for (int32_t i = 0; i < o->n_pods; i++)
    if (o->pods[i].request <= 0) return fail(out, "missing request");
  int64_t used = 0, requested = 0;
  for (int32_t i = 0; i < o->n_pods; i++) {
    if (o->pods[i].state != HPA_POD_READY) continue;
    used += o->pods[i].value;
    requested += o->pods[i].request;
  }
  out->usage = used * 100 / requested;
  out->raw = used / out->ready;
  double ratio = (double)out->usage / (double)target_pct;
  out->ratio = out->new_ratio = ratio;
  bool up_with_unready = out->unready > 0 && ratio > 1.0;
  if (!up_with_unready && out->missing == 0) return propose(p, current, ratio, out->ready, out);

  /* Scale-down: a missing pod uses its whole request, or the target if that is above 100 %. */
  int64_t fallback_pct = target_pct > 100 ? target_pct : 100;
  int64_t n = out->ready;
  for (int32_t i = 0; i < o->n_pods; i++) {
    const hpa_pod_sample *pod = &o->pods[i];
    bool as_missing = pod->state == HPA_POD_MISSING && ratio != 1.0;
    bool as_unready = pod->state == HPA_POD_UNREADY && up_with_unready;
    if (!as_missing && !as_unready) continue;
    if (as_missing && ratio < 1.0) used += pod->request * fallback_pct / 100;
    requested += pod->request;
    n++;
  }
  double new_ratio = (double)(used * 100 / requested) / (double)target_pct;
  return propose_rebalanced(p, current, ratio, new_ratio, n, out);
}

/* getUsageRatioReplicaCount: Object and External Value. */
static bool value(const hpa_params *p, int64_t target, const hpa_metric_obs *o,
                  const hpa_inputs *in, hpa_metric_result *out) {
  double ratio = (double)o->total / (double)target;
  out->usage = o->total;
  out->ratio = out->new_ratio = ratio;
  out->valid = true;
  if (in->current == 0) { /* from zero: tolerance and pods do not matter */
    out->replicas = ceil_i32(ratio);
    return true;
  }
  if (within(p, ratio)) {
    out->within_tolerance = true;
    out->replicas = in->current;
    return true;
  }
  if (in->pods == 0) return fail(out, "no pods returned by selector");
  out->replicas = ceil_i32(ratio * (double)in->ready_pods);
  return true;
}

/* GetObjectPerPodMetricReplicas / GetExternalPerPodMetricReplicas: AverageValue. */
static bool average_value(const hpa_params *p, int64_t target, const hpa_metric_obs *o,
                          const hpa_inputs *in, hpa_metric_result *out) {
  double ratio = (double)o->total / ((double)target * (double)in->status_replicas);
  out->ratio = out->new_ratio = ratio;
  out->valid = true;
  out->replicas = in->status_replicas;
  if (within(p, ratio))
    out->within_tolerance = true;
  else
    out->replicas = ceil_i32((double)o->total / (double)target);
  out->usage =
      in->status_replicas > 0 ? (int64_t)ceil((double)o->total / (double)in->status_replicas) : 0;
  return true;
}

bool hpa_metric_replicas(const hpa_params *p, int i, const hpa_inputs *in, hpa_metric_result *out) {
  assert(i >= 0 && i < p->n_metrics && in->metrics);
  const hpa_metric_spec *m = &p->metrics[i];
  const hpa_metric_obs *o = &in->metrics[i];
  *out = (hpa_metric_result){0};
  if (!o->fetched) return fail(out, "unable to get metric");
  count_groups(o, out);
  switch (m->kind) {
  case HPA_PODS_AVERAGE_VALUE: return pods_average(p, m->target, o, in->current, out);
  case HPA_RESOURCE_UTILIZATION: return utilization(p, m->target, o, in->current, out);
  case HPA_VALUE: return value(p, m->target, o, in, out);
  case HPA_AVERAGE_VALUE: return average_value(p, m->target, o, in, out);
  }
  assert(0 && "unknown metric kind");
  return false;
}

/* --- Normalization (horizontal.go) --- */

int32_t hpa_stabilize_legacy(hpa_state *s, int64_t window_us, int32_t desired, int64_t now_us) {
  int32_t highest = desired;
  bool found_old = false;
  size_t old = 0;
  int64_t cutoff = now_us - window_us;
  for (size_t i = 0; i < s->n_recs; i++) {
    if (s->recs[i].t_us < cutoff) {
      found_old = true;
      old = i;
    } else if (s->recs[i].replicas > highest) {
      highest = s->recs[i].replicas;
    }
  }
  if (found_old)
    s->recs[old] = (hpa_rec){desired, now_us};
  else
    hpa_state_add_rec(s, desired, now_us);
  return highest;
}

int32_t hpa_legacy_limit(const hpa_params *p, int32_t current, int32_t desired,
                         const char **limit) {
  /* Issue #32304: do not trust a sudden jump (bogus usage reports). */
  double up = fmax(p->legacy_up_factor * (double)current, (double)p->legacy_up_minimum);
  int32_t up_limit = trunc_i32(up);
  int32_t highest = p->max_replicas;
  const char *high_reason = "TooManyReplicas";
  if (p->max_replicas > up_limit) {
    highest = up_limit;
    high_reason = "ScaleUpLimit";
  }
  if (desired < p->min_replicas) {
    *limit = "TooFewReplicas";
    return p->min_replicas;
  }
  if (desired > highest) {
    *limit = high_reason;
    return highest;
  }
  *limit = "DesiredWithinRange";
  return desired;
}

int32_t hpa_stabilize(hpa_state *s, int32_t up_window_s, int32_t down_window_s, int32_t current,
                      int32_t desired, int64_t now_us) {
  int32_t up_rec = desired, down_rec = desired;
  int64_t up_cutoff = now_us - up_window_s * US_PER_S;
  int64_t down_cutoff = now_us - down_window_s * US_PER_S;
  bool found_old = false;
  size_t old = 0;
  for (size_t i = 0; i < s->n_recs; i++) {
    const hpa_rec *r = &s->recs[i];
    if (r->t_us > up_cutoff) up_rec = min_i32(r->replicas, up_rec);
    if (r->t_us > down_cutoff) down_rec = max_i32(r->replicas, down_rec);
    if (r->t_us < up_cutoff && r->t_us < down_cutoff) {
      found_old = true;
      old = i;
    }
  }
  int32_t rec = current;
  if (rec < up_rec) rec = up_rec;
  if (rec > down_rec) rec = down_rec;
  if (found_old)
    s->recs[old] = (hpa_rec){desired, now_us};
  else
    hpa_state_add_rec(s, desired, now_us);
  return rec;
}

int32_t hpa_events_change(const hpa_event *ev, size_t n, int32_t period_s, int64_t now_us) {
  int64_t cutoff = now_us - period_s * US_PER_S;
  int64_t sum = 0;
  for (size_t i = 0; i < n; i++)
    if (ev[i].t_us > cutoff) sum += ev[i].change;
  return clamp_i32(sum);
}

/* Replicas at the start of a policy's period: undo the changes made within it. */
static int64_t period_start(const hpa_state *s, int32_t current, int32_t period_s, int64_t now_us) {
  return (int64_t)current - hpa_events_change(s->up, s->n_up, period_s, now_us) +
         hpa_events_change(s->down, s->n_down, period_s, now_us);
}

static int32_t scale_up_limit(const hpa_state *s, const hpa_rules *r, int32_t current,
                              int64_t now_us) {
  if (r->select == HPA_SELECT_DISABLED) return current;
  bool pick_min = r->select == HPA_SELECT_MIN;
  int32_t result = pick_min ? INT32_MAX : INT32_MIN;
  for (int32_t i = 0; i < r->n_policies; i++) {
    const hpa_policy *pol = &r->policies[i];
    int64_t start = period_start(s, current, pol->period_s, now_us);
    /* Percent rounds up, or a small percent could never add a pod. */
    int32_t proposed = pol->type == HPA_POLICY_PODS
                           ? clamp_i32(start + pol->value)
                           : ceil_i32((double)start * (1 + (double)pol->value / 100));
    result = pick_min ? min_i32(result, proposed) : max_i32(result, proposed);
  }
  return result;
}

static int32_t scale_down_limit(const hpa_state *s, const hpa_rules *r, int32_t current,
                                int64_t now_us) {
  if (r->select == HPA_SELECT_DISABLED) return current;
  /* The smallest change (Min) leaves the most replicas. */
  bool pick_max = r->select == HPA_SELECT_MIN;
  int32_t result = pick_max ? INT32_MIN : INT32_MAX;
  for (int32_t i = 0; i < r->n_policies; i++) {
    const hpa_policy *pol = &r->policies[i];
    int64_t start = period_start(s, current, pol->period_s, now_us);
    int32_t proposed = pol->type == HPA_POLICY_PODS
                           ? clamp_i32(start - pol->value)
                           : trunc_i32((double)start * (1 - (double)pol->value / 100));
    result = pick_max ? max_i32(result, proposed) : min_i32(result, proposed);
  }
  return result;
}

int32_t hpa_rate_limit(const hpa_state *s, const hpa_rules *up, const hpa_rules *down, int32_t min,
                       int32_t max, int32_t current, int32_t desired, int64_t now_us,
                       const char **limit) {
  if (desired > current) {
    int32_t lim = max_i32(scale_up_limit(s, up, current, now_us), current);
    int32_t highest = max;
    const char *why = "TooManyReplicas";
    if (highest > lim) {
      highest = lim;
      why = "ScaleUpLimit";
    }
    if (desired > highest) {
      *limit = why;
      return highest;
    }
  } else if (desired < current) {
    int32_t lim = min_i32(scale_down_limit(s, down, current, now_us), current);
    int32_t lowest = min;
    const char *why = "TooFewReplicas";
    if (lowest < lim) {
      lowest = lim;
      why = "ScaleDownLimit";
    }
    if (desired < lowest) {
      *limit = why;
      return lowest;
    }
  }
  *limit = "DesiredWithinRange";
  return desired;
}

static int32_t longest_period(const hpa_rules *r) {
  int32_t longest = 0;
  for (int32_t i = 0; i < r->n_policies; i++)
    if (r->policies[i].period_s > longest) longest = r->policies[i].period_s;
  return longest;
}

void hpa_store_event(hpa_state *s, const hpa_behavior *b, int32_t prev, int32_t next,
                     int64_t now_us) {
  if (!b) return; /* the legacy path never reads events */
  bool up = next > prev;
  hpa_event *ev = up ? s->up : s->down;
  size_t n = up ? s->n_up : s->n_down;
  int64_t cutoff = now_us - longest_period(up ? &b->up : &b->down) * US_PER_S;
  bool found_old = false;
  size_t old = 0;
  for (size_t i = 0; i < n; i++) {
    if (ev[i].t_us < cutoff) ev[i].outdated = true; /* the flag stays once set */
    if (ev[i].outdated) {
      found_old = true;
      old = i;
    }
  }
  hpa_event e = {up ? next - prev : prev - next, now_us, false};
  if (found_old)
    ev[old] = e;
  else if (up)
    add_event(&s->up, &s->n_up, &s->cap_up, e);
  else
    add_event(&s->down, &s->n_down, &s->cap_down, e);
}

/* --- One sync --- */

static const char *failure_reason(hpa_metric_kind kind) {
  switch (kind) {
  case HPA_PODS_AVERAGE_VALUE: return "FailedGetPodsMetric";
  case HPA_RESOURCE_UTILIZATION: return "FailedGetResourceMetric";
  case HPA_VALUE:
  case HPA_AVERAGE_VALUE: return "FailedGetExternalMetric";
  }
  return "FailedGetMetric";
}

/* computeReplicasForMetrics: the highest proposal; false when the metrics block the sync. */
static bool metrics_proposal(const hpa_params *p, const hpa_inputs *in, hpa_result *out) {
  int32_t invalid = 0, first_invalid = -1, replicas = 0;
  for (int i = 0; i < p->n_metrics; i++) {
    hpa_metric_result *m = &out->metrics[i];
    if (!hpa_metric_replicas(p, i, in, m)) {
      if (invalid++ == 0) first_invalid = i;
      continue;
    }
    if (replicas == 0 || m->replicas > replicas) {
      replicas = m->replicas;
      out->metric = i;
    }
  }
  if (invalid >= p->n_metrics || (invalid > 0 && replicas < in->current)) {
    out->active = failure_reason(p->metrics[first_invalid].kind);
    out->metric = -1;
    return false;
  }
  out->active = "ValidMetricFound";
  out->proposal = replicas;
  return true;
}

static int32_t normalize(hpa_state *s, const hpa_params *p, int32_t current, int32_t desired,
                         int64_t now_us, hpa_result *out) {
  if (!p->has_behavior) {
    out->stabilized = hpa_stabilize_legacy(s, p->downscale_stabilization_us, desired, now_us);
    out->able = out->stabilized != desired ? "ScaleDownStabilized" : "ReadyForNewScale";
    return hpa_legacy_limit(p, current, out->stabilized, &out->limit);
  }
  const hpa_behavior *b = &p->behavior;
  int32_t up_s = b->up.stabilization_s == HPA_UNSET ? 0 : b->up.stabilization_s;
  int32_t down_s = b->down.stabilization_s == HPA_UNSET
                       ? trunc_i32((double)(p->downscale_stabilization_us / US_PER_S))
                       : b->down.stabilization_s;
  out->stabilized = hpa_stabilize(s, up_s, down_s, current, desired, now_us);
  if (out->stabilized == desired)
    out->able = "ReadyForNewScale";
  else
    out->able = desired >= current ? "ScaleUpStabilized" : "ScaleDownStabilized";
  return hpa_rate_limit(s, &b->up, &b->down, p->min_replicas, p->max_replicas, current,
                        out->stabilized, now_us, &out->limit);
}

void hpa_decide(hpa_state *s, const hpa_params *p, const hpa_inputs *in, int64_t now_us,
                hpa_result *out) {
  int32_t current = in->current;
  *out = (hpa_result){.current = current, .proposal = -1, .metric = -1};
  if (!s->started) { /* recordInitialRecommendation */
    hpa_state_add_rec(s, current, now_us);
    s->started = true;
  }
  int32_t desired;
  if (current == 0 && p->min_replicas != 0) {
    out->active = "ScalingDisabled";
    out->reason = "scaling disabled: the target has 0 replicas";
    out->desired = out->stabilized = out->limited = 0;
    return;
  } else if (current > p->max_replicas) {
    desired = p->max_replicas;
    out->reason = "current replicas above maxReplicas";
    out->stabilized = out->limited = desired;
  } else if (current < p->min_replicas) {
    desired = p->min_replicas;
    out->reason = "current replicas below minReplicas";
    out->stabilized = out->limited = desired;
  } else {
    if (!metrics_proposal(p, in, out)) {
      out->reason = "invalid metrics: no scaling";
      out->desired = out->stabilized = out->limited = current;
      return;
    }
    desired = out->proposal > 0 ? out->proposal : 0;
    desired = out->limited = normalize(s, p, current, desired, now_us, out);
    out->reason = desired > current   ? "metric above target"
                  : desired < current ? "all metrics below target"
                                      : "no change";
  }
  out->rescale = desired != current;
  if (out->rescale)
    hpa_store_event(s, p->has_behavior ? &p->behavior : NULL, current, desired, now_us);
  out->desired = out->rescale ? desired : current;
}
