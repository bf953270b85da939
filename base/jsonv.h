/*
 * jsonv: typed reading of a cJSON document with messages that say where and what.
 *
 * A jv carries the file name and the JSON path of the value being read ("workload.arrivals",
 * "policies[1].replicas"); every check that fails writes
 *     FILE: PATH: expected WHAT, found WHAT-IT-WAS
 * into the ps_err and returns false, so loaders read as a chain of `if (!jv_...) return false`.
 * Objects are checked against the list of keys they may hold: an unknown key (a typo) is an
 * error, never silently ignored.
 */
#ifndef PODSCALE_BASE_JSONV_H
#define PODSCALE_BASE_JSONV_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

typedef struct jv {
  const char *file; /* file name for messages */
  char path[512];   /* current JSON path */
  size_t len;       /* strlen(path) */
  ps_err *err;
  /* Optional: the line of the value at a path in the file (0: unknown); messages then read
   * "FILE:LINE: PATH: ...". A YAML document gives one (yamlv.h's yv_doc_line). */
  long (*line_of)(const void *ctx, const char *path);
  const void *line_ctx; /* its first argument */
} jv;

/* Parse a whole file; a syntax error is reported as FILE:LINE:COL. Free with cJSON_Delete. */
cJSON *jv_parse_file(const char *path, char **text_out, ps_err *err);

/* Path handling: enter returns a mark to leave back to. */
size_t jv_enter(jv *v, const char *key);
size_t jv_enter_index(jv *v, int index);
void jv_leave(jv *v, size_t mark);
/* "FILE: PATH: MESSAGE" (PATH is "(top level)" at the root; FILE:LINE with line_of); returns
 * false. */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
bool jv_fail(jv *v, const char *fmt, ...);
/* The same for member `key` of the current object. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
bool jv_fail_at(jv *v, const char *key, const char *fmt, ...);
/* A short description of a value for "found ...". */
void jv_describe(const cJSON *node, char *buf, size_t n);

/* The node at the current path must be an object whose keys are all in `allowed`
 * (NULL-terminated; NULL allows any key); duplicate keys are errors too. */
bool jv_object(jv *v, const cJSON *node, const char *const *allowed);
/* Require `key` in obj (object already checked). */
bool jv_require(jv *v, const cJSON *obj, const char *key, const cJSON **out);

/* Optional members: absent leaves *out untouched (set the default first). */
bool jv_number(jv *v, const cJSON *obj, const char *key, bool required, double min, double max,
               double *out);
bool jv_int(jv *v, const cJSON *obj, const char *key, bool required, int64_t min, int64_t max,
            int64_t *out);
bool jv_bool(jv *v, const cJSON *obj, const char *key, bool *out);
bool jv_string(jv *v, const cJSON *obj, const char *key, bool required, const char **out);
/* A string that must be one of choices (NULL-terminated); *out is its index. */
bool jv_choice(jv *v, const cJSON *obj, const char *key, bool required, const char *const *choices,
               int *out);
/* A duration in seconds converted to microseconds, within [min_s, max_s]. */
bool jv_seconds(jv *v, const cJSON *obj, const char *key, bool required, double min_s, double max_s,
                int64_t *out_us);
/* An array member (possibly required); *out is NULL when absent. */
bool jv_array(jv *v, const cJSON *obj, const char *key, bool required, size_t min_items,
              const cJSON **out);

#endif
