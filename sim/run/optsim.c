#include "sim/run/optsim.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
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
  opt_model *model;  /* the optimizer: monitor, profiles, ILP */
  int64_t next_us;   /* the next monitor loop */
  int64_t in_flight; /* for the record being closed */
  optsim_sink sink;  /* also hand each record written to it (NULL: none) */
  void *sink_ctx;
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
      if (o->sink) o->sink(o->sink_ctx, o->cur.ts_s, o->log[o->nlog - 1].json);
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
  o->model = opt_model_new(sc->llms[sc->deployments[0].llm_index].name, NULL, NULL, NULL);
  assert(o->model);
  for (uint32_t d = 0; d < sc->ndeployments; d++) {
    opt_model_deployment md = {.name = sc->deployments[d].name,
                               .gpu_type = sc->gpus[sc->deployments[d].gpu].name,
                               .replicas = initial[d]};
    bool taken, ok = opt_model_add(o->model, &md, NULL) &&
                     opt_model_offer_profile(o->model, md.name, &sc->optimizer.profiles[d], true,
                                             &taken, NULL);
    assert(ok); /* the scenario loader checked names and grids */
    (void)ok;
  }
  opt_model_charge_unservable(o->model, sc->optimizer.charge_unservable);
  if (sc->optimizer.gpu_limits)
    for (uint32_t g = 0; g < sc->ngpus; g++)
      opt_model_set_limit(o->model, sc->gpus[g].name, (int64_t)sc->gpus[g].count);
  o->next_us = o->interval_s * US + READ_DELAY_US;
  return o;
}

void optsim_set_sink(optsim *o, optsim_sink sink, void *ctx) {
  o->sink = sink;
  o->sink_ctx = ctx;
}

void optsim_free(optsim *o) {
  if (!o) return;
  opt_trace_free(&o->cur);
  for (size_t i = 0; i < o->nlog; i++)
    free(o->log[i].json);
  free(o->log);
  opt_model_free(o->model);
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

double optsim_value(const optsim *o, uint32_t d) { return (double)opt_model_value(o->model, d); }

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
  o->in_flight = in_flight;
  roll(o, now_us);
  opt_trace rec;
  size_t n = read_due(o, now_us, &rec);
  opt_model_round r;
  bool ok = opt_model_round_run(o->model, now_us, n ? &rec : NULL, n, false, &r, NULL);
  assert(ok); /* the gateway's own records, in time order */
  (void)ok;
  if (n) opt_trace_free(&rec);
  o->next_us = now_us + o->interval_s * US;
  *out = (optsim_round){.time_us = now_us,
                        .action = opt_round_action_name(r.action),
                        .total_rate = r.total_rate,
                        .coverage_pct = r.coverage_pct,
                        .cost = r.cost,
                        .uncovered = r.uncovered_rate,
                        .decision = r.decision};
}
