/* yamlv: YAML documents read into cJSON trees with libyaml's event API; see yamlv.h. */
#include "base/yamlv.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "base/readfile.h"
#include "base/xalloc.h"

#define TAG_PREFIX "tag:yaml.org,2002:"

typedef struct frame {
  cJSON *node; /* an array or object being filled */
  char *key;   /* object: the key read, waiting for its value; NULL if none */
  long key_line;
} frame;

typedef struct conv {
  const char *path;
  const char *text; /* the file's text, for the line of a reader error */
  ps_err *err;
  yv_file *out;
  yv_doc doc;   /* the document being read */
  size_t cap;   /* of doc.marks */
  size_t nodes; /* values read in the file so far */
  frame stack[YV_MAX_DEPTH];
  int depth;
} conv;

static bool fail_at(conv *c, const yaml_mark_t *m, const char *what) {
  return ps_fail(c->err, "%s:%zu:%zu: %s", c->path, m->line + 1, m->column + 1, what);
}

/* ---- scalars: YAML 1.2's core schema ---- */

static bool all_of(const char *s, const char *set) { return *s && strspn(s, set) == strlen(s); }

static bool is_null(const char *s) {
  return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

/* 1 true, 0 false, -1 neither. */
static int as_bool(const char *s) {
  if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE")) return 1;
  if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE")) return 0;
  return -1;
}

static bool as_int(const char *s, double *out) {
  const char *d = s + (*s == '-' || *s == '+');
  int base = 10;
  if (!strncmp(s, "0x", 2) && all_of(s + 2, "0123456789abcdefABCDEF"))
    base = 16, d = s + 2;
  else if (!strncmp(s, "0o", 2) && all_of(s + 2, "01234567"))
    base = 8, d = s + 2;
  else if (!all_of(d, "0123456789"))
    return false;
  if (base == 10) {
    *out = strtod(s, NULL); /* exact for the digits a double holds, rounded beyond */
    return true;
  }
  errno = 0;
  unsigned long long v = strtoull(d, NULL, base);
  *out = errno == ERANGE ? HUGE_VAL : (double)v;
  return true;
}

/* [-+]? ( \.[0-9]+ | [0-9]+ ( \.[0-9]* )? ) ( [eE] [-+]? [0-9]+ )?, or .inf, .nan */
static bool as_float(const char *s, double *out) {
  const char *p = s + (*s == '-' || *s == '+');
  if (!strcmp(p, ".inf") || !strcmp(p, ".Inf") || !strcmp(p, ".INF")) {
    *out = *s == '-' ? -INFINITY : INFINITY;
    return true;
  }
  if (p == s && (!strcmp(s, ".nan") || !strcmp(s, ".NaN") || !strcmp(s, ".NAN"))) {
    *out = NAN;
    return true;
  }
  size_t ip = strspn(p, "0123456789"), fp = 0;
  p += ip;
  if (*p == '.') fp = strspn(++p, "0123456789"), p += fp;
  if (ip == 0 && fp == 0) return false;
  if (*p == 'e' || *p == 'E') {
    p++;
    p += *p == '-' || *p == '+';
    size_t ep = strspn(p, "0123456789");
    if (!ep) return false;
    p += ep;
  }
  if (*p) return false;
  *out = strtod(s, NULL);
  return true;
}

/* A plain scalar (or one tagged with a type of the core schema, `want`: NULL for any); NULL
 * when it is not of type `want`. */
static cJSON *resolve(const char *s, const char *want) {
  double x;
  int b;
  if ((!want || !strcmp(want, "null")) && is_null(s)) return xcheck(cJSON_CreateNull(), 0);
  if ((!want || !strcmp(want, "bool")) && (b = as_bool(s)) >= 0)
    return xcheck(cJSON_CreateBool(b), 0);
  if ((!want || !strcmp(want, "int")) && as_int(s, &x)) return xcheck(cJSON_CreateNumber(x), 0);
  if ((!want || !strcmp(want, "float")) && (as_int(s, &x) || as_float(s, &x)))
    return xcheck(cJSON_CreateNumber(x), 0);
  return want ? NULL : xcheck(cJSON_CreateString(s), 0);
}

static cJSON *scalar(conv *c, const yaml_event_t *ev) {
  const char *s = (const char *)ev->data.scalar.value;
  if (strlen(s) != ev->data.scalar.length) {
    fail_at(c, &ev->start_mark, "expected no NUL character (\\0) in a scalar, found one");
    return NULL;
  }
  const char *tag = (const char *)ev->data.scalar.tag;
  bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
  if (!tag || !strcmp(tag, "!"))
    return plain && !tag ? resolve(s, NULL) : xcheck(cJSON_CreateString(s), 0);
  if (!strcmp(tag, TAG_PREFIX "str")) return xcheck(cJSON_CreateString(s), 0);
  static const char *const types[] = {"null", "bool", "int", "float", NULL};
  for (const char *const *t = types; *t; t++) {
    if (strncmp(tag, TAG_PREFIX, strlen(TAG_PREFIX)) || strcmp(tag + strlen(TAG_PREFIX), *t))
      continue;
    cJSON *node = resolve(s, *t);
    if (node) return node;
    char msg[160];
    snprintf(msg, sizeof msg, "expected a value of type !!%s, found \"%.40s\"", *t, s);
    fail_at(c, &ev->start_mark, msg);
    return NULL;
  }
  char msg[200];
  snprintf(msg, sizeof msg,
           "expected no tag or one of !!str, !!int, !!float, !!bool, !!null, found %.80s", tag);
  fail_at(c, &ev->start_mark, msg);
  return NULL;
}

/* ---- the tree ---- */

static void mark(conv *c, const cJSON *node, long line) {
  if (c->doc.nmarks == c->cap) {
    c->cap = c->cap ? 2 * c->cap : 64;
    c->doc.marks = xrealloc(c->doc.marks, c->cap * sizeof *c->doc.marks);
  }
  c->doc.marks[c->doc.nmarks++] = (yv_mark){node, (int32_t)line};
}

/* A new value (a scalar, or a collection just opened) goes into its place: the document, the
 * sequence, or the mapping (as its key, or as the value of the key read before it). */
static bool place(conv *c, cJSON *node, const yaml_event_t *ev) {
  long line = (long)ev->start_mark.line + 1;
  if (++c->nodes > YV_MAX_NODES) {
    cJSON_Delete(node);
    char msg[96];
    snprintf(msg, sizeof msg, "expected at most %d values in a file, found more", YV_MAX_NODES);
    return fail_at(c, &ev->start_mark, msg);
  }
  if (c->depth == 0) {
    c->doc.root = node;
    c->doc.line = (int32_t)line;
    mark(c, node, line);
    return true;
  }
  frame *f = &c->stack[c->depth - 1];
  if (cJSON_IsArray(f->node)) {
    cJSON_AddItemToArray(f->node, node);
    mark(c, node, line);
    return true;
  }
  if (f->key) {
    cJSON_AddItemToObject(f->node, f->key, node);
    xcheck(node->string, 0);
    free(f->key);
    f->key = NULL;
    mark(c, node, f->key_line);
    return true;
  }
  bool ok = !cJSON_IsArray(node) && !cJSON_IsObject(node);
  if (ok) { /* a scalar key names its value by its text */
    f->key = xstrdup((const char *)ev->data.scalar.value);
    f->key_line = line;
  }
  cJSON_Delete(node);
  return ok ||
         fail_at(c, &ev->start_mark, "expected a scalar as a mapping's key, found a collection");
}

static int by_key(const void *a, const void *b) {
  return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}

static long line_of_node(const yv_doc *d, const cJSON *node) {
  for (size_t i = 0; i < d->nmarks; i++)
    if (d->marks[i].node == node) return d->marks[i].line;
  return d->line;
}

/* A mapping just closed: no key twice (sorted, so a large mapping stays quick). */
static bool keys_unique(conv *c, const cJSON *obj) {
  int n = cJSON_GetArraySize(obj);
  if (n < 2) return true;
  const cJSON **v = xmalloc((size_t)n * sizeof *v);
  int k = 0;
  for (const cJSON *m = obj->child; m; m = m->next)
    v[k++] = m;
  qsort(v, (size_t)n, sizeof *v, by_key);
  for (int i = 1; i < n; i++) {
    if (strcmp(v[i - 1]->string, v[i]->string)) continue;
    long a = line_of_node(&c->doc, v[i - 1]), b = line_of_node(&c->doc, v[i]);
    ps_fail(
        c->err,
        "%s:%ld: expected each key once in a mapping, found \"%.80s\" again (first at line %ld)",
        c->path, a > b ? a : b, v[i]->string, a < b ? a : b);
    free(v);
    return false;
  }
  free(v);
  return true;
}

static bool open_collection(conv *c, const yaml_event_t *ev, bool map) {
  const char *tag = (const char *)(map ? ev->data.mapping_start.tag : ev->data.sequence_start.tag);
  if (tag && strcmp(tag, "!") && strcmp(tag, map ? TAG_PREFIX "map" : TAG_PREFIX "seq")) {
    char msg[160];
    snprintf(msg, sizeof msg, "expected no tag or %s on a %s, found %.80s", map ? "!!map" : "!!seq",
             map ? "mapping" : "sequence", tag);
    return fail_at(c, &ev->start_mark, msg);
  }
  if (c->depth == YV_MAX_DEPTH) {
    char msg[96];
    snprintf(msg, sizeof msg, "expected at most %d nested collections, found more", YV_MAX_DEPTH);
    return fail_at(c, &ev->start_mark, msg);
  }
  cJSON *node = xcheck(map ? cJSON_CreateObject() : cJSON_CreateArray(), 0);
  if (!place(c, node, ev)) return false;
  c->stack[c->depth++] = (frame){.node = node};
  return true;
}

static void end_document(conv *c) {
  yv_file *f = c->out;
  if (c->doc.root && !cJSON_IsNull(c->doc.root)) {
    f->docs = xrealloc(f->docs, (f->ndocs + 1) * sizeof *f->docs);
    f->docs[f->ndocs++] = c->doc;
  } else {
    cJSON_Delete(c->doc.root);
    free(c->doc.marks);
  }
  c->doc = (yv_doc){0};
  c->cap = 0;
}

/* One event; false with the message on a problem. */
static bool on_event(conv *c, const yaml_event_t *ev) {
  switch (ev->type) {
  case YAML_SCALAR_EVENT: {
    cJSON *node = scalar(c, ev);
    return node && place(c, node, ev);
  }
  case YAML_SEQUENCE_START_EVENT: return open_collection(c, ev, false);
  case YAML_MAPPING_START_EVENT: return open_collection(c, ev, true);
  case YAML_SEQUENCE_END_EVENT: c->depth--; return true;
  case YAML_MAPPING_END_EVENT: c->depth--; return keys_unique(c, c->stack[c->depth].node);
  case YAML_ALIAS_EVENT:
    return fail_at(c, &ev->start_mark,
                   "expected no alias (*name): write the value out where it is used");
  case YAML_DOCUMENT_END_EVENT: end_document(c); return true;
  default: return true; /* stream and document starts */
  }
}

static void syntax_error(conv *c, const yaml_parser_t *p) {
  size_t line = p->problem_mark.line, col = p->problem_mark.column;
  if (p->error == YAML_READER_ERROR) { /* only an offset: count the lines up to it */
    line = col = 0;
    size_t n = strlen(c->text), off = p->problem_offset < n ? p->problem_offset : n;
    for (size_t i = 0; i < off; i++) {
      if (c->text[i] == '\n')
        line++, col = 0;
      else
        col++;
    }
  }
  char ctx[160] = "";
  if (p->context)
    snprintf(ctx, sizeof ctx, " (%s, at line %zu)", p->context, p->context_mark.line + 1);
  ps_fail(c->err, "%s:%zu:%zu: YAML syntax error: %s%s", c->path, line + 1, col + 1,
          p->problem ? p->problem : "unknown", ctx);
}

bool yv_load(const char *path, yv_file *out, ps_err *err) {
  *out = (yv_file){.path = xstrdup(path)};
  char *text = ps_read_text(path, err);
  if (!text) {
    yv_free(out);
    return false;
  }
  yaml_parser_t parser;
  if (!yaml_parser_initialize(&parser)) xcheck(NULL, 0);
  yaml_parser_set_input_string(&parser, (const unsigned char *)text, strlen(text));
  conv c = {.path = path, .text = text, .err = err, .out = out};
  bool ok = true, done = false;
  while (ok && !done) {
    yaml_event_t ev;
    if (!yaml_parser_parse(&parser, &ev)) {
      if (parser.error == YAML_MEMORY_ERROR) xcheck(NULL, 0);
      syntax_error(&c, &parser);
      ok = false;
      break;
    }
    ok = on_event(&c, &ev);
    done = ev.type == YAML_STREAM_END_EVENT;
    yaml_event_delete(&ev);
  }
  for (int i = 0; i < c.depth; i++)
    free(c.stack[i].key);
  if (!ok) { /* the document being read is not in out yet */
    cJSON_Delete(c.doc.root);
    free(c.doc.marks);
  }
  yaml_parser_delete(&parser);
  free(text);
  if (!ok) yv_free(out);
  return ok;
}

void yv_free(yv_file *f) {
  for (uint32_t i = 0; i < f->ndocs; i++) {
    cJSON_Delete(f->docs[i].root);
    free(f->docs[i].marks);
  }
  free(f->docs);
  free(f->path);
  *f = (yv_file){0};
}

/* The child of object `obj` whose key is the longest prefix of p that ends a path component
 * (followed by '.', '[' or the end): keys may hold dots ("kpa.autoscaling.aibrix.ai/..."). */
static const cJSON *member_at(const cJSON *obj, const char *p, size_t *len) {
  const cJSON *best = NULL;
  *len = 0;
  for (const cJSON *m = obj->child; m; m = m->next) {
    size_t n = strlen(m->string);
    if (strncmp(p, m->string, n) || (p[n] && p[n] != '.' && p[n] != '[')) continue;
    if (!best || n > *len) best = m, *len = n;
  }
  return best;
}

long yv_doc_line(const void *vdoc, const char *path) {
  const yv_doc *d = vdoc;
  const cJSON *node = d->root, *found = d->root;
  const char *p = path;
  while (node && *p) {
    if (*p == '[') {
      char *end;
      long i = strtol(p + 1, &end, 10);
      if (*end != ']' || !cJSON_IsArray(node) || i < 0 || i > INT_MAX) break;
      node = cJSON_GetArrayItem(node, (int)i);
      p = end + 1;
    } else {
      if (*p == '.') p++;
      size_t n;
      if (!cJSON_IsObject(node) || !(node = member_at(node, p, &n))) break;
      p += n;
    }
    if (node) found = node;
  }
  return line_of_node(d, found);
}
