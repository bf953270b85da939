#include "sim/run/run.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "analysis/csvw.h"
#include "analysis/outfile.h"
#include "analysis/stats.h"
#include "base/clock.h"
#include "base/xalloc.h"
#include "optimizer/monitor.h"
#include "optimizer/profile.h"
#include "optimizer/store.h"
#include "sim/run/cluster.h"

#ifndef PODSCALE_VERSION
#define PODSCALE_VERSION "0.0.0"
#endif

const char *const run_requests_columns[] = {
    "policy",     "id",     "arrival_s", "input_tokens",  "output_tokens",
    "deployment", "pod",    "start_s",   "first_token_s", "finish_s",
    "ttft_s",     "tpot_s", "e2e_s",     "status",        "preemptions",
    "reason",     NULL};
const char *const run_timeseries_columns[] = {
    "policy",        "time_s",        "deployment", "offered_rps", "completed_rps", "desired",
    "pending",       "starting",      "ready",      "terminating", "running",       "waiting",
    "gateway_queue", "kv_usage_mean", "cost",       NULL};
const char *const run_decisions_columns[] = {
    "policy", "time_s", "deployment", "autoscaler",     "current", "ready",  "metric", "value",
    "stable", "panic",  "panic_mode", "recommendation", "desired", "reason", NULL};
const char *const run_summary_columns[] = {
    "policy",    "requests",    "ok",         "timeout",     "failed",
    "cost",      "gpu_hours",   "e2e_mean_s", "e2e_p50_s",   "e2e_p90_s",
    "e2e_p99_s", "ttft_mean_s", "ttft_p99_s", "tpot_mean_s", "slo_attainment",
    "scale_ups", "scale_downs", "peak_pods",  NULL};

enum { F_REQUESTS, F_TIMESERIES, F_DECISIONS, F_SUMMARY, F_RUN, F_OPTIMIZER, NFILES };
static const char *const file_names[NFILES] = {"requests.csv", "timeseries.csv", "decisions.csv",
                                               "summary.csv",  "run.json",       "optimizer.jsonl"};

/* Everything one policy's run accumulates. */
typedef struct acc {
  const scenario *sc;
  const sc_policy *pol;
  csvw req, ts, dec;
  FILE *opt_log; /* optimizer.jsonl, when the scenario has an optimizer */
  bool write_requests;
  sample e2e, ttft, tpot;
  uint64_t ok, timeout, failed, slo_met;
  /* progress */
  bool progress;
  uint32_t index, count;
  int64_t last_ns; /* ps_mono_ns of the last progress line */
  /* --trace-redis */
  opt_store *traces;
  const char *model;
  bool trace_failed;
  opt_err trace_err;
} acc;

static const char *dep_name(const scenario *sc, uint32_t dep) {
  return dep < sc->ndeployments ? sc->deployments[dep].name : "";
}

static void on_request(void *ctx, const request *r, uint32_t dep) {
  acc *a = ctx;
  const sc_output *o = &a->sc->output;
  int64_t ttft = r->first_token_us >= 0 ? r->first_token_us - r->arrival_us : -1;
  int64_t e2e = r->status == RQ_OK ? r->finish_us - r->arrival_us : -1;
  /* seconds per output token after the first; NaN (an empty field) when there is none */
  double tpot = r->status == RQ_OK && r->output_tokens > 1
                    ? (double)(r->finish_us - r->first_token_us) * 1e-6 / (r->output_tokens - 1)
                    : NAN;
  static const char *const status[] = {"pending", "ok", "timeout", "failed"};
  static const char *const reason[] = {"",
                                       "client_timeout",
                                       "client_error",
                                       "exceeds_max_model_len",
                                       "exceeds_kv_cache",
                                       "pod_stopped",
                                       "run_ended"};
  if (r->status == RQ_OK) {
    a->ok++;
    sample_add(&a->e2e, (double)e2e * 1e-6);
    sample_add(&a->ttft, (double)ttft * 1e-6);
    if (!isnan(tpot)) sample_add(&a->tpot, tpot);
    bool met = (o->slo_e2e_s <= 0 || (double)e2e * 1e-6 <= o->slo_e2e_s) &&
               (o->slo_ttft_s <= 0 || (double)ttft * 1e-6 <= o->slo_ttft_s);
    a->slo_met += met;
  } else if (r->status == RQ_TIMEOUT) {
    a->timeout++;
  } else {
    a->failed++;
  }
  if (!a->write_requests) return;
  csvw *w = &a->req;
  csvw_str(w, a->pol->name);
  csvw_int(w, (long long)r->id);
  csvw_time(w, r->arrival_us);
  csvw_int(w, r->input_tokens);
  csvw_int(w, r->output_tokens);
  csvw_str(w, dep_name(a->sc, dep));
  if (r->pod >= 0)
    csvw_int(w, r->pod);
  else
    csvw_str(w, "");
  csvw_time(w, r->start_us);
  csvw_time(w, r->first_token_us);
  csvw_time(w, r->finish_us);
  csvw_time(w, ttft);
  csvw_num(w, tpot);
  csvw_time(w, e2e);
  csvw_str(w, status[r->status]);
  csvw_int(w, r->preemptions);
  csvw_str(w, reason[r->reason]);
  csvw_end(w);
}

static void on_sample(void *ctx, const cluster_sample *s) {
  acc *a = ctx;
  csvw *w = &a->ts;
  csvw_str(w, a->pol->name);
  csvw_time(w, s->time_us);
  csvw_str(w, dep_name(a->sc, s->deployment));
  csvw_num(w, s->offered_rps);
  csvw_num(w, s->completed_rps);
  csvw_int(w, s->desired);
  csvw_int(w, s->pending);
  csvw_int(w, s->starting);
  csvw_int(w, s->ready);
  csvw_int(w, s->terminating);
  csvw_int(w, s->running);
  csvw_int(w, s->waiting);
  csvw_int(w, s->gateway_queue);
  csvw_num(w, s->kv_usage);
  csvw_num(w, s->cost);
  csvw_end(w);
}

static void on_optimizer(void *ctx, const char *line) {
  acc *a = ctx;
  if (a->opt_log) fprintf(a->opt_log, "%s\n", line);
}

static void on_trace(void *ctx, int64_t ts_s, const char *json) {
  acc *a = ctx;
  if (!a->trace_failed &&
      !opt_store_trace_put(a->traces, a->model, ts_s, json, OPT_TRACE_EXPIRY_S, &a->trace_err))
    a->trace_failed = true;
}

static void on_decision(void *ctx, const cluster_decision *d) {
  acc *a = ctx;
  csvw *w = &a->dec;
  csvw_str(w, a->pol->name);
  csvw_clock(w, d->time_us);
  csvw_str(w, dep_name(a->sc, d->deployment));
  const policy_config *cfg = sc_policy_config(a->pol, d->deployment); /* this deployment's */
  const policy_decision *e = d->d;
  bool fixed = cfg->kind == POLICY_FIXED;
  char who[48];
  snprintf(who, sizeof who, "%s%s%s", policy_kind_name(cfg->kind), fixed ? "" : "/",
           fixed ? "" : policy_variant_name(cfg->variant));
  if (d->optimizer) snprintf(who, sizeof who, "gpu-optimizer");
  csvw_str(w, who);
  csvw_int(w, d->current);
  if (e->ready < 0)
    csvw_str(w, "");
  else
    csvw_int(w, e->ready);
  csvw_str(w, fixed ? "" : policy_metric_name(cfg->metric));
  csvw_num(w, e->value);
  csvw_num(w, e->stable);
  csvw_num(w, e->panic);
  if (e->panic_mode < 0)
    csvw_str(w, "");
  else
    csvw_int(w, e->panic_mode);
  if (e->recommendation < 0)
    csvw_str(w, "");
  else
    csvw_int(w, e->recommendation);
  csvw_int(w, d->desired);
  csvw_str(w, e->reason);
  csvw_end(w);
}

static void on_progress(void *ctx, int64_t now_us, int64_t end_us) {
  acc *a = ctx;
  if (!a->progress) return;
  int64_t t = ps_mono_ns();
  if (t - a->last_ns < 200000000) return;
  a->last_ns = t;
  double pct = end_us > 0 ? 100.0 * (double)now_us / (double)end_us : 100;
  fprintf(stderr, "\rpodscale: [%u/%u] %-20.20s %10.0f / %.0f s simulated (%3.0f%%)", a->index + 1,
          a->count, a->pol->name, (double)now_us * 1e-6, (double)end_us * 1e-6,
          pct > 100 ? 100 : pct);
}

static void write_summary(csvw *w, acc *a, const cluster_result *res) {
  uint64_t total = a->ok + a->timeout + a->failed;
  csvw_str(w, a->pol->name);
  csvw_int(w, (long long)total);
  csvw_int(w, (long long)a->ok);
  csvw_int(w, (long long)a->timeout);
  csvw_int(w, (long long)a->failed);
  csvw_num(w, res->cost);
  csvw_num(w, res->gpu_hours);
  csvw_num(w, sample_mean(&a->e2e));
  csvw_num(w, sample_quantile(&a->e2e, 0.50));
  csvw_num(w, sample_quantile(&a->e2e, 0.90));
  csvw_num(w, sample_quantile(&a->e2e, 0.99));
  csvw_num(w, sample_mean(&a->ttft));
  csvw_num(w, sample_quantile(&a->ttft, 0.99));
  csvw_num(w, sample_mean(&a->tpot));
  csvw_num(w, total ? (double)a->slo_met / (double)total : NAN);
  csvw_int(w, res->scale_ups);
  csvw_int(w, res->scale_downs);
  csvw_int(w, res->peak_pods);
  csvw_end(w);
}

static cJSON *policy_json(const sc_policy *p, const cluster_result *res, double wall_s) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "name", p->name);
  cJSON_AddNumberToObject(o, "events", (double)res->events);
  cJSON_AddNumberToObject(o, "requests", (double)res->requests);
  cJSON_AddNumberToObject(o, "end_s", (double)res->end_us * 1e-6);
  cJSON_AddNumberToObject(o, "wall_time_s", wall_s);
  return o;
}

/* The profiles the optimizer used, beside its decision log, named by deployment: what
 * `podscale regress optimizer.jsonl --profiles DIR/profiles` needs. */
static bool write_profiles(const scenario *sc, const char *dir, ps_err *err) {
  char sub[4096];
  snprintf(sub, sizeof sub, "%s/profiles", dir);
  if (!outfile_mkdirs(sub, err)) return false;
  bool ok = true;
  for (uint32_t d = 0; ok && d < sc->ndeployments; d++) {
    char name[OUTFILE_NAME_MAX + 8];
    snprintf(name, sizeof name, "%s.json", sc->deployments[d].name);
    outfile f;
    ok = outfile_open(&f, sub, name, err);
    if (!ok) break;
    char *json = opt_profile_to_json(&sc->optimizer.profiles[d]);
    fputs(json, f.fp);
    free(json);
    ok = outfile_commit(&f, err);
  }
  return ok;
}

static bool selected(const scenario *sc, uint32_t i, const char *const *names) {
  if (!names) return true;
  for (; *names; names++)
    if (!strcmp(*names, sc->policies[i].name)) return true;
  return false;
}

/* --trace-redis: a connection, when exactly one optimizer policy runs. */
static bool open_traces(const scenario *sc, const run_options *opt, opt_store **out, ps_err *err) {
  *out = NULL;
  if (!opt->trace_redis) return true;
  uint32_t n = 0;
  for (uint32_t i = 0; i < sc->npolicies; i++)
    n += selected(sc, i, opt->policies) && scenario_policy_reads_optimizer(sc, &sc->policies[i]);
  if (n != 1)
    return ps_fail(err,
                   "--trace-redis: expected one optimizer-based policy to run (choose it "
                   "with --policy), found %u",
                   n);
  opt_redis_url url;
  if (!opt_redis_url_parse_any(opt->trace_redis, &url, err)) return false;
  *out = opt_store_open(&url, err);
  return *out != NULL;
}

bool run_scenario(const scenario *sc, const run_options *opt, run_totals *tot, ps_err *err) {
  outfile f[NFILES] = {0};
  opt_store *traces;
  if (!open_traces(sc, opt, &traces, err)) return false;
  if (!outfile_mkdirs(opt->out_dir, err)) return false;
  bool write_requests = sc->output.requests;
  for (int k = 0; k < NFILES; k++) {
    if ((k == F_REQUESTS && !write_requests) || (k == F_OPTIMIZER && !sc->optimizer.enabled))
      continue;
    if (!outfile_open(&f[k], opt->out_dir, file_names[k], err)) {
      for (int j = 0; j < k; j++)
        outfile_abort(&f[j]);
      opt_store_close(traces);
      return false;
    }
  }
  csvw req = {f[F_REQUESTS].fp, false}, ts = {f[F_TIMESERIES].fp, false},
       dec = {f[F_DECISIONS].fp, false}, sum = {f[F_SUMMARY].fp, false};
  if (write_requests) csvw_header(&req, run_requests_columns);
  csvw_header(&ts, run_timeseries_columns);
  csvw_header(&dec, run_decisions_columns);
  csvw_header(&sum, run_summary_columns);

  cJSON *runj = cJSON_CreateObject();
  cJSON_AddStringToObject(runj, "podscale_version", PODSCALE_VERSION);
  cJSON_AddStringToObject(runj, "scenario", sc->path);
  cJSON_AddStringToObject(runj, "scenario_name", sc->name);
  cJSON_AddStringToObject(runj, "scenario_digest", sc->digest);
  char seed[24]; /* printed as an integer: cJSON's doubles drop digits above 10^15 */
  snprintf(seed, sizeof seed, "%llu", (unsigned long long)opt->seed);
  cJSON_AddRawToObject(runj, "seed", seed);
  cJSON_AddNumberToObject(runj, "duration_s", (double)sc->duration_us * 1e-6);
  cJSON *pols = cJSON_AddArrayToObject(runj, "policies");

  uint32_t count = 0, index = 0;
  bool trace_error = false;
  opt_err trace_msg;
  for (uint32_t i = 0; i < sc->npolicies; i++)
    count += selected(sc, i, opt->policies);
  double t0 = ps_mono_s();
  *tot = (run_totals){0};
  for (uint32_t i = 0; i < sc->npolicies; i++) {
    if (!selected(sc, i, opt->policies)) continue;
    acc a = {.sc = sc,
             .pol = &sc->policies[i],
             .req = req,
             .ts = ts,
             .dec = dec,
             .opt_log = f[F_OPTIMIZER].fp,
             .write_requests = write_requests,
             .progress = opt->progress,
             .index = index++,
             .count = count,
             .traces = traces,
             .model = sc->llms[sc->deployments[0].llm_index].name};
    cluster_hooks h = {.ctx = &a,
                       .request = on_request,
                       .sample = on_sample,
                       .decision = on_decision,
                       .progress = on_progress,
                       .optimizer = on_optimizer,
                       .trace = traces ? on_trace : NULL};
    cluster_result res;
    double tp = ps_mono_s();
    cluster_run(sc, i, opt->seed, &h, &res);
    double wall = ps_mono_s() - tp;
    write_summary(&sum, &a, &res);
    cJSON_AddItemToArray(pols, policy_json(&sc->policies[i], &res, wall));
    tot->events += res.events;
    sample_free(&a.e2e);
    sample_free(&a.ttft);
    sample_free(&a.tpot);
    if (a.trace_failed && !trace_error) {
      trace_error = true;
      trace_msg = a.trace_err;
    }
  }
  opt_store_close(traces);
  if (opt->progress) fprintf(stderr, "\r%*s\r", 80, "");
  tot->wall_s = ps_mono_s() - t0;
  cJSON_AddNumberToObject(runj, "events", (double)tot->events);
  cJSON_AddNumberToObject(runj, "wall_time_s", tot->wall_s);
  char *json = cJSON_Print(runj);
  fprintf(f[F_RUN].fp, "%s\n", json);
  free(json);
  cJSON_Delete(runj);

  bool ok = true;
  for (int k = 0; k < NFILES; k++) {
    if (!f[k].fp) continue;
    if (ok)
      ok = outfile_commit(&f[k], err);
    else
      outfile_abort(&f[k]);
  }
  /* Files of an earlier run that this one does not write would not belong to it. */
  for (int k = 0; ok && k < NFILES; k++) {
    bool unwritten =
        (k == F_REQUESTS && !write_requests) || (k == F_OPTIMIZER && !sc->optimizer.enabled);
    if (!unwritten) continue;
    char stale[4096];
    snprintf(stale, sizeof stale, "%s/%s", opt->out_dir, file_names[k]);
    unlink(stale);
  }
  if (ok && sc->optimizer.enabled) ok = write_profiles(sc, opt->out_dir, err);
  if (ok && trace_error) { /* the outputs are whole; what Redis holds is not */
    ps_fail(err, "--trace-redis: %s", trace_msg.msg);
    return false;
  }
  return ok;
}
