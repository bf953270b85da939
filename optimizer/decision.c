#include "optimizer/decision.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "base/xalloc.h"

void opt_profile_digest(const opt_profile *p, char out[OPT_DIGEST_LEN]) {
  char *json = opt_profile_to_json(p);
  uint64_t h = ps_fnv1a64(json);
  free(json);
  snprintf(out, OPT_DIGEST_LEN, "%016llx", (unsigned long long)h);
}

void opt_decision_make(opt_decision *d, double time_s, const char *model,
                       const opt_profile *const *profiles, const opt_ilp_problem *p,
                       double total_rate, double coverage_pct, const opt_decision_cluster *clusters,
                       int n_clusters, const opt_ilp_result *r, bool with_solve_time) {
  memset(d, 0, sizeof *d);
  const opt_profile *g = profiles[0];
  d->time_s = time_s;
  d->model = xstrdup_or_null(model);
  d->n_out = g->n_out;
  d->n_in = g->n_in;
  d->out_ticks = xmalloc((size_t)g->n_out * sizeof *d->out_ticks);
  d->in_ticks = xmalloc((size_t)g->n_in * sizeof *d->in_ticks);
  memcpy(d->out_ticks, g->out_tokens, (size_t)g->n_out * sizeof *d->out_ticks);
  memcpy(d->in_ticks, g->in_tokens, (size_t)g->n_in * sizeof *d->in_ticks);
  d->gpu_fraction = p->options.gpu_fraction;
  d->slice_factor = p->options.slice_factor;
  d->total_rate = total_rate;
  d->coverage_pct = coverage_pct;
  d->n_clusters = n_clusters;
  if (n_clusters) {
    d->clusters = xmalloc((size_t)n_clusters * sizeof *d->clusters);
    memcpy(d->clusters, clusters, (size_t)n_clusters * sizeof *d->clusters);
  }
  d->rates = xmalloc((size_t)p->n_buckets * sizeof *d->rates);
  memcpy(d->rates, p->rates, (size_t)p->n_buckets * sizeof *d->rates);
  d->n_deps = p->n_deployments;
  d->deps = xcalloc((size_t)p->n_deployments + 1, sizeof *d->deps);
  for (int i = 0; i < p->n_deployments; i++) {
    d->deps[i].name = xstrdup_or_null(p->deployments[i].name);
    d->deps[i].gpu_type = xstrdup_or_null(p->deployments[i].gpu_type);
    d->deps[i].min_units = p->deployments[i].min_units;
    d->deps[i].max_units = p->deployments[i].max_units;
    opt_profile_digest(profiles[i], d->deps[i].profile);
    d->deps[i].units = r->alloc[i].units;
    d->deps[i].cost = r->alloc[i].cost;
  }
  d->n_limits = p->n_limits;
  d->limits = xcalloc((size_t)p->n_limits + 1, sizeof *d->limits);
  for (int i = 0; i < p->n_limits; i++)
    d->limits[i] =
        (opt_decision_limit){xstrdup_or_null(p->limits[i].gpu_type), p->limits[i].max_units};
  d->cost = r->cost;
  d->uncovered_rate = r->uncovered_rate;
  d->optimal = r->optimal;
  d->gap = r->optimal ? 0 : r->gap;
  d->repaired = r->repaired;
  d->solve_ms = with_solve_time ? r->solve_ms : NAN;
  char line[4096];
  opt_ilp_result timed = *r; /* without the solve time, the line says "took 0.0 ms" */
  if (!with_solve_time) timed.solve_ms = 0;
  opt_ilp_log_line(p, &timed, model, coverage_pct, line, sizeof line);
  d->log = xstrdup_or_null(line);
}

void opt_decision_free(opt_decision *d) {
  free(d->model);
  free(d->out_ticks);
  free(d->in_ticks);
  free(d->clusters);
  free(d->rates);
  for (int i = 0; d->deps && i < d->n_deps; i++) {
    free(d->deps[i].name);
    free(d->deps[i].gpu_type);
  }
  free(d->deps);
  for (int i = 0; d->limits && i < d->n_limits; i++)
    free(d->limits[i].gpu_type);
  free(d->limits);
  free(d->log);
  memset(d, 0, sizeof *d);
}

/* --- JSON --- */

/* A number that reads back to the same double (17 significant digits when needed). */
static cJSON *num(double v) {
  if (!isfinite(v)) return cJSON_CreateNull();
  char buf[40];
  snprintf(buf, sizeof buf, "%.15g", v);
  if (strtod(buf, NULL) != v) snprintf(buf, sizeof buf, "%.17g", v);
  return cJSON_CreateRaw(buf);
}

static void add(cJSON *o, const char *key, cJSON *v) {
  cJSON_AddItemToObject(o, key, xcheck(v, 0));
}

static cJSON *ints(const int32_t *v, int n) {
  cJSON *a = xcheck(cJSON_CreateArray(), 0);
  for (int i = 0; i < n; i++)
    cJSON_AddItemToArray(a, num(v[i]));
  return a;
}

char *opt_decision_to_json(const opt_decision *d) {
  cJSON *o = xcheck(cJSON_CreateObject(), 0);
  add(o, "time_s", num(d->time_s));
  add(o, "model", cJSON_CreateString(d->model ? d->model : ""));
  cJSON *grid = xcheck(cJSON_CreateObject(), 0);
  add(grid, "out", ints(d->out_ticks, d->n_out));
  add(grid, "in", ints(d->in_ticks, d->n_in));
  add(o, "grid", grid);
  cJSON *opts = xcheck(cJSON_CreateObject(), 0);
  add(opts, "gpu_fraction", num(d->gpu_fraction));
  add(opts, "slice_factor", num(d->slice_factor));
  add(o, "options", opts);
  add(o, "total_rate", num(d->total_rate));
  add(o, "coverage_pct", num(d->coverage_pct));
  cJSON *cl = xcheck(cJSON_CreateArray(), 0);
  for (int i = 0; i < d->n_clusters; i++) {
    cJSON *c = xcheck(cJSON_CreateObject(), 0);
    add(c, "out_log2", num(d->clusters[i].out_log2));
    add(c, "in_log2", num(d->clusters[i].in_log2));
    add(c, "rate", num(d->clusters[i].rate));
    cJSON_AddItemToArray(cl, c);
  }
  add(o, "clusters", cl);
  cJSON *rates = xcheck(cJSON_CreateArray(), 0);
  for (int i = 0; i < d->n_out; i++)
    for (int j = 0; j < d->n_in; j++) {
      double r = d->rates[i * d->n_in + j];
      if (r == 0) continue;
      cJSON *e = xcheck(cJSON_CreateArray(), 0);
      cJSON_AddItemToArray(e, num(i));
      cJSON_AddItemToArray(e, num(j));
      cJSON_AddItemToArray(e, num(r));
      cJSON_AddItemToArray(rates, e);
    }
  add(o, "rates", rates);
  cJSON *deps = xcheck(cJSON_CreateArray(), 0);
  for (int i = 0; i < d->n_deps; i++) {
    cJSON *e = xcheck(cJSON_CreateObject(), 0);
    add(e, "name", cJSON_CreateString(d->deps[i].name));
    add(e, "profile", cJSON_CreateString(d->deps[i].profile));
    if (d->deps[i].gpu_type) add(e, "gpu_type", cJSON_CreateString(d->deps[i].gpu_type));
    if (d->deps[i].min_units) add(e, "min_units", num((double)d->deps[i].min_units));
    if (d->deps[i].max_units) add(e, "max_units", num((double)d->deps[i].max_units));
    add(e, "units", num((double)d->deps[i].units));
    add(e, "cost", num(d->deps[i].cost));
    cJSON_AddItemToArray(deps, e);
  }
  add(o, "deployments", deps);
  if (d->n_limits) {
    cJSON *ls = xcheck(cJSON_CreateArray(), 0);
    for (int i = 0; i < d->n_limits; i++) {
      cJSON *e = xcheck(cJSON_CreateObject(), 0);
      add(e, "gpu_type", cJSON_CreateString(d->limits[i].gpu_type));
      add(e, "max_units", num((double)d->limits[i].max_units));
      cJSON_AddItemToArray(ls, e);
    }
    add(o, "limits", ls);
  }
  add(o, "cost", num(d->cost));
  add(o, "uncovered_rate", num(d->uncovered_rate));
  add(o, "optimal", cJSON_CreateBool(d->optimal));
  if (!d->optimal) add(o, "gap", num(d->gap));
  if (d->repaired) add(o, "repaired", num(d->repaired));
  if (!isnan(d->solve_ms)) add(o, "solve_ms", num(d->solve_ms));
  if (d->log) add(o, "log", cJSON_CreateString(d->log));
  char *s = xcheck(cJSON_PrintUnformatted(o), 0);
  cJSON_Delete(o);
  return s;
}

/* Reading: each helper reports the key it could not read. */
typedef struct rd {
  const char *source;
  opt_err *e;
} rd;

static bool get_num(rd *r, const cJSON *o, const char *key, double *out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  /* A finite one: the writer writes others as null, which would not read back. */
  if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
    return opt_fail(r->e, "%s: \"%s\": expected a number", r->source, key);
  *out = v->valuedouble;
  return true;
}

/* A whole number of units >= 0; absent is 0 unless required. */
static bool get_units(rd *r, const cJSON *o, const char *key, bool required, int64_t *out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  *out = 0;
  if (!v && !required) return true;
  if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 1e15 ||
      v->valuedouble != floor(v->valuedouble))
    return opt_fail(r->e, "%s: \"%s\": expected a whole number of units", r->source, key);
  *out = (int64_t)v->valuedouble;
  return true;
}

static bool get_ticks(rd *r, const cJSON *grid, const char *key, int32_t **out, int32_t *n) {
  const cJSON *a = cJSON_GetObjectItemCaseSensitive(grid, key);
  if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) < 1)
    return opt_fail(r->e, "%s: \"grid.%s\": expected an array of token ticks", r->source, key);
  *n = cJSON_GetArraySize(a);
  *out = xmalloc((size_t)*n * sizeof **out);
  int i = 0;
  for (const cJSON *t = a->child; t; t = t->next, i++) {
    if (!cJSON_IsNumber(t) || t->valuedouble < 1 || t->valuedouble > 1e9 ||
        t->valuedouble != floor(t->valuedouble))
      return opt_fail(r->e, "%s: \"grid.%s[%d]\": expected a whole number of tokens", r->source,
                      key, i);
    (*out)[i] = (int32_t)t->valuedouble;
  }
  return true;
}

static bool parse_into(rd *r, const cJSON *o, opt_decision *d) {
  const cJSON *model = cJSON_GetObjectItemCaseSensitive(o, "model");
  const cJSON *grid = cJSON_GetObjectItemCaseSensitive(o, "grid");
  const cJSON *opts = cJSON_GetObjectItemCaseSensitive(o, "options");
  double sf = 0;
  if (!cJSON_IsObject(o)) return opt_fail(r->e, "%s: expected a JSON object", r->source);
  if (!cJSON_IsString(model)) return opt_fail(r->e, "%s: \"model\": expected a string", r->source);
  d->model = xstrdup_or_null(model->valuestring);
  if (!get_num(r, o, "time_s", &d->time_s) || !cJSON_IsObject(grid) ||
      !get_ticks(r, grid, "out", &d->out_ticks, &d->n_out) ||
      !get_ticks(r, grid, "in", &d->in_ticks, &d->n_in) || !cJSON_IsObject(opts) ||
      !get_num(r, opts, "gpu_fraction", &d->gpu_fraction) ||
      !get_num(r, opts, "slice_factor", &sf) || !get_num(r, o, "total_rate", &d->total_rate) ||
      !get_num(r, o, "coverage_pct", &d->coverage_pct) || !get_num(r, o, "cost", &d->cost) ||
      !get_num(r, o, "uncovered_rate", &d->uncovered_rate))
    return r->e && r->e->msg[0]
               ? false
               : opt_fail(r->e, "%s: expected \"grid\" and \"options\" objects", r->source);
  if (!(sf >= INT_MIN && sf <= INT_MAX) || sf != floor(sf)) /* its range is the ILP's to check */
    return opt_fail(r->e, "%s: \"options.slice_factor\": expected a whole number", r->source);
  d->slice_factor = (int)sf;
  const cJSON *opt = cJSON_GetObjectItemCaseSensitive(o, "optimal");
  if (opt && !cJSON_IsBool(opt))
    return opt_fail(r->e, "%s: \"optimal\": expected true or false", r->source);
  d->optimal = !opt || cJSON_IsTrue(opt);
  if (!d->optimal && !get_num(r, o, "gap", &d->gap)) return false;
  const cJSON *rep = cJSON_GetObjectItemCaseSensitive(o, "repaired");
  if (rep && (!cJSON_IsNumber(rep) || rep->valuedouble < 0 || rep->valuedouble > 1e6 ||
              rep->valuedouble != floor(rep->valuedouble)))
    return opt_fail(r->e, "%s: \"repaired\": expected a whole number", r->source);
  d->repaired = rep ? (int)rep->valuedouble : 0;
  d->solve_ms = NAN;
  const cJSON *ms = cJSON_GetObjectItemCaseSensitive(o, "solve_ms");
  if (cJSON_IsNumber(ms) && isfinite(ms->valuedouble)) d->solve_ms = ms->valuedouble;
  const cJSON *log = cJSON_GetObjectItemCaseSensitive(o, "log");
  if (cJSON_IsString(log)) d->log = xstrdup_or_null(log->valuestring);
  const cJSON *cl = cJSON_GetObjectItemCaseSensitive(o, "clusters");
  d->n_clusters = cJSON_IsArray(cl) ? cJSON_GetArraySize(cl) : 0;
  d->clusters = xcalloc((size_t)d->n_clusters + 1, sizeof *d->clusters);
  int i = 0;
  for (const cJSON *c = d->n_clusters ? cl->child : NULL; c; c = c->next, i++)
    if (!get_num(r, c, "out_log2", &d->clusters[i].out_log2) ||
        !get_num(r, c, "in_log2", &d->clusters[i].in_log2) ||
        !get_num(r, c, "rate", &d->clusters[i].rate))
      return false;
  size_t nb = (size_t)d->n_out * (size_t)d->n_in;
  d->rates = xcalloc(nb, sizeof *d->rates);
  const cJSON *rates = cJSON_GetObjectItemCaseSensitive(o, "rates");
  if (!cJSON_IsArray(rates))
    return opt_fail(r->e, "%s: \"rates\": expected [[row, column, rate], ...]", r->source);
  i = 0;
  for (const cJSON *e = rates->child; e; e = e->next, i++) {
    const cJSON *a = e->child, *b = a ? a->next : NULL, *c = b ? b->next : NULL;
    if (!cJSON_IsNumber(a) || !cJSON_IsNumber(b) || !cJSON_IsNumber(c) || c->next ||
        a->valuedouble < 0 || a->valuedouble >= d->n_out || b->valuedouble < 0 ||
        b->valuedouble >= d->n_in || !(c->valuedouble >= 0 && isfinite(c->valuedouble)))
      return opt_fail(r->e, "%s: \"rates[%d]\": expected [row, column, rate] inside the grid",
                      r->source, i);
    d->rates[(size_t)a->valueint * (size_t)d->n_in + (size_t)b->valueint] = c->valuedouble;
  }
  const cJSON *deps = cJSON_GetObjectItemCaseSensitive(o, "deployments");
  if (!cJSON_IsArray(deps) || cJSON_GetArraySize(deps) < 1)
    return opt_fail(r->e, "%s: \"deployments\": expected a non-empty array", r->source);
  d->n_deps = cJSON_GetArraySize(deps);
  d->deps = xcalloc((size_t)d->n_deps, sizeof *d->deps);
  i = 0;
  for (const cJSON *e = deps->child; e; e = e->next, i++) {
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(e, "name");
    const cJSON *prof = cJSON_GetObjectItemCaseSensitive(e, "profile");
    if (!cJSON_IsString(name) || !cJSON_IsString(prof) ||
        strlen(prof->valuestring) != OPT_DIGEST_LEN - 1)
      return opt_fail(r->e, "%s: \"deployments[%d]\": expected a name and a profile digest",
                      r->source, i);
    d->deps[i].name = xstrdup_or_null(name->valuestring);
    memcpy(d->deps[i].profile, prof->valuestring, OPT_DIGEST_LEN);
    if (!get_units(r, e, "units", true, &d->deps[i].units) ||
        !get_num(r, e, "cost", &d->deps[i].cost))
      return false;
    const cJSON *gpu = cJSON_GetObjectItemCaseSensitive(e, "gpu_type");
    if (gpu && !cJSON_IsString(gpu))
      return opt_fail(r->e, "%s: \"deployments[%d].gpu_type\": expected a string", r->source, i);
    d->deps[i].gpu_type = gpu ? xstrdup_or_null(gpu->valuestring) : NULL;
    if (!get_units(r, e, "min_units", false, &d->deps[i].min_units) ||
        !get_units(r, e, "max_units", false, &d->deps[i].max_units))
      return false;
  }
  const cJSON *lim = cJSON_GetObjectItemCaseSensitive(o, "limits");
  if (!lim) return true;
  if (!cJSON_IsArray(lim))
    return opt_fail(r->e, "%s: \"limits\": expected [{\"gpu_type\", \"max_units\"}, ...]",
                    r->source);
  d->n_limits = cJSON_GetArraySize(lim);
  d->limits = xcalloc((size_t)d->n_limits + 1, sizeof *d->limits);
  i = 0;
  for (const cJSON *e = lim->child; e; e = e->next, i++) {
    const cJSON *gpu = cJSON_GetObjectItemCaseSensitive(e, "gpu_type");
    if (!cJSON_IsString(gpu))
      return opt_fail(r->e, "%s: \"limits[%d].gpu_type\": expected a string", r->source, i);
    d->limits[i].gpu_type = xstrdup_or_null(gpu->valuestring);
    if (!get_units(r, e, "max_units", true, &d->limits[i].max_units)) return false;
  }
  return true;
}

bool opt_decision_parse(const char *line, const char *source, opt_decision *out, opt_err *e) {
  memset(out, 0, sizeof *out);
  cJSON *o = cJSON_Parse(line);
  if (!o) return opt_fail(e, "%s: expected a JSON object, found invalid JSON", source);
  if (e) e->msg[0] = '\0';
  rd r = {source, e};
  bool ok = parse_into(&r, o, out);
  cJSON_Delete(o);
  if (!ok) opt_decision_free(out);
  return ok;
}

/* --- Replay --- */

bool opt_decision_resolve(const opt_decision *d, const opt_profile *const *profiles,
                          opt_ilp_result *out, opt_err *e) {
  opt_ilp_deployment *deps = xcalloc((size_t)d->n_deps, sizeof *deps);
  bool ok = true;
  for (int i = 0; i < d->n_deps && ok; i++) {
    const opt_profile *p = profiles[i];
    char digest[OPT_DIGEST_LEN];
    opt_profile_digest(p, digest);
    if (strcmp(digest, d->deps[i].profile) != 0)
      ok = opt_fail(e, "deployment %s: the profile given has digest %s, the decision used %s",
                    d->deps[i].name, digest, d->deps[i].profile);
    else if (p->n_out != d->n_out || p->n_in != d->n_in)
      ok = opt_fail(e, "deployment %s: the profile's grid is not the decision's", d->deps[i].name);
    deps[i] = (opt_ilp_deployment){.name = d->deps[i].name,
                                   .gpu_type = d->deps[i].gpu_type,
                                   .cost = p->cost,
                                   .tputs = p->tputs,
                                   .min_units = d->deps[i].min_units,
                                   .max_units = d->deps[i].max_units};
  }
  opt_ilp_limit *limits = xcalloc((size_t)d->n_limits + 1, sizeof *limits);
  for (int i = 0; i < d->n_limits; i++)
    limits[i] = (opt_ilp_limit){d->limits[i].gpu_type, d->limits[i].max_units};
  if (ok) {
    opt_ilp_problem p = {.n_buckets = d->n_out * d->n_in,
                         .rates = d->rates,
                         .n_deployments = d->n_deps,
                         .deployments = deps,
                         .n_limits = d->n_limits,
                         .limits = limits,
                         .options = opt_ilp_options_default()};
    p.options.gpu_fraction = d->gpu_fraction;
    p.options.slice_factor = d->slice_factor;
    ok = opt_ilp_solve(&p, out, e);
  }
  free(limits);
  free(deps);
  return ok;
}

bool opt_decision_compare(const opt_decision *d, const opt_ilp_result *r, char *buf, size_t n) {
  size_t len = 0;
  buf[0] = '\0';
#define SAY(...)                                                                                   \
  do {                                                                                             \
    int k_ = snprintf(buf + len, len < n ? n - len : 0, __VA_ARGS__);                              \
    if (k_ > 0) len += (size_t)k_;                                                                 \
  } while (0)
  double scale = fmax(fabs(d->cost), fabs(r->cost));
  if (fabs(d->cost - r->cost) > 1e-9 * scale) SAY("cost %.17g, was %.17g\n", r->cost, d->cost);
  for (int i = 0; i < d->n_deps && i < r->n_deployments; i++)
    if (r->alloc[i].units != d->deps[i].units)
      SAY("%s: %lld units, was %lld\n", d->deps[i].name, (long long)r->alloc[i].units,
          (long long)d->deps[i].units);
#undef SAY
  if (len >= n && n > 0) buf[n - 1] = '\0';
  return len == 0;
}
