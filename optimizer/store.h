/*
 * store: where GPU profiles live in a cluster, as AIBrix keeps them: a Redis string per
 * (model, deployment) under `aibrix:profile_<model>_<deployment>`, holding the profile's JSON
 * exactly as aibrix_gen_profile writes it (docs/optimizer.md).
 *
 * Destinations are written as AIBrix's gen_profile takes them:
 * `redis://[user:pass@]host[:port][/db]?model=M` (port 6379 and db 0 by default; `model` is
 * required). A URL whose scheme is not redis is a file path (opt_store_is_redis).
 *
 * Reading differs from AIBrix on purpose: AIBrix SCANs `aibrix:profile_<model>_*`, so a model
 * whose name followed by '_' begins another model's name (`llama2` and `llama2_7b`) also reads
 * the other's profiles, and glob characters in a model name match other keys. Here a profile is
 * read by its exact key (the deployments are known: the scenario's, or the cluster's
 * deployments labelled with the model), and opt_store_list escapes the glob characters.
 *
 * Every call takes a connected context and reports failures (connection, authentication,
 * missing key, wrong type) in an opt_err naming the URL or key. No globals; one context per
 * thread, as hiredis requires.
 */
#ifndef PODSCALE_OPT_STORE_H
#define PODSCALE_OPT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "optimizer/opt_err.h"

#define OPT_STORE_KEY_PREFIX "aibrix:profile_"
#define OPT_STORE_NAME_MAX 256

typedef struct opt_redis_url {
  char user[OPT_STORE_NAME_MAX]; /* empty: none */
  char pass[OPT_STORE_NAME_MAX]; /* empty: no AUTH */
  char host[OPT_STORE_NAME_MAX];
  int port;                       /* 6379 */
  int db;                         /* 0 */
  char model[OPT_STORE_NAME_MAX]; /* ?model= */
} opt_redis_url;

/* Whether a destination names Redis (scheme "redis://") rather than a file. */
bool opt_store_is_redis(const char *dest);
/* Parse redis://[user:pass@]host[:port][/db]?model=M; false with a message on anything else. */
bool opt_redis_url_parse(const char *url, opt_redis_url *out, opt_err *e);
/* The same, with ?model= optional (a server's connection, not a profile's destination). */
bool opt_redis_url_parse_any(const char *url, opt_redis_url *out, opt_err *e);
/* aibrix:profile_<model>_<deployment>; false when it does not fit in n bytes. */
bool opt_store_key(const char *model, const char *deployment, char *buf, size_t n);

typedef struct opt_store opt_store; /* a connection */

/* Connect (with a 5 s timeout, which also bounds every command), AUTH when a password is
 * given, SELECT the db. */
opt_store *opt_store_open(const opt_redis_url *url, opt_err *e);
void opt_store_close(opt_store *s);
/* True once the connection failed (closed, timed out): close it and open another. */
bool opt_store_broken(const opt_store *s);
/* redis://host:port/db, for messages. */
const char *opt_store_where(const opt_store *s);
/* SET key (no expiry) to the profile JSON. */
bool opt_store_put(opt_store *s, const char *model, const char *deployment, const char *json,
                   opt_err *e);
/* GET the profile JSON of (model, deployment); *json is malloc'd (free it). A missing key, or a
 * value over OPT_TEXT_MAX bytes (optimizer/profile.h), is an error naming the key. */
bool opt_store_get(opt_store *s, const char *model, const char *deployment, char **json,
                   opt_err *e);
/* The deployments that have a profile of `model`: keys aibrix:profile_<model>_* with the glob
 * characters of the model escaped; *names is a malloc'd array of malloc'd strings, sorted. */
bool opt_store_list(opt_store *s, const char *model, char ***names, size_t *n, opt_err *e);
void opt_store_names_free(char **names, size_t n);

/* Gateway traces, `aibrix:<model>_request_trace_<ts>` (optimizer/monitor.h): the key times
 * there are, ascending, and the key suffixes that are not a time (malformed keys: the caller
 * logs and skips them; free with opt_store_names_free). */
bool opt_store_trace_list(opt_store *s, const char *model, int64_t **ts, size_t *n, char ***bad,
                          size_t *n_bad, opt_err *e);
/* GET one record; *found false (and true returned) when there is no such key. A value over
 * OPT_TRACE_TEXT_MAX bytes is an error naming the key (it is never read whole). */
#define OPT_TRACE_TEXT_MAX (1024 * 1024) /* a gateway record is a few KiB */
bool opt_store_trace_get(opt_store *s, const char *model, int64_t ts_s, char **json, bool *found,
                         opt_err *e);
/* SET one record with an expiry in seconds (0: none), as the gateway writes it (600 s). */
bool opt_store_trace_put(opt_store *s, const char *model, int64_t ts_s, const char *json,
                         int64_t expiry_s, opt_err *e);

#endif
