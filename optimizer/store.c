#include "optimizer/store.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "base/xalloc.h"
#include "optimizer/profile.h" /* OPT_TEXT_MAX */

struct opt_store {
  redisContext *c;
  char where[OPT_STORE_NAME_MAX + 32]; /* host:port/db, for messages */
};

bool opt_store_is_redis(const char *dest) { return strncmp(dest, "redis://", 8) == 0; }

/* Copy s[0..n) into a field of OPT_STORE_NAME_MAX bytes. */
static bool take(char *field, const char *s, size_t n) {
  if (n >= OPT_STORE_NAME_MAX) return false;
  memcpy(field, s, n);
  field[n] = '\0';
  return true;
}

static bool parse_number(const char *s, size_t n, int max, int *out) {
  if (n == 0 || n > 9) return false;
  int v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  if (v > max) return false;
  *out = v;
  return true;
}

bool opt_redis_url_parse(const char *url, opt_redis_url *out, opt_err *e) {
  if (!opt_redis_url_parse_any(url, out, e)) return false;
  if (!out->model[0])
    return opt_fail(e, "%s: the model is missing: add ?model=NAME (the profile key needs it)", url);
  return true;
}

bool opt_redis_url_parse_any(const char *url, opt_redis_url *out, opt_err *e) {
  memset(out, 0, sizeof *out);
  out->port = 6379;
  if (!opt_store_is_redis(url))
    return opt_fail(e, "%s: expected redis://[user:pass@]host[:port][/db][?model=M]", url);
  const char *p = url + 8;
  const char *query = strchr(p, '?');
  const char *end = query ? query : p + strlen(p);
  const char *at = memchr(p, '@', (size_t)(end - p));
  if (at) { /* user:pass@ (user may be empty) */
    const char *colon = memchr(p, ':', (size_t)(at - p));
    const char *user_end = colon ? colon : at;
    if (!take(out->user, p, (size_t)(user_end - p)) ||
        (colon && !take(out->pass, colon + 1, (size_t)(at - colon - 1))))
      return opt_fail(e, "%s: user or password too long", url);
    p = at + 1;
  }
  const char *slash = memchr(p, '/', (size_t)(end - p));
  const char *host_end = slash ? slash : end;
  const char *colon = memchr(p, ':', (size_t)(host_end - p));
  if (!take(out->host, p, (size_t)((colon ? colon : host_end) - p)) || !out->host[0])
    return opt_fail(e, "%s: expected a host name after redis://", url);
  if (colon && !parse_number(colon + 1, (size_t)(host_end - colon - 1), 65535, &out->port))
    return opt_fail(e, "%s: expected a port from 0 to 65535 after the host", url);
  if (slash && slash + 1 < end &&
      !parse_number(slash + 1, (size_t)(end - slash - 1), 1 << 20, &out->db))
    return opt_fail(e, "%s: expected a database number after the '/'", url);
  for (const char *q = query ? query + 1 : NULL; q && *q;) {
    const char *amp = strchr(q, '&');
    size_t len = amp ? (size_t)(amp - q) : strlen(q);
    if (len > 6 && strncmp(q, "model=", 6) == 0 && !take(out->model, q + 6, len - 6))
      return opt_fail(e, "%s: model name too long", url);
    q = amp ? amp + 1 : NULL;
  }
  return true;
}

bool opt_store_key(const char *model, const char *deployment, char *buf, size_t n) {
  int len = snprintf(buf, n, OPT_STORE_KEY_PREFIX "%s_%s", model, deployment);
  return len >= 0 && (size_t)len < n;
}

opt_store *opt_store_open(const opt_redis_url *url, opt_err *e) {
  struct timeval tv = {5, 0};
  redisContext *c = redisConnectWithTimeout(url->host, url->port, tv);
  char where[OPT_STORE_NAME_MAX + 32];
  snprintf(where, sizeof where, "redis://%s:%d/%d", url->host, url->port, url->db);
  if (!c || c->err) {
    opt_fail(e, "%s: cannot connect: %s", where, c ? c->errstr : "out of memory");
    if (c) redisFree(c);
    return NULL;
  }
  redisSetTimeout(c, tv); /* a Redis that stops answering fails a command, never hangs it */
  redisReply *r = NULL;
  if (url->pass[0]) {
    r = url->user[0] ? redisCommand(c, "AUTH %s %s", url->user, url->pass)
                     : redisCommand(c, "AUTH %s", url->pass);
    if (!r || r->type == REDIS_REPLY_ERROR) {
      opt_fail(e, "%s: authentication failed: %s", where, r ? r->str : c->errstr);
      goto fail;
    }
    freeReplyObject(r);
  }
  r = redisCommand(c, "SELECT %d", url->db);
  if (!r || r->type == REDIS_REPLY_ERROR) {
    opt_fail(e, "%s: cannot select database %d: %s", where, url->db, r ? r->str : c->errstr);
    goto fail;
  }
  freeReplyObject(r);
  opt_store *s = xcalloc(1, sizeof *s);
  s->c = c;
  memcpy(s->where, where, sizeof where);
  return s;
fail:
  if (r) freeReplyObject(r);
  redisFree(c);
  return NULL;
}

bool opt_store_broken(const opt_store *s) { return s->c->err != 0; }

const char *opt_store_where(const opt_store *s) { return s->where; }

void opt_store_close(opt_store *s) {
  if (!s) return;
  redisFree(s->c);
  free(s);
}

/* A reply or a message naming the store and key. */
static redisReply *checked(opt_store *s, redisReply *r, const char *key, opt_err *e) {
  if (r && r->type != REDIS_REPLY_ERROR) return r;
  opt_fail(e, "%s: %s: %s", s->where, key, r ? r->str : s->c->errstr);
  if (r) freeReplyObject(r);
  return NULL;
}

bool opt_store_put(opt_store *s, const char *model, const char *deployment, const char *json,
                   opt_err *e) {
  char key[2 * OPT_STORE_NAME_MAX + 32];
  if (!opt_store_key(model, deployment, key, sizeof key))
    return opt_fail(e, "profile key for model %s, deployment %s is too long", model, deployment);
  redisReply *r = checked(s, redisCommand(s->c, "SET %s %s", key, json), key, e);
  if (!r) return false;
  freeReplyObject(r);
  return true;
}

/* GET key, refusing a value over `cap` bytes: GETRANGE reads at most cap + 1 bytes, so a huge
 * value never reaches memory. *found false when the key does not exist. */
static bool get_capped(opt_store *s, const char *key, size_t cap, char **out, bool *found,
                       opt_err *e) {
  *out = NULL;
  *found = false;
  redisReply *r = checked(s, redisCommand(s->c, "GETRANGE %s 0 %lld", key, (long long)cap), key, e);
  if (!r) return false;
  if (r->type != REDIS_REPLY_STRING) {
    freeReplyObject(r);
    return opt_fail(e, "%s: %s: unexpected reply to GETRANGE", s->where, key);
  }
  if (r->len > cap) {
    freeReplyObject(r);
    return opt_fail(e, "%s: %s: expected at most %zu bytes, found more", s->where, key, cap);
  }
  size_t len = r->len;
  *out = xmalloc(len + 1);
  memcpy(*out, r->str, len);
  (*out)[len] = '\0';
  freeReplyObject(r);
  if (len > 0) {
    *found = true;
    return true;
  }
  r = checked(s, redisCommand(s->c, "EXISTS %s", key), key, e); /* "" or no key at all */
  if (!r) {
    free(*out);
    *out = NULL;
    return false;
  }
  *found = r->type == REDIS_REPLY_INTEGER && r->integer > 0;
  freeReplyObject(r);
  if (!*found) {
    free(*out);
    *out = NULL;
  }
  return true;
}

bool opt_store_get(opt_store *s, const char *model, const char *deployment, char **json,
                   opt_err *e) {
  char key[2 * OPT_STORE_NAME_MAX + 32];
  if (!opt_store_key(model, deployment, key, sizeof key))
    return opt_fail(e, "profile key for model %s, deployment %s is too long", model, deployment);
  bool found;
  if (!get_capped(s, key, OPT_TEXT_MAX, json, &found, e)) return false;
  if (!found) return opt_fail(e, "%s: %s: no profile (no such key)", s->where, key);
  return true;
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The suffixes of the keys `prefix_of_model(model)` + anything, the model's glob characters
 * escaped; sorted, duplicates (SCAN may repeat a key) removed. */
static bool scan_suffixes(opt_store *s, const char *head, const char *model, const char *tail,
                          char ***names, size_t *n, opt_err *e) {
  char pattern[2 * OPT_STORE_NAME_MAX + 64];
  size_t len = 0;
  *names = NULL;
  *n = 0;
  if (strlen(head) + strlen(model) * 2 + strlen(tail) + 2 >= sizeof pattern)
    return opt_fail(e, "model name too long: %s", model);
  len = (size_t)sprintf(pattern, "%s", head);
  for (const char *m = model; *m; m++) { /* glob characters match only themselves */
    if (strchr("*?[]\\", *m)) pattern[len++] = '\\';
    pattern[len++] = *m;
  }
  len += (size_t)sprintf(pattern + len, "%s*", tail);
  size_t prefix = strlen(head) + strlen(model) + strlen(tail);
  size_t cap = 0;
  char cursor[32] = "0";
  do {
    redisReply *r =
        checked(s, redisCommand(s->c, "SCAN %s MATCH %s COUNT 1000", cursor, pattern), pattern, e);
    if (!r) goto fail;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
      freeReplyObject(r);
      opt_fail(e, "%s: unexpected reply to SCAN", s->where);
      goto fail;
    }
    snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
    const redisReply *keys = r->element[1];
    for (size_t i = 0; i < keys->elements; i++) {
      if (*n == cap) {
        cap = cap ? 2 * cap : 8;
        *names = xrealloc(*names, cap * sizeof **names);
      }
      (*names)[(*n)++] = xstrdup(keys->element[i]->str + prefix);
    }
    freeReplyObject(r);
  } while (strcmp(cursor, "0") != 0);
  if (*n) qsort(*names, *n, sizeof **names, by_name);
  size_t kept = 0;
  for (size_t i = 0; i < *n; i++) {
    if (kept && strcmp((*names)[kept - 1], (*names)[i]) == 0)
      free((*names)[i]);
    else
      (*names)[kept++] = (*names)[i];
  }
  *n = kept;
  return true;
fail:
  opt_store_names_free(*names, *n);
  *names = NULL;
  *n = 0;
  return false;
}

void opt_store_names_free(char **names, size_t n) {
  for (size_t i = 0; i < n; i++)
    free(names[i]);
  free(names);
}

bool opt_store_list(opt_store *s, const char *model, char ***names, size_t *n, opt_err *e) {
  return scan_suffixes(s, OPT_STORE_KEY_PREFIX, model, "_", names, n, e);
}

/* --- gateway traces --- */

static bool trace_key(const char *model, int64_t ts_s, char *key, size_t n, opt_err *e) {
  int len = snprintf(key, n, "aibrix:%s_request_trace_%lld", model, (long long)ts_s);
  if (len < 0 || (size_t)len >= n) return opt_fail(e, "trace key for model %s is too long", model);
  return true;
}

static int by_ts(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

bool opt_store_trace_list(opt_store *s, const char *model, int64_t **ts, size_t *n, char ***bad,
                          size_t *n_bad, opt_err *e) {
  char **names;
  size_t k;
  *ts = NULL;
  *n = 0;
  *bad = NULL;
  *n_bad = 0;
  if (!scan_suffixes(s, "aibrix:", model, "_request_trace_", &names, &k, e)) return false;
  *ts = xmalloc((k + 1) * sizeof **ts);
  *bad = xmalloc((k + 1) * sizeof **bad);
  for (size_t i = 0; i < k; i++) {
    char *end;
    const char *v = names[i];
    /* digits only, no leading zero: the gateway writes strconv.FormatInt of the time */
    bool digits =
        *v >= '1' && *v <= '9' ? strspn(v, "0123456789") == strlen(v) : strcmp(v, "0") == 0;
    long long t = digits && strlen(v) <= 18 ? strtoll(v, &end, 10) : -1;
    if (t >= 0) {
      (*ts)[(*n)++] = t;
      free(names[i]);
    } else {
      (*bad)[(*n_bad)++] = names[i]; /* the suffix; the caller names the whole key */
    }
  }
  free(names);
  qsort(*ts, *n, sizeof **ts, by_ts);
  return true;
}

bool opt_store_trace_get(opt_store *s, const char *model, int64_t ts_s, char **json, bool *found,
                         opt_err *e) {
  char key[2 * OPT_STORE_NAME_MAX + 64];
  *json = NULL;
  *found = false;
  if (!trace_key(model, ts_s, key, sizeof key, e)) return false;
  return get_capped(s, key, OPT_TRACE_TEXT_MAX, json, found, e);
}

bool opt_store_trace_put(opt_store *s, const char *model, int64_t ts_s, const char *json,
                         int64_t expiry_s, opt_err *e) {
  char key[2 * OPT_STORE_NAME_MAX + 64];
  if (!trace_key(model, ts_s, key, sizeof key, e)) return false;
  redisReply *r = expiry_s > 0
                      ? redisCommand(s->c, "SET %s %s EX %lld", key, json, (long long)expiry_s)
                      : redisCommand(s->c, "SET %s %s", key, json);
  r = checked(s, r, key, e);
  if (!r) return false;
  freeReplyObject(r);
  return true;
}
