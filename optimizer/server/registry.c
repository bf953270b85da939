/* registry: the service's models and deployments (added, revived, removed, looked up) and the
 * gateway traces POSTed to it in standalone mode. Under the service's lock throughout. */
#include <stdlib.h>
#include <string.h>

#include "optimizer/server/serve_int.h"

/* --- models and deployments (under the lock) --- */

srv_model *srv_find_model(srv *s, const char *name, size_t len) {
  for (size_t i = 0; i < s->n_models; i++)
    if (strlen(s->models[i]->name) == len && memcmp(s->models[i]->name, name, len) == 0)
      return s->models[i];
  return NULL;
}

srv_dep *srv_find_dep(srv *s, const char *ns, size_t ns_len, const char *name, size_t name_len,
                      srv_model **model) {
  for (size_t i = 0; i < s->n_models; i++) {
    srv_model *m = s->models[i];
    for (size_t j = 0; j < m->n_deps; j++) {
      srv_dep *d = m->deps[j];
      if (!d->gone && strlen(d->ns) == ns_len && memcmp(d->ns, ns, ns_len) == 0 &&
          strlen(d->name) == name_len && memcmp(d->name, name, name_len) == 0) {
        if (model) *model = m;
        return d;
      }
    }
  }
  return NULL;
}

srv_model *srv_add_model(srv *s, const char *name, opt_err *e) {
  if (s->stopping) {
    opt_fail(e, "the service is shutting down");
    return NULL;
  }
  if (s->n_models == SRV_MAX_MODELS) {
    opt_fail(e, "the service runs %d models, its most", SRV_MAX_MODELS);
    return NULL;
  }
  srv_model *m = xcalloc(1, sizeof *m);
  m->srv = s;
  m->read_upto = -1;
  m->name = xstrdup(name);
  if (s->n_models == s->cap_models) {
    s->cap_models = s->cap_models ? 2 * s->cap_models : 4;
    s->models = xrealloc(s->models, s->cap_models * sizeof *s->models);
  }
  s->models[s->n_models++] = m;
  if (s->running) { /* start its loop now */
    if (pthread_create(&m->thread, NULL, srv_loop_main, m) != 0) {
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

bool srv_dep_room(const srv_model *m) {
  size_t live = 0;
  for (size_t j = 0; j < m->n_deps; j++)
    live += !m->deps[j]->gone;
  return live < SRV_MAX_DEPLOYMENTS && m->n_deps < 4 * SRV_MAX_DEPLOYMENTS;
}

srv_dep *srv_add_dep(srv_model *m, const srv_dep_config *c) {
  for (size_t j = 0; j < m->n_deps; j++) {
    srv_dep *d = m->deps[j];
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
  srv_dep *d = xcalloc(1, sizeof *d);
  d->ns = xstrdup(c->ns);
  d->name = xstrdup(c->name);
  size_t n = strlen(c->ns) + strlen(c->name) + 2;
  d->key = xmalloc(n);
  snprintf(d->key, n, "%s/%s", c->ns, c->name);
  d->profile = xstrdup(c->profile ? c->profile : c->name);
  d->profile_file = xstrdup_or_null(c->profile_file);
  d->gpu_type = xstrdup_or_null(c->gpu_type);
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

void srv_model_free(srv_model *m) {
  for (size_t j = 0; j < m->n_deps; j++) {
    srv_dep *d = m->deps[j];
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

bool srv_put_trace(srv *s, srv_model *m, int64_t ts_s, const char *json) {
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
