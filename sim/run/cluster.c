#include "sim/run/cluster.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/xalloc.h"
#include "models/pods/llmpod.h"
#include "models/pods/slotpod.h"
#include "sim/engine/evq.h"
#include "sim/engine/rng.h"
#include "sim/run/optsim.h"

enum {
  EV_POLICY,    /* evaluate the autoscalers of a period; target = the first deployment's index */
  EV_ARRIVAL,   /* the next workload request arrives */
  EV_WAKE,      /* target pod changes by itself; arg = its wake generation */
  EV_READY,     /* target pod passes its startup */
  EV_TIMEOUT,   /* client timeout of the request in pool slot target; arg = request id */
  EV_GRACE,     /* target pod's termination grace period ends */
  EV_PRESTOP,   /* target pod's preStop hook looks whether it is idle */
  EV_SAMPLE,    /* take a timeseries sample */
  EV_OPTIMIZER, /* the GPU optimizer's monitor loop */
  EV_END,       /* the scenario's duration (arg 0) or the drain limit (arg 1) */
};

typedef enum pod_state {
  POD_PENDING,
  POD_STARTING,
  POD_READY,
  POD_TERMINATING,
  POD_STOPPED
} pod_state;

typedef struct cluster_pod {
  pod_model m;
  uint32_t dep; /* deployment index */
  pod_state state;
  int64_t created_us; /* billing starts */
  int64_t stopped_us; /* billing ends, -1 while alive */
  int64_t wake_us;    /* time of the queued wake event, INT64_MAX if none */
  uint64_t gen;       /* wake generation: older wake events are stale */
  uint32_t inflight;  /* requests routed here and not yet final */
  uint32_t ordinal;   /* pods of its deployment created before it */
  int64_t running_us; /* container running (starting pods; from its lifecycle) */
  int64_t serving_us; /* vLLM serving, not yet Ready */
} cluster_pod;

#define POOL_CHUNK 4096

typedef struct cluster_state {
  const scenario *sc;
  const sc_policy *pol;
  const cluster_hooks *h;
  cluster_result *res;
  evq q;
  cluster_pod **pods;
  uint32_t npods, cappods;
  uint32_t *routable; /* indices of the pods in routing, ascending (creation order) */
  uint32_t nroutable;
  uint32_t *load;   /* scratch: inflight of each routable pod */
  rq_list gateway;  /* requests waiting for any ready pod */
  request **chunks; /* request pool */
  uint32_t nchunks;
  request *free;
  uint64_t inflight; /* requests not yet final */
  gsl_rng *r_arr, *r_in, *r_out, *r_svc, *r_router;
  wl_gen *gen;
  wl_request next;
  bool has_next;
  router rt;
  int32_t *gpu_used;         /* per GPU type */
  int32_t *desired;          /* per deployment */
  policy_inst **auto_;       /* per deployment: the policy's instance */
  const policy_config **cfg; /* per deployment: its autoscaler's configuration */
  policy_pod *view;          /* scratch: the pods of one deployment as the policy sees them */
  optsim *opt;               /* the GPU optimizer, when the policy reads it */
  uint32_t *created;         /* per deployment, pods created so far */
  uint64_t seed;
  uint64_t *completed; /* per deployment, ok completions in the current sample interval */
  uint64_t arrivals;   /* gateway arrivals in the current sample interval */
  int64_t last_sample_us;
  int32_t alive;
  bool ended;
} cluster_state;

static int64_t now(const cluster_state *c) { return evq_now(&c->q); }

/* ---- request pool ---- */

static request *pool_get(cluster_state *c) {
  if (!c->free) {
    request *chunk = xcalloc(POOL_CHUNK, sizeof *chunk);
    c->chunks = xrealloc(c->chunks, (c->nchunks + 1) * sizeof *c->chunks);
    c->chunks[c->nchunks] = chunk;
    for (uint32_t i = POOL_CHUNK; i-- > 0;) {
      chunk[i].slot = c->nchunks * POOL_CHUNK + i;
      chunk[i].status = RQ_FAILED;
      chunk[i].next = c->free;
      c->free = &chunk[i];
    }
    c->nchunks++;
  }
  request *r = c->free;
  c->free = r->next;
  return r;
}

static request *pool_at(cluster_state *c, uint32_t slot) {
  return &c->chunks[slot / POOL_CHUNK][slot % POOL_CHUNK];
}

/* The request's final status goes out (requests.csv, the optimizer's traces, the counts). */
static void report(cluster_state *c, request *r, rq_status status, int64_t t_us) {
  r->status = status;
  if (status != RQ_OK) {
    r->finish_us = t_us;
    /* A pod may have planned a first token that the request did not live to see. */
    if (r->first_token_us > t_us) r->first_token_us = -1;
  }
  uint32_t dep = r->pod >= 0 ? c->pods[r->pod]->dep : UINT32_MAX;
  if (status == RQ_OK) c->completed[dep]++;
  if (status == RQ_OK && c->opt) optsim_done(c->opt, t_us, r->input_tokens, r->output_tokens);
  if (c->h->request) c->h->request(c->h->ctx, r, dep);
}

/* The request leaves the run: reported (unless its client gave up earlier), back to the pool. */
static void finish(cluster_state *c, request *r, rq_status status, int64_t t_us) {
  if (!r->abandoned) report(c, r, status, t_us);
  r->prev = NULL;
  r->next = c->free;
  c->free = r;
  c->inflight--;
}

/* ---- pods ---- */

static void stop_pod(cluster_state *c, uint32_t i);

static void pod_touch(cluster_state *c, uint32_t i) {
  cluster_pod *p = c->pods[i];
  int64_t t = p->m.ops->next_us(p->m.self);
  if (t == p->wake_us) return;
  p->wake_us = t;
  p->gen++;
  if (t != INT64_MAX) evq_push(&c->q, t, EV_WAKE, i, p->gen);
}

static void on_done(void *ctx, request *r, int64_t t_us, rq_status status) {
  cluster_state *c = ctx;
  /* A pod names what it refuses; what it drops is its stop's doing, or the run's end. */
  if (status == RQ_FAILED && r->reason == RQ_NO_REASON)
    r->reason = c->ended ? RQ_RUN_ENDED : RQ_POD_STOPPED;
  c->pods[r->pod]->inflight--;
  finish(c, r, status, t_us);
}

/* A terminating pod without a polling preStop hook stops as soon as it has no request left. */
static bool drained(const cluster_state *c, const cluster_pod *p) {
  return p->state == POD_TERMINATING && p->inflight == 0 &&
         c->sc->deployments[p->dep].prestop_poll_us == 0;
}

/* Whether the gateway may route to the pod. */
static bool in_routing(const cluster_state *c, const cluster_pod *p) {
  return p->state == POD_READY || (p->state == POD_TERMINATING && c->sc->route_terminating);
}

/* Bring pod i up to the current time. */
static void pod_sync(cluster_state *c, uint32_t i) {
  cluster_pod *p = c->pods[i];
  p->m.ops->advance(p->m.self, now(c), on_done, c);
  pod_touch(c, i);
  if (drained(c, p)) stop_pod(c, i);
}

static void routable_add(cluster_state *c, uint32_t i) {
  uint32_t k = c->nroutable++;
  while (k > 0 && c->routable[k - 1] > i) {
    c->routable[k] = c->routable[k - 1];
    k--;
  }
  c->routable[k] = i;
}

static void routable_remove(cluster_state *c, uint32_t i) {
  uint32_t k = 0;
  while (k < c->nroutable && c->routable[k] != i)
    k++;
  assert(k < c->nroutable);
  for (; k + 1 < c->nroutable; k++)
    c->routable[k] = c->routable[k + 1];
  c->nroutable--;
}

static void route(cluster_state *c, request *r) {
  if (c->nroutable == 0) {
    rq_push(&c->gateway, r);
    return;
  }
  if (c->rt.kind == ROUTER_LEAST_REQUEST)
    for (uint32_t k = 0; k < c->nroutable; k++)
      c->load[k] = c->pods[c->routable[k]]->inflight;
  uint32_t i = c->routable[router_pick(&c->rt, c->load, c->nroutable)];
  cluster_pod *p = c->pods[i];
  pod_sync(c, i);
  r->pod = (int32_t)i;
  p->inflight++;
  p->m.ops->submit(p->m.self, r, now(c), on_done, c);
  pod_touch(c, i);
}

/* The pod got its GPU: it turns Ready after the deployment's lifecycle, whose delays depend
 * only on which pod of its deployment it is (common random numbers across policies). */
static void on_ready(cluster_state *c, uint32_t i);

static void start_pod(cluster_state *c, uint32_t i) {
  cluster_pod *p = c->pods[i];
  const sc_deployment *d = &c->sc->deployments[p->dep];
  c->gpu_used[d->gpu]++;
  p->state = POD_STARTING;
  uint64_t who = ((uint64_t)p->dep << 32) | p->ordinal;
  lifecycle_times t = lifecycle_phases(&d->startup, rng_uniform_at(c->seed, "lifecycle", who, 0),
                                       rng_uniform_at(c->seed, "lifecycle", who, 1));
  p->running_us = now(c) + t.running_us;
  p->serving_us = now(c) + t.serving_us;
  evq_push(&c->q, now(c) + t.ready_us, EV_READY, i, 0);
}

/* A pod of the deployment the run starts with, given its GPU: it (re)starts at the beginning of
 * the warm-up and turns Ready at time 0, when the client starts. */
static void start_initial(cluster_state *c, uint32_t i) {
  cluster_pod *p = c->pods[i];
  c->gpu_used[c->sc->deployments[p->dep].gpu]++;
  p->state = POD_STARTING;
  p->running_us = now(c);
  p->serving_us = now(c) > 0 ? now(c) : 0;
  if (p->serving_us == now(c))
    on_ready(c, i);
  else
    evq_push(&c->q, p->serving_us, EV_READY, i, 0);
}

/* A new pod of deployment dep; `initial`: one the run starts with (a pod that finds no free GPU
 * starts like any other when one frees up). */
static uint32_t create_pod(cluster_state *c, uint32_t dep, bool initial) {
  const sc_deployment *d = &c->sc->deployments[dep];
  if (c->npods == c->cappods) {
    c->cappods = c->cappods ? 2 * c->cappods : 16;
    c->pods = xrealloc(c->pods, c->cappods * sizeof *c->pods);
    c->routable = xrealloc(c->routable, c->cappods * sizeof *c->routable);
    c->load = xrealloc(c->load, c->cappods * sizeof *c->load);
    c->view = xrealloc(c->view, c->cappods * sizeof *c->view);
  }
  uint32_t i = c->npods++;
  cluster_pod *p = c->pods[i] = xcalloc(1, sizeof *p);
  p->m = d->model == SC_MODEL_LLM ? llmpod_new(&d->llm) : slotpod_new(&d->slots);
  p->dep = dep;
  p->ordinal = c->created[dep]++;
  p->state = POD_PENDING;
  p->created_us = now(c);
  p->stopped_us = -1;
  p->wake_us = INT64_MAX;
  if (++c->alive > c->res->peak_pods) c->res->peak_pods = c->alive;
  if (c->gpu_used[d->gpu] < c->sc->gpus[d->gpu].count) {
    if (initial)
      start_initial(c, i);
    else
      start_pod(c, i);
  }
  return i;
}

/* Billed from creation (or from time 0, for pods of the warm-up) to stop. */
static double pod_cost(const cluster_state *c, const cluster_pod *p, int64_t t_us, double *hours) {
  int64_t end = p->stopped_us >= 0 ? p->stopped_us : t_us;
  int64_t start = p->created_us > 0 ? p->created_us : 0;
  double h = end > start ? (double)(end - start) / 3.6e9 : 0;
  if (hours) *hours += h;
  return h * c->sc->gpus[c->sc->deployments[p->dep].gpu].price_per_hour;
}

static void stop_pod(cluster_state *c, uint32_t i) {
  cluster_pod *p = c->pods[i];
  assert(p->state != POD_STOPPED);
  bool held_gpu = p->state != POD_PENDING;
  if (in_routing(c, p)) routable_remove(c, i);
  p->state = POD_STOPPED;
  p->stopped_us = now(c);
  p->gen++; /* cancel its wake */
  p->wake_us = INT64_MAX;
  c->alive--;
  c->res->cost += pod_cost(c, p, now(c), &c->res->gpu_hours);
  if (!held_gpu) return;
  uint32_t gpu = c->sc->deployments[p->dep].gpu;
  c->gpu_used[gpu]--;
  for (uint32_t k = 0; k < c->npods; k++) { /* the oldest pending pod of this GPU type */
    cluster_pod *q = c->pods[k];
    if (q->state == POD_PENDING && c->sc->deployments[q->dep].gpu == gpu) {
      start_pod(c, k);
      return;
    }
  }
}

static void terminate_pod(cluster_state *c, uint32_t i) {
  cluster_pod *p = c->pods[i];
  if (p->state != POD_READY) {
    stop_pod(c, i);
    return;
  }
  pod_sync(c, i);
  if (!c->sc->route_terminating) routable_remove(c, i);
  p->state = POD_TERMINATING;
  const sc_deployment *d = &c->sc->deployments[p->dep];
  if (p->inflight == 0) {
    stop_pod(c, i);
    return;
  }
  evq_push(&c->q, now(c) + d->grace_us, EV_GRACE, i, 0);
  if (d->prestop_poll_us > 0) evq_push(&c->q, now(c) + d->prestop_poll_us, EV_PRESTOP, i, 0);
}

/* The preStop hook (AIBrix's sample: read vLLM's running and waiting gauges every 5 s, exit when
 * both are 0) lets the pod stop at the first look that finds it idle. */
static void on_prestop(cluster_state *c, uint32_t i) {
  cluster_pod *p = c->pods[i];
  if (p->state != POD_TERMINATING) return;
  pod_sync(c, i);
  if (p->inflight == 0) {
    stop_pod(c, i);
    return;
  }
  evq_push(&c->q, now(c) + c->sc->deployments[p->dep].prestop_poll_us, EV_PRESTOP, i, 0);
}

/* ReplicaSet deletion order: pending, then starting, then ready; newest first within each. */
static int32_t pick_victim(const cluster_state *c, uint32_t dep) {
  for (int s = POD_PENDING; s <= POD_READY; s++)
    for (uint32_t k = c->npods; k-- > 0;)
      if (c->pods[k]->dep == dep && (int)c->pods[k]->state == s) return (int32_t)k;
  return -1;
}

static int32_t live_replicas(const cluster_state *c, uint32_t dep) {
  int32_t n = 0;
  for (uint32_t k = 0; k < c->npods; k++)
    n += c->pods[k]->dep == dep && c->pods[k]->state <= POD_READY;
  return n;
}

static void scale(cluster_state *c, uint32_t dep, int32_t desired) {
  int32_t current = live_replicas(c, dep);
  if (desired > current) c->res->scale_ups++;
  if (desired < current) c->res->scale_downs++;
  for (; current < desired; current++)
    create_pod(c, dep, false);
  for (; current > desired; current--)
    terminate_pod(c, (uint32_t)pick_victim(c, dep));
  c->desired[dep] = desired;
}

/* ---- observations ---- */

typedef struct dep_view {
  int32_t by_state[POD_STOPPED];
  int32_t running, waiting;
  double kv_sum;
  double cost;
} dep_view;

static void observe(cluster_state *c, uint32_t dep, dep_view *v) {
  *v = (dep_view){0};
  for (uint32_t k = 0; k < c->npods; k++) {
    cluster_pod *p = c->pods[k];
    if (p->dep != dep) continue;
    v->cost += pod_cost(c, p, now(c), NULL);
    if (p->state == POD_STOPPED) continue;
    v->by_state[p->state]++;
    if (p->state < POD_READY) continue;
    pod_sync(c, k);
    pod_gauges g;
    p->m.ops->gauges(p->m.self, &g);
    v->running += g.running;
    v->waiting += g.waiting;
    if (p->state == POD_READY) v->kv_sum += g.kv_usage;
  }
}

static policy_pod_phase phase_of(const cluster_state *c, const cluster_pod *p) {
  switch (p->state) {
  case POD_PENDING: return POD_PHASE_UNSCHEDULED;
  case POD_STARTING:
    return now(c) < p->running_us   ? POD_PHASE_INITIALIZING
           : now(c) < p->serving_us ? POD_PHASE_LOADING
                                    : POD_PHASE_UNREADY;
  case POD_READY: return POD_PHASE_READY;
  case POD_TERMINATING: return POD_PHASE_TERMINATING;
  case POD_STOPPED: break;
  }
  assert(0);
  return POD_PHASE_UNSCHEDULED;
}

/* The pods of deployment dep, not yet stopped, as a policy sees them. */
static uint32_t policy_view(cluster_state *c, uint32_t dep) {
  uint32_t n = 0;
  for (uint32_t k = 0; k < c->npods; k++) {
    cluster_pod *p = c->pods[k];
    if (p->dep != dep || p->state == POD_STOPPED) continue;
    policy_pod *v = &c->view[n++];
    *v = (policy_pod){.phase = phase_of(c, p)};
    if (p->state < POD_READY) continue;
    pod_sync(c, k);
    if (p->state == POD_STOPPED) { /* it finished draining just now */
      n--;
      continue;
    }
    pod_gauges g;
    p->m.ops->gauges(p->m.self, &g);
    v->running = g.running;
    v->waiting = g.waiting;
    v->kv_usage = g.kv_usage;
  }
  return n;
}

/* The deployments whose autoscalers share deployment first's period, in deployment order, then
 * the next tick of that period. With one period for all (every policy but one of manifests of
 * several periods) this is one event for every deployment. */
static void evaluate_policy(cluster_state *c, uint32_t first) {
  int64_t period_us = c->cfg[first]->period_us;
  for (uint32_t d = first; d < c->sc->ndeployments; d++) {
    if (c->cfg[d]->period_us != period_us) continue;
    policy_obs obs = {.now_us = now(c),
                      .deployment = d,
                      .current = c->desired[d],
                      .pods = c->view,
                      .npods = policy_view(c, d),
                      .optimizer = c->opt ? optsim_value(c->opt, d) : NAN};
    policy_decision dec;
    int32_t desired = policy_tick(c->auto_[d], &obs, &dec);
    if (dec.logged && c->h->decision) {
      cluster_decision cd = {.time_us = now(c),
                             .deployment = d,
                             .current = obs.current,
                             .desired = desired,
                             .d = &dec};
      c->h->decision(c->h->ctx, &cd);
    }
    if (desired != c->desired[d]) scale(c, d, desired);
  }
  evq_push(&c->q, now(c) + period_us, EV_POLICY, first, 0);
}

/* One EV_POLICY per distinct period, at the start, targeting the first deployment with it. */
static void schedule_policies(cluster_state *c, int64_t t_us) {
  for (uint32_t d = 0; d < c->sc->ndeployments; d++) {
    uint32_t e = 0;
    while (e < d && c->cfg[e]->period_us != c->cfg[d]->period_us)
      e++;
    if (e == d) evq_push(&c->q, t_us, EV_POLICY, d, 0);
  }
}

/* Time 0: the deployments the run starts with, serving already. */
static void initial_pods(cluster_state *c) {
  for (uint32_t d = 0; d < c->sc->ndeployments; d++) {
    const policy_config *cfg = c->cfg[d];
    int32_t n = cfg->initial_replicas;
    if (cfg->kind == POLICY_FIXED && n < 0) n = cfg->replicas[d]; /* default: all serving */
    for (int32_t k = 0; k < n; k++)
      create_pod(c, d, true);
    c->desired[d] = n;
  }
}

static void take_sample(cluster_state *c) {
  double span_s = (double)(now(c) - c->last_sample_us) * 1e-6;
  for (uint32_t d = 0; d < c->sc->ndeployments; d++) {
    dep_view v;
    observe(c, d, &v);
    int32_t ready = v.by_state[POD_READY];
    cluster_sample s = {
        .time_us = now(c),
        .deployment = d,
        .offered_rps = span_s > 0 ? (double)c->arrivals / span_s : 0,
        .completed_rps = span_s > 0 ? (double)c->completed[d] / span_s : 0,
        .desired = c->desired[d],
        .pending = v.by_state[POD_PENDING],
        .starting = v.by_state[POD_STARTING],
        .ready = ready,
        .terminating = v.by_state[POD_TERMINATING],
        .running = v.running,
        .waiting = v.waiting,
        .gateway_queue = (int32_t)c->gateway.len,
        .kv_usage = ready ? v.kv_sum / ready : 0,
        .cost = v.cost,
    };
    if (c->h->sample) c->h->sample(c->h->ctx, &s);
    c->completed[d] = 0;
  }
  c->arrivals = 0;
  c->last_sample_us = now(c);
}

/* ---- events ---- */

static void next_arrival(cluster_state *c) {
  c->has_next = wl_gen_next(c->gen, &c->next);
  if (c->has_next) evq_push(&c->q, c->next.arrival_us, EV_ARRIVAL, 0, 0);
}

static void on_arrival(cluster_state *c) {
  request *r = pool_get(c);
  *r = (request){
      .id = c->next.id,
      .arrival_us = c->next.arrival_us,
      .start_us = -1,
      .first_token_us = -1,
      .finish_us = -1,
      .service_u = c->next.service_u,
      .input_tokens = c->next.input_tokens,
      .output_tokens = c->next.output_tokens,
      .max_tokens = c->sc->workload.max_output_tokens,
      .pod = -1,
      .slot = r->slot,
      .status = RQ_PENDING,
  };
  c->inflight++;
  c->arrivals++;
  c->res->requests++;
  /* A connection error loses the request before it reaches a pod; which requests are lost
   * depends only on their identity, so every policy loses the same ones. */
  if (c->sc->error_rate > 0 &&
      rng_uniform_at(c->seed, "client_error", r->id, 0) < c->sc->error_rate) {
    r->reason = RQ_CLIENT_ERROR;
    finish(c, r, RQ_FAILED, now(c));
    next_arrival(c);
    return;
  }
  if (c->opt) optsim_arrival(c->opt, now(c));
  if (c->sc->timeout_us > 0)
    evq_push(&c->q, now(c) + c->sc->timeout_us, EV_TIMEOUT, r->slot, r->id);
  route(c, r);
  next_arrival(c);
}

static void on_timeout(cluster_state *c, uint32_t slot, uint64_t id) {
  request *r = pool_at(c, slot);
  if (r->id != id || r->status != RQ_PENDING) return;
  if (r->pod < 0) {
    rq_unlink(&c->gateway, r);
    r->reason = RQ_CLIENT_TIMEOUT;
  } else {
    uint32_t i = (uint32_t)r->pod;
    cluster_pod *p = c->pods[i];
    pod_sync(c, i);
    if (r->status != RQ_PENDING || r->id != id) return; /* it finished exactly now */
    r->reason = RQ_CLIENT_TIMEOUT;
    if (!c->sc->timeout_cancels) { /* the engine never hears of it and serves it to the end */
      report(c, r, RQ_TIMEOUT, now(c));
      r->abandoned = true;
      return;
    }
    p->m.ops->cancel(p->m.self, r, now(c));
    p->inflight--;
    pod_touch(c, i);
    if (drained(c, p)) stop_pod(c, i);
  }
  finish(c, r, RQ_TIMEOUT, now(c));
}

static void on_ready(cluster_state *c, uint32_t i) {
  cluster_pod *p = c->pods[i];
  if (p->state != POD_STARTING) return;
  p->state = POD_READY;
  routable_add(c, i);
  request *r;
  while ((r = rq_pop(&c->gateway)))
    route(c, r);
}

static void on_grace(cluster_state *c, uint32_t i) {
  cluster_pod *p = c->pods[i];
  if (p->state != POD_TERMINATING) return;
  pod_sync(c, i);
  if (p->state != POD_TERMINATING) return;
  p->m.ops->evict(p->m.self, now(c), on_done, c);
  stop_pod(c, i);
}

static void end_run(cluster_state *c) {
  c->ended = true;
  c->res->end_us = now(c);
  if (c->last_sample_us != now(c)) take_sample(c); /* unless a sample was just taken */
  request *r;
  while ((r = rq_pop(&c->gateway))) {
    r->reason = RQ_RUN_ENDED;
    finish(c, r, RQ_FAILED, now(c));
  }
  for (uint32_t i = 0; i < c->npods; i++) {
    cluster_pod *p = c->pods[i];
    if (p->state == POD_STOPPED) continue;
    if (p->state >= POD_READY) {
      pod_sync(c, i);
      if (p->state == POD_STOPPED) continue;
      p->m.ops->evict(p->m.self, now(c), on_done, c);
    }
    stop_pod(c, i);
  }
  assert(c->inflight == 0);
}

/* The GPU optimizer's loop: what it now serves for each deployment is a row of decisions.csv. */
static void run_optimizer(cluster_state *c) {
  optsim_round r;
  optsim_tick(c->opt, now(c), (int64_t)c->inflight, &r);
  if (r.decision && c->h->optimizer) c->h->optimizer(c->h->ctx, r.decision);
  for (uint32_t d = 0; d < c->sc->ndeployments && c->h->decision; d++) {
    char reason[160];
    snprintf(reason, sizeof reason,
             "%s: %.3f req/s, cost %.4f/h, coverage %.1f%%, uncovered %.3f req/s", r.action,
             r.total_rate, r.cost, r.coverage_pct, r.uncovered);
    policy_decision pd = {.logged = true,
                          .desired = c->desired[d],
                          .ready = -1,
                          .value = optsim_value(c->opt, d),
                          .stable = NAN,
                          .panic = NAN,
                          .panic_mode = -1,
                          .recommendation = -1,
                          .reason = reason};
    cluster_decision cd = {.time_us = now(c),
                           .deployment = d,
                           .current = c->desired[d],
                           .desired = c->desired[d],
                           .d = &pd,
                           .optimizer = true};
    c->h->decision(c->h->ctx, &cd);
  }
  evq_push(&c->q, optsim_next_us(c->opt), EV_OPTIMIZER, 0, 0);
}

static void dispatch(cluster_state *c, const evq_event *ev) {
  switch (ev->kind) {
  case EV_POLICY: evaluate_policy(c, ev->target); break;
  case EV_ARRIVAL: on_arrival(c); break;
  case EV_WAKE: {
    cluster_pod *p = c->pods[ev->target];
    if (ev->arg == p->gen) pod_sync(c, ev->target);
    break;
  }
  case EV_READY: on_ready(c, ev->target); break;
  case EV_TIMEOUT: on_timeout(c, ev->target, ev->arg); break;
  case EV_GRACE: on_grace(c, ev->target); break;
  case EV_PRESTOP: on_prestop(c, ev->target); break;
  case EV_SAMPLE:
    take_sample(c);
    evq_push(&c->q, now(c) + c->sc->output.interval_us, EV_SAMPLE, 0, 0);
    break;
  case EV_OPTIMIZER: run_optimizer(c); break;
  case EV_END: break;
  default: assert(0);
  }
}

void cluster_run(const scenario *sc, uint32_t policy, uint64_t seed, const cluster_hooks *hooks,
                 cluster_result *res) {
  assert(policy < sc->npolicies);
  *res = (cluster_result){0};
  cluster_state c = {.sc = sc, .pol = &sc->policies[policy], .h = hooks, .res = res};
  evq_init(&c.q);
  evq_start_at(&c.q, -sc->warmup_us);
  c.r_arr = rng_stream(seed, "arrivals");
  c.r_in = rng_stream(seed, "input_tokens");
  c.r_out = rng_stream(seed, "output_tokens");
  c.r_svc = rng_stream(seed, "service");
  c.r_router = rng_stream(seed, "router");
  c.rt = (router){.kind = sc->router, .rng = c.r_router};
  c.gen = wl_gen_new(&sc->workload, c.r_arr, c.r_in, c.r_out, c.r_svc);
  c.gpu_used = xcalloc(sc->ngpus, sizeof *c.gpu_used);
  c.desired = xcalloc(sc->ndeployments, sizeof *c.desired);
  c.created = xcalloc(sc->ndeployments, sizeof *c.created);
  c.seed = seed;
  c.completed = xcalloc(sc->ndeployments + 1, sizeof *c.completed);
  c.auto_ = xcalloc(sc->ndeployments, sizeof *c.auto_);
  c.cfg = xcalloc(sc->ndeployments, sizeof *c.cfg);
  for (uint32_t d = 0; d < sc->ndeployments; d++) {
    c.cfg[d] = sc_policy_config(c.pol, d);
    c.auto_[d] = policy_new(c.cfg[d], d);
  }
  initial_pods(&c);
  if (scenario_policy_reads_optimizer(sc, c.pol)) {
    c.opt = optsim_new(sc, c.desired);
    if (hooks->trace) optsim_set_sink(c.opt, hooks->trace, hooks->ctx);
    evq_push(&c.q, optsim_next_us(c.opt), EV_OPTIMIZER, 0, 0);
  }

  /* Order at time 0: the policy looks before the first arrival is seen. It starts with the
   * warm-up. */
  schedule_policies(&c, -sc->warmup_us);
  evq_push(&c.q, 0, EV_SAMPLE, 0, 0);
  evq_push(&c.q, sc->duration_us, EV_END, 0, 0);
  evq_push(&c.q, sc->duration_us + sc->drain_us, EV_END, 0, 1);
  next_arrival(&c);

  int64_t end_hint = sc->duration_us;
  evq_event ev;
  while (evq_pop(&c.q, &ev)) {
    dispatch(&c, &ev);
    if ((ev.kind == EV_END && ev.arg == 1) ||
        (!c.has_next && c.inflight == 0 && now(&c) >= sc->duration_us))
      break;
    if (hooks->progress && (c.q.popped & 16383) == 0)
      hooks->progress(hooks->ctx, now(&c), end_hint);
  }
  end_run(&c);
  res->events = c.q.popped;

  for (uint32_t i = 0; i < c.npods; i++) {
    c.pods[i]->m.ops->free(c.pods[i]->m.self);
    free(c.pods[i]);
  }
  free(c.pods);
  free(c.routable);
  free(c.load);
  free(c.view);
  optsim_free(c.opt);
  for (uint32_t d = 0; d < sc->ndeployments; d++)
    policy_free(c.auto_[d]);
  free(c.auto_);
  free(c.cfg);
  for (uint32_t i = 0; i < c.nchunks; i++)
    free(c.chunks[i]);
  free(c.chunks);
  free(c.gpu_used);
  free(c.desired);
  free(c.created);
  free(c.completed);
  wl_gen_free(c.gen);
  gsl_rng_free(c.r_arr);
  gsl_rng_free(c.r_in);
  gsl_rng_free(c.r_out);
  gsl_rng_free(c.r_svc);
  gsl_rng_free(c.r_router);
  evq_free(&c.q);
}
