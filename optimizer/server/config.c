#include "optimizer/server/config.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonv.h"
#include "base/xalloc.h"

bool srv_name_ok(const char *s, size_t len) {
  if (len == 0 || len > SRV_NAME_MAX) return false;
  if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.')) return false;
  for (size_t i = 0; i < len; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '_' || c == '-'))
      return false;
  }
  return true;
}

/* A name member: a string srv_name_ok accepts. */
static bool name_member(jv *v, const cJSON *obj, const char *key, bool required, char **out) {
  const char *s = NULL;
  if (!jv_string(v, obj, key, required, &s)) return false;
  if (!s) return true;
  if (!srv_name_ok(s, strlen(s)))
    return jv_fail_at(v, key,
                      "expected a name of 1 to %d letters, digits, '.', '_' or '-', found "
                      "'%s'",
                      SRV_NAME_MAX, s);
  *out = xstrdup_or_null(s);
  return true;
}

/* path relative to the configuration file's directory. */
static char *beside(const char *config_path, const char *path) {
  const char *slash = strrchr(config_path, '/');
  if (path[0] == '/' || !slash) return xstrdup_or_null(path);
  size_t dir = (size_t)(slash - config_path) + 1, n = strlen(path);
  char *s = xmalloc(dir + n + 1);
  memcpy(s, config_path, dir);
  memcpy(s + dir, path, n + 1);
  return s;
}

static bool read_dep(jv *v, const cJSON *o, const char *path, srv_dep_config *d) {
  static const char *const keys[] = {"namespace",    "name",     "profile",
                                     "profile_file", "gpu_type", "min_replicas",
                                     "max_replicas", "replicas", NULL};
  if (!jv_object(v, o, keys)) return false;
  if (!name_member(v, o, "namespace", false, &d->ns) ||
      !name_member(v, o, "name", true, &d->name) ||
      !name_member(v, o, "profile", false, &d->profile) ||
      !name_member(v, o, "gpu_type", false, &d->gpu_type))
    return false;
  if (!d->ns) d->ns = xstrdup_or_null("default");
  if (!d->profile) d->profile = xstrdup_or_null(d->name);
  const char *file = NULL;
  if (!jv_string(v, o, "profile_file", false, &file)) return false;
  if (file) d->profile_file = beside(path, file);
  if (!jv_int(v, o, "min_replicas", false, 0, 100000, &d->min_replicas) ||
      !jv_int(v, o, "max_replicas", false, 0, 100000, &d->max_replicas) ||
      !jv_int(v, o, "replicas", false, 0, 100000, &d->replicas))
    return false;
  if (d->max_replicas && d->min_replicas > d->max_replicas)
    return jv_fail_at(v, "min_replicas", "expected at most max_replicas (%lld), found %lld",
                      (long long)d->max_replicas, (long long)d->min_replicas);
  return true;
}

static bool read_model(jv *v, const cJSON *o, const char *path, srv_config *c,
                       srv_model_config *m) {
  static const char *const keys[] = {"name", "deployments", "gpu_limits", "charge_unservable",
                                     NULL};
  if (!jv_object(v, o, keys) || !name_member(v, o, "name", true, &m->name) ||
      !jv_bool(v, o, "charge_unservable", &m->charge_unservable))
    return false;
  for (size_t k = 0; k < c->n_models; k++)
    if (c->models[k].name && &c->models[k] != m && strcmp(c->models[k].name, m->name) == 0)
      return jv_fail_at(v, "name", "expected each model once, found '%s' again", m->name);
  const cJSON *deps = NULL;
  if (!jv_array(v, o, "deployments", true, 1, &deps)) return false;
  if (cJSON_GetArraySize(deps) > SRV_MAX_DEPLOYMENTS)
    return jv_fail_at(v, "deployments", "expected at most %d deployments, found %d",
                      SRV_MAX_DEPLOYMENTS, cJSON_GetArraySize(deps));
  size_t mark = jv_enter(v, "deployments");
  m->deps = xcalloc((size_t)cJSON_GetArraySize(deps) + 1, sizeof *m->deps);
  int i = 0;
  for (const cJSON *d = deps->child; d; d = d->next, i++) {
    size_t at = jv_enter_index(v, i);
    srv_dep_config *dc = &m->deps[m->n_deps++];
    if (!read_dep(v, d, path, dc)) return false;
    for (size_t k = 0; k < c->n_models; k++) /* a Deployment belongs to one model */
      for (size_t j = 0; j < c->models[k].n_deps; j++) {
        const srv_dep_config *o2 = &c->models[k].deps[j];
        if (o2 != dc && o2->name && strcmp(o2->ns, dc->ns) == 0 && strcmp(o2->name, dc->name) == 0)
          return jv_fail_at(v, "name", "expected each deployment once, found %s/%s again", dc->ns,
                            dc->name);
      }
    jv_leave(v, at);
  }
  jv_leave(v, mark);
  const cJSON *lim = cJSON_GetObjectItemCaseSensitive(o, "gpu_limits");
  if (!lim) return true;
  mark = jv_enter(v, "gpu_limits");
  if (!jv_object(v, lim, NULL)) return false;
  m->limits = xcalloc((size_t)cJSON_GetArraySize(lim) + 1, sizeof *m->limits);
  for (const cJSON *l = lim->child; l; l = l->next) {
    srv_limit_config *lc = &m->limits[m->n_limits++];
    if (!srv_name_ok(l->string, strlen(l->string)))
      return jv_fail(v, "expected GPU type names of letters, digits, '.', '_' or '-', found '%s'",
                     l->string);
    lc->gpu_type = xstrdup_or_null(l->string);
    if (!jv_int(v, lim, l->string, true, 1, 1000000, &lc->pods)) return false;
  }
  jv_leave(v, mark);
  return true;
}

bool srv_config_read(const char *path, srv_config *c, opt_err *e) {
  memset(c, 0, sizeof *c);
  cJSON *root = jv_parse_file(path, NULL, e);
  if (!root) return false;
  jv v = {.file = path, .err = e};
  static const char *const keys[] = {"models", NULL};
  const cJSON *models = NULL;
  bool ok = jv_object(&v, root, keys) && jv_array(&v, root, "models", true, 1, &models);
  if (ok && cJSON_GetArraySize(models) > SRV_MAX_MODELS)
    ok = jv_fail_at(&v, "models", "expected at most %d models, found %d", SRV_MAX_MODELS,
                    cJSON_GetArraySize(models));
  if (ok) {
    c->models = xcalloc((size_t)cJSON_GetArraySize(models) + 1, sizeof *c->models);
    size_t mark = jv_enter(&v, "models");
    int i = 0;
    for (const cJSON *m = models->child; ok && m; m = m->next, i++) {
      jv_enter_index(&v, i);
      c->n_models++;
      ok = read_model(&v, m, path, c, &c->models[c->n_models - 1]);
      jv_leave(&v, mark);
    }
  }
  cJSON_Delete(root);
  if (!ok) srv_config_free(c);
  return ok;
}

void srv_config_free(srv_config *c) {
  for (size_t k = 0; k < c->n_models; k++) {
    srv_model_config *m = &c->models[k];
    for (size_t j = 0; j < m->n_deps; j++) {
      srv_dep_config *d = &m->deps[j];
      free(d->ns);
      free(d->name);
      free(d->profile);
      free(d->profile_file);
      free(d->gpu_type);
    }
    free(m->deps);
    for (size_t j = 0; j < m->n_limits; j++)
      free(m->limits[j].gpu_type);
    free(m->limits);
    free(m->name);
  }
  free(c->models);
  memset(c, 0, sizeof *c);
}
