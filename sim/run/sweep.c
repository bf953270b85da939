#include "sim/run/sweep.h"

#include <cjson/cJSON.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "analysis/csvr.h"
#include "analysis/csvw.h"
#include "analysis/outfile.h"
#include "analysis/rundigest.h"
#include "base/clock.h"
#include "base/hash.h"
#include "base/jsonv.h"
#include "base/xalloc.h"
#include "sim/run/run.h"
#include "sim/scenario/scenario.h"

const char *const sweep_metrics[] = {"cost",           "gpu_hours",  "e2e_mean_s",
                                     "e2e_p99_s",      "ttft_p99_s", "failed",
                                     "slo_attainment", "peak_pods",  NULL};

/* --- settings --- */

bool sweep_setting_parse(const char *arg, sweep_setting *out, ps_err *err) {
  *out = (sweep_setting){0};
  const char *eq = strchr(arg, '=');
  if (!eq || eq == arg || !eq[1])
    return ps_fail(err, "--set: expected KEY=V1,V2,..., found '%s'", arg);
  out->key = xmalloc((size_t)(eq - arg) + 1);
  memcpy(out->key, arg, (size_t)(eq - arg));
  out->key[eq - arg] = '\0';
  for (const char *k = out->key;;) { /* the paths, split at commas */
    size_t len = strcspn(k, ",");
    if (len == 0) {
      sweep_setting_free(out);
      return ps_fail(err, "--set: an empty key in '%s'", arg);
    }
    out->paths = xrealloc(out->paths, (size_t)(out->n_paths + 1) * sizeof *out->paths);
    out->paths[out->n_paths] = xmalloc(len + 1);
    memcpy(out->paths[out->n_paths], k, len);
    out->paths[out->n_paths++][len] = '\0';
    if (!k[len]) break;
    k += len + 1;
  }
  const char *p = eq + 1;
  int depth = 0;
  bool quoted = false;
  for (const char *start = p;; p++) {
    char c = *p;
    if (c == '"' && (p == start || p[-1] != '\\')) quoted = !quoted;
    if (!quoted && (c == '[' || c == '{')) depth++;
    if (!quoted && (c == ']' || c == '}')) depth--;
    if (c == '\0' || (c == ',' && depth == 0 && !quoted)) {
      size_t n = (size_t)(p - start);
      if (n == 0) {
        sweep_setting_free(out);
        return ps_fail(err, "--set %.*s: an empty value", (int)(eq - arg), arg);
      }
      out->values = xrealloc(out->values, (size_t)(out->n + 1) * sizeof *out->values);
      out->values[out->n] = xmalloc(n + 1);
      memcpy(out->values[out->n], start, n);
      out->values[out->n++][n] = '\0';
      start = p + 1;
    }
    if (c == '\0') break;
  }
  for (int i = 0; out->n_paths > 1 && i < out->n; i++) { /* linked keys: arrays of their number */
    cJSON *a = cJSON_Parse(out->values[i]);
    bool ok = cJSON_IsArray(a) && cJSON_GetArraySize(a) == out->n_paths;
    cJSON_Delete(a);
    if (!ok) {
      ps_fail(err,
              "--set %s: expected each value to be an array of %d values, one per key, found %s",
              out->key, out->n_paths, out->values[i]);
      sweep_setting_free(out);
      return false;
    }
  }
  return true;
}

void sweep_setting_free(sweep_setting *s) {
  for (int i = 0; i < s->n; i++)
    free(s->values[i]);
  free(s->values);
  for (int i = 0; i < s->n_paths; i++)
    free(s->paths[i]);
  free(s->paths);
  free(s->key);
  *s = (sweep_setting){0};
}

/* Set the value at a JSON path (a.b[2].c) of root: the last member is added to its object when
 * absent; an index must exist. value is JSON, or taken as a string when it is not. */
static bool set_path(cJSON *root, const char *path, const char *value, ps_err *err) {
  cJSON *v = cJSON_Parse(value);
  if (!v) v = cJSON_CreateString(value);
  cJSON *node = root;
  const char *p = path;
  while (*p) {
    if (*p == '[') {
      char *end;
      long i = strtol(p + 1, &end, 10);
      if (end == p + 1 || *end != ']' || !cJSON_IsArray(node) || i < 0 ||
          i >= cJSON_GetArraySize(node)) {
        cJSON_Delete(v);
        return ps_fail(err, "--set %s: %.*s: no such element", path, (int)(end - path) + 1, path);
      }
      p = end + 1;
      if (*p == '.') p++;
      if (!*p) {
        cJSON_ReplaceItemInArray(node, (int)i, v);
        return true;
      }
      node = cJSON_GetArrayItem(node, (int)i);
      continue;
    }
    size_t n = strcspn(p, ".[");
    char key[256];
    if (n == 0 || n >= sizeof key || !cJSON_IsObject(node)) {
      cJSON_Delete(v);
      return ps_fail(err, "--set %s: expected an object member at '%s'", path, p);
    }
    memcpy(key, p, n);
    key[n] = '\0';
    p += n;
    if (*p == '.') p++;
    cJSON *child = cJSON_GetObjectItemCaseSensitive(node, key);
    if (!*p) {
      if (child)
        cJSON_ReplaceItemInObjectCaseSensitive(node, key, v);
      else
        cJSON_AddItemToObject(node, key, v);
      return true;
    }
    if (!child) {
      cJSON_Delete(v);
      return ps_fail(err, "--set %s: the scenario has no '%s'", path, key);
    }
    node = child;
  }
  cJSON_Delete(v);
  return ps_fail(err, "--set: expected a key, found '%s'", path);
}

/* Set value v of a setting: one path, or each linked path to its element of the value's array. */
static bool apply_setting(cJSON *tree, const sweep_setting *st, int v, ps_err *err) {
  if (st->n_paths == 1) return set_path(tree, st->paths[0], st->values[v], err);
  cJSON *a = cJSON_Parse(st->values[v]);
  bool ok = cJSON_IsArray(a) && cJSON_GetArraySize(a) == st->n_paths;
  if (!ok)
    ps_fail(err, "--set %s: expected each value to be an array of %d values, one per key, found %s",
            st->key, st->n_paths, st->values[v]);
  int i = 0;
  for (cJSON *el = ok ? a->child : NULL; ok && el; el = el->next, i++) {
    char *text = cJSON_PrintUnformatted(el);
    ok = set_path(tree, st->paths[i], text, err);
    free(text);
  }
  cJSON_Delete(a);
  return ok;
}

/* --- the grid --- */

typedef struct grid {
  const sweep_options *o;
  int points, runs;
} grid;

/* Value index of setting s at point p (the first setting varies slowest). */
static int value_at(const grid *g, int p, int s) {
  int stride = 1;
  for (int k = g->o->n_settings - 1; k > s; k--)
    stride *= g->o->settings[k].n;
  return (p / stride) % g->o->settings[s].n;
}

static void describe_point(const grid *g, int p, char *buf, size_t n) {
  size_t len = 0;
  buf[0] = '\0';
  for (int s = 0; s < g->o->n_settings && len < n; s++)
    len += (size_t)snprintf(buf + len, n - len, "%s%s=%s", s ? ", " : "", g->o->settings[s].key,
                            g->o->settings[s].values[value_at(g, p, s)]);
}

/* --- running --- */

/* A point's scenario is loaded to validate it, let go, loaded again by the first of its runs and
 * let go after the last (pending), so memory holds about one scenario per job, not the grid. */
typedef struct point {
  pthread_mutex_t lock;
  bool loaded, failed;
  scenario sc;
  uint64_t seed; /* the scenario's seed, kept when it is let go */
  int pending;   /* runs of this shard not finished */
} point;

typedef struct job {
  char **rows; /* summary.csv rows of the run (without the header), malloc'd */
  int nrows;
  bool failed;
  bool done;         /* ran, and its outputs are digested */
  run_digest digest; /* of its output files */
} job;

typedef struct sweep {
  grid g;
  const cJSON *root; /* the scenario as read */
  point *pts;
  job *jobs;
  int *todo; /* run indexes of this shard */
  int ntodo;
  atomic_int next, done;
  atomic_bool stop;
  pthread_mutex_t err_lock;
  int status; /* first failure's status */
  ps_err err;
  char *summary_header;
  char **warned; /* copies of the scenario warnings printed so far: each is printed once */
  size_t nwarned;
} sweep;

static void fail_once(sweep *w, int status, const ps_err *e) {
  pthread_mutex_lock(&w->err_lock);
  if (!w->status) {
    w->status = status;
    w->err = *e;
  }
  pthread_mutex_unlock(&w->err_lock);
  atomic_store(&w->stop, true);
}

/* Point p's scenario warnings on stderr, those not printed for an earlier point. */
static void warn_point(sweep *w, int p) {
  const scenario *sc = &w->pts[p].sc;
  pthread_mutex_lock(&w->err_lock);
  for (uint32_t i = 0; i < sc->nwarnings; i++) {
    size_t k = 0;
    while (k < w->nwarned && strcmp(w->warned[k], sc->warnings[i]) != 0)
      k++;
    if (k < w->nwarned) continue;
    char where[1024];
    describe_point(&w->g, p, where, sizeof where);
    fprintf(stderr, "podscale: warning: sweep point %d (%.200s): %s\n", p, where, sc->warnings[i]);
    w->warned = xrealloc(w->warned, (w->nwarned + 1) * sizeof *w->warned);
    w->warned[w->nwarned++] = xstrdup(sc->warnings[i]); /* points are freed as they finish */
  }
  pthread_mutex_unlock(&w->err_lock);
}

/* The scenario of point p, loaded on first use. */
static const scenario *load_point(sweep *w, int p) {
  point *pt = &w->pts[p];
  pthread_mutex_lock(&pt->lock);
  if (!pt->loaded && !pt->failed) {
    cJSON *tree = cJSON_Duplicate(w->root, 1);
    ps_err e;
    bool ok = true;
    for (int s = 0; ok && s < w->g.o->n_settings; s++)
      ok = apply_setting(tree, &w->g.o->settings[s], value_at(&w->g, p, s), &e);
    char *text = ok ? cJSON_PrintUnformatted(tree) : NULL;
    if (ok) ok = scenario_load_tree(w->g.o->scenario, tree, text, &pt->sc, &e);
    free(text);
    cJSON_Delete(tree);
    if (ok) {
      pt->loaded = true;
      pt->seed = pt->sc.seed;
      warn_point(w, p);
    } else {
      pt->failed = true;
      char where[1024];
      describe_point(&w->g, p, where, sizeof where);
      ps_err e2;
      snprintf(e2.msg, sizeof e2.msg, "sweep point %d (%.200s): %.800s", p, where, e.msg);
      fail_once(w, 2, &e2);
    }
  }
  pthread_mutex_unlock(&pt->lock);
  return pt->loaded ? &pt->sc : NULL;
}

typedef struct rows_ctx {
  job *j;
  char **header;
} rows_ctx;

/* Join fields back into one CSV row (quoting as needed). */
static char *join_row(char **f, size_t n) {
  size_t cap = 64, len = 0;
  char *s = xmalloc(cap);
  for (size_t i = 0; i < n; i++) {
    bool quote = strpbrk(f[i], ",\"\n\r") != NULL;
    size_t need = 2 * strlen(f[i]) + 4;
    if (len + need >= cap) s = xrealloc(s, cap = 2 * (len + need));
    if (i) s[len++] = ',';
    if (quote) s[len++] = '"';
    for (const char *c = f[i]; *c; c++) {
      if (*c == '"') s[len++] = '"';
      s[len++] = *c;
    }
    if (quote) s[len++] = '"';
  }
  s[len] = '\0';
  return s;
}

static bool take_row(void *ctx, long line, char **f, size_t n, ps_err *err) {
  (void)err;
  rows_ctx *c = ctx;
  if (line == 1) {
    if (!*c->header) *c->header = join_row(f, n);
    return true;
  }
  c->j->rows = xrealloc(c->j->rows, (size_t)(c->j->nrows + 1) * sizeof *c->j->rows);
  c->j->rows[c->j->nrows++] = join_row(f, n);
  return true;
}

static uint64_t base_seed(const sweep *w, const point *pt) {
  return w->g.o->has_seed ? w->g.o->seed : pt->seed;
}

/* One run of point p finished: let its scenario go after its last (point 0 stays: the sweep's
 * description uses it). */
static void run_finished(sweep *w, int p) {
  point *pt = &w->pts[p];
  pthread_mutex_lock(&pt->lock);
  if (--pt->pending == 0 && p > 0 && pt->loaded) {
    scenario_free(&pt->sc);
    pt->loaded = false;
  }
  pthread_mutex_unlock(&pt->lock);
}

static void *worker(void *arg) {
  sweep *w = arg;
  const sweep_options *o = w->g.o;
  for (;;) {
    int k = atomic_fetch_add(&w->next, 1);
    if (k >= w->ntodo || atomic_load(&w->stop)) break;
    int r = w->todo[k], p = r / o->seeds, s = r % o->seeds;
    const scenario *sc = load_point(w, p);
    if (!sc) break;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/runs/r%d", o->out_dir, r);
    run_options ro = {.out_dir = dir,
                      .seed = base_seed(w, &w->pts[p]) + (uint64_t)s,
                      .policies = o->policies,
                      .progress = false};
    run_totals tot;
    ps_err e;
    bool ok = run_scenario(sc, &ro, &tot, &e);
    if (ok) {
      char path[4200];
      snprintf(path, sizeof path, "%s/summary.csv", dir);
      char *header = NULL;
      rows_ctx c = {&w->jobs[r], &header};
      ok = csvr_read(path, take_row, &c, &e);
      pthread_mutex_lock(&w->err_lock);
      if (!w->summary_header)
        w->summary_header = header;
      else
        free(header);
      pthread_mutex_unlock(&w->err_lock);
    }
    if (ok) {
      w->jobs[r].digest = run_digest_of(dir);
      w->jobs[r].done = true;
    }
    if (!ok) {
      w->jobs[r].failed = true;
      ps_err e2;
      snprintf(e2.msg, sizeof e2.msg, "run %d: %.1000s", r, e.msg);
      fail_once(w, 1, &e2);
    }
    run_finished(w, p);
    atomic_fetch_add(&w->done, 1);
  }
  return NULL;
}

static void show_progress(int done, int total, double t0) {
  int width = 40, fill = total ? done * width / total : width;
  fprintf(stderr, "\rpodscale sweep [");
  for (int i = 0; i < width; i++)
    fputc(i < fill ? '=' : ' ', stderr);
  fprintf(stderr, "] %d/%d runs, %.1f s", done, total, ps_mono_s() - t0);
  fflush(stderr);
}

/* Each setting with several values whose values changed nothing, or no result: compared run by
 * run against the run with the setting's first value and everything else the same (point and
 * seed), over the runs of this shard. Said on stderr; nothing is refused. */
static void report_unchanged(const sweep *w) {
  const sweep_options *o = w->g.o;
  for (int t = 0; t < o->n_settings; t++) {
    if (o->settings[t].n < 2) continue;
    int stride = 1;
    for (int k = o->n_settings - 1; k > t; k--)
      stride *= o->settings[k].n;
    unsigned changed = 0;
    int pairs = 0;
    for (int r = 0; r < w->g.runs; r++) {
      int p = r / o->seeds, v = value_at(&w->g, p, t);
      int r0 = (p - v * stride) * o->seeds + r % o->seeds;
      if (v == 0 || !w->jobs[r].done || !w->jobs[r0].done) continue;
      changed |= run_digest_diff(&w->jobs[r].digest, &w->jobs[r0].digest);
      pairs++;
    }
    if (pairs == 0) continue;
    char files[160];
    if (changed == 0)
      fprintf(stderr,
              "podscale: warning: sweep: --set %s changed nothing in any output (%d runs compared "
              "with the first value's): is it a setting the runs read?\n",
              o->settings[t].key, pairs);
    else if (!(changed & 1u))
      fprintf(stderr,
              "podscale: note: sweep: --set %s changed %s, but no figure of summary.csv (%d runs "
              "compared with the first value's)\n",
              o->settings[t].key, run_digest_list(changed, files, sizeof files), pairs);
  }
}

/* --- sweep.json --- */

static cJSON *describe_sweep(const sweep_options *o, const char *digest, uint64_t seed, int points,
                             int runs) {
  cJSON *j = cJSON_CreateObject();
  cJSON_AddStringToObject(j, "scenario", o->scenario);
  cJSON_AddStringToObject(j, "scenario_digest", digest);
  cJSON *ss = cJSON_AddArrayToObject(j, "settings");
  for (int s = 0; s < o->n_settings; s++) {
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "key", o->settings[s].key);
    cJSON *vs = cJSON_AddArrayToObject(e, "values");
    for (int i = 0; i < o->settings[s].n; i++)
      cJSON_AddItemToArray(vs, cJSON_CreateString(o->settings[s].values[i]));
    cJSON_AddItemToArray(ss, e);
  }
  cJSON_AddNumberToObject(j, "seeds", o->seeds);
  char seed_text[24];
  snprintf(seed_text, sizeof seed_text, "%llu", (unsigned long long)seed);
  cJSON_AddRawToObject(j, "seed", seed_text);
  cJSON *ps = cJSON_AddArrayToObject(j, "policies");
  for (int i = 0; o->policies && o->policies[i]; i++)
    cJSON_AddItemToArray(ps, cJSON_CreateString(o->policies[i]));
  cJSON_AddNumberToObject(j, "points", points);
  cJSON_AddNumberToObject(j, "runs", runs);
  cJSON_AddNumberToObject(j, "shard", o->shard);
  cJSON_AddNumberToObject(j, "shards", o->shards);
  return j;
}

static bool write_text(const char *dir, const char *name, const char *text, ps_err *err) {
  outfile f;
  if (!outfile_open(&f, dir, name, err)) return false;
  fputs(text, f.fp);
  return outfile_commit(&f, err);
}

static bool write_json(const char *dir, const char *name, const cJSON *j, ps_err *err) {
  char *text = cJSON_Print(j);
  size_t n = strlen(text);
  text = xrealloc(text, n + 2);
  memcpy(text + n, "\n", 2);
  bool ok = write_text(dir, name, text, err);
  free(text);
  return ok;
}

/* --- aggregation: runs.csv -> sweep.csv --- */

typedef struct agg_row {
  long point;
  char **keys; /* setting values */
  char *policy;
  double *v; /* [n_metrics] per run, appended */
} agg_row;

typedef struct group {
  long point;
  char *policy;
  char **settings; /* borrowed from the first row */
  double **vals;   /* [metric][run]: the runs that have the metric */
  int *nv;         /* [metric] how many */
  int n;           /* runs */
} group;

typedef struct agg {
  int n_settings;
  int col_point, col_policy, col_settings;
  int col_metric[16]; /* -1: failed = timeout + failed */
  int col_timeout, col_failed;
  int n_metrics;
  group *groups;
  int ngroups, cap_groups;
  int *index;       /* open addressing over groups by (point, policy): group + 1, 0 empty */
  size_t index_cap; /* a power of two, at least twice ngroups */
  char **setting_names;
  const char *path;
} agg;

static size_t group_hash(long pt, const char *policy) {
  uint64_t h = ps_fnv1a64_add(PS_FNV1A64_BASIS, &pt, sizeof pt);
  h = ps_fnv1a64_add(h, policy, strlen(policy));
  return (size_t)(h ^ (h >> 29));
}

/* The slot of (point, policy) in the index: its group's, or the empty one it would take. */
static size_t group_slot(const agg *a, long pt, const char *policy) {
  size_t i = group_hash(pt, policy) & (a->index_cap - 1);
  for (int g; (g = a->index[i]) != 0; i = (i + 1) & (a->index_cap - 1))
    if (a->groups[g - 1].point == pt && !strcmp(a->groups[g - 1].policy, policy)) break;
  return i;
}

static void index_grow(agg *a) {
  free(a->index);
  a->index_cap = a->index_cap ? 2 * a->index_cap : 64;
  a->index = xcalloc(a->index_cap, sizeof *a->index);
  for (int g = 0; g < a->ngroups; g++)
    a->index[group_slot(a, a->groups[g].point, a->groups[g].policy)] = g + 1;
}

static bool agg_row_fn(void *ctx, long line, char **f, size_t n, ps_err *err) {
  agg *a = ctx;
  if (line == 1) {
    a->col_point = a->col_policy = a->col_timeout = a->col_failed = -1;
    for (size_t i = 0; i < n; i++) {
      if (!strcmp(f[i], "point")) a->col_point = (int)i;
      if (!strcmp(f[i], "policy")) a->col_policy = (int)i;
      if (!strcmp(f[i], "timeout")) a->col_timeout = (int)i;
      if (!strcmp(f[i], "failed")) a->col_failed = (int)i;
    }
    a->col_settings = 3; /* run, point, seed, then the settings */
    a->setting_names = xcalloc((size_t)a->n_settings + 1, sizeof *a->setting_names);
    for (int s = 0; s < a->n_settings && 3 + s < (int)n; s++)
      a->setting_names[s] = xstrdup(f[3 + s]);
    for (a->n_metrics = 0; sweep_metrics[a->n_metrics]; a->n_metrics++) {
      int c = -2;
      for (size_t i = 0; i < n; i++)
        if (!strcmp(f[i], sweep_metrics[a->n_metrics])) c = (int)i;
      if (!strcmp(sweep_metrics[a->n_metrics], "failed")) c = -1;
      if (c == -2)
        return ps_fail(err, "%s:1: expected a column %s", a->path, sweep_metrics[a->n_metrics]);
      a->col_metric[a->n_metrics] = c;
    }
    if (a->col_point < 0 || a->col_policy < 0 || a->col_timeout < 0 || a->col_failed < 0)
      return ps_fail(err, "%s:1: expected the columns run, point, seed, ..., policy", a->path);
    return true;
  }
  long p;
  if ((size_t)a->col_policy >= n || !csvr_long(f[a->col_point], &p))
    return ps_fail(err, "%s:%ld: expected a point number and a policy", a->path, line);
  if ((size_t)a->ngroups * 2 >= a->index_cap) index_grow(a);
  size_t slot = group_slot(a, p, f[a->col_policy]);
  group *g = a->index[slot] ? &a->groups[a->index[slot] - 1] : NULL;
  if (!g) {
    if (a->ngroups == a->cap_groups) {
      a->cap_groups = a->cap_groups ? 2 * a->cap_groups : 16;
      a->groups = xrealloc(a->groups, (size_t)a->cap_groups * sizeof *a->groups);
    }
    a->index[slot] = a->ngroups + 1;
    g = &a->groups[a->ngroups++];
    *g = (group){.point = p, .policy = xstrdup(f[a->col_policy])};
    g->settings = xcalloc((size_t)a->n_settings + 1, sizeof *g->settings);
    for (int s = 0; s < a->n_settings; s++)
      g->settings[s] = xstrdup(f[a->col_settings + s]);
    g->vals = xcalloc((size_t)a->n_metrics, sizeof *g->vals);
    g->nv = xcalloc((size_t)a->n_metrics, sizeof *g->nv);
  }
  for (int m = 0; m < a->n_metrics; m++) {
    double x, y;
    bool ok = a->col_metric[m] >= 0
                  ? csvr_double(f[a->col_metric[m]], &x)
                  : csvr_double(f[a->col_timeout], &x) && csvr_double(f[a->col_failed], &y);
    if (!ok) {
      /* an empty field is a metric with no value (no request finished): skip it */
      if (a->col_metric[m] >= 0 && f[a->col_metric[m]][0] == '\0') continue;
      return ps_fail(err, "%s:%ld: %s: expected a number", a->path, line, sweep_metrics[m]);
    }
    if (a->col_metric[m] < 0) x += y;
    if ((g->nv[m] & (g->nv[m] - 1)) == 0) /* 0, 1, 2, 4, ...: double the room */
      g->vals[m] = xrealloc(g->vals[m], (size_t)(g->nv[m] ? 2 * g->nv[m] : 1) * sizeof *g->vals[m]);
    g->vals[m][g->nv[m]++] = x;
  }
  g->n++;
  return true;
}

/* sweep.csv from runs.csv. Groups keep runs.csv's order (points ascending, then policies in
 * the scenario's order). A metric missing in some runs (empty field) uses the runs that have it. */
static bool aggregate(const char *dir, int n_settings, ps_err *err) {
  char path[4096];
  snprintf(path, sizeof path, "%s/runs.csv", dir);
  agg a = {.n_settings = n_settings, .path = path};
  bool ok = csvr_read(path, agg_row_fn, &a, err);
  outfile f = {0};
  if (ok) ok = outfile_open(&f, dir, "sweep.csv", err);
  if (ok) {
    csvw w = {f.fp, false};
    csvw_str(&w, "point");
    for (int s = 0; s < n_settings; s++)
      csvw_str(&w, a.setting_names[s]);
    csvw_str(&w, "policy");
    csvw_str(&w, "runs");
    for (int m = 0; m < a.n_metrics; m++) {
      char name[64];
      snprintf(name, sizeof name, "%s_mean", sweep_metrics[m]);
      csvw_str(&w, name);
      snprintf(name, sizeof name, "%s_ci95", sweep_metrics[m]);
      csvw_str(&w, name);
    }
    csvw_end(&w);
    for (int i = 0; i < a.ngroups; i++) {
      group *g = &a.groups[i];
      csvw_int(&w, g->point);
      for (int s = 0; s < n_settings; s++)
        csvw_str(&w, g->settings[s]);
      csvw_str(&w, g->policy);
      csvw_int(&w, g->n);
      for (int m = 0; m < a.n_metrics; m++) {
        int k = g->nv[m]; /* the runs that have the metric */
        double mean = k ? gsl_stats_mean(g->vals[m], 1, (size_t)k) : NAN;
        double ci = NAN;
        if (k >= 2) {
          double sd = gsl_stats_sd_m(g->vals[m], 1, (size_t)k, mean);
          ci = gsl_cdf_tdist_Pinv(0.975, (double)(k - 1)) * sd / sqrt((double)k);
        }
        csvw_num(&w, mean);
        csvw_num(&w, ci);
      }
      csvw_end(&w);
    }
    ok = outfile_commit(&f, err);
  }
  for (int i = 0; i < a.ngroups; i++) {
    for (int s = 0; s < n_settings; s++)
      free(a.groups[i].settings[s]);
    free(a.groups[i].settings);
    for (int m = 0; m < a.n_metrics; m++)
      free(a.groups[i].vals[m]);
    free(a.groups[i].vals);
    free(a.groups[i].nv);
    free(a.groups[i].policy);
  }
  free(a.groups);
  free(a.index);
  for (int s = 0; a.setting_names && s < n_settings; s++)
    free(a.setting_names[s]);
  free(a.setting_names);
  return ok;
}

/* runs.csv header: run, point, seed, the settings, then summary.csv's columns. */
static void runs_header(FILE *fp, const sweep_options *o, const char *summary_header) {
  fputs("run,point,seed", fp);
  for (int s = 0; s < o->n_settings; s++) {
    char *f[1] = {o->settings[s].key};
    char *q = join_row(f, 1);
    fprintf(fp, ",%s", q);
    free(q);
  }
  fprintf(fp, ",%s\n", summary_header);
}

int sweep_run(const sweep_options *o, ps_err *err) {
  char *text = NULL;
  cJSON *root = jv_parse_file(o->scenario, &text, err);
  if (!root) return 2;
  sweep w = {.g = {.o = o, .points = 1}, .root = root};
  for (int s = 0; s < o->n_settings; s++)
    w.g.points *= o->settings[s].n;
  w.g.runs = w.g.points * o->seeds;
  pthread_mutex_init(&w.err_lock, NULL);
  w.pts = xcalloc((size_t)w.g.points, sizeof *w.pts);
  for (int p = 0; p < w.g.points; p++)
    pthread_mutex_init(&w.pts[p].lock, NULL);
  w.jobs = xcalloc((size_t)w.g.runs, sizeof *w.jobs);
  w.todo = xcalloc((size_t)w.g.runs, sizeof *w.todo);
  for (int r = 0; r < w.g.runs; r++)
    if (r % o->shards == o->shard) w.todo[w.ntodo++] = r;
  int status = 0;
  /* Every point of the grid first, on this thread: a bad key, value or scenario anywhere is
   * reported before anything runs or is written. Each is let go once checked (but point 0). */
  for (int k = 0; k < w.ntodo; k++)
    w.pts[w.todo[k] / o->seeds].pending++;
  for (int p = 0; p < w.g.points && !w.status; p++)
    if (load_point(&w, p) && p > 0) {
      scenario_free(&w.pts[p].sc);
      w.pts[p].loaded = false;
    }
  const scenario *sc0 = w.status ? NULL : &w.pts[0].sc;
  if (!sc0) {
    status = w.status;
    *err = w.err;
    goto done;
  }
  for (int i = 0; o->policies && o->policies[i]; i++)
    if (scenario_policy_index(sc0, o->policies[i]) < 0) {
      ps_fail(err, "%s: policies: expected the name of a policy, found '%s'", o->scenario,
              o->policies[i]);
      status = 2;
      goto done;
    }
  if (!outfile_mkdirs(o->out_dir, err)) {
    status = 1;
    goto done;
  }
  cJSON *desc = describe_sweep(o, sc0->digest, base_seed(&w, &w.pts[0]), w.g.points, w.g.runs);
  bool ok = write_json(o->out_dir, "sweep.json", desc, err);
  cJSON_Delete(desc);
  if (!ok) {
    status = 1;
    goto done;
  }
  int jobs = o->jobs < 1 ? 1 : o->jobs;
  if (jobs > w.ntodo) jobs = w.ntodo ? w.ntodo : 1;
  pthread_t *th = xcalloc((size_t)jobs, sizeof *th);
  double t0 = ps_mono_s();
  int started = 0; /* fewer threads than asked when the system refuses more; none is an error */
  while (started < jobs && pthread_create(&th[started], NULL, worker, &w) == 0)
    started++;
  if (started == 0) {
    ps_fail(err, "%s: cannot start a thread for the runs", o->scenario);
    free(th);
    status = 1;
    goto done;
  }
  while (atomic_load(&w.done) < w.ntodo && !atomic_load(&w.stop)) {
    if (o->progress) show_progress(atomic_load(&w.done), w.ntodo, t0);
    struct timespec t = {0, 100 * 1000 * 1000};
    nanosleep(&t, NULL);
  }
  for (int i = 0; i < started; i++)
    pthread_join(th[i], NULL);
  free(th);
  if (o->progress) {
    show_progress(atomic_load(&w.done), w.ntodo, t0);
    fputc('\n', stderr);
  }
  if (w.status) {
    status = w.status;
    *err = w.err;
    goto done;
  }
  report_unchanged(&w);
  outfile rf;
  if (!outfile_open(&rf, o->out_dir, "runs.csv", err)) {
    status = 1;
    goto done;
  }
  runs_header(rf.fp, o, w.summary_header ? w.summary_header : "policy");
  for (int k = 0; k < w.ntodo; k++) {
    int r = w.todo[k], p = r / o->seeds, s = r % o->seeds;
    for (int i = 0; i < w.jobs[r].nrows; i++) {
      fprintf(rf.fp, "%d,%d,%llu", r, p,
              (unsigned long long)(base_seed(&w, &w.pts[p]) + (uint64_t)s));
      for (int t = 0; t < o->n_settings; t++) {
        /* a JSON string shows as its text, anything else as its JSON */
        const char *value = o->settings[t].values[value_at(&w.g, p, t)];
        cJSON *j = cJSON_Parse(value);
        char *f[1] = {cJSON_IsString(j) ? j->valuestring : (char *)value};
        char *q = join_row(f, 1);
        fprintf(rf.fp, ",%s", q);
        free(q);
        cJSON_Delete(j);
      }
      fprintf(rf.fp, ",%s\n", w.jobs[r].rows[i]);
    }
  }
  if (!outfile_commit(&rf, err) || !aggregate(o->out_dir, o->n_settings, err)) status = 1;
done:
  for (int p = 0; p < w.g.points; p++) {
    if (w.pts[p].loaded) scenario_free(&w.pts[p].sc);
    pthread_mutex_destroy(&w.pts[p].lock);
  }
  for (int r = 0; r < w.g.runs; r++) {
    for (int i = 0; i < w.jobs[r].nrows; i++)
      free(w.jobs[r].rows[i]);
    free(w.jobs[r].rows);
  }
  free(w.jobs);
  free(w.todo);
  free(w.pts);
  free(w.summary_header);
  for (size_t k = 0; k < w.nwarned; k++)
    free(w.warned[k]);
  free(w.warned);
  pthread_mutex_destroy(&w.err_lock);
  cJSON_Delete(root);
  free(text);
  return status;
}

/* --- merge --- */

typedef struct merge_row {
  long run;
  size_t order; /* as read: keeps the policies of a run in their order */
  char *line;   /* the whole row */
} merge_row;

typedef struct merge_ctx {
  merge_row *rows;
  size_t n;
  char *header;
  const char *path;
} merge_ctx;

static bool merge_row_fn(void *ctx, long line, char **f, size_t n, ps_err *err) {
  merge_ctx *m = ctx;
  if (line == 1) {
    char *h = join_row(f, n);
    if (!m->header) {
      m->header = h;
    } else if (strcmp(m->header, h) != 0) {
      free(h);
      return ps_fail(err, "%s:1: the columns differ from the first shard's", m->path);
    } else {
      free(h);
    }
    return true;
  }
  long r;
  if (n < 3 || !csvr_long(f[0], &r) || r < 0)
    return ps_fail(err, "%s:%ld: expected a run number first", m->path, line);
  m->rows = xrealloc(m->rows, (m->n + 1) * sizeof *m->rows);
  m->rows[m->n] = (merge_row){r, m->n, join_row(f, n)};
  m->n++;
  return true;
}

static int by_run(const void *a, const void *b) {
  const merge_row *x = a, *y = b;
  if (x->run != y->run) return (x->run > y->run) - (x->run < y->run);
  return (x->order > y->order) - (x->order < y->order);
}

/* The identity of a sweep: sweep.json without its shard. */
static char *identity(const cJSON *j) {
  cJSON *c = cJSON_Duplicate(j, 1);
  cJSON_DeleteItemFromObjectCaseSensitive(c, "shard");
  char *s = cJSON_PrintUnformatted(c);
  cJSON_Delete(c);
  return s;
}

int sweep_merge(const char *const *dirs, int n, const char *out_dir, ps_err *err) {
  merge_ctx m = {0};
  char *ident = NULL;
  int status = 0, shards = 0, runs = 0, n_settings = 0;
  bool *seen_shard = NULL;
  cJSON *first = NULL;
  for (int i = 0; i < n && !status; i++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/sweep.json", dirs[i]);
    cJSON *j = jv_parse_file(path, NULL, err);
    if (!j) {
      status = 2;
      break;
    }
    const cJSON *sh = cJSON_GetObjectItemCaseSensitive(j, "shard");
    const cJSON *shs = cJSON_GetObjectItemCaseSensitive(j, "shards");
    const cJSON *rs = cJSON_GetObjectItemCaseSensitive(j, "runs");
    const cJSON *ss = cJSON_GetObjectItemCaseSensitive(j, "settings");
    if (!cJSON_IsNumber(sh) || !cJSON_IsNumber(shs) || !cJSON_IsNumber(rs) || !cJSON_IsArray(ss) ||
        shs->valueint < 1 || sh->valueint < 0 || sh->valueint >= shs->valueint) {
      ps_fail(err, "%s: expected a sweep description (shard, shards, runs, settings)", path);
      cJSON_Delete(j);
      status = 2;
      break;
    }
    int shard = sh->valueint;
    if (!first) {
      shards = shs->valueint;
      runs = rs->valueint;
      n_settings = cJSON_GetArraySize(ss);
      seen_shard = xcalloc((size_t)shards, sizeof *seen_shard);
    }
    char *id = identity(j);
    if (!ident) {
      ident = id;
      first = cJSON_Duplicate(j, 1);
    } else {
      bool same = strcmp(ident, id) == 0;
      free(id);
      if (!same) {
        ps_fail(err,
                "%s: not a shard of the same sweep as %s/sweep.json (scenario, settings, "
                "seeds or shards differ)",
                path, dirs[0]);
        cJSON_Delete(j);
        status = 2;
        break;
      }
    }
    cJSON_Delete(j);
    if (seen_shard[shard]) {
      ps_fail(err, "%s: shard %d/%d is given twice", path, shard, shards);
      status = 2;
      break;
    }
    seen_shard[shard] = true;
    snprintf(path, sizeof path, "%s/runs.csv", dirs[i]);
    m.path = path;
    if (!csvr_read(path, merge_row_fn, &m, err)) status = 2;
  }
  for (int s = 0; !status && s < shards; s++)
    if (!seen_shard[s]) {
      ps_fail(err, "shard %d/%d is missing (its runs.csv was not given)", s, shards);
      status = 2;
    }
  if (!status) {
    qsort(m.rows, m.n, sizeof *m.rows, by_run);
    /* every run present (a run has one row per policy) */
    long expect = 0;
    for (size_t i = 0; i < m.n && !status; i++) {
      if (m.rows[i].run != expect && m.rows[i].run != expect - 1) {
        ps_fail(err, "run %ld is missing from the shards", expect);
        status = 2;
      }
      if (m.rows[i].run == expect) expect++;
    }
    if (!status && expect != runs) {
      ps_fail(err, "the shards hold %ld of the sweep's %d runs", expect, runs);
      status = 2;
    }
  }
  if (!status && !outfile_mkdirs(out_dir, err)) status = 1;
  if (!status) {
    cJSON_ReplaceItemInObjectCaseSensitive(first, "shard", cJSON_CreateNumber(0));
    cJSON_ReplaceItemInObjectCaseSensitive(first, "shards", cJSON_CreateNumber(1));
    outfile rf;
    bool ok = write_json(out_dir, "sweep.json", first, err) &&
              outfile_open(&rf, out_dir, "runs.csv", err);
    if (ok) {
      fprintf(rf.fp, "%s\n", m.header);
      for (size_t i = 0; i < m.n; i++)
        fprintf(rf.fp, "%s\n", m.rows[i].line);
      ok = outfile_commit(&rf, err) && aggregate(out_dir, n_settings, err);
    }
    if (!ok) status = 1;
  }
  for (size_t i = 0; i < m.n; i++)
    free(m.rows[i].line);
  free(m.rows);
  free(m.header);
  free(ident);
  free(seen_shard);
  cJSON_Delete(first);
  return status;
}
