#include "optimizer/server/serve.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/net.h"
#include "optimizer/server/serve_int.h"

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
      srv_model *m = srv_add_model(s, c.models[i].name, e);
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
    srv_model *m = s->models[i];
    if (m->started) continue;
    ok = pthread_create(&m->thread, NULL, srv_loop_main, m) == 0;
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
    srv_model_free(s->models[i]);
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
