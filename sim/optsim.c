#include "sim/optsim.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/xalloc.h"
#include "optimizer/optimizer.h"

#define US 1000000LL
#define READ_DELAY_US (2 * US) /* GatewayLoadReader reads a key 2 s after its time */

typedef struct written {
  int64_t ts_s; /* key time */
  char *json;   /* the record as the gateway wrote it */
} written;

struct optsim {
  const scenario *sc;
  int64_t interval_s;
  opt_trace cur; /* the gateway's record of the current interval */
  bool cur_used; /* something arrived or completed in it */
  written *log;  /* records written and not yet read (oldest first) */
  size_t nlog, caplog;
  opt_monitor *mon;
  opt_grid grid;
  opt_ilp_deployment *deps;
  opt_ilp_limit *limits; /* per GPU type, when the scenario asks for them */
  int nlimits;
  double *values;               /* per deployment: vllm:deployment_replicas */
  const opt_profile **profiles; /* per deployment */
  char *line;                   /* the last decision-log line */
  int64_t next_us;              /* the next monitor loop */
  int64_t in_flight;            /* for the record being closed */
};

static void start_record(optsim *o, int64_t end_s) {
  opt_trace_init(&o->cur, end_s);
  o->cur_used = false;
}

/* The gateway writes the records of every interval that ended by now. */
static void roll(optsim *o, int64_t now_us) {
  while (now_us >= o->cur.ts_s * US) {
    if (o->cur_used) {
      o->cur.pending_reqs = o->in_flight;
      if (o->nlog == o->caplog) {
        o->caplog = o->caplog ? 2 * o->caplog : 8;
        o->log = xrealloc(o->log, o->caplog * sizeof *o->log);
      }
      o->log[o->nlog++] = (written){o->cur.ts_s, opt_trace_to_json(&o->cur)};
    }
    int64_t next_end = o->cur.ts_s + o->interval_s;
    opt_trace_free(&o->cur);
    start_record(o, next_end);
  }
}

optsim *optsim_new(const scenario *sc, const int32_t *initial) {
  assert(sc->optimizer.enabled);
  optsim *o = xcalloc(1, sizeof *o);
  o->sc = sc;
  o->interval_s = sc->optimizer.interval_us / US;
  start_record(o, o->interval_s);
  opt_monitor_config mc = opt_monitor_config_default();
  o->mon = opt_monitor_new(&mc, NULL);
  assert(o->mon);
  const opt_profile *p0 = &sc->optimizer.profiles[0];
  o->grid = (opt_grid){p0->out_tokens, (size_t)p0->n_out, p0->in_tokens, (size_t)p0->n_in};
  o->deps = xcalloc(sc->ndeployments, sizeof *o->deps);
  o->values = xcalloc(sc->ndeployments, sizeof *o->values);
  o->profiles = xcalloc(sc->ndeployments, sizeof *o->profiles);
  for (uint32_t d = 0; d < sc->ndeployments; d++) {
    const opt_profile *p = o->profiles[d] = &sc->optimizer.profiles[d];
    o->deps[d] = (opt_ilp_deployment){.name = sc->deployments[d].name,
                                      .gpu_type = sc->gpus[sc->deployments[d].gpu].name,
                                      .cost = p->cost,
                                      .tputs = p->tputs};
    o->values[d] = initial[d];
  }
  if (sc->optimizer.gpu_limits) {
    o->limits = xcalloc(sc->ngpus, sizeof *o->limits);
    for (uint32_t g = 0; g < sc->ngpus; g++)
      o->limits[o->nlimits++] =
          (opt_ilp_limit){sc->gpus[g].name, (int64_t)sc->gpus[g].count * OPT_ILP_GPU_FRACTION};
  }
  o->next_us = o->interval_s * US + READ_DELAY_US;
  return o;
}

void optsim_free(optsim *o) {
  if (!o) return;
  opt_trace_free(&o->cur);
  for (size_t i = 0; i < o->nlog; i++)
    free(o->log[i].json);
  free(o->log);
  opt_monitor_free(o->mon);
  free(o->deps);
  free(o->limits);
  free(o->values);
  free(o->profiles);
  free(o->line);
  free(o);
}

void optsim_arrival(optsim *o, int64_t now_us) {
  roll(o, now_us);
  opt_trace_count_arrival(&o->cur);
  o->cur_used = true;
}

void optsim_done(optsim *o, int64_t now_us, int32_t input_tokens, int32_t output_tokens) {
  roll(o, now_us);
  opt_trace_count_done(&o->cur, input_tokens, output_tokens);
  o->cur_used = true;
}

int64_t optsim_next_us(const optsim *o) { return o->next_us; }

double optsim_value(const optsim *o, uint32_t d) { return o->values[d]; }

/* The records the reader fetches now: the key of this interval, if the gateway wrote it. */
static size_t read_due(optsim *o, int64_t now_us, opt_trace *out) {
  int64_t key = opt_trace_key_ts(now_us, o->interval_s);
  size_t n = 0, kept = 0;
  for (size_t i = 0; i < o->nlog; i++) {
    if (o->log[i].ts_s == key && n == 0) {
      char source[64];
      snprintf(source, sizeof source, "trace %lld", (long long)key);
      bool ok = opt_trace_parse(o->log[i].json, source, key, o->interval_s, out, NULL);
      assert(ok); /* the writer's own output */
      (void)ok;
      n = 1;
    }
    if (o->log[i].ts_s <= key) { /* read, or never to be read (expired) */
      free(o->log[i].json);
    } else {
      o->log[kept++] = o->log[i];
    }
  }
  o->nlog = kept;
  return n;
}

void optsim_tick(optsim *o, int64_t now_us, int64_t in_flight, optsim_round *out) {
  const scenario *sc = o->sc;
  o->in_flight = in_flight;
  roll(o, now_us);
  *out = (optsim_round){.time_us = now_us, .action = "skip"};
  opt_trace rec;
  size_t n = read_due(o, now_us, &rec);
  opt_monitor_out mo;
  bool ok = opt_monitor_step(o->mon, now_us, n ? &rec : NULL, n, &o->grid, &mo, NULL);
  assert(ok);
  (void)ok;
  if (n) opt_trace_free(&rec);
  o->next_us = now_us + o->interval_s * US;
  out->coverage_pct = mo.coverage_pct;
  out->total_rate = mo.total_rate;
  if (mo.action == OPT_MONITOR_SKIP) return;
  if (mo.action == OPT_MONITOR_MINIMIZE) {
    out->action = "minimize";
    for (uint32_t d = 0; d < sc->ndeployments; d++)
      o->values[d] = 0;
    return;
  }
  opt_ilp_problem p = {.n_buckets = (int)mo.n_grid,
                       .rates = mo.grid_rates,
                       .n_deployments = (int)sc->ndeployments,
                       .deployments = o->deps,
                       .n_limits = o->nlimits,
                       .limits = o->limits,
                       .options = opt_ilp_options_default()};
  opt_ilp_result r;
  opt_err e;
  if (!opt_ilp_solve(&p, &r, &e)) { /* upstream: "unexpected void result, skip" */
    out->action = "solver failed: skip";
    return;
  }
  out->action = "optimize";
  opt_decision_cluster cl[64];
  int ncl = 0;
  for (size_t k = 0; k < mo.n_clusters && ncl < 64; k++)
    cl[ncl++] = (opt_decision_cluster){mo.clusters[k].out_log2, mo.clusters[k].in_log2,
                                       mo.clusters[k].rate};
  opt_decision dec;
  opt_decision_make(&dec, (double)now_us * 1e-6, sc->llms[sc->deployments[0].llm_index].name,
                    o->profiles, &p, mo.total_rate, mo.coverage_pct, cl, ncl, &r, false);
  free(o->line);
  o->line = opt_decision_to_json(&dec);
  opt_decision_free(&dec);
  out->decision = o->line;
  out->cost = r.cost;
  out->uncovered = r.uncovered_rate;
  for (uint32_t d = 0; d < sc->ndeployments; d++)
    o->values[d] = (double)r.alloc[d].units;
  opt_ilp_result_free(&r);
}
