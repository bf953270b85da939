/* The service's state, shared by serve.c (loops, Redis, logs, metrics) and http.c (routes). */
#ifndef PODSCALE_SRV_SERVE_INT_H
#define PODSCALE_SRV_SERVE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "base/xalloc.h"
#include "optimizer/model.h"
#include "optimizer/server/config.h"
#include "optimizer/server/serve.h"
#include "optimizer/store.h"

#define SRV_SOLVE_BUCKETS 14
#define SRV_MAX_MEM_BYTES                                                                          \
  (64 * 1024 * 1024)                  /* POSTed records one model holds (a replay keeps            \
                                          them all; a gateway's are a few KiB each) */
#define SRV_MAX_MEM_RECORDS 100000    /* and their number: 11 days at 10 s */
#define SRV_MAX_REPLAY_ROUNDS 1000000 /* --replay: 116 days at the 10 s interval */
extern const double srv_solve_bounds[SRV_SOLVE_BUCKETS]; /* histogram upper bounds, s */

typedef struct srv_dep {
  char *ns, *name, *key; /* key: "ns/name", the ILP's and AIBrix's name */
  char *profile, *profile_file, *gpu_type;
  int64_t min_replicas, max_replicas, replicas;
  int64_t value;       /* published: units */
  int64_t override;    /* PUT /scale: pods, -1 none */
  bool removed;        /* DELETE /monitor */
  bool gone;           /* moved to another model by POST /monitor: never found again */
  uint64_t version;    /* bumped when POST /monitor changes it: the loop adds it again */
  bool has_profile;    /* published: the loop holds a profile for it */
  char *profile_error; /* loop thread only: the last profile problem logged */
} srv_dep;

typedef struct strace {
  int64_t ts_s;
  char *json;
} strace;

typedef struct srv_model {
  struct srv *srv;
  char *name;
  srv_dep **deps; /* stable addresses: deployments are marked removed, never freed */
  size_t n_deps, cap_deps;
  srv_limit_config *limits;
  size_t n_limits;
  bool charge_unservable; /* opt_model_charge_unservable */
  bool force_profiles;    /* GET /update_profile */
  int64_t read_upto;      /* the newest trace key time the loop has read, -1 none */
  strace *mem;            /* standalone: POSTed traces, ascending ts */
  size_t n_mem, cap_mem;
  size_t mem_bytes; /* their JSON, at most SRV_MAX_MEM_BYTES */
  /* statistics (under the lock) */
  uint64_t rounds, by_action[OPT_ROUND_FAILED + 1];
  uint64_t unproven; /* decisions not proven optimal (a search budget stopped the solve) */
  double last_gap;   /* the last decision's gap, relative; 0 when proven */
  uint64_t bad_traces, bad_profiles, redis_skips;
  bool interval_warned;      /* a record's meta_interval_sec differed from --interval (said once) */
  double last_decision_unix; /* 0: none yet */
  uint64_t solve_bucket[SRV_SOLVE_BUCKETS];
  uint64_t solve_count;
  double solve_sum_s;
  bool replay_done;
  pthread_t thread;
  bool started;
} srv_model;

struct srv {
  srv_options o;
  bool has_redis;
  opt_redis_url redis;
  pthread_mutex_t lock; /* everything below that changes, and the models' shared fields */
  pthread_cond_t wake;
  srv_model **models;
  size_t n_models, cap_models;
  bool stopping;
  bool redis_up;            /* the last Redis operation of any loop succeeded */
  char redis_error[1024];   /* why not */
  uint64_t redis_errors;    /* failed operations */
  pthread_mutex_t out_lock; /* the log stream and the decision log */
  FILE *decisions;
  char *profile_dir; /* profiles taken, by digest, beside the decision log */
  int listen_fd;
  int port;
  struct MHD_Daemon *mhd;
  bool running; /* the loops may be started (after srv_start, before srv_stop) */
  atomic_long in_flight;
  atomic_ulong http_requests, http_errors;
  double started_unix;
};

/* A JSON log line on the log stream: {"time", "level", "logger", "message"} as AIBrix logs. */
#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
void srv_log(struct srv *s, int level, const char *logger, const char *fmt, ...);

double srv_now_unix(void);
/* Under the lock: the model or deployment, or NULL. */
srv_model *srv_find_model(struct srv *s, const char *name, size_t len);
srv_dep *srv_find_dep(struct srv *s, const char *ns, size_t ns_len, const char *name,
                      size_t name_len, srv_model **model);
/* The units a deployment serves as vllm:deployment_replicas: its override in pods (times the
 * GPU fraction) when set, else the optimizer's value. */
int64_t srv_dep_units(const srv_dep *d);
/* A model's loop (the thread srv_add_model and srv_start start) and a model's memory. */
void *srv_loop_main(void *arg);
void srv_model_free(srv_model *m);

/* Under the lock: add a model and start its loop when the service runs. */
srv_model *srv_add_model(struct srv *s, const char *name, opt_err *e);
/* Under the lock: add a deployment to a model (or revive a removed one, taking the new
 * settings). */
srv_dep *srv_add_dep(srv_model *m, const srv_dep_config *d);
/* Whether m can take one more deployment: fewer than SRV_MAX_DEPLOYMENTS monitored, and fewer
 * than 4 x that entries with the ones moved to other models (kept for the loops' snapshots). */
bool srv_dep_room(const srv_model *m);
/* Under the lock: store a POSTed trace record (standalone mode) under key time ts_s; false
 * (nothing stored) when the model's records would pass SRV_MAX_MEM_BYTES or
 * SRV_MAX_MEM_RECORDS. */
bool srv_put_trace(struct srv *s, srv_model *m, int64_t ts_s, const char *json);
/* The service's own Prometheus metrics; malloc'd text. */
char *srv_prometheus(struct srv *s);
/* GET /readyz: status code and malloc'd JSON. */
char *srv_readiness(struct srv *s, unsigned *status);

/* http.c */
bool srv_http_start(struct srv *s, opt_err *e);
void srv_http_quiesce(struct srv *s);
void srv_http_stop(struct srv *s);

#endif
