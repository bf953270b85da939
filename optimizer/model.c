#include "optimizer/model.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "optimizer/decision.h"

typedef struct dep {
  char *name;
  char *gpu_type; /* NULL: none */
  int64_t min_replicas, max_replicas;
  int64_t value; /* reported, units */
  bool has_profile;
  opt_profile profile;
} dep;

typedef struct limit {
  char *gpu_type;
  int64_t max_pods;
} limit;

struct opt_model {
  char *name;
  opt_monitor *mon;
  opt_ilp_options ilp;
  dep *deps;
  size_t n, cap;
  limit *limits;
  size_t n_limits;
  bool charge_unservable; /* AIBrix's 1e6 units per req/s no deployment can serve */
  char *decision, *log;   /* the last OPTIMIZE round's */
};

const char *opt_round_action_name(opt_round_action a) {
  switch (a) {
  case OPT_ROUND_OPTIMIZE: return "optimize";
  case OPT_ROUND_MINIMIZE: return "minimize";
  case OPT_ROUND_SKIP: return "skip";
  case OPT_ROUND_NO_PROFILE: return "no profile";
  case OPT_ROUND_FAILED: return "solver failed: skip";
  }
  return "?";
}

opt_model *opt_model_new(const char *name, const opt_monitor_config *mc, const opt_ilp_options *io,
                         opt_err *e) {
  opt_monitor_config mdef = opt_monitor_config_default();
  opt_monitor *mon = opt_monitor_new(mc ? mc : &mdef, e);
  if (!mon) return NULL;
  opt_model *m = xcalloc(1, sizeof *m);
  m->name = xstrdup(name);
  m->mon = mon;
  m->ilp = io ? *io : opt_ilp_options_default();
  return m;
}

static void dep_free(dep *d) {
  free(d->name);
  free(d->gpu_type);
  if (d->has_profile) opt_profile_free(&d->profile);
}

void opt_model_free(opt_model *m) {
  if (!m) return;
  for (size_t i = 0; i < m->n; i++)
    dep_free(&m->deps[i]);
  free(m->deps);
  for (size_t i = 0; i < m->n_limits; i++)
    free(m->limits[i].gpu_type);
  free(m->limits);
  opt_monitor_free(m->mon);
  free(m->decision);
  free(m->log);
  free(m->name);
  free(m);
}

const char *opt_model_name(const opt_model *m) { return m->name; }
size_t opt_model_count(const opt_model *m) { return m->n; }
const char *opt_model_deployment_name(const opt_model *m, size_t i) { return m->deps[i].name; }
int64_t opt_model_value(const opt_model *m, size_t i) { return m->deps[i].value; }
const opt_profile *opt_model_profile(const opt_model *m, size_t i) {
  return m->deps[i].has_profile ? &m->deps[i].profile : NULL;
}

long opt_model_find(const opt_model *m, const char *name) {
  for (size_t i = 0; i < m->n; i++)
    if (strcmp(m->deps[i].name, name) == 0) return (long)i;
  return -1;
}

static int64_t units_of(const opt_model *m, int64_t pods) {
  return pods * (int64_t)m->ilp.gpu_fraction;
}

bool opt_model_add(opt_model *m, const opt_model_deployment *d, opt_err *e) {
  if (opt_model_find(m, d->name) >= 0)
    return opt_fail(e, "model %s: deployment %s is already there", m->name, d->name);
  if (d->min_replicas < 0 || d->max_replicas < 0 || d->replicas < 0)
    return opt_fail(e, "model %s: deployment %s: replicas must not be negative", m->name, d->name);
  if (d->max_replicas && d->min_replicas > d->max_replicas)
    return opt_fail(e, "model %s: deployment %s: min_replicas %lld is above max_replicas %lld",
                    m->name, d->name, (long long)d->min_replicas, (long long)d->max_replicas);
  if (m->n == m->cap) {
    m->cap = m->cap ? 2 * m->cap : 4;
    m->deps = xrealloc(m->deps, m->cap * sizeof *m->deps);
  }
  m->deps[m->n++] = (dep){.name = xstrdup(d->name),
                          .gpu_type = d->gpu_type ? xstrdup(d->gpu_type) : NULL,
                          .min_replicas = d->min_replicas,
                          .max_replicas = d->max_replicas,
                          .value = units_of(m, d->replicas)};
  return true;
}

bool opt_model_remove(opt_model *m, const char *name) {
  long i = opt_model_find(m, name);
  if (i < 0) return false;
  dep_free(&m->deps[i]);
  memmove(&m->deps[i], &m->deps[i + 1], (m->n - (size_t)i - 1) * sizeof *m->deps);
  m->n--;
  return true;
}

/* Whether p is newer than the profile in use q. */
static bool newer(const opt_profile *p, const opt_profile *q) {
  if (!p->has_created) return false;
  return !q->has_created || p->created > q->created;
}

bool opt_model_offer_profile(opt_model *m, const char *name, const opt_profile *p, bool force,
                             bool *taken, opt_err *e) {
  *taken = false;
  long i = opt_model_find(m, name);
  if (i < 0) return opt_fail(e, "model %s: no deployment %s", m->name, name);
  dep *d = &m->deps[i];
  if (d->has_profile && !force && !newer(p, &d->profile)) return true;
  for (size_t k = 0; k < m->n; k++) {
    if (k == (size_t)i || !m->deps[k].has_profile) continue;
    opt_err ge;
    if (!opt_profile_same_grid(&m->deps[k].profile, p, &ge))
      return opt_fail(e, "model %s: the profile of %s is not on the grid of %s's: %s", m->name,
                      name, m->deps[k].name, ge.msg);
  }
  if (d->has_profile) opt_profile_free(&d->profile);
  opt_profile_copy(&d->profile, p);
  d->has_profile = true;
  *taken = true;
  return true;
}

bool opt_model_offer_profiles(opt_model *m, const char *const *names, const opt_profile *const *ps,
                              size_t n, bool force, bool *taken, opt_err *e) {
  /* The profiles in use if every wanted one were taken. */
  const opt_profile **after = xcalloc(m->n + 1, sizeof *after);
  for (size_t k = 0; k < m->n; k++)
    after[k] = m->deps[k].has_profile ? &m->deps[k].profile : NULL;
  bool any = false;
  for (size_t i = 0; i < n; i++) {
    taken[i] = false;
    long k = names[i] && ps[i] ? opt_model_find(m, names[i]) : -1;
    if (k < 0) continue;
    const dep *d = &m->deps[k];
    if (!d->has_profile || force || newer(ps[i], &d->profile)) {
      after[k] = ps[i];
      any = true;
    }
  }
  const opt_profile *first = NULL;
  bool one_grid = true;
  for (size_t k = 0; k < m->n && one_grid; k++) {
    if (!after[k]) continue;
    if (!first)
      first = after[k];
    else
      one_grid = opt_profile_same_grid(first, after[k], NULL);
  }
  bool ok = true;
  if (any && one_grid) {
    for (size_t i = 0; i < n; i++) {
      long k = names[i] && ps[i] ? opt_model_find(m, names[i]) : -1;
      if (k < 0 || after[k] != ps[i]) continue;
      dep *d = &m->deps[k];
      if (d->has_profile) opt_profile_free(&d->profile);
      opt_profile_copy(&d->profile, ps[i]);
      d->has_profile = true;
      taken[i] = true;
    }
  } else {
    for (size_t i = 0; i < n; i++) {
      if (!names[i] || !ps[i]) continue;
      opt_err one;
      if (!opt_model_offer_profile(m, names[i], ps[i], force, &taken[i], &one) && ok) {
        ok = false;
        if (e) *e = one;
      }
    }
  }
  for (size_t i = 0; i < n && ok; i++)
    if (names[i] && ps[i] && opt_model_find(m, names[i]) < 0)
      ok = opt_fail(e, "model %s: no deployment %s", m->name, names[i]);
  free(after);
  return ok;
}

void opt_model_charge_unservable(opt_model *m, bool on) { m->charge_unservable = on; }

/* AIBrix's charge for r->uncovered_rate (loads of 1e6 per req/s), in units, saturating. */
static int64_t unservable_units(const opt_model *m, const opt_ilp_result *r) {
  double u = ceil(r->uncovered_rate * 1e6 * m->ilp.gpu_fraction);
  return u < 1e15 ? (int64_t)u : INT64_C(1000000000000000);
}

void opt_model_set_limit(opt_model *m, const char *gpu_type, int64_t max_pods) {
  for (size_t i = 0; i < m->n_limits; i++) {
    if (strcmp(m->limits[i].gpu_type, gpu_type) != 0) continue;
    if (max_pods > 0) {
      m->limits[i].max_pods = max_pods;
    } else {
      free(m->limits[i].gpu_type);
      m->limits[i] = m->limits[--m->n_limits];
    }
    return;
  }
  if (max_pods <= 0) return;
  m->limits = xrealloc(m->limits, (m->n_limits + 1) * sizeof *m->limits);
  m->limits[m->n_limits++] = (limit){xstrdup(gpu_type), max_pods};
}

/* Solve over the deployments with a profile and make the decision. */
static void optimize(opt_model *m, int64_t now_us, const opt_monitor_out *mo, bool with_time,
                     opt_model_round *out) {
  size_t n = 0;
  for (size_t i = 0; i < m->n; i++)
    n += m->deps[i].has_profile;
  opt_ilp_deployment *ds = xcalloc(n + 1, sizeof *ds);
  const opt_profile **profiles = xcalloc(n + 1, sizeof *profiles);
  size_t *which = xcalloc(n + 1, sizeof *which);
  opt_ilp_limit *ls = xcalloc(m->n_limits + 1, sizeof *ls);
  size_t k = 0;
  for (size_t i = 0; i < m->n; i++) {
    const dep *d = &m->deps[i];
    if (!d->has_profile) continue;
    profiles[k] = &d->profile;
    which[k] = i;
    ds[k++] = (opt_ilp_deployment){.name = d->name,
                                   .gpu_type = d->gpu_type,
                                   .cost = d->profile.cost,
                                   .tputs = d->profile.tputs,
                                   .min_units = units_of(m, d->min_replicas),
                                   .max_units = units_of(m, d->max_replicas)};
  }
  for (size_t i = 0; i < m->n_limits; i++)
    ls[i] = (opt_ilp_limit){m->limits[i].gpu_type, units_of(m, m->limits[i].max_pods)};
  opt_ilp_problem p = {.n_buckets = (int)mo->n_grid,
                       .rates = mo->grid_rates,
                       .n_deployments = (int)n,
                       .deployments = ds,
                       .n_limits = (int)m->n_limits,
                       .limits = ls,
                       .options = m->ilp};
  opt_ilp_result r;
  opt_err e;
  if (!opt_ilp_solve(&p, &r, &e)) {
    out->action = OPT_ROUND_FAILED;
    snprintf(out->error, sizeof out->error, "%s", e.msg);
  } else {
    opt_decision_cluster *cl = xcalloc(mo->n_clusters + 1, sizeof *cl);
    for (size_t c = 0; c < mo->n_clusters; c++)
      cl[c] = (opt_decision_cluster){mo->clusters[c].out_log2, mo->clusters[c].in_log2,
                                     mo->clusters[c].rate};
    opt_decision dec;
    opt_decision_make(&dec, (double)now_us * 1e-6, m->name, profiles, &p, mo->total_rate,
                      mo->coverage_pct, cl, (int)mo->n_clusters, &r, with_time);
    free(cl);
    free(m->decision);
    free(m->log);
    m->decision = opt_decision_to_json(&dec);
    m->log = dec.log;
    dec.log = NULL;
    opt_decision_free(&dec);
    for (size_t i = 0; i < m->n; i++) /* upstream: no profile, no result: 0 */
      m->deps[i].value = 0;
    size_t cheapest = 0;
    for (size_t j = 0; j < n; j++) {
      m->deps[which[j]].value = r.alloc[j].units;
      if (ds[j].cost < ds[cheapest].cost) cheapest = j;
    }
    if (m->charge_unservable && n > 0 && r.uncovered_rate > 0)
      m->deps[which[cheapest]].value += unservable_units(m, &r);
    out->action = OPT_ROUND_OPTIMIZE;
    out->cost = r.cost;
    out->uncovered_rate = r.uncovered_rate;
    out->solve_ms = r.solve_ms;
    out->optimal = r.optimal;
    out->gap = r.optimal ? 0 : r.gap;
    out->decision = m->decision;
    out->log = m->log;
    opt_ilp_result_free(&r);
  }
  free(ds);
  free(profiles);
  free(which);
  free(ls);
}

bool opt_model_round_run(opt_model *m, int64_t now_us, const opt_trace *traces, size_t n,
                         bool with_solve_time, opt_model_round *out, opt_err *e) {
  memset(out, 0, sizeof *out);
  const opt_profile *g = NULL;
  for (size_t i = 0; i < m->n && !g; i++)
    if (m->deps[i].has_profile) g = &m->deps[i].profile;
  opt_grid grid;
  if (g) grid = (opt_grid){g->out_tokens, (size_t)g->n_out, g->in_tokens, (size_t)g->n_in};
  opt_monitor_out mo;
  if (!opt_monitor_step(m->mon, now_us, traces, n, g ? &grid : NULL, &mo, e)) return false;
  out->total_rate = mo.total_rate;
  out->coverage_pct = mo.coverage_pct;
  out->points = mo.points;
  switch (mo.action) {
  case OPT_MONITOR_SKIP: out->action = OPT_ROUND_SKIP; break;
  case OPT_MONITOR_MINIMIZE:
    out->action = OPT_ROUND_MINIMIZE;
    for (size_t i = 0; i < m->n; i++)
      m->deps[i].value = units_of(m, m->deps[i].min_replicas);
    break;
  case OPT_MONITOR_OPTIMIZE:
    if (!g) {
      out->action = OPT_ROUND_NO_PROFILE;
      break;
    }
    optimize(m, now_us, &mo, with_solve_time, out);
    break;
  }
  return true;
}
