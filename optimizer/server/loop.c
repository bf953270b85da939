/* loop: one model's optimizer loop in its own thread: read the traces and profiles (Redis or
 * files), run opt_model's round, publish the values the HTTP side serves, log decisions. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/clock.h"
#include "optimizer/decision.h"
#include "optimizer/server/serve_int.h"

#define US 1000000LL
#define BACKOFF_MAX_S 30.0

const double srv_solve_bounds[SRV_SOLVE_BUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                    0.1,    0.25,  0.5,    1,     2.5,  5,     10};

/* --- the loop of one model --- */

typedef struct loop {
  srv *s;
  srv_model *m;
  opt_model *model;
  opt_store *store;
  double next_attempt; /* Redis reconnect: not before (monotonic s) */
  double backoff;      /* s */
  int64_t last_ts;     /* newest key read, -1 none */
  char *archive_error; /* the last archive failure logged */
  uint64_t *versions;  /* per deployment (m->deps order): the version the model holds */
  size_t n_versions;
} loop;

static bool stopping(srv *s) {
  pthread_mutex_lock(&s->lock);
  bool stop = s->stopping;
  pthread_mutex_unlock(&s->lock);
  return stop;
}

/* Sleep on the service's condition for up to `seconds` (woken early by a stop); true when the
 * service stops. The condition waits on CLOCK_MONOTONIC, so clock steps do not stall it. */
static bool nap(srv *s, double seconds) {
  pthread_mutex_lock(&s->lock);
  if (!s->stopping && seconds > 0) {
    struct timespec ts = ps_mono_timespec(ps_mono_ns() + (int64_t)(seconds * 1e9));
    pthread_cond_timedwait(&s->wake, &s->lock, &ts);
  }
  bool stop = s->stopping;
  pthread_mutex_unlock(&s->lock);
  return stop;
}

/* Wait until the wall clock reaches t (Unix s) or the service stops; true when it stops. */
static bool wait_until(srv *s, double t) {
  for (;;) {
    double left = t - srv_now_unix();
    if (left <= 0) return stopping(s);
    if (nap(s, left)) return true;
  }
}

static void set_redis_up(loop *l, bool up, const char *why) {
  srv *s = l->s;
  pthread_mutex_lock(&s->lock);
  bool was = s->redis_up;
  if (up) {
    s->redis_up = true;
  } else {
    s->redis_up = false;
    s->redis_errors++;
    snprintf(s->redis_error, sizeof s->redis_error, "%s", why);
  }
  pthread_mutex_unlock(&s->lock);
  if (up && !was)
    srv_log(s, SRV_INFO, "podscale.serve", "model %s: Redis answers again (%s)", l->m->name,
            opt_store_where(l->store));
}

/* A usable Redis connection, or false (the round is skipped and last decisions stay). In a
 * replay, it waits for Redis instead: a replay's rounds are not tied to the clock. */
static bool ensure_store(loop *l) {
  srv *s = l->s;
  for (;;) {
    if (l->store && !opt_store_broken(l->store)) return true;
    if (l->store) {
      opt_store_close(l->store);
      l->store = NULL;
    }
    double now = ps_mono_s();
    if (now >= l->next_attempt) {
      opt_err e;
      l->store = opt_store_open(&s->redis, &e);
      if (l->store) {
        l->backoff = 0;
        return true;
      }
      l->backoff = l->backoff ? fmin(2 * l->backoff, BACKOFF_MAX_S) : 1;
      l->next_attempt = now + l->backoff;
      set_redis_up(l, false, e.msg);
      srv_log(s, SRV_WARNING, "podscale.serve",
              "model %s: Redis unreachable (%s); serving the last decisions, next attempt in "
              "%.0f s",
              l->m->name, e.msg, l->backoff);
    }
    if (!s->o.replay || nap(s, l->next_attempt - ps_mono_s())) return false;
  }
}

/* A Redis command failed: count it, log it; a broken connection is reopened next round. */
static void store_failed(loop *l, const opt_err *e) {
  set_redis_up(l, false, e->msg);
  srv_log(l->s, SRV_WARNING, "podscale.serve", "model %s: %s", l->m->name, e->msg);
  if (l->store && opt_store_broken(l->store)) {
    opt_store_close(l->store);
    l->store = NULL;
  }
}

typedef struct dep_snap {
  char *key, *profile, *profile_file, *gpu_type;
  int64_t min_replicas, max_replicas, replicas;
  bool removed;
  uint64_t version;
  srv_dep *d;
} dep_snap;

/* Save a profile that was taken beside the decision log, so that regress finds it. */
static void archive_profile(loop *l, const opt_profile *p) {
  srv *s = l->s;
  if (!s->profile_dir) return;
  char digest[OPT_DIGEST_LEN];
  opt_profile_digest(p, digest);
  size_t n = strlen(s->profile_dir) + strlen(digest) + 16;
  char *path = xmalloc(n);
  snprintf(path, n, "%s/%s.json", s->profile_dir, digest);
  opt_err e;
  struct stat st;
  if (stat(path, &st) != 0 && !opt_profile_write(path, p, &e)) {
    if (!l->archive_error || strcmp(l->archive_error, e.msg) != 0)
      srv_log(s, SRV_WARNING, "podscale.serve", "cannot archive a profile: %s", e.msg);
    free(l->archive_error);
    l->archive_error = xstrdup(e.msg);
  }
  free(path);
}

/* Note a profile problem once (until it changes). */
static void profile_problem(loop *l, dep_snap *d, int level, const char *msg) {
  if (d->d->profile_error && strcmp(d->d->profile_error, msg) == 0) return;
  free(d->d->profile_error);
  d->d->profile_error = xstrdup(msg);
  if (level >= SRV_WARNING) {
    pthread_mutex_lock(&l->s->lock);
    l->m->bad_profiles++;
    pthread_mutex_unlock(&l->s->lock);
  }
  srv_log(l->s, level, "podscale.serve", "%s", msg);
}

/* Read every deployment's profile and offer them to the model together. False: Redis failed. */
static bool refresh_profiles(loop *l, dep_snap *ds, size_t n, bool force) {
  srv *s = l->s;
  opt_profile *ps = xcalloc(n + 1, sizeof *ps);
  const opt_profile **offer = xcalloc(n + 1, sizeof *offer);
  const char **names = xcalloc(n + 1, sizeof *names);
  char **sources = xcalloc(n + 1, sizeof *sources);
  bool redis_ok = true;
  for (size_t i = 0; i < n && redis_ok; i++) {
    dep_snap *d = &ds[i];
    if (d->removed) continue;
    char *json = NULL;
    char source[1024];
    char msg[1400];
    opt_err e;
    if (d->profile_file) {
      snprintf(source, sizeof source, "%s", d->profile_file);
      json = opt_read_text(d->profile_file, &e);
      if (!json) {
        snprintf(msg, sizeof msg, "model %s: deployment %s: %s", l->m->name, d->key, e.msg);
        profile_problem(l, d, SRV_WARNING, msg);
        continue;
      }
    } else if (s->has_redis) {
      snprintf(source, sizeof source, OPT_STORE_KEY_PREFIX "%s_%s", l->m->name, d->profile);
      if (!opt_store_get(l->store, l->m->name, d->profile, &json, &e)) {
        if (opt_store_broken(l->store)) {
          store_failed(l, &e);
          redis_ok = false;
          break;
        }
        snprintf(msg, sizeof msg, "model %s: deployment %s has no profile yet: %s", l->m->name,
                 d->key, e.msg);
        profile_problem(l, d, SRV_INFO, msg);
        continue;
      }
    } else {
      snprintf(msg, sizeof msg,
               "model %s: deployment %s has no profile: no Redis and no profile_file", l->m->name,
               d->key);
      profile_problem(l, d, SRV_INFO, msg);
      continue;
    }
    if (opt_profile_parse(json, source, &ps[i], &e)) {
      offer[i] = &ps[i];
      names[i] = d->key;
      sources[i] = xstrdup(source);
    } else {
      snprintf(msg, sizeof msg, "model %s: deployment %s: %s", l->m->name, d->key, e.msg);
      profile_problem(l, d, SRV_WARNING, msg);
    }
    free(json);
  }
  if (redis_ok) {
    bool *taken = xcalloc(n + 1, sizeof *taken);
    opt_err e = {""};
    if (!opt_model_offer_profiles(l->model, names, offer, n, force, taken, &e)) {
      for (size_t i = 0; i < n; i++) /* name the deployments whose profile was refused */
        if (offer[i] && !taken[i] && strstr(e.msg, ds[i].key))
          profile_problem(l, &ds[i], SRV_WARNING, e.msg);
    }
    for (size_t i = 0; i < n; i++) {
      if (!taken[i]) continue;
      free(ds[i].d->profile_error);
      ds[i].d->profile_error = NULL;
      srv_log(s, SRV_INFO, "podscale.serve", "model %s: deployment %s: profile from %s%s",
              l->m->name, ds[i].key, sources[i], force ? " (reloaded)" : "");
      archive_profile(l, &ps[i]);
    }
    free(taken);
  }
  for (size_t i = 0; i < n; i++) {
    if (offer[i]) opt_profile_free(&ps[i]);
    free(sources[i]);
  }
  free(ps);
  free(offer);
  free(names);
  free(sources);
  return redis_ok;
}

/* One record by key time: Redis or memory. found false when absent. */
static bool get_trace(loop *l, int64_t ts, char **json, bool *found, opt_err *e) {
  if (l->s->has_redis) return opt_store_trace_get(l->store, l->m->name, ts, json, found, e);
  *json = NULL;
  *found = false;
  pthread_mutex_lock(&l->s->lock);
  for (size_t i = 0; i < l->m->n_mem; i++)
    if (l->m->mem[i].ts_s == ts) {
      *json = xstrdup(l->m->mem[i].json);
      *found = true;
    }
  pthread_mutex_unlock(&l->s->lock);
  return true;
}

static void count_bad_trace(loop *l) {
  pthread_mutex_lock(&l->s->lock);
  l->m->bad_traces++;
  pthread_mutex_unlock(&l->s->lock);
}

/* Key times in (after, upto], ascending. */
static bool list_traces(loop *l, int64_t after, int64_t upto, int64_t **ts, size_t *n, opt_err *e) {
  *n = 0;
  if (l->s->has_redis) {
    char **bad;
    size_t n_bad, k;
    int64_t *all;
    if (!opt_store_trace_list(l->store, l->m->name, &all, &k, &bad, &n_bad, e)) return false;
    for (size_t i = 0; i < n_bad; i++) {
      srv_log(l->s, SRV_WARNING, "podscale.serve",
              "model %s: skipped key aibrix:%s_request_trace_%s: expected a Unix time after "
              "_request_trace_",
              l->m->name, l->m->name, bad[i]);
      count_bad_trace(l);
    }
    opt_store_names_free(bad, n_bad);
    for (size_t i = 0; i < k; i++)
      if (all[i] > after && all[i] <= upto) all[(*n)++] = all[i];
    *ts = all;
    return true;
  }
  pthread_mutex_lock(&l->s->lock);
  *ts = xmalloc((l->m->n_mem + 1) * sizeof **ts);
  for (size_t i = 0; i < l->m->n_mem; i++)
    if (l->m->mem[i].ts_s > after && l->m->mem[i].ts_s <= upto) (*ts)[(*n)++] = l->m->mem[i].ts_s;
  pthread_mutex_unlock(&l->s->lock);
  return true;
}

/* The records due at now: the key of the interval that ended at least 2 s ago (the gateway
 * writes a key at its time; the reader allows it 2 s), when it follows the last one read;
 * otherwise (the first round, or after a Redis outage or a slow round) every key since, in time
 * order, which for the first round is the history, as GatewayLoadReader.read_first.
 * False: Redis failed, or the service is stopping (nothing consumed). */
static bool read_traces(loop *l, int64_t now_us, opt_trace **out, size_t *n) {
  int64_t iv = l->s->o.interval_s;
  int64_t due = opt_trace_key_ts(now_us - OPT_TRACE_READ_DELAY_S * US, iv);
  *out = NULL;
  *n = 0;
  if (l->last_ts >= 0 && due <= l->last_ts) return true;
  int64_t *ts = NULL;
  size_t k = 0;
  opt_err e;
  if (l->last_ts >= 0 && due - l->last_ts == iv) {
    ts = xmalloc(sizeof *ts);
    ts[k++] = due;
  } else if (!list_traces(l, l->last_ts, due, &ts, &k, &e)) {
    store_failed(l, &e);
    return false;
  }
  *out = xcalloc(k + 1, sizeof **out);
  for (size_t i = 0; i < k; i++) {
    if (stopping(l->s)) { /* a long history (thousands of keys) is not read to the end */
      for (size_t j = 0; j < *n; j++)
        opt_trace_free(&(*out)[j]);
      free(*out);
      free(ts);
      *out = NULL;
      *n = 0;
      return false;
    }
    char *json;
    bool found;
    if (!get_trace(l, ts[i], &json, &found, &e)) {
      if (l->s->has_redis && l->store && opt_store_broken(l->store)) {
        for (size_t j = 0; j < *n; j++)
          opt_trace_free(&(*out)[j]);
        free(*out);
        free(ts);
        *out = NULL;
        *n = 0;
        store_failed(l, &e);
        return false;
      }
      found = false; /* a key of the wrong type */
      srv_log(l->s, SRV_WARNING, "podscale.serve", "model %s: skipped: %s", l->m->name, e.msg);
      count_bad_trace(l);
    }
    if (!found) continue;
    char source[600];
    snprintf(source, sizeof source, "aibrix:%s_request_trace_%lld", l->m->name, (long long)ts[i]);
    opt_trace *t = &(*out)[*n];
    if (opt_trace_parse(json, source, ts[i], iv, t, &e)) {
      (*n)++;
      if (t->version >= 2 && t->interval_s != iv && !l->m->interval_warned) {
        l->m->interval_warned = true; /* the loop's own flag */
        srv_log(l->s, SRV_WARNING, "podscale.serve",
                "model %s: %s says meta_interval_sec %lld, the service runs every %lld s "
                "(--interval); rates use the record's interval",
                l->m->name, source, (long long)t->interval_s, (long long)iv);
      }
    } else {
      srv_log(l->s, SRV_WARNING, "podscale.serve", "model %s: skipped a record: %s", l->m->name,
              e.msg);
      count_bad_trace(l);
    }
    free(json);
  }
  free(ts);
  l->last_ts = due;
  pthread_mutex_lock(&l->s->lock);
  l->m->read_upto = due;
  pthread_mutex_unlock(&l->s->lock);
  return true;
}

/* Bring the model's deployments in line with the shared table; snapshot what the round needs. */
static dep_snap *sync_deps(loop *l, size_t *n, bool *force) {
  srv *s = l->s;
  pthread_mutex_lock(&s->lock);
  srv_model *m = l->m;
  *n = m->n_deps;
  *force = m->force_profiles;
  m->force_profiles = false;
  dep_snap *ds = xcalloc(*n + 1, sizeof *ds);
  for (size_t i = 0; i < *n; i++) {
    srv_dep *d = m->deps[i];
    ds[i] = (dep_snap){.key = xstrdup(d->key),
                       .profile = xstrdup(d->profile),
                       .profile_file = xstrdup_or_null(d->profile_file),
                       .gpu_type = xstrdup_or_null(d->gpu_type),
                       .min_replicas = d->min_replicas,
                       .max_replicas = d->max_replicas,
                       .replicas = d->replicas,
                       .removed = d->removed || d->gone,
                       .version = d->version,
                       .d = d};
  }
  pthread_mutex_unlock(&s->lock);
  if (l->n_versions < *n) {
    l->versions = xrealloc(l->versions, (*n + 1) * sizeof *l->versions);
    for (size_t i = l->n_versions; i < *n; i++)
      l->versions[i] = 0;
    l->n_versions = *n;
  }
  for (size_t i = 0; i < *n; i++) {
    long at = opt_model_find(l->model, ds[i].key);
    bool changed = at >= 0 && l->versions[i] != ds[i].version;
    if ((ds[i].removed || changed) && at >= 0) opt_model_remove(l->model, ds[i].key);
    if (!ds[i].removed && (at < 0 || changed)) {
      opt_model_deployment md = {ds[i].key, ds[i].gpu_type, ds[i].min_replicas, ds[i].max_replicas,
                                 ds[i].replicas};
      opt_err e;
      if (!opt_model_add(l->model, &md, &e)) /* the settings were checked */
        srv_log(s, SRV_ERROR, "podscale.serve", "%s", e.msg);
      l->versions[i] = ds[i].version;
    }
  }
  return ds;
}

static void snaps_free(dep_snap *ds, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(ds[i].key);
    free(ds[i].profile);
    free(ds[i].profile_file);
    free(ds[i].gpu_type);
  }
  free(ds);
}

static void publish(loop *l, const opt_model_round *r) {
  srv *s = l->s;
  srv_model *m = l->m;
  pthread_mutex_lock(&s->lock);
  for (size_t i = 0; i < m->n_deps; i++) {
    long at = opt_model_find(l->model, m->deps[i]->key);
    if (at < 0) continue;
    m->deps[i]->value = opt_model_value(l->model, (size_t)at);
    m->deps[i]->has_profile = opt_model_profile(l->model, (size_t)at) != NULL;
  }
  m->rounds++;
  m->by_action[r->action]++;
  if (r->action == OPT_ROUND_OPTIMIZE || r->action == OPT_ROUND_MINIMIZE)
    m->last_decision_unix = srv_now_unix(); /* the wall clock: a replay's rounds are not on it */
  if (r->action == OPT_ROUND_OPTIMIZE) {
    double sec = r->solve_ms * 1e-3;
    for (int b = 0; b < SRV_SOLVE_BUCKETS; b++)
      if (sec <= srv_solve_bounds[b]) m->solve_bucket[b]++;
    m->solve_count++;
    m->solve_sum_s += sec;
    m->unproven += !r->optimal;
    m->last_gap = r->gap;
  }
  pthread_mutex_unlock(&s->lock);
}

static void write_decision(srv *s, const char *line) {
  if (!s->decisions) return;
  pthread_mutex_lock(&s->out_lock);
  bool ok = fprintf(s->decisions, "%s\n", line) >= 0 && fflush(s->decisions) == 0;
  pthread_mutex_unlock(&s->out_lock);
  if (!ok)
    srv_log(s, SRV_ERROR, "podscale.serve", "cannot append to the decision log %s: %s",
            s->o.decision_log, strerror(errno));
}

/* A round that could not read its inputs: counted, and an /update_profile kept for the next. */
static void round_skipped(loop *l, bool force) {
  pthread_mutex_lock(&l->s->lock);
  l->m->redis_skips++;
  if (force) l->m->force_profiles = true;
  pthread_mutex_unlock(&l->s->lock);
}

/* One round at now_us. */
static void round_at(loop *l, int64_t now_us) {
  srv *s = l->s;
  size_t n;
  bool force;
  dep_snap *ds = sync_deps(l, &n, &force);
  if (s->has_redis && !ensure_store(l)) {
    round_skipped(l, force);
    snaps_free(ds, n);
    return;
  }
  opt_trace *traces = NULL;
  size_t nt = 0;
  bool read = refresh_profiles(l, ds, n, force) && read_traces(l, now_us, &traces, &nt);
  snaps_free(ds, n);
  if (!read) {
    if (!stopping(s)) round_skipped(l, force);
    return;
  }
  if (s->has_redis) set_redis_up(l, true, NULL); /* every Redis call of the round answered */
  opt_model_round r;
  opt_err e;
  bool ok = opt_model_round_run(l->model, now_us, traces, nt, !s->o.replay, &r, &e);
  for (size_t i = 0; i < nt; i++)
    opt_trace_free(&traces[i]);
  free(traces);
  if (!ok) {
    srv_log(s, SRV_ERROR, "podscale.serve", "model %s: round skipped: %s", l->m->name, e.msg);
    return;
  }
  publish(l, &r);
  const char *name = l->m->name;
  switch (r.action) {
  case OPT_ROUND_OPTIMIZE:
    srv_log(s, SRV_INFO, "aibrix.gpu_optimizer.load_monitor", "%s", r.log);
    if (!r.optimal)
      srv_log(s, SRV_WARNING, "podscale.serve",
              "model %s: the solve stopped at its search budget; the best allocation found is "
              "used, at most %.3g above the least cost (relative)",
              name, r.gap);
    if (r.uncovered_rate > 0)
      srv_log(s, SRV_WARNING, "podscale.serve",
              "model %s: %.3f req/s no deployment can serve (no profile covers it, or limits)",
              name, r.uncovered_rate);
    write_decision(s, r.decision);
    break;
  case OPT_ROUND_MINIMIZE:
    srv_log(s, SRV_DEBUG, "podscale.serve", "model %s: no load in the window: minimum replicas",
            name);
    break;
  case OPT_ROUND_SKIP:
    srv_log(s, SRV_DEBUG, "aibrix.gpu_optimizer.load_monitor",
            "Skip optimization, insufficient data");
    break;
  case OPT_ROUND_NO_PROFILE:
    srv_log(s, SRV_WARNING, "podscale.serve", "model %s: load but no profile: nothing decided",
            name);
    break;
  case OPT_ROUND_FAILED:
    srv_log(s, SRV_ERROR, "podscale.serve", "model %s: solver failed, skip: %s", name, r.error);
    break;
  }
}

void *srv_loop_main(void *arg) {
  srv_model *m = arg;
  srv *s = m->srv;
  opt_err e;
  loop l = {.s = s, .m = m, .last_ts = -1};
  l.model = opt_model_new(m->name, NULL, NULL, &e);
  if (!l.model) {
    srv_log(s, SRV_ERROR, "podscale.serve", "model %s: %s", m->name, e.msg);
    return NULL;
  }
  pthread_mutex_lock(&s->lock);
  for (size_t i = 0; i < m->n_limits; i++)
    opt_model_set_limit(l.model, m->limits[i].gpu_type, m->limits[i].pods);
  opt_model_charge_unservable(l.model, m->charge_unservable);
  pthread_mutex_unlock(&s->lock);
  int64_t iv = s->o.interval_s;
  if (s->o.replay) {
    int64_t start = s->o.replay_start_s - s->o.replay_start_s % iv;
    for (int64_t t = start + OPT_TRACE_READ_DELAY_S;
         t <= s->o.replay_end_s + OPT_TRACE_READ_DELAY_S && !stopping(s); t += iv)
      round_at(&l, t * US);
    pthread_mutex_lock(&s->lock);
    m->replay_done = !s->stopping;
    pthread_mutex_unlock(&s->lock);
    srv_log(s, SRV_INFO, "podscale.serve", "model %s: replay %s", m->name,
            m->replay_done ? "done" : "stopped");
  } else {
    double t = srv_now_unix(); /* the first round at once, as the reader's read_first */
    while (!wait_until(s, t)) {
      round_at(&l, (int64_t)(srv_now_unix() * 1e6));
      /* the next key's time plus the reader's 2 s, after the round (a slow round catches up) */
      double now = srv_now_unix();
      int64_t key = opt_trace_key_ts((int64_t)((now - OPT_TRACE_READ_DELAY_S) * 1e6), iv);
      t = (double)(key + iv + OPT_TRACE_READ_DELAY_S);
      while (t <= now)
        t += (double)iv;
    }
  }
  opt_store_close(l.store);
  opt_model_free(l.model);
  free(l.archive_error);
  free(l.versions);
  return NULL;
}
