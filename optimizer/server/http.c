/* The HTTP side of `podscale serve`: libmicrohttpd's thread pool and the routes (serve.h). */
#include <cjson/cJSON.h>
#include <math.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/prom.h"
#include "base/xalloc.h"
#include "optimizer/server/serve_int.h"

#define BODY_LIMIT (64 * 1024)              /* PUT /scale, POST /monitor */
#define TRACE_BODY_LIMIT OPT_TRACE_TEXT_MAX /* POST /trace: as a record read from Redis */
#define DRAIN_WAIT_S 10                     /* in-flight requests at shutdown */
#define CONNECTION_MEMORY (128 * 1024)      /* per connection, mapped as used */

/* One request, from its request line to its completion. */
typedef struct req {
  const char *uri_end; /* the end of the raw URI as a C string (its first NUL) */
  bool started;        /* on_request has seen the headers */
  bool takes_body;     /* POST, PUT: a body is kept; other methods' bodies are dropped */
  char *body;
  size_t len, cap;
  bool too_big;
} req;

static enum MHD_Result reply(srv *s, struct MHD_Connection *c, unsigned status, const char *type,
                             const char *body, size_t len, const char *allow) {
  struct MHD_Response *r =
      MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
  if (!r) return MHD_NO;
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
  if (allow) MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
  enum MHD_Result ok = MHD_queue_response(c, status, r);
  MHD_destroy_response(r);
  atomic_fetch_add(&s->http_requests, 1);
  if (status >= 400) atomic_fetch_add(&s->http_errors, 1);
  return ok;
}

/* {"<key>": "<text>"} */
static enum MHD_Result reply_json(srv *s, struct MHD_Connection *c, unsigned status,
                                  const char *key, const char *text, const char *allow) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, key, text);
  char *body = xcheck(cJSON_PrintUnformatted(o), 0);
  cJSON_Delete(o);
  enum MHD_Result ok = reply(s, c, status, "application/json", body, strlen(body), allow);
  free(body);
  return ok;
}

#if defined(__GNUC__)
__attribute__((format(printf, 5, 6)))
#endif
static enum MHD_Result
fail(srv *s, struct MHD_Connection *c, unsigned status, const char *allow, const char *fmt, ...) {
  char msg[1200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return reply_json(s, c, status, "error", msg, allow);
}

/* The path split at '/': up to 4 segments; false for an empty segment or too many. */
typedef struct seg {
  const char *p;
  size_t n;
} seg;

static int split(const char *url, seg *out, int max) {
  if (*url != '/') return -1;
  int n = 0;
  const char *p = url + 1;
  if (!*p) return 0;
  for (;;) {
    const char *slash = strchr(p, '/');
    size_t len = slash ? (size_t)(slash - p) : strlen(p);
    if (n == max || len == 0) return -1;
    out[n++] = (seg){p, len};
    if (!slash) return n;
    p = slash + 1;
  }
}

static bool is(const seg *s, const char *word) {
  return s->n == strlen(word) && memcmp(s->p, word, s->n) == 0;
}

/* GET /metrics/{ns}/{deployment}: AIBrix's three lines. */
static enum MHD_Result deployment_metric(srv *s, struct MHD_Connection *c, const seg *ns,
                                         const seg *name) {
  strbuf b = {0};
  pthread_mutex_lock(&s->lock);
  srv_model *m;
  srv_dep *d = srv_find_dep(s, ns->p, ns->n, name->p, name->n, &m);
  if (d && !d->removed) {
    char v[PROM_NUM];
    prom_label l = {"model_name", m->name};
    prom_family(&b, "vllm:deployment_replicas", "gauge", "Number of suggested replicas.");
    prom_sample(&b, "vllm:deployment_replicas", &l, 1, prom_int(v, srv_dep_units(d)));
  }
  pthread_mutex_unlock(&s->lock);
  if (!b.s)
    return fail(s, c, MHD_HTTP_NOT_FOUND, NULL,
                "Failed to read metrics: deployment %.*s/%.*s is not monitored", (int)ns->n, ns->p,
                (int)name->n, name->p);
  enum MHD_Result r = reply(s, c, MHD_HTTP_OK, "text/plain; charset=utf-8", b.s, b.len, NULL);
  free(b.s);
  return r;
}

/* The body as JSON: an object, or NULL after replying 400. An empty body gives an empty
 * object when allowed. */
static cJSON *body_object(srv *s, struct MHD_Connection *c, const req *r, bool empty_ok,
                          enum MHD_Result *res) {
  if ((!r->body || r->len == 0) && empty_ok) return cJSON_CreateObject();
  cJSON *o = r->body ? cJSON_ParseWithLength(r->body, r->len) : NULL;
  if (!cJSON_IsObject(o)) {
    cJSON_Delete(o);
    *res = fail(s, c, MHD_HTTP_BAD_REQUEST, NULL, "expected a JSON object in the request body");
    return NULL;
  }
  return o;
}

/* PUT /scale/{ns}/{deployment} {"replicas": N}: N >= 0 overrides the value (N pods, reported
 * as N x 100), N <= -1 clears the overrides of every deployment of the model (AIBrix). */
static enum MHD_Result scale(srv *s, struct MHD_Connection *c, const req *r, const seg *ns,
                             const seg *name) {
  enum MHD_Result res = MHD_NO;
  cJSON *o = body_object(s, c, r, false, &res);
  if (!o) return res;
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "replicas");
  double x = cJSON_IsNumber(v) ? v->valuedouble : 0.5;
  cJSON_Delete(o);
  if (!isfinite(x) || x != floor(x) || x > 100000)
    return fail(s, c, MHD_HTTP_BAD_REQUEST, NULL,
                "expected {\"replicas\": N} with N a whole number of pods up to 100000, or -1 to "
                "clear the overrides");
  int64_t n = x <= -1 ? -1 : (int64_t)x;
  pthread_mutex_lock(&s->lock);
  srv_model *m;
  srv_dep *d = srv_find_dep(s, ns->p, ns->n, name->p, name->n, &m);
  bool known = d && !d->removed;
  if (known) {
    if (n >= 0)
      d->override = n;
    else
      for (size_t i = 0; i < m->n_deps; i++)
        m->deps[i]->override = -1;
  }
  pthread_mutex_unlock(&s->lock);
  if (!known)
    return fail(s, c, MHD_HTTP_NOT_FOUND, NULL, "deployment %.*s/%.*s is not monitored", (int)ns->n,
                ns->p, (int)name->n, name->p);
  srv_log(s, SRV_INFO, "podscale.serve", "%.*s/%.*s: %s", (int)ns->n, ns->p, (int)name->n, name->p,
          n >= 0 ? "override set" : "overrides of the model cleared");
  char msg[64];
  snprintf(msg, sizeof msg, "Scaled to %lld", (long long)n);
  return reply_json(s, c, MHD_HTTP_OK, "message", msg, NULL);
}

/* A string member that must be a name; true when absent. */
static bool name_field(const cJSON *o, const char *key, const char **out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!v) return true;
  if (!cJSON_IsString(v) || !srv_name_ok(v->valuestring, strlen(v->valuestring))) return false;
  *out = v->valuestring;
  return true;
}

static bool int_field(const cJSON *o, const char *key, int64_t *out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!v) return true;
  if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0 && v->valuedouble <= 100000) ||
      v->valuedouble != floor(v->valuedouble))
    return false;
  *out = (int64_t)v->valuedouble;
  return true;
}

/* POST /monitor/{ns}/{deployment}: monitor again a deployment of the configuration, or a new
 * one described by the body {"model", "profile", "gpu_type", "min_replicas", "max_replicas",
 * "replicas"} (AIBrix reads the Deployment's labels instead). */
static enum MHD_Result monitor_start(srv *s, struct MHD_Connection *c, const req *r, const seg *ns,
                                     const seg *name) {
  enum MHD_Result res = MHD_NO;
  cJSON *o = body_object(s, c, r, true, &res);
  if (!o) return res;
  static const char *const keys[] = {"model",        "profile",  "gpu_type", "min_replicas",
                                     "max_replicas", "replicas", NULL};
  for (const cJSON *k = o->child; k; k = k->next) {
    bool known = false;
    for (int i = 0; keys[i]; i++)
      known = known || strcmp(k->string, keys[i]) == 0;
    if (!known) {
      char shown[64]; /* the key, printable ASCII only */
      size_t j = 0;
      for (const char *q = k->string; *q && j < sizeof shown - 1; q++)
        shown[j++] = *q >= 0x20 && *q < 0x7f ? *q : '?';
      shown[j] = '\0';
      res = fail(s, c, MHD_HTTP_BAD_REQUEST, NULL, "unknown key '%s' in the body; expected %s",
                 shown, "model, profile, gpu_type, min_replicas, max_replicas, replicas");
      cJSON_Delete(o);
      return res;
    }
  }
  char nsb[SRV_NAME_MAX + 1], nameb[SRV_NAME_MAX + 1];
  memcpy(nsb, ns->p, ns->n);
  nsb[ns->n] = '\0';
  memcpy(nameb, name->p, name->n);
  nameb[name->n] = '\0';
  srv_dep_config dc = {.ns = nsb, .name = nameb};
  const char *model = NULL, *profile = NULL, *gpu = NULL;
  if (!name_field(o, "model", &model) || !name_field(o, "profile", &profile) ||
      !name_field(o, "gpu_type", &gpu) || !int_field(o, "min_replicas", &dc.min_replicas) ||
      !int_field(o, "max_replicas", &dc.max_replicas) || !int_field(o, "replicas", &dc.replicas) ||
      (dc.max_replicas && dc.min_replicas > dc.max_replicas)) {
    cJSON_Delete(o);
    return fail(s, c, MHD_HTTP_BAD_REQUEST, NULL,
                "expected names of letters, digits, '.', '_' or '-' and replica counts from 0 to "
                "100000 with min_replicas <= max_replicas");
  }
  dc.profile = (char *)profile;
  dc.gpu_type = (char *)gpu;
  const char *msg = NULL;
  unsigned status = MHD_HTTP_OK;
  opt_err e = {""};
  pthread_mutex_lock(&s->lock);
  srv_model *m = NULL;
  srv_dep *d = srv_find_dep(s, ns->p, ns->n, name->p, name->n, &m);
  if (d && !d->removed && model && strcmp(model, m->name) != 0) {
    status = MHD_HTTP_CONFLICT;
    snprintf(e.msg, sizeof e.msg, "deployment %s belongs to model %s: DELETE it first", d->key,
             m->name);
  } else if (d && d->removed && model && strcmp(model, m->name) != 0) {
    d->gone = true; /* moves to the model given */
    d = NULL;
  }
  if (status != MHD_HTTP_OK) {
    /* the conflict above */
  } else if (d) {
    bool was_removed = d->removed;
    if (was_removed) {
      if (!cJSON_GetObjectItemCaseSensitive(o, "min_replicas")) dc.min_replicas = d->min_replicas;
      if (!cJSON_GetObjectItemCaseSensitive(o, "max_replicas")) dc.max_replicas = d->max_replicas;
      if (!cJSON_GetObjectItemCaseSensitive(o, "replicas")) dc.replicas = d->replicas;
      if (dc.max_replicas && dc.min_replicas > dc.max_replicas) {
        status = MHD_HTTP_BAD_REQUEST;
        snprintf(e.msg, sizeof e.msg, "min_replicas %lld is above max_replicas %lld",
                 (long long)dc.min_replicas, (long long)dc.max_replicas);
      } else {
        srv_add_dep(m, &dc); /* revives it with these settings */
      }
    }
    if (status == MHD_HTTP_OK)
      msg = was_removed ? "Deployment optimization started"
                        : "Deployment optimization already started";
  } else if (!model) {
    status = MHD_HTTP_NOT_FOUND;
    snprintf(e.msg, sizeof e.msg,
             "deployment %s/%s is not in the configuration: give its model in the body, "
             "{\"model\": NAME}",
             nsb, nameb);
  } else {
    m = srv_find_model(s, model, strlen(model));
    if (!m) m = srv_add_model(s, model, &e);
    if (m && !srv_dep_room(m)) {
      status = MHD_HTTP_SERVICE_UNAVAILABLE;
      snprintf(e.msg, sizeof e.msg, "model %s monitors %d deployments, its most", m->name,
               SRV_MAX_DEPLOYMENTS);
    } else if (m) {
      srv_add_dep(m, &dc);
      msg = "Deployment optimization started";
    } else {
      status = MHD_HTTP_SERVICE_UNAVAILABLE; /* shutting down, or too many models */
    }
  }
  pthread_mutex_unlock(&s->lock);
  cJSON_Delete(o);
  if (!msg) return reply_json(s, c, status, "error", e.msg, NULL);
  srv_log(s, SRV_INFO, "podscale.serve", "%s/%s: %s", nsb, nameb, msg);
  return reply_json(s, c, MHD_HTTP_OK, "message", msg, NULL);
}

static enum MHD_Result monitor_stop(srv *s, struct MHD_Connection *c, const seg *ns,
                                    const seg *name) {
  pthread_mutex_lock(&s->lock);
  srv_dep *d = srv_find_dep(s, ns->p, ns->n, name->p, name->n, NULL);
  bool known = d && !d->removed;
  if (known) {
    d->removed = true;
    d->override = -1;
  }
  pthread_mutex_unlock(&s->lock);
  if (!known)
    return fail(s, c, MHD_HTTP_NOT_FOUND, NULL, "deployment %.*s/%.*s is not monitored", (int)ns->n,
                ns->p, (int)name->n, name->p);
  srv_log(s, SRV_INFO, "podscale.serve", "%.*s/%.*s: Deployment optimization stopped", (int)ns->n,
          ns->p, (int)name->n, name->p);
  return reply_json(s, c, MHD_HTTP_OK, "message", "Deployment optimization stopped", NULL);
}

/* GET /update_profile/{model}: the model's next round reads its profiles and takes them even
 * when not newer (AIBrix reloads at once; here no Redis or file is touched on an HTTP thread,
 * and a profile that cannot be used is logged and counted by the loop). */
static enum MHD_Result update_profile(srv *s, struct MHD_Connection *c, const seg *model) {
  pthread_mutex_lock(&s->lock);
  srv_model *m = srv_find_model(s, model->p, model->n);
  if (m) m->force_profiles = true;
  pthread_mutex_unlock(&s->lock);
  if (!m)
    return fail(s, c, MHD_HTTP_NOT_FOUND, NULL, "%.*s not monitored", (int)model->n, model->p);
  char msg[SRV_NAME_MAX + 64];
  snprintf(msg, sizeof msg, "workload profile of %s updated", m->name);
  return reply_json(s, c, MHD_HTTP_OK, "message", msg, NULL);
}

/* POST /trace/{model}[?ts=UNIX]: standalone mode's gateway: a record under the key the next
 * round reads (the gateway writes a key at the end of its interval and the loop reads it 2 s
 * later), or under ?ts= aligned down to the interval. With Redis the gateway writes there. */
static enum MHD_Result post_trace(srv *s, struct MHD_Connection *c, const req *r,
                                  const seg *model) {
  if (s->has_redis)
    return fail(s, c, MHD_HTTP_CONFLICT, NULL,
                "the service reads gateway traces from Redis: write them there "
                "(aibrix:<model>_request_trace_<ts>); POST /trace is for standalone mode");
  int64_t iv = s->o.interval_s;
  double now = srv_now_unix();
  int64_t ts = opt_trace_key_ts((int64_t)((now - OPT_TRACE_READ_DELAY_S) * 1e6), iv) + iv;
  bool given = false;
  const char *arg = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "ts");
  if (arg) {
    char *end;
    long long t = strtoll(arg, &end, 10);
    if (*arg < '0' || *arg > '9' || *end || t > 4102444800LL)
      return fail(s, c, MHD_HTTP_BAD_REQUEST, NULL,
                  "?ts=: expected a Unix time in seconds, found '%s'", arg);
    ts = t - t % iv;
    given = true;
    if (!s->o.replay && (double)ts > now + (double)iv)
      return fail(s, c, MHD_HTTP_BAD_REQUEST, NULL, "?ts=%s is in the future", arg);
  }
  if (!r->body || r->len == 0)
    return fail(s, c, MHD_HTTP_BAD_REQUEST, NULL, "expected a gateway trace record in the body");
  char *json = xmalloc(r->len + 1);
  memcpy(json, r->body, r->len);
  json[r->len] = '\0';
  char source[SRV_NAME_MAX + 64];
  opt_trace t;
  opt_err e;
  enum MHD_Result res = MHD_NO;
  if (strlen(json) != r->len) {
    res = fail(s, c, MHD_HTTP_BAD_REQUEST, NULL, "the body holds a NUL byte");
  } else {
    pthread_mutex_lock(&s->lock);
    srv_model *m = srv_find_model(s, model->p, model->n);
    if (m && !given && m->read_upto >= ts) ts = m->read_upto + iv;
    bool late = m && m->read_upto >= ts;
    pthread_mutex_unlock(&s->lock);
    snprintf(source, sizeof source, "POST /trace/%.*s", (int)model->n, model->p);
    if (!m) {
      res = fail(s, c, MHD_HTTP_NOT_FOUND, NULL, "%.*s not monitored", (int)model->n, model->p);
    } else if (late) {
      res = fail(s, c, MHD_HTTP_CONFLICT, NULL,
                 "key time %lld was already read by the loop; a record for it would never be",
                 (long long)ts);
    } else if (!opt_trace_parse(json, source, ts, iv, &t, &e)) {
      res = fail(s, c, MHD_HTTP_BAD_REQUEST, NULL, "%s", e.msg);
    } else {
      opt_trace_free(&t);
      pthread_mutex_lock(&s->lock);
      bool stored = srv_put_trace(s, m, ts, json);
      pthread_mutex_unlock(&s->lock);
      char msg[SRV_NAME_MAX + 96];
      snprintf(msg, sizeof msg, "stored aibrix:%s_request_trace_%lld", m->name, (long long)ts);
      res = stored ? reply_json(s, c, MHD_HTTP_OK, "message", msg, NULL)
                   : fail(s, c, MHD_HTTP_INSUFFICIENT_STORAGE, NULL,
                          "model %s holds its most records (%d MiB, %d records)", m->name,
                          SRV_MAX_MEM_BYTES / (1024 * 1024), SRV_MAX_MEM_RECORDS);
    }
  }
  free(json);
  return res;
}

static enum MHD_Result route(srv *s, struct MHD_Connection *c, const char *url, const char *method,
                             const req *r) {
  seg sg[4];
  int n = split(url, sg, 4);
  for (int i = 0; i < n; i++)
    if (!srv_name_ok(sg[i].p, sg[i].n)) n = -1; /* also rules out "." and ".." */
  bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
  const char *allow = NULL;
  if (n == 1 && (is(&sg[0], "healthz") || is(&sg[0], "readyz") || is(&sg[0], "metrics"))) {
    allow = "GET, HEAD";
    if (get && is(&sg[0], "healthz"))
      return reply(s, c, MHD_HTTP_OK, "text/plain; charset=utf-8", "ok\n", 3, NULL);
    if (get && is(&sg[0], "readyz")) {
      unsigned status;
      char *body = srv_readiness(s, &status);
      enum MHD_Result res = reply(s, c, status, "application/json", body, strlen(body), NULL);
      free(body);
      return res;
    }
    if (get) {
      char *body = srv_prometheus(s);
      enum MHD_Result res = reply(s, c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
                                  body, strlen(body), NULL);
      free(body);
      return res;
    }
  } else if (n == 3 && is(&sg[0], "metrics")) {
    allow = "GET, HEAD";
    if (get) return deployment_metric(s, c, &sg[1], &sg[2]);
  } else if (n == 3 && is(&sg[0], "monitor")) {
    allow = "POST, DELETE";
    if (strcmp(method, "POST") == 0) return monitor_start(s, c, r, &sg[1], &sg[2]);
    if (strcmp(method, "DELETE") == 0) return monitor_stop(s, c, &sg[1], &sg[2]);
  } else if (n == 3 && is(&sg[0], "scale")) {
    allow = "PUT";
    if (strcmp(method, "PUT") == 0) return scale(s, c, r, &sg[1], &sg[2]);
  } else if (n == 2 && is(&sg[0], "update_profile")) {
    allow = "GET";
    if (strcmp(method, "GET") == 0) return update_profile(s, c, &sg[1]);
  } else if (n == 2 && is(&sg[0], "trace")) {
    allow = "POST";
    if (strcmp(method, "POST") == 0) return post_trace(s, c, r, &sg[1]);
  } else {
    return fail(s, c, MHD_HTTP_NOT_FOUND, NULL, "no such endpoint (see docs/serve.md)");
  }
  return fail(s, c, MHD_HTTP_METHOD_NOT_ALLOWED, allow, "method %s not allowed; use %s", method,
              allow);
}

/* The request line, before MHD touches the URI: the URI is the text up to the first NUL, and
 * MHD ends it with the NUL it writes over the space before the version. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c) {
  (void)c;
  srv *s = cls;
  atomic_fetch_add(&s->in_flight, 1);
  req *r = xcalloc(1, sizeof(req));
  r->uri_end = uri + strlen(uri);
  return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls) {
  srv *s = cls;
  req *r = *con_cls;
  if (!r->started) { /* headers: the body, if any, comes in the next calls */
    r->started = true;
    r->takes_body = strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0;
    return MHD_YES;
  }
  if (*upload_size) {
    size_t limit = strncmp(url, "/trace/", 7) == 0 ? TRACE_BODY_LIMIT : BODY_LIMIT;
    if (r->takes_body && !r->too_big) {
      if (r->len + *upload_size > limit) {
        r->too_big = true;
      } else {
        if (r->len + *upload_size > r->cap) {
          r->cap = (r->len + *upload_size) * 2;
          r->body = xrealloc(r->body, r->cap);
        }
        memcpy(r->body + r->len, upload, *upload_size);
        r->len += *upload_size;
      }
    }
    *upload_size = 0; /* consumed (or dropped) */
    return MHD_YES;
  }
  /* A raw NUL in the request line ends the URI early: "GET /metrics/default/d\0x" must not
   * answer for "d". Without one, the version follows the URI's terminating NUL directly. */
  if (r->uri_end + 1 != version)
    return fail(s, c, MHD_HTTP_BAD_REQUEST, NULL, "a NUL byte in the request line");
  if (r->too_big)
    return fail(s, c, MHD_HTTP_CONTENT_TOO_LARGE, NULL, "request body over %d bytes",
                strncmp(url, "/trace/", 7) == 0 ? TRACE_BODY_LIMIT : BODY_LIMIT);
  return route(s, c, url, method, r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode code) {
  (void)c;
  (void)code;
  srv *s = cls;
  req *r = *con_cls;
  if (!r) return;
  free(r->body);
  free(r);
  *con_cls = NULL;
  atomic_fetch_sub(&s->in_flight, 1);
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap) {
  char msg[1024];
  vsnprintf(msg, sizeof msg, fmt, ap);
  size_t n = strlen(msg);
  while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
    msg[--n] = '\0';
  srv_log(cls, SRV_INFO, "podscale.http", "%s", msg);
}

/* Percent-decoding of the path that never makes a NUL or a '/': such an escape stays as it is,
 * and the '%' then fails the name check (so "/metrics/default/a%00b" is 404, not "a"). */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s) {
  (void)cls;
  (void)c;
  char *w = s;
  for (const char *r = s; *r; r++) {
    int hi, lo;
    if (r[0] == '%' && (hi = hexval(r[1])) >= 0 && (lo = hexval(r[2])) >= 0 && hi * 16 + lo != 0 &&
        hi * 16 + lo != '/') {
      *w++ = (char)(hi * 16 + lo);
      r += 2;
    } else {
      *w++ = *r;
    }
  }
  *w = '\0';
  return (size_t)(w - s);
}

bool srv_http_start(srv *s, opt_err *e) {
  unsigned flags =
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_USE_ITC;
  s->mhd = MHD_start_daemon(
      flags, 0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s,
      MHD_OPTION_LISTEN_SOCKET, s->listen_fd, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)s->o.threads,
      MHD_OPTION_CONNECTION_LIMIT, (unsigned)4096, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
      (unsigned)1024, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)15,
      /* a head's header records come from this memory; at the 32 KiB default a 4 KB request
       * line of many arguments exhausted it, and libmicrohttpd then sent no reply at all */
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY, MHD_OPTION_UNESCAPE_CALLBACK,
      unescape, NULL, MHD_OPTION_URI_LOG_CALLBACK, on_uri, s, MHD_OPTION_NOTIFY_COMPLETED,
      on_completed, s, MHD_OPTION_END);
  if (!s->mhd) return opt_fail(e, "cannot start the HTTP server on port %d", s->port);
  s->listen_fd = -1; /* the daemon's now */
  return true;
}

void srv_http_quiesce(srv *s) {
  if (!s->mhd) return;
  MHD_socket fd = MHD_quiesce_daemon(s->mhd);
  if (fd != MHD_INVALID_SOCKET) close(fd);
}

void srv_http_stop(srv *s) {
  if (!s->mhd) return;
  const struct timespec tick = {0, 10 * 1000 * 1000};
  for (int i = 0; i < DRAIN_WAIT_S * 100 && atomic_load(&s->in_flight) > 0; i++)
    nanosleep(&tick, NULL);
  MHD_stop_daemon(s->mhd);
  s->mhd = NULL;
}
