/* optimizer: the scenario's optimizer section (docs/scenarios.md, optimizer) and the profiles of
 * its deployments, read from files or generated from the simulated benchmark. */
#include "sim/scenario/load.h"

#include "base/xalloc.h"
#include "sim/bench/benchmark.h"

#define MAX_OPT_DEPLOYMENTS 64 /* with an optimizer: a profile each, as `podscale solve` */

/* "optimizer": the SLOs generated profiles must meet, and profile files per deployment. */
bool scl_load_optimizer(jv *v, scenario *sc, const cJSON *node) {
  static const char *const keys[] = {"slo",        "profiles",          "interval_s",
                                     "gpu_limits", "charge_unservable", NULL};
  static const char *const slo_keys[] = {"tput",   "tt",     "e2e_s",      "ttft_s",
                                         "tpat_s", "tpot_s", "percentile", NULL};
  sc_optimizer *o = &sc->optimizer;
  o->enabled = true;
  if (sc->ndeployments > MAX_OPT_DEPLOYMENTS)
    return jv_fail(v,
                   "expected at most %d deployments with an optimizer (a profile each), found %u",
                   MAX_OPT_DEPLOYMENTS, sc->ndeployments);
  o->slos = opt_slos_default();
  o->interval_us = 10 * INT64_C(1000000);
  o->profile_files = xcalloc(sc->ndeployments, sizeof *o->profile_files);
  if (!jv_object(v, node, keys) ||
      !jv_seconds(v, node, "interval_s", false, 1, 3600, &o->interval_us) ||
      !jv_bool(v, node, "gpu_limits", &o->gpu_limits) ||
      !jv_bool(v, node, "charge_unservable", &o->charge_unservable))
    return false;
  const cJSON *slo = cJSON_GetObjectItemCaseSensitive(node, "slo");
  if (slo) {
    size_t mark = jv_enter(v, "slo");
    int64_t pct = 0;
    bool ok = jv_object(v, slo, slo_keys);
    for (int m = 0; ok && m < OPT_METRIC_COUNT; m++)
      ok = jv_number(v, slo, slo_keys[m], false, 0, 1e12, &o->slos.limit[m]);
    ok = ok && jv_int(v, slo, "percentile", false, 0, 99, &pct);
    if (ok && pct != 0 && pct != 50 && pct != 90 && pct != 99)
      ok = jv_fail_at(v, "percentile", "expected 0, 50, 90 or 99, found %lld", (long long)pct);
    o->slos.percentile = (int32_t)pct;
    jv_leave(v, mark);
    if (!ok) return false;
  }
  const cJSON *files = cJSON_GetObjectItemCaseSensitive(node, "profiles");
  if (!files) return true;
  size_t mark = jv_enter(v, "profiles");
  bool ok = jv_object(v, files, NULL);
  for (const cJSON *f = ok ? files->child : NULL; f && ok; f = f->next) {
    int d = scl_find_name(f->string, sc->deployments, sizeof *sc->deployments, sc->ndeployments);
    const char *path;
    if (d < 0)
      ok = jv_fail_at(v, f->string, "expected the name of a deployment, found an unknown one");
    else if ((ok = jv_string(v, files, f->string, true, &path)))
      o->profile_files[d] = scl_resolve(sc, path);
  }
  jv_leave(v, mark);
  return ok;
}

/* The grid generated profiles are made on: the first profile file's, when it is a benchmark.sh
 * grid, so that they can be solved together; else the wide grid (bench_grid_wide). */
static bench_grid generated_grid(const sc_optimizer *o, uint32_t ndeployments) {
  bench_grid g = bench_grid_wide;
  for (uint32_t d = 0; d < ndeployments; d++) {
    const opt_profile *p = &o->profiles[d];
    if (!o->profile_files[d]) continue;
    if (opt_profile_doubling_grid(p)) {
      g.input_start = p->in_tokens[0];
      g.input_limit = p->in_tokens[p->n_in - 1];
      g.output_start = p->out_tokens[0];
      g.output_limit = p->out_tokens[p->n_out - 1];
    }
    break;
  }
  return g;
}

/* Grid g against deployment d's simulated pod, then gen_profile. */
static bool generate_profile(const scenario *sc, uint32_t d, bench_grid g, opt_profile *out,
                             ps_err *err) {
  const sc_deployment *dep = &sc->deployments[d];
  g.model = sc->llms[dep->llm_index].name;
  int32_t runs = bench_grid_runs(&g);
  char source[300];
  snprintf(source, sizeof source, "simulated benchmark of %s", dep->name);
  opt_bench bench = {.source = xstrdup(source),
                     .recs = xcalloc((size_t)runs * 5, sizeof *bench.recs)};
  for (int32_t i = 0; i < runs; i++) {
    int32_t in, outl;
    double rate;
    bench_grid_at(&g, i, &in, &outl, &rate);
    bench_point pt;
    if (bench_run_point(&dep->llm, in, outl, rate, g.total, g.seed, &pt)) {
      bench_point_records(&pt, bench.n + 1, bench.recs + bench.n);
      bench.n += 5;
    }
  }
  opt_err e;
  bool ok = bench.n > 0 || ps_fail(&e, "%s: expected benchmark lines, found none", source);
  if (ok) {
    opt_gen_options o = opt_gen_options_default(dep->name, 0);
    o.cost = sc->gpus[dep->gpu].price_per_hour;
    o.slos = sc->optimizer.slos;
    ok = opt_profile_generate(&bench, &o, out, &e);
  }
  opt_bench_free(&bench);
  if (!ok) return ps_fail(err, "%s: optimizer: %s", sc->path, e.msg);
  return true;
}

/* Every deployment's profile, read or generated; all on one grid. */
bool scl_optimizer_profiles(scenario *sc, ps_err *err) {
  sc_optimizer *o = &sc->optimizer;
  o->profiles = xcalloc(sc->ndeployments, sizeof *o->profiles);
  for (uint32_t d = 0; d < sc->ndeployments; d++) { /* the files first: they set the grid */
    opt_err e;
    if (o->profile_files[d] && !opt_profile_read(o->profile_files[d], &o->profiles[d], &e))
      return ps_fail(err, "%s: optimizer.profiles.%s: %s", sc->path, sc->deployments[d].name,
                     e.msg);
  }
  bench_grid g = generated_grid(o, sc->ndeployments);
  for (uint32_t d = 0; d < sc->ndeployments; d++) {
    const sc_deployment *dep = &sc->deployments[d];
    opt_err e;
    if (o->profile_files[d]) {
      /* read above */
    } else if (dep->model != SC_MODEL_LLM) {
      return ps_fail(err,
                     "%s: optimizer.profiles: deployment %s has a slots model, which has no "
                     "benchmark: give it a profile file",
                     sc->path, dep->name);
    } else if (!generate_profile(sc, d, g, &o->profiles[d], err)) {
      return false;
    }
    if (d > 0 && !opt_profile_same_grid(&o->profiles[0], &o->profiles[d], &e))
      return ps_fail(err, "%s: optimizer: the profiles of one model must share one grid: %s",
                     sc->path, e.msg);
  }
  return true;
}
