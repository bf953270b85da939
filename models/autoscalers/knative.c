#include "models/autoscalers/knative.h"

#include <assert.h>
#include <string.h>

#include "models/autoscalers/knative_int.h"

/* --- State --- */

void kn_state_init(kn_state *s, const kn_spec *spec, int32_t ready_pods, int64_t now_us) {
  memset(s, 0, sizeof *s);
  s->spec = *spec;
  kn_buckets_init(&s->stable_concurrency, spec->stable_window_us, KN_SCRAPE_US, spec->aggregation);
  kn_buckets_init(&s->panic_concurrency, spec->panic_window_us, KN_SCRAPE_US, spec->aggregation);
  kn_buckets_init(&s->stable_rps, spec->stable_window_us, KN_SCRAPE_US, spec->aggregation);
  kn_buckets_init(&s->panic_rps, spec->panic_window_us, KN_SCRAPE_US, spec->aggregation);
  /* autoscaler.go newAutoscaler: keep the current scale until there is enough data. */
  s->panicking = ready_pods > 1;
  s->panic_time_us = now_us;
  s->max_panic_pods = ready_pods;
  s->has_delay = spec->scale_down_delay_us > 0;
  if (s->has_delay) kn_maxwin_init(&s->delay, spec->scale_down_delay_us, KN_TICK_US);
  s->active = KN_ACTIVATING;
  s->active_change_us = now_us;
  s->initialized = false;
  s->proxy = false;
  s->ebc = 0;
}

void kn_state_free(kn_state *s) {
  kn_buckets_free(&s->stable_concurrency);
  kn_buckets_free(&s->panic_concurrency);
  kn_buckets_free(&s->stable_rps);
  kn_buckets_free(&s->panic_rps);
  if (s->has_delay) kn_maxwin_free(&s->delay);
}

void kn_record(kn_state *s, int64_t t_us, double concurrency, double rps) {
  kn_buckets_record(&s->stable_concurrency, t_us, concurrency);
  kn_buckets_record(&s->panic_concurrency, t_us, concurrency);
  kn_buckets_record(&s->stable_rps, t_us, rps);
  kn_buckets_record(&s->panic_rps, t_us, rps);
}

/* --- The decider: autoscaler.go Scale --- */

void kn_decide(kn_state *s, double observed_stable, double observed_panic, int32_t ready_pods,
               int64_t now_us, kn_result *out) {
  const kn_spec *sp = &s->spec;
  out->valid = true;
  out->observed_stable = observed_stable;
  out->observed_panic = observed_panic;
  out->ready = ready_pods;
  double ready = fmax(1, (double)ready_pods);

  /* ceil lets a too-small rate still grow by one pod; floor likewise shrinks. */
  out->max_scale_up = ceil(sp->max_scale_up_rate * ready);
  out->max_scale_down = sp->reachable ? floor(ready / sp->max_scale_down_rate) : 0;
  out->dspc = ceil(observed_stable / sp->target_value);
  out->dppc = ceil(observed_panic / sp->target_value);
  out->desired_stable = go_to_i32(fmin(fmax(out->dspc, out->max_scale_down), out->max_scale_up));
  out->desired_panic = go_to_i32(fmin(fmax(out->dppc, out->max_scale_down), out->max_scale_up));
  if (sp->activation_scale > 1) {
    if (out->dspc > 0 && sp->activation_scale > out->desired_stable)
      out->desired_stable = sp->activation_scale;
    if (out->dppc > 0 && sp->activation_scale > out->desired_panic)
      out->desired_panic = sp->activation_scale;
  }

  out->over_threshold = out->dppc / ready >= sp->panic_threshold;
  if (out->over_threshold) {
    s->panicking = true; /* begin, or extend, panic */
    s->panic_time_us = now_us;
  } else if (s->panicking && s->panic_time_us + sp->stable_window_us < now_us) {
    s->panicking = false; /* the surge has made its way into the stable window */
    s->max_panic_pods = 0;
  }

  int32_t desired = out->desired_stable;
  if (s->panicking) {
    desired = kn_max_i32(desired, out->desired_panic);
    if (desired > s->max_panic_pods) s->max_panic_pods = desired;
    desired = s->max_panic_pods; /* no scale-down while panicking */
  }
  out->panicking = s->panicking;
  out->max_panic_pods = s->max_panic_pods;
  out->undelayed = desired;

  if (sp->reachable && s->has_delay) {
    kn_maxwin_record(&s->delay, now_us, desired);
    desired = kn_maxwin_current(&s->delay);
  }
  out->decider_desired = desired;
  out->delayed = desired != out->undelayed;

  /* Excess burst capacity: spare capacity over the panic load beyond the burst headroom. */
  double ebc = -1;
  if (sp->target_burst_capacity == 0)
    ebc = 0;
  else if (sp->target_burst_capacity > 0)
    ebc = floor((double)ready_pods * sp->total_value - sp->target_burst_capacity - observed_panic);
  out->excess_burst = go_to_i32(ebc);
  s->ebc = out->excess_burst;
}

/* --- The reconciler: kpa/scaler.go scale and handleScaleToZero, kpa.go --- */

/* inStatusFor: how long the Active condition has had status a, or -1 when it has another. */
static int64_t in_status_for(const kn_state *s, kn_active a, int64_t now_us) {
  return s->active == a ? now_us - s->active_change_us : -1;
}

static void set_active(kn_state *s, kn_active a, int64_t now_us) {
  if (s->active != a) s->active_change_us = now_us;
  s->active = a;
}

/* handleScaleToZero: the value to use, and whether to write it to the deployment. */
static int32_t scale_to_zero(const kn_state *s, int32_t desired, int64_t now_us, bool *apply,
                             const char **reason) {
  const kn_spec *sp = &s->spec;
  *apply = true;
  if (desired != 0) return desired;
  if (!sp->enable_scale_to_zero) {
    *reason = "scale to zero disabled: 1";
    return 1;
  }
  switch (s->active) {
  case KN_ACTIVATING:
    if (now_us - s->active_change_us - sp->activation_timeout_us > 0) {
      *reason = "activation timed out: 0";
      return 0;
    }
    *apply = false;
    *reason = "activating: wait";
    return -1;
  case KN_ACTIVE:
    if (in_status_for(s, KN_ACTIVE, now_us) >= sp->stable_window_us) {
      *apply = false; /* mark the PA inactive; the activator takes over the path */
      *reason = "active a stable window: deactivate";
      return 0;
    }
    *reason = "active less than a stable window: 1";
    return 1;
  case KN_INACTIVE: {
    int64_t inactive = in_status_for(s, KN_INACTIVE, now_us);
    int64_t retention = sp->pod_retention_us;
    if (inactive >= kn_max_i64(sp->grace_period_us, retention)) {
      *reason = "inactive past grace: 0";
      return 0;
    }
    if (retention > 0 && inactive < retention) {
      *apply = false;
      *reason = "pod retention: wait";
      return 0;
    }
    int64_t proxy_for = s->proxy ? now_us - s->proxy_since_us : 0;
    if (sp->grace_period_us - proxy_for <= 0) {
      *reason = "activator in path past grace: 0";
      return 0;
    }
    *apply = false;
    *reason = "activator in path within grace: wait";
    return 0;
  }
  }
  assert(0 && "unknown Active condition");
  return desired;
}

/* activeThreshold: the ready pods that make the PA Active. */
static int32_t active_threshold(const kn_state *s) {
  int32_t min = s->spec.reachable ? s->spec.min_scale : 0;
  return s->initialized ? kn_max_i32(min, 1) : kn_max_i32(min, s->spec.initial_scale);
}

/* computeActiveCondition with want (-1: unknown). */
static void compute_active(kn_state *s, int32_t want, int32_t ready, int64_t now_us) {
  int32_t min_ready = active_threshold(s);
  if (ready >= min_ready) s->initialized = true;
  if (want == 0 || min_ready == 0) {
    set_active(s, KN_INACTIVE, now_us);
  } else if (ready < min_ready) {
    set_active(s, (want > 0 || s->active != KN_INACTIVE) ? KN_ACTIVATING : KN_INACTIVE, now_us);
  } else if (want > 0 || s->active != KN_INACTIVE) {
    s->initialized = true;
    set_active(s, KN_ACTIVE, now_us);
  }
}

static void reconcile(kn_state *s, int32_t ready_pods, int64_t now_us, kn_result *out) {
  const kn_spec *sp = &s->spec;
  int32_t want = out->valid ? out->decider_desired : -1;
  bool apply = true;
  const char *reason = out->valid ? (s->panicking ? "panic" : "stable") : "no data";

  if (want < 0 && s->active != KN_ACTIVATING) {
    apply = false; /* metrics are not yet being collected */
  } else {
    int32_t min = sp->reachable ? sp->min_scale : 0, max = sp->max_scale;
    if (sp->initial_scale > 1 && !s->initialized) min = kn_max_i32(min, sp->initial_scale);
    int32_t bounded = want < min ? min : (max != 0 && want > max) ? max : want;
    if (bounded != want) reason = bounded == min ? "min scale" : "max scale";
    want = scale_to_zero(s, bounded, now_us, &apply, &reason);
  }

  /* kpa.go: the activator is in the path when scaled to zero or short of burst capacity. */
  bool proxy = want == 0 || s->ebc < 0 || (want < 0 && s->active == KN_INACTIVE);
  if (proxy && !s->proxy) s->proxy_since_us = now_us;
  s->proxy = proxy;
  compute_active(s, want, ready_pods, now_us);

  out->desired = want;
  out->apply = apply && want >= 0;
  out->proxy = s->proxy;
  out->active = s->active;
  out->reason = reason;
}

int32_t kn_scale(kn_state *s, int32_t ready_pods, int64_t now_us, kn_result *out) {
  memset(out, 0, sizeof *out);
  const kn_buckets *st = s->spec.metric == KN_METRIC_RPS ? &s->stable_rps : &s->stable_concurrency;
  const kn_buckets *pa = s->spec.metric == KN_METRIC_RPS ? &s->panic_rps : &s->panic_concurrency;
  out->ready = ready_pods;
  out->panicking = s->panicking;
  out->max_panic_pods = s->max_panic_pods;
  out->excess_burst = s->ebc;
  if (kn_buckets_empty(st, now_us)) {
    out->valid = false; /* collector.go ErrNoData: no decision */
    out->decider_desired = -1;
  } else {
    kn_decide(s, kn_buckets_average(st, now_us), kn_buckets_average(pa, now_us), ready_pods, now_us,
              out);
  }
  reconcile(s, ready_pods, now_us, out);
  return out->apply ? out->desired : -1;
}

/* --- Scraper arithmetic --- */

int32_t kn_sample_size(int32_t pods) {
  if (pods < 0) return 0;
  if (pods <= 3) return pods;
  const double x = 15.3664; /* 1.96^2 * 100 / 5^2, exact as Go's untyped constants */
  double n = (double)pods;
  return go_to_i32(ceil(n * x / (n + x - 1)));
}

double kn_scrape_total(double sample_sum, int32_t sampled, int32_t pods) {
  assert(sampled > 0);
  return sample_sum / (double)sampled * (double)pods;
}

const char *kn_active_name(kn_active a) {
  switch (a) {
  case KN_ACTIVATING: return "activating";
  case KN_ACTIVE: return "active";
  case KN_INACTIVE: return "inactive";
  }
  return "?";
}
