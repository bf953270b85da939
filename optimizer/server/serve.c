#include "optimizer/server/serve.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/net.h"
#include "base/prom.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "optimizer/decision.h"
#include "optimizer/server/serve_int.h"

#define US 1000000LL
#define BACKOFF_MAX_S 30.0

const double srv_solve_bounds[SRV_SOLVE_BUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                    0.1,    0.25,  0.5,    1,     2.5,  5,     10};

static char *dup_or_null(const char *s) { return s ? xstrdup(s) : NULL; }

srv_options srv_options_default(void) {
  return (srv_options){
      .bind = "0.0.0.0", .port = 8080, .threads = 2, .interval_s = 10, .log_level = SRV_INFO};
}

double srv_now_unix(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* --- logs --- */

static const char *const LEVELS[] = {"DEBUG", "INFO", "WARNING", "ERROR"};

void srv_log(srv *s, int level, const char *logger, const char *fmt, ...) {
  if (level < s->o.log_level) return;
  char msg[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  struct tm tm;
  gmtime_r(&t.tv_sec, &tm);
  char when[64];
  size_t n = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(when + n, sizeof when - n, ".%03ldZ", t.tv_nsec / 1000000);
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "time", when);
  cJSON_AddStringToObject(o, "level", LEVELS[level]);
  cJSON_AddStringToObject(o, "logger", logger);
  cJSON_AddStringToObject(o, "message", msg);
  char *line = xcheck(cJSON_PrintUnformatted(o), 0);
  cJSON_Delete(o);
  FILE *out = s->o.log_stream ? s->o.log_stream : stderr;
  pthread_mutex_lock(&s->out_lock);
  fprintf(out, "%s\n", line);
  fflush(out);
  pthread_mutex_unlock(&s->out_lock);
  free(line);
}

/* --- models and deployments (under the lock) --- */

smodel *srv_find_model(srv *s, const char *name, size_t len) {
  for (size_t i = 0; i < s->n_models; i++)
    if (strlen(s->models[i]->name) == len && memcmp(s->models[i]->name, name, len) == 0)
      return s->models[i];
  return NULL;
}

sdep *srv_find_dep(srv *s, const char *ns, size_t ns_len, const char *name, size_t name_len,
                   smodel **model) {
  for (size_t i = 0; i < s->n_models; i++) {
    smodel *m = s->models[i];
    for (size_t j = 0; j < m->n_deps; j++) {
      sdep *d = m->deps[j];
      if (!d->gone && strlen(d->ns) == ns_len && memcmp(d->ns, ns, ns_len) == 0 &&
          strlen(d->name) == name_len && memcmp(d->name, name, name_len) == 0) {
        if (model) *model = m;
        return d;
      }
    }
  }
  return NULL;
}

static void *loop_main(void *arg);

smodel *srv_add_model(srv *s, const char *name, opt_err *e) {
  if (s->stopping) {
    opt_fail(e, "the service is shutting down");
    return NULL;
  }
  if (s->n_models == SRV_MAX_MODELS) {
    opt_fail(e, "the service runs %d models, its most", SRV_MAX_MODELS);
    return NULL;
  }
  smodel *m = xcalloc(1, sizeof *m);
  m->srv = s;
  m->read_upto = -1;
  m->name = xstrdup(name);
  if (s->n_models == s->cap_models) {
    s->cap_models = s->cap_models ? 2 * s->cap_models : 4;
    s->models = xrealloc(s->models, s->cap_models * sizeof *s->models);
  }
  s->models[s->n_models++] = m;
  if (s->running) { /* start its loop now */
    if (pthread_create(&m->thread, NULL, loop_main, m) != 0) {
      opt_fail(e, "cannot start the loop of model %s", name);
      s->n_models--;
      free(m->name);
      free(m);
      return NULL;
    }
    m->started = true;
  }
  return m;
}

bool srv_dep_room(const smodel *m) {
  size_t live = 0;
  for (size_t j = 0; j < m->n_deps; j++)
    live += !m->deps[j]->gone;
  return live < SRV_MAX_DEPLOYMENTS && m->n_deps < 4 * SRV_MAX_DEPLOYMENTS;
}

sdep *srv_add_dep(smodel *m, const srv_dep_config *c) {
  for (size_t j = 0; j < m->n_deps; j++) {
    sdep *d = m->deps[j];
    if (!d->gone && strcmp(d->ns, c->ns) == 0 && strcmp(d->name, c->name) == 0) {
      if (d->removed) { /* monitored again, with the settings given */
        d->removed = false;
        d->min_replicas = c->min_replicas;
        d->max_replicas = c->max_replicas;
        d->replicas = c->replicas;
        if (c->profile) {
          free(d->profile);
          d->profile = xstrdup(c->profile);
        }
        if (c->gpu_type) {
          free(d->gpu_type);
          d->gpu_type = xstrdup(c->gpu_type);
        }
        d->version++;
      }
      return d;
    }
  }
  sdep *d = xcalloc(1, sizeof *d);
  d->ns = xstrdup(c->ns);
  d->name = xstrdup(c->name);
  size_t n = strlen(c->ns) + strlen(c->name) + 2;
  d->key = xmalloc(n);
  snprintf(d->key, n, "%s/%s", c->ns, c->name);
  d->profile = xstrdup(c->profile ? c->profile : c->name);
  d->profile_file = dup_or_null(c->profile_file);
  d->gpu_type = dup_or_null(c->gpu_type);
  d->min_replicas = c->min_replicas;
  d->max_replicas = c->max_replicas;
  d->replicas = c->replicas;
  d->value = c->replicas * (int64_t)OPT_ILP_GPU_FRACTION;
  d->override = -1;
  if (m->n_deps == m->cap_deps) {
    m->cap_deps = m->cap_deps ? 2 * m->cap_deps : 4;
    m->deps = xrealloc(m->deps, m->cap_deps * sizeof *m->deps);
  }
  m->deps[m->n_deps++] = d;
  return d;
}

static void model_free(smodel *m) {
  for (size_t j = 0; j < m->n_deps; j++) {
    sdep *d = m->deps[j];
    free(d->ns);
    free(d->name);
    free(d->key);
    free(d->profile);
    free(d->profile_file);
    free(d->gpu_type);
    free(d->profile_error);
    free(d);
  }
  free(m->deps);
  for (size_t j = 0; j < m->n_limits; j++)
    free(m->limits[j].gpu_type);
  free(m->limits);
  for (size_t j = 0; j < m->n_mem; j++)
    free(m->mem[j].json);
  free(m->mem);
  free(m->name);
  free(m);
}

/* --- traces --- */

bool srv_put_trace(srv *s, smodel *m, int64_t ts_s, const char *json) {
  /* the gateway's keys expire after 10 min (in a replay, kept: their times are the trace's) */
  if (!s->o.replay) {
    int64_t oldest = (int64_t)srv_now_unix() - OPT_TRACE_EXPIRY_S;
    size_t drop = 0;
    for (; drop < m->n_mem && m->mem[drop].ts_s < oldest; drop++) {
      m->mem_bytes -= strlen(m->mem[drop].json);
      free(m->mem[drop].json);
    }
    if (drop) memmove(m->mem, m->mem + drop, (m->n_mem - drop) * sizeof *m->mem);
    m->n_mem -= drop;
  }
  size_t i = m->n_mem;
  while (i > 0 && m->mem[i - 1].ts_s > ts_s)
    i--;
  bool replaces = i > 0 && m->mem[i - 1].ts_s == ts_s;
  size_t len = strlen(json), old = replaces ? strlen(m->mem[i - 1].json) : 0;
  if (m->mem_bytes - old + len > SRV_MAX_MEM_BYTES ||
      (!replaces && m->n_mem == SRV_MAX_MEM_RECORDS))
    return false;
  m->mem_bytes = m->mem_bytes - old + len;
  if (replaces) { /* the gateway's SET replaces */
    free(m->mem[i - 1].json);
    m->mem[i - 1].json = xstrdup(json);
    return true;
  }
  if (m->n_mem == m->cap_mem) {
    m->cap_mem = m->cap_mem ? 2 * m->cap_mem : 16;
    m->mem = xrealloc(m->mem, m->cap_mem * sizeof *m->mem);
  }
  memmove(&m->mem[i + 1], &m->mem[i], (m->n_mem - i) * sizeof *m->mem);
  m->mem[i] = (strace){ts_s, xstrdup(json)};
  m->n_mem++;
  return true;
}

/* --- the loop of one model --- */

typedef struct loop {
  srv *s;
  smodel *m;
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
  sdep *d;
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
  smodel *m = l->m;
  *n = m->n_deps;
  *force = m->force_profiles;
  m->force_profiles = false;
  dep_snap *ds = xcalloc(*n + 1, sizeof *ds);
  for (size_t i = 0; i < *n; i++) {
    sdep *d = m->deps[i];
    ds[i] = (dep_snap){.key = xstrdup(d->key),
                       .profile = xstrdup(d->profile),
                       .profile_file = dup_or_null(d->profile_file),
                       .gpu_type = dup_or_null(d->gpu_type),
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

static void publish(loop *l, const opt_model_round *r, double now_unix) {
  srv *s = l->s;
  smodel *m = l->m;
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
    m->last_decision_unix = now_unix;
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
  publish(l, &r, (double)now_us * 1e-6);
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

static void *loop_main(void *arg) {
  smodel *m = arg;
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
    smodel *m = s->models[i];
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

int64_t srv_dep_units(const sdep *d) {
  return d->override >= 0 ? d->override * (int64_t)OPT_ILP_GPU_FRACTION : d->value;
}

/* A family with one sample per model, of the uint64_t at `field` (offsetof) in each smodel. */
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
      sdep *d = s->models[i]->deps[j];
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
                offsetof(smodel, by_action[OPT_ROUND_OPTIMIZE]));
  model_counter(&b, s, "podscale_optimizer_decisions_unproven_total",
                "Decisions a search budget stopped before the optimum was proven.",
                offsetof(smodel, unproven));
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
    smodel *m = s->models[i];
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
                offsetof(smodel, redis_skips));
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

/* --- life cycle --- */

static bool listen_on(srv *s, opt_err *e) {
  s->listen_fd = ps_listen_tcp(s->o.bind, s->o.port, &s->port, e);
  return s->listen_fd >= 0;
}

srv *srv_new(const srv_options *o, opt_err *e) {
  if (o->threads < 1 || o->threads > 64) {
    opt_fail(e, "--threads: expected 1 to 64, found %d", o->threads);
    return NULL;
  }
  if (o->interval_s < 1 || o->interval_s > 3600) {
    opt_fail(e, "--interval: expected 1 to 3600 seconds, found %lld", (long long)o->interval_s);
    return NULL;
  }
  struct in_addr addr;
  if (!o->bind || inet_pton(AF_INET, o->bind, &addr) != 1) {
    opt_fail(e, "--bind: expected an IPv4 address, found '%s'", o->bind ? o->bind : "");
    return NULL;
  }
  if (o->replay && o->replay_end_s < o->replay_start_s) {
    opt_fail(e, "--replay: the end is before the start");
    return NULL;
  }
  if (o->replay && o->interval_s > 0 &&
      (o->replay_end_s - o->replay_start_s) / o->interval_s > SRV_MAX_REPLAY_ROUNDS) {
    opt_fail(e, "--replay: expected at most %d rounds (END - START over --interval), found %lld",
             SRV_MAX_REPLAY_ROUNDS,
             (long long)((o->replay_end_s - o->replay_start_s) / o->interval_s));
    return NULL;
  }
  srv *s = xcalloc(1, sizeof *s);
  s->o = *o;
  s->listen_fd = -1;
  s->started_unix = srv_now_unix();
  pthread_mutex_init(&s->lock, NULL);
  pthread_mutex_init(&s->out_lock, NULL);
  ps_cond_init_mono(&s->wake); /* clock steps do not stall the loops */
  if (o->redis_url) {
    if (!opt_redis_url_parse_any(o->redis_url, &s->redis, e)) goto fail;
    s->has_redis = true;
    s->redis_up = true; /* until a loop says otherwise */
  }
  if (o->config_path) {
    srv_config c;
    if (!srv_config_read(o->config_path, &c, e)) goto fail;
    for (size_t i = 0; i < c.n_models; i++) {
      smodel *m = srv_add_model(s, c.models[i].name, e);
      for (size_t j = 0; j < c.models[i].n_deps; j++)
        srv_add_dep(m, &c.models[i].deps[j]);
      m->limits = c.models[i].limits; /* taken over */
      m->n_limits = c.models[i].n_limits;
      m->charge_unservable = c.models[i].charge_unservable;
      c.models[i].limits = NULL;
      c.models[i].n_limits = 0;
    }
    srv_config_free(&c);
  }
  if (o->decision_log) {
    s->decisions = fopen(o->decision_log, "a");
    if (!s->decisions) {
      opt_fail(e, "%s: cannot open for appending: %s", o->decision_log, strerror(errno));
      goto fail;
    }
    const char *slash = strrchr(o->decision_log, '/');
    size_t dir = slash ? (size_t)(slash - o->decision_log) + 1 : 0;
    s->profile_dir = xmalloc(dir + sizeof "profiles");
    memcpy(s->profile_dir, o->decision_log, dir);
    memcpy(s->profile_dir + dir, "profiles", sizeof "profiles");
    if (mkdir(s->profile_dir, 0777) != 0 && errno != EEXIST) {
      opt_fail(e, "%s: cannot create: %s", s->profile_dir, strerror(errno));
      goto fail;
    }
  }
  return s;
fail:
  srv_free(s);
  return NULL;
}

bool srv_start(srv *s, opt_err *e) {
  if (!listen_on(s, e) || !srv_http_start(s, e)) return false;
  pthread_mutex_lock(&s->lock);
  s->running = true;
  size_t n = s->n_models;
  bool ok = true;
  for (size_t i = 0; i < n && ok; i++) {
    smodel *m = s->models[i];
    if (m->started) continue;
    ok = pthread_create(&m->thread, NULL, loop_main, m) == 0;
    if (ok)
      m->started = true;
    else
      opt_fail(e, "cannot start the loop of model %s", m->name);
  }
  pthread_mutex_unlock(&s->lock);
  if (ok)
    srv_log(s, SRV_INFO, "podscale.serve", "listening on %s:%d (%d HTTP threads), %s, %zu models%s",
            s->o.bind, s->port, s->o.threads, s->has_redis ? "Redis" : "standalone", n,
            s->o.replay ? ", replaying" : "");
  return ok;
}

int srv_port(const srv *s) { return s->port; }

bool srv_replay_done(srv *s) {
  pthread_mutex_lock(&s->lock);
  bool done = true;
  for (size_t i = 0; s->o.replay && i < s->n_models; i++)
    done = done && s->models[i]->replay_done;
  pthread_mutex_unlock(&s->lock);
  return done;
}

void srv_stop(srv *s) {
  srv_http_quiesce(s); /* no new connections */
  /* Stop: no model is added after this; take the loops to join under the lock (HTTP threads
   * may still be answering requests of open connections). */
  pthread_mutex_lock(&s->lock);
  s->stopping = true;
  s->running = false;
  pthread_cond_broadcast(&s->wake);
  size_t n = 0;
  pthread_t *threads = xcalloc(s->n_models + 1, sizeof *threads);
  for (size_t i = 0; i < s->n_models; i++)
    if (s->models[i]->started) {
      threads[n++] = s->models[i]->thread;
      s->models[i]->started = false;
    }
  pthread_mutex_unlock(&s->lock);
  for (size_t i = 0; i < n; i++)
    pthread_join(threads[i], NULL);
  free(threads);
  srv_http_stop(s); /* after the requests in flight */
  pthread_mutex_lock(&s->out_lock);
  if (s->decisions) {
    fclose(s->decisions);
    s->decisions = NULL;
  }
  pthread_mutex_unlock(&s->out_lock);
  srv_log(s, SRV_INFO, "podscale.serve", "stopped");
}

void srv_free(srv *s) {
  if (!s) return;
  if (s->mhd) srv_stop(s);
  for (size_t i = 0; i < s->n_models; i++)
    model_free(s->models[i]);
  free(s->models);
  if (s->decisions) fclose(s->decisions);
  if (s->listen_fd >= 0) close(s->listen_fd);
  free(s->profile_dir);
  pthread_mutex_destroy(&s->lock);
  pthread_mutex_destroy(&s->out_lock);
  pthread_cond_destroy(&s->wake);
  free(s);
}

void srv_reload_profiles(srv *s) {
  pthread_mutex_lock(&s->lock);
  for (size_t i = 0; i < s->n_models; i++)
    s->models[i]->force_profiles = true;
  pthread_mutex_unlock(&s->lock);
}

int srv_main(const srv_options *o) {
  sigset_t set;
  ps_daemon_prepare(&set);
  opt_err e;
  srv *s = srv_new(o, &e);
  if (!s) {
    fprintf(stderr, "podscale: serve: %s\n", e.msg);
    return 2;
  }
  if (!srv_start(s, &e)) {
    fprintf(stderr, "podscale: serve: %s\n", e.msg);
    srv_free(s);
    return 1;
  }
  int sig = 0;
  while (sigwait(&set, &sig) == 0 && sig == SIGHUP) {
    srv_log(s, SRV_INFO, "podscale.serve", "SIGHUP: every model reads its profiles again");
    srv_reload_profiles(s);
  }
  srv_log(s, SRV_INFO, "podscale.serve", "%s: shutting down",
          sig == SIGTERM ? "SIGTERM" : "SIGINT");
  srv_stop(s);
  srv_free(s);
  return 0;
}
