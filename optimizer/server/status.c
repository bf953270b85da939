/* status: what the service says of itself: its readiness (GET /readyz) and its own Prometheus
 * metrics (GET /metrics). */
#include <cjson/cJSON.h>
#include <math.h>

#include "base/prom.h"
#include "optimizer/server/serve_int.h"

/* --- readiness and metrics --- */

char *srv_readiness(srv *s, unsigned *status) {
  cJSON *o = cJSON_CreateObject();
  pthread_mutex_lock(&s->lock);
  bool degraded = s->has_redis && !s->redis_up;
  const char *state = s->stopping ? "stopping" : degraded ? "degraded" : "ok";
  *status = s->stopping ? 503 : 200;
  cJSON_AddStringToObject(o, "status", state);
  if (s->has_redis) {
    cJSON_AddStringToObject(o, "redis", s->redis_up ? "connected" : "unreachable");
    if (!s->redis_up && s->redis_error[0])
      cJSON_AddStringToObject(o, "redis_error", s->redis_error);
  } else {
    cJSON_AddStringToObject(o, "redis", "none (standalone)");
  }
  double now = srv_now_unix();
  cJSON *ms = cJSON_AddArrayToObject(o, "models");
  for (size_t i = 0; i < s->n_models; i++) {
    srv_model *m = s->models[i];
    cJSON *mo = cJSON_CreateObject();
    cJSON_AddStringToObject(mo, "name", m->name);
    cJSON_AddNumberToObject(mo, "rounds", (double)m->rounds);
    size_t active = 0, profiled = 0;
    for (size_t j = 0; j < m->n_deps; j++)
      if (!m->deps[j]->removed) active++, profiled += m->deps[j]->has_profile;
    cJSON_AddNumberToObject(mo, "deployments", (double)active);
    cJSON_AddNumberToObject(mo, "with_profile", (double)profiled);
    if (m->last_decision_unix > 0)
      cJSON_AddNumberToObject(mo, "last_decision_age_s", now - m->last_decision_unix);
    if (s->o.replay) cJSON_AddBoolToObject(mo, "replay_done", m->replay_done);
    cJSON_AddItemToArray(ms, mo);
  }
  pthread_mutex_unlock(&s->lock);
  char *text = xcheck(cJSON_PrintUnformatted(o), 0);
  cJSON_Delete(o);
  return text;
}

int64_t srv_dep_units(const srv_dep *d) {
  return d->override >= 0 ? d->override * (int64_t)OPT_ILP_GPU_FRACTION : d->value;
}

/* A family with one sample per model, of the uint64_t at `field` (offsetof) in each srv_model. */
static void model_counter(strbuf *b, srv *s, const char *name, const char *help, size_t field) {
  char v[PROM_NUM];
  prom_family(b, name, "counter", help);
  for (size_t i = 0; i < s->n_models; i++) {
    prom_label l = {"model", s->models[i]->name};
    prom_sample(b, name, &l, 1,
                prom_uint(v, *(const uint64_t *)((const char *)s->models[i] + field)));
  }
}

/* A family of one sample without labels. */
static void single(strbuf *b, const char *name, const char *type, const char *help,
                   const char *value) {
  prom_family(b, name, type, help);
  prom_sample(b, name, NULL, 0, value);
}

char *srv_prometheus(srv *s) {
  strbuf b = {0};
  char v[PROM_NUM], le[PROM_NUM];
  pthread_mutex_lock(&s->lock);
  double now = srv_now_unix();
  const char *name = "podscale_optimizer_deployment_replicas";
  prom_family(&b, name, "gauge", "The value served as vllm:deployment_replicas, 1/100 GPU.");
  for (size_t i = 0; i < s->n_models; i++)
    for (size_t j = 0; j < s->models[i]->n_deps; j++) {
      srv_dep *d = s->models[i]->deps[j];
      if (d->removed) continue;
      prom_label l[3] = {
          {"model", s->models[i]->name}, {"namespace", d->ns}, {"deployment", d->name}};
      prom_sample(&b, name, l, 3, prom_int(v, srv_dep_units(d)));
    }
  name = "podscale_optimizer_rounds_total";
  prom_family(&b, name, "counter", "Optimizer loop rounds by outcome.");
  for (size_t i = 0; i < s->n_models; i++)
    for (int a = 0; a <= OPT_ROUND_FAILED; a++) {
      prom_label l[2] = {{"model", s->models[i]->name},
                         {"action", opt_round_action_name((opt_round_action)a)}};
      prom_sample(&b, name, l, 2, prom_uint(v, s->models[i]->by_action[a]));
    }
  model_counter(&b, s, "podscale_optimizer_decisions_total", "Decisions made (ILP solves).",
                offsetof(srv_model, by_action[OPT_ROUND_OPTIMIZE]));
  model_counter(&b, s, "podscale_optimizer_decisions_unproven_total",
                "Decisions a search budget stopped before the optimum was proven.",
                offsetof(srv_model, unproven));
  name = "podscale_optimizer_decision_gap";
  prom_family(&b, name, "gauge",
              "How far above the least cost the last decision may be (relative; 0 when proven "
              "optimal).");
  for (size_t i = 0; i < s->n_models; i++)
    if (s->models[i]->by_action[OPT_ROUND_OPTIMIZE]) {
      prom_label l = {"model", s->models[i]->name};
      prom_sample(&b, name, &l, 1, prom_float(v, s->models[i]->last_gap));
    }
  name = "podscale_optimizer_last_decision_age_seconds";
  prom_family(&b, name, "gauge", "Seconds since the last decision (optimize or minimize).");
  for (size_t i = 0; i < s->n_models; i++)
    if (s->models[i]->last_decision_unix > 0) {
      prom_label l = {"model", s->models[i]->name};
      prom_sample(&b, name, &l, 1, prom_float(v, now - s->models[i]->last_decision_unix));
    }
  name = "podscale_optimizer_solve_duration_seconds";
  prom_family(&b, name, "histogram", "Wall time of the ILP solves.");
  for (size_t i = 0; i < s->n_models; i++) {
    srv_model *m = s->models[i];
    for (int k = 0; k <= SRV_SOLVE_BUCKETS; k++) {
      double bound = k < SRV_SOLVE_BUCKETS ? srv_solve_bounds[k] : INFINITY;
      prom_label l[2] = {{"model", m->name}, {"le", prom_float(le, bound)}};
      prom_sample(&b, "podscale_optimizer_solve_duration_seconds_bucket", l, 2,
                  prom_uint(v, k < SRV_SOLVE_BUCKETS ? m->solve_bucket[k] : m->solve_count));
    }
    prom_label l = {"model", m->name};
    prom_sample(&b, "podscale_optimizer_solve_duration_seconds_sum", &l, 1,
                prom_float(v, m->solve_sum_s));
    prom_sample(&b, "podscale_optimizer_solve_duration_seconds_count", &l, 1,
                prom_uint(v, m->solve_count));
  }
  name = "podscale_optimizer_skipped_inputs_total";
  prom_family(&b, name, "counter",
              "Malformed trace records or keys and unusable profiles, skipped.");
  for (size_t i = 0; i < s->n_models; i++) {
    prom_label l[2] = {{"model", s->models[i]->name}, {"kind", "trace"}};
    prom_sample(&b, name, l, 2, prom_uint(v, s->models[i]->bad_traces));
    l[1].value = "profile";
    prom_sample(&b, name, l, 2, prom_uint(v, s->models[i]->bad_profiles));
  }
  model_counter(&b, s, "podscale_optimizer_rounds_unread_total",
                "Rounds skipped because Redis could not be read (the last decisions stay).",
                offsetof(srv_model, redis_skips));
  single(&b, "podscale_optimizer_redis_errors_total", "counter",
         "Failed Redis connections and commands.", prom_uint(v, s->redis_errors));
  single(&b, "podscale_optimizer_redis_up", "gauge",
         "Whether the last Redis operation succeeded (1 without Redis).",
         prom_uint(v, !s->has_redis || s->redis_up));
  single(&b, "podscale_optimizer_http_requests_total", "counter", "HTTP requests answered.",
         prom_uint(v, atomic_load(&s->http_requests)));
  single(&b, "podscale_optimizer_http_errors_total", "counter",
         "HTTP requests answered with 4xx or 5xx.", prom_uint(v, atomic_load(&s->http_errors)));
  single(&b, "podscale_optimizer_uptime_seconds", "gauge", "Seconds since the service started.",
         prom_float(v, now - s->started_unix));
  pthread_mutex_unlock(&s->lock);
  return sb_take(&b);
}
