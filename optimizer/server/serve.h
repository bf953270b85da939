/*
 * serve: `podscale serve`, the GPU optimizer service of a Kubernetes cluster, compatible with
 * AIBrix's (python/aibrix/aibrix/gpu_optimizer/app.py; docs/serve.md). It runs one optimizer loop
 * per model (optimizer/model.h: the same calls the simulator makes) over the gateway's request
 * traces and the GPU profiles in Redis, or without Redis over profile files and traces POSTed to
 * it, and serves the result over HTTP for the PodAutoscaler. docs/serve.md describes the endpoints,
 * the loop and the differences from AIBrix; docs/deploy.md how to run it in a cluster.
 *
 * Threads: libmicrohttpd's pool answers HTTP; one thread per model runs its loop; they share
 * the published state under one mutex held only to copy values, never across Redis or a solve.
 */
#ifndef PODSCALE_SRV_SERVE_H
#define PODSCALE_SRV_SERVE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "optimizer/opt_err.h"

enum { SRV_DEBUG, SRV_INFO, SRV_WARNING, SRV_ERROR };

typedef struct srv_options {
  const char *config_path;  /* NULL: deployments only from POST /monitor */
  const char *redis_url;    /* redis://[user:pass@]host[:port][/db]; NULL: standalone */
  const char *bind;         /* listen address, "0.0.0.0" */
  int port;                 /* 8080; 0: any free port (logged) */
  int threads;              /* HTTP thread pool, 2 */
  const char *decision_log; /* append every decision here (JSON lines); NULL: none */
  int64_t interval_s;       /* loop period, 10 (the gateway's trace interval) */
  bool replay;              /* run the loops over [replay_start_s, replay_end_s] of trace time
                               as fast as possible, then keep serving the result */
  int64_t replay_start_s, replay_end_s;
  int log_level;    /* SRV_DEBUG .. SRV_ERROR */
  FILE *log_stream; /* NULL: stderr */
} srv_options;

srv_options srv_options_default(void);

typedef struct srv srv;

/* Check the options, read the configuration, bind the port; nothing runs yet. */
srv *srv_new(const srv_options *o, opt_err *e);
/* Start the HTTP threads and the loops. */
bool srv_start(srv *s, opt_err *e);
/* The port it listens on (the chosen one when asked for 0). */
int srv_port(const srv *s);
/* Whether every model's replay has finished (true when not replaying). */
bool srv_replay_done(srv *s);
/* Stop accepting, let requests in flight finish (up to 10 s), stop the loops after their
 * current round, flush the decision log. */
void srv_stop(srv *s);
void srv_free(srv *s);
/* Every model's next round reads its profiles again and takes them even when not newer, as
 * GET /update_profile/{model} does for one (SIGHUP). */
void srv_reload_profiles(srv *s);

/* The whole command: start, wait for SIGTERM or SIGINT, stop. Returns the exit status (0 after
 * a signal, 1 when it cannot start, 2 for bad options or configuration). */
int srv_main(const srv_options *o);

#endif
