/*
 * serve: `podscale serve` over real sockets. Standalone (profile files, POSTed traces): every
 * endpoint, bad requests, the loop. With a private redis-server started here: the value served
 * equals `podscale solve` on the same profile and traces; malformed keys and records are
 * skipped; a Redis outage degrades and recovers; a simulation that writes its gateway traces
 * into Redis and the service replaying them make the same decisions. As a child process:
 * SIGTERM exits 0 and a bad configuration exits 2.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <hiredis/hiredis.h>

#include "fixtures.h"
#include "optimizer/decision.h"
#include "optimizer/monitor.h"
#include "optimizer/profile.h"
#include "optimizer/server/serve.h"
#include "optimizer/store.h"

#define FLAT PODSCALE_SOURCE_DIR "/tests/data/profiles/flat-2rps.json"

static char tmpdir[64]; /* mkdtemp directory of this test program */

static int setup(void **state) {
  (void)state;
  tu_tmpdir(tmpdir);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  tu_rmrf(tmpdir);
  return 0;
}

static void write_file(const char *path, const char *text) {
  FILE *fp = fopen(path, "w");
  assert_non_null(fp);
  fputs(text, fp);
  fclose(fp);
}

static char *path_in(const char *name) {
  static char buf[8][512];
  static int k;
  char *p = buf[k++ % 8];
  snprintf(p, 512, "%s/%s", tmpdir, name);
  return p;
}

/* A running in-process service; logs go to log.txt in the temporary directory. */
typedef struct running {
  srv *s;
  int port;
  FILE *log;
} running;

static running start(srv_options o) {
  running r = {0};
  r.log = fopen(path_in("log.txt"), "a");
  o.log_stream = r.log;
  o.port = 0;
  o.bind = "127.0.0.1";
  opt_err e;
  r.s = srv_new(&o, &e);
  if (!r.s) fail_msg("%s", e.msg);
  if (!srv_start(r.s, &e)) fail_msg("%s", e.msg);
  r.port = srv_port(r.s);
  return r;
}

static void stop(running *r) {
  srv_free(r->s); /* stops first */
  fclose(r->log);
}

/* GET the value of vllm:deployment_replicas for ns/dep; -1 when not 200. */
static long metric(int port, const char *ns, const char *dep) {
  char path[256], *body;
  snprintf(path, sizeof path, "/metrics/%s/%s", ns, dep);
  int st = fx_http(port, "GET", path, NULL, &body);
  long v = -1;
  const char *at = body ? strstr(body, "} ") : NULL;
  if (st == 200 && at) v = strtol(at + 2, NULL, 10);
  free(body);
  return v;
}

/* The status; *body must contain `has` (NULL: anything). */
static void expect(int port, const char *method, const char *path, const char *req, int status,
                   const char *has) {
  char *body;
  int st = fx_http(port, method, path, req, &body);
  if (st != status || (has && (!body || !strstr(body, has))))
    fail_msg("%s %s: status %d (expected %d), body %s (expected to contain %s)", method, path, st,
             status, body ? body : "(none)", has ? has : "-");
  free(body);
}

static const char *standalone_config(void) {
  char *cfg = path_in("standalone.json");
  char text[1024];
  snprintf(text, sizeof text,
           "{\"models\": [{\"name\": \"m\", \"deployments\": [{\"name\": \"d\", \"profile_file\": "
           "\"%s\", \"replicas\": 1, \"min_replicas\": 1}]}]}",
           FLAT);
  write_file(cfg, text);
  return cfg;
}

static void every_endpoint_and_bad_requests(void **state) {
  (void)state;
  srv_options o = srv_options_default();
  o.config_path = standalone_config();
  running r = start(o);
  int p = r.port;
  char *body;
  assert_int_equal(fx_http(p, "GET", "/metrics/default/d", NULL, &body), 200);
  assert_string_equal(body, "# HELP vllm:deployment_replicas Number of suggested replicas.\n"
                            "# TYPE vllm:deployment_replicas gauge\n"
                            "vllm:deployment_replicas{model_name=\"m\"} 100\n");
  free(body);
  expect(p, "GET", "/healthz", NULL, 200, "ok");
  expect(p, "GET", "/readyz", NULL, 200, "\"status\":\"ok\"");
  expect(p, "GET", "/metrics/default/nope", NULL, 404, "Failed to read metrics");
  expect(p, "POST", "/metrics/default/d", NULL, 405, "not allowed");
  expect(p, "GET", "/nope", NULL, 404, "no such endpoint");
  expect(p, "GET", "/metrics/default/d/x", NULL, 404, NULL);
  expect(p, "GET", "/metrics/../d", NULL, 404, NULL);
  expect(p, "GET", "/metrics/%2e%2e/d", NULL, 404, NULL);
  expect(p, "GET", "/metrics//d", NULL, 404, NULL);
  expect(p, "GET", "/metrics/default/d%00x", NULL, 404, NULL); /* not "d" */
  {                                                            /* nor a raw NUL */
    static const char raw[] = "GET /metrics/default/d\0x HTTP/1.1\r\nHost: a\r\n\r\n";
    char *reply = fx_raw(p, raw, sizeof raw - 1);
    assert_non_null(reply);
    assert_non_null(strstr(reply, " 400 "));
    assert_non_null(strstr(reply, "a NUL byte in the request line"));
    free(reply);
  }
  expect(p, "GET", "/metrics/default%2fd", NULL, 404, NULL);
  /* overrides: pods, served in the same 1/100 unit; -1 clears */
  expect(p, "PUT", "/scale/default/d", "{\"replicas\": 3}", 200, "Scaled to 3");
  assert_int_equal(metric(p, "default", "d"), 300);
  expect(p, "PUT", "/scale/default/d", "{\"replicas\": \"x\"}", 400, "whole number");
  expect(p, "PUT", "/scale/default/d", "{\"replicas\": 1.5}", 400, NULL);
  expect(p, "PUT", "/scale/default/d", "not json", 400, "JSON object");
  expect(p, "PUT", "/scale/default/nope", "{\"replicas\": 1}", 404, "not monitored");
  expect(p, "PUT", "/scale/default/d", "{\"replicas\": 1e300}", 400, NULL);
  expect(p, "PUT", "/scale/default/d", "{\"replicas\": -1e300}", 200, "Scaled to -1");
  expect(p, "PUT", "/scale/default/d", "{\"replicas\": 2}", 200, "Scaled to 2");
  expect(p, "PUT", "/scale/default/d", "{\"replicas\": -5}", 200, "Scaled to -1");
  assert_int_equal(metric(p, "default", "d"), 100);
  size_t big = 70 * 1024;
  char *huge = malloc(big + 1);
  memset(huge, ' ', big);
  huge[big] = '\0';
  expect(p, "PUT", "/scale/default/d", huge, 413, "over");
  free(huge);
  /* monitoring on and off */
  expect(p, "POST", "/monitor/default/x", NULL, 404, "give its model");
  expect(p, "POST", "/monitor/default/x", "{\"model\": \"m2\", \"max_replicas\": 2}", 200,
         "Deployment optimization started");
  expect(p, "GET", "/metrics/default/x", NULL, 200, "model_name=\"m2\"} 0");
  expect(p, "POST", "/monitor/default/x", NULL, 200, "already started");
  expect(p, "POST", "/monitor/default/x", "{\"model\": \"m\"}", 409, "belongs to model m2");
  expect(p, "POST", "/monitor/default/y", "{\"modle\": \"m\"}", 400, "unknown key 'modle'");
  expect(p, "POST", "/monitor/default/y", "{\"model\": \"a b\"}", 400, NULL);
  expect(p, "DELETE", "/monitor/default/x", NULL, 200, "Deployment optimization stopped");
  expect(p, "GET", "/metrics/default/x", NULL, 404, NULL);
  expect(p, "DELETE", "/monitor/default/x", NULL, 404, NULL);
  /* monitored again with new settings; or moved to another model once removed */
  expect(p, "POST", "/monitor/default/x", "{\"replicas\": 3}", 200,
         "Deployment optimization started");
  expect(p, "GET", "/metrics/default/x", NULL, 200, NULL);
  expect(p, "DELETE", "/monitor/default/x", NULL, 200, "stopped");
  expect(p, "POST", "/monitor/default/x", "{\"model\": \"m3\"}", 200,
         "Deployment optimization started");
  expect(p, "GET", "/metrics/default/x", NULL, 200, "model_name=\"m3\"}");
  expect(p, "POST", "/monitor/default/x", "{\"model\": \"m2\"}", 409, "DELETE it first");
  /* profiles and traces */
  expect(p, "GET", "/update_profile/m", NULL, 200, "workload profile of m updated");
  expect(p, "GET", "/update_profile/zz", NULL, 404, "zz not monitored");
  expect(p, "POST", "/trace/m", "{\"66:56\": -1}", 400, "POST /trace/m");
  expect(p, "POST", "/trace/m", "[1]", 400, NULL);
  expect(p, "POST", "/trace/m", NULL, 400, "expected a gateway trace record");
  expect(p, "POST", "/trace/m?ts=x", "{}", 400, "?ts=");
  expect(p, "POST", "/trace/zz", "{}", 404, NULL);
  expect(p, "POST", "/trace/m?ts=4102444800", "{}", 400, "in the future");
  expect(p, "POST", "/trace/m?ts=1234", "{\"66:56\": 3, \"meta_v\": 4}", 409,
         "already read"); /* the first round read everything up to now */
  /* garbage on the wire: libmicrohttpd closes the connection without a reply to a request line
   * it cannot parse, answers 505 to an unknown HTTP version; the service goes on */
  static const char *const garbage[] = {"GARBAGE\r\n\r\n", "GET / HTTP/9.9\r\n\r\n",
                                        "\x01\x02\xff\r\n\r\n", "GET /healthz HTTP/1.1\r\n"};
  for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
    char *reply = fx_raw(p, garbage[i], strlen(garbage[i]));
    assert_non_null(reply);
    if (reply[0] && !strstr(reply, " 400 ") && !strstr(reply, " 505 "))
      fail_msg("garbage %zu: %s", i, reply);
    free(reply);
    expect(p, "GET", "/healthz", NULL, 200, "ok");
  }
  { /* a 4 KB request line of words, spaces and '%' with many arguments: answered at once, not
     * left to the 15 s timeout (libmicrohttpd ran out of its connection memory; fuzz_serve_http) */
    FILE *fp = fopen(PODSCALE_SOURCE_DIR "/tests/fuzz/serve_http-corpus/long-request-line", "rb");
    assert_non_null(fp);
    char bytes[8192];
    size_t n = fread(bytes, 1, sizeof bytes, fp);
    fclose(fp);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char *reply = fx_raw(p, bytes, n);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_non_null(reply);
    assert_non_null(strstr(reply, "HTTP/1.1 "));
    assert_true((double)(t1.tv_sec - t0.tv_sec) < 5);
    free(reply);
  }
  expect(p, "GET", "/metrics", NULL, 200, "podscale_optimizer_http_requests_total");
  expect(p, "GET", "/metrics", NULL, 200, "podscale_optimizer_decisions_total{model=\"m\"} 0");
  expect(p, "GET", "/metrics", NULL, 200,
         "podscale_optimizer_decisions_unproven_total{model=\"m\"} 0");
  expect(p, "GET", "/metrics", NULL, 200,
         "podscale_optimizer_deployment_replicas{model=\"m\",namespace=\"default\","
         "deployment=\"d\"} 100");
  stop(&r);
}

/* How many times the service logged `what` so far (this test file's log). */
static int count_in_log(const char *what) {
  char *log = opt_read_text(path_in("log.txt"), NULL);
  int n = 0;
  for (const char *p = log ? strstr(log, what) : NULL; p; p = strstr(p + 1, what))
    n++;
  free(log);
  return n;
}

static bool readyz_has(int port, const char *what) {
  char *body;
  int st = fx_http(port, "GET", "/readyz", NULL, &body);
  bool has = st == 200 && body && strstr(body, what);
  free(body);
  return has;
}

static bool wait_for(int port, const char *what, int ms) {
  for (int i = 0; i < ms / 50; i++) {
    if (readyz_has(port, what)) return true;
    fx_sleep_ms(50);
  }
  return false;
}

/* A profile file that is not text (/dev/zero: endless NUL bytes) is skipped with a warning after
 * at most the read cap, as a missing one is; the service starts and serves the other deployment. */
static void a_profile_file_of_nul_bytes_is_skipped(void **state) {
  (void)state;
  char text[1024];
  snprintf(text, sizeof text,
           "{\"models\": [{\"name\": \"m\", \"deployments\": [{\"name\": \"d\", \"profile_file\": "
           "\"%s\"}, {\"name\": \"z\", \"profile_file\": \"/dev/zero\"}]}]}",
           FLAT);
  write_file(path_in("zero.json"), text);
  srv_options o = srv_options_default();
  o.config_path = path_in("zero.json");
  running r = start(o);
  assert_true(wait_for(r.port, "\"deployments\":2,\"with_profile\":1", 5000));
  expect(r.port, "GET", "/metrics/default/d", NULL, 200, "vllm:deployment_replicas");
  stop(&r);
  assert_true(count_in_log("/dev/zero: expected text, found a NUL byte at offset 0") >= 1);
}

/* What one client can make the service hold is bounded (docs/limits.md): the records POSTed to a
 * model (a replay keeps them all: 64 MiB, then 507), the deployments of a model (64, then 503),
 * the rounds of a replay (1,000,000) and the models and deployments of a configuration. */
static void the_service_holds_what_its_limits_allow(void **state) {
  (void)state;
  srv_options o = srv_options_default();
  o.config_path = standalone_config();
  o.interval_s = 10;
  o.replay = true;
  o.replay_start_s = 0;
  o.replay_end_s = 10;
  running r = start(o);
  size_t len = 1000000;
  char *big = malloc(len + 1);
  memset(big, ' ', len);
  memcpy(big, "{\"1:1\": 1", 9);
  big[len - 1] = '}';
  big[len] = '\0';
  int stored = 0, st = 200;
  for (int k = 0; k < 80 && st == 200; k++) {
    char path[64];
    snprintf(path, sizeof path, "/trace/m?ts=%d", 1000 + 10 * k);
    st = fx_http(r.port, "POST", path, big, NULL);
    stored += st == 200;
  }
  assert_int_equal(st, 507);
  assert_int_equal(stored, 67); /* 67 x 1e6 bytes <= 64 MiB < 68 x 1e6 */
  big[200000 - 1] = '}';
  big[200000] = '\0';
  expect(r.port, "POST", "/trace/m?ts=5000", big, 507, "holds its most records");
  expect(r.port, "POST", "/trace/m?ts=5010", "{}", 200, "stored"); /* what still fits */
  free(big);
  for (int k = 0; k < 63; k++) { /* d is the first of 64 */
    char path[64];
    snprintf(path, sizeof path, "/monitor/default/x%d", k);
    expect(r.port, "POST", path, "{\"model\": \"m\"}", 200, "started");
  }
  expect(r.port, "POST", "/monitor/default/x63", "{\"model\": \"m\"}", 503,
         "model m monitors 64 deployments, its most");
  stop(&r);
  o.replay_end_s = 10 * 1000001;
  opt_err e;
  assert_null(srv_new(&o, &e));
  assert_non_null(strstr(e.msg, "--replay: expected at most 1000000 rounds"));
  char text[8192];
  size_t n =
      (size_t)snprintf(text, sizeof text, "{\"models\": [{\"name\": \"m\", \"deployments\": [");
  for (int k = 0; k < 65; k++)
    n += (size_t)snprintf(text + n, sizeof text - n, "%s{\"name\": \"d%d\"}", k ? ", " : "", k);
  snprintf(text + n, sizeof text - n, "]}]}");
  write_file(path_in("wide.json"), text);
  o = srv_options_default();
  o.config_path = path_in("wide.json");
  assert_null(srv_new(&o, &e));
  assert_non_null(strstr(e.msg, "expected at most 64 deployments, found 65"));
}

/* A trace POSTed in standalone mode is read by the next round: 30 requests in a 1 s interval on
 * 2 req/s pods is 15 pods, 1500 units, also written to the decision log. */
static void standalone_loop_decides(void **state) {
  (void)state;
  srv_options o = srv_options_default();
  o.config_path = standalone_config();
  o.interval_s = 1;
  o.decision_log = path_in("standalone-decisions.jsonl");
  running r = start(o);
  expect(r.port, "POST", "/trace/m",
         "{\"66:56\": 30, \"meta_v\": 4, \"meta_interval_sec\": 1, \"meta_precision\": 10, "
         "\"meta_total_reqs\": 30, \"meta_pending_reqs\": 0, \"meta_queueing_reqs\": 0}",
         200, "stored");
  long v = -1;
  for (int i = 0; i < 100 && v != 1500; i++) {
    fx_sleep_ms(100);
    v = metric(r.port, "default", "d");
  }
  assert_int_equal(v, 1500);
  stop(&r);
  char *log = opt_read_text(o.decision_log, NULL);
  assert_non_null(log);
  assert_non_null(strstr(log, "\"units\":1500"));
  assert_non_null(strstr(log, "\"solve_ms\":")); /* live decisions carry their wall time */
  free(log);
}

/* Records of n requests each, input/output tokens varying per record. */
static char *make_record(int64_t ts, int k) {
  opt_trace t;
  opt_trace_init(&t, ts);
  for (int i = 0; i < 20 + 5 * k; i++) {
    opt_trace_count_arrival(&t);
    opt_trace_count_done(&t, 90 + 3 * (i % 7) + k, 40 + (i % 5) * 2);
  }
  for (int i = 0; i < 12; i++) {
    opt_trace_count_arrival(&t);
    opt_trace_count_done(&t, 200 + i, 110 + (i % 3));
  }
  char *json = opt_trace_to_json(&t);
  opt_trace_free(&t);
  return json;
}

static opt_store *connect_store(int port) {
  char url[64];
  snprintf(url, sizeof url, "redis://127.0.0.1:%d", port);
  opt_redis_url u;
  opt_err e;
  assert_true(opt_redis_url_parse_any(url, &u, &e));
  opt_store *st = opt_store_open(&u, &e);
  if (!st) fail_msg("%s", e.msg);
  return st;
}

/* FLAT as the profile of model m, deployment d, in the Redis at rport. When `newer`, its
 * "created" is 9.0 instead of the file's 0.0, so that it replaces a profile read before. */
static void store_flat_profile(int rport, bool newer) {
  opt_store *st = connect_store(rport);
  char *profile = opt_read_text(FLAT, NULL);
  if (newer) {
    char *at = strstr(profile, "\"created\": 0.0");
    assert_non_null(at);
    memcpy(at, "\"created\": 9.0", strlen("\"created\": 9.0"));
  }
  assert_true(opt_store_put(st, "m", "d", profile, NULL));
  free(profile);
  opt_store_close(st);
}

static void serve_equals_solve_and_skips_bad_input(void **state) {
  (void)state;
  int rport = 0;
  pid_t redis = fx_redis_start(&rport);
  if (redis < 0) skip();
  store_flat_profile(rport, false);
  opt_store *st = connect_store(rport);
  char solve[8192];
  int n = snprintf(solve, sizeof solve, "%s solve --model m --profile %s", fx_podscale(), FLAT);
  for (int k = 1; k <= 6; k++) {
    char *json = make_record(10 * k, k);
    assert_true(opt_store_trace_put(st, "m", 10 * k, json, 600, NULL));
    char name[32];
    snprintf(name, sizeof name, "trace-%d.json", k);
    write_file(path_in(name), json);
    n += snprintf(solve + n, sizeof solve - (size_t)n, " --trace %s", path_in(name));
    free(json);
  }
  /* bad input a gateway never writes: a key without a time, a record that is not one */
  assert_true(opt_store_trace_put(st, "m", 0, "{\"1:2\": \"many\"}", 600, NULL));
  opt_store_close(st);
  redisContext *c = redisConnect("127.0.0.1", rport);
  assert_non_null(c);
  freeReplyObject(redisCommand(c, "SET aibrix:m_request_trace_bogus {}"));
  freeReplyObject(redisCommand(c, "SET aibrix:profile_m_e {not-json"));
  redisFree(c);

  char cfg[512];
  snprintf(cfg, sizeof cfg,
           "{\"models\": [{\"name\": \"m\", \"deployments\": [{\"name\": \"d\"}, "
           "{\"name\": \"e\"}]}]}");
  write_file(path_in("redis.json"), cfg);
  char url[64];
  snprintf(url, sizeof url, "redis://127.0.0.1:%d", rport);
  srv_options o = srv_options_default();
  o.config_path = path_in("redis.json");
  o.redis_url = url;
  o.replay = true; /* rounds at 2 (reads the bad record at 0), 12, ..., 62 */
  o.replay_start_s = 0;
  o.replay_end_s = 60;
  running r = start(o);
  for (int i = 0; i < 500 && !srv_replay_done(r.s); i++)
    fx_sleep_ms(10);
  assert_true(srv_replay_done(r.s));
  long served = metric(r.port, "default", "d");
  expect(r.port, "GET", "/metrics", NULL, 200,
         "podscale_optimizer_skipped_inputs_total{model=\"m\",kind=\"trace\"} 2");
  expect(r.port, "GET", "/metrics", NULL, 200,
         "podscale_optimizer_skipped_inputs_total{model=\"m\",kind=\"profile\"} 1");
  expect(r.port, "GET", "/readyz", NULL, 200, "\"redis\":\"connected\"");
  expect(r.port, "GET", "/readyz", NULL, 200, "\"deployments\":2,\"with_profile\":1");
  { /* the age of the last decision is wall time since it was made, not since the trace's time */
    char *body = NULL;
    assert_int_equal(fx_http(r.port, "GET", "/readyz", NULL, &body), 200);
    const char *age = body ? strstr(body, "\"last_decision_age_s\":") : NULL;
    assert_non_null(age);
    double s_age = atof(age + strlen("\"last_decision_age_s\":"));
    assert_true(s_age >= 0 && s_age < 60);
    free(body);
  }
  expect(r.port, "POST", "/trace/m", "{}", 409, "standalone");
  assert_int_equal(metric(r.port, "default", "e"), 0); /* no profile: 0 after a decision */
  stop(&r);

  FILE *fp = popen(solve, "r");
  assert_non_null(fp);
  char line[16384];
  assert_non_null(fgets(line, sizeof line, fp));
  pclose(fp);
  opt_decision d;
  opt_err e;
  if (!opt_decision_parse(line, "solve", &d, &e)) fail_msg("%s", e.msg);
  assert_true(d.deps[0].units > 0);
  assert_int_equal(served, d.deps[0].units);
  opt_decision_free(&d);
  fx_redis_stop(redis);
}

/* A newer profile replaces the one in use; Redis goes away: the service says it is degraded,
 * keeps serving the last value, and reconnects when Redis is back. */
static void redis_outage_degrades_and_recovers(void **state) {
  (void)state;
  int rport = 0;
  pid_t redis = fx_redis_start(&rport);
  if (redis < 0) skip();
  store_flat_profile(rport, false);
  write_file(path_in("outage.json"), "{\"models\": [{\"name\": \"m\", \"deployments\": "
                                     "[{\"name\": \"d\", \"replicas\": 2}]}]}");
  char url[64];
  snprintf(url, sizeof url, "redis://127.0.0.1:%d", rport);
  srv_options o = srv_options_default();
  o.config_path = path_in("outage.json");
  o.redis_url = url;
  o.interval_s = 1;
  running r = start(o);
  assert_true(wait_for(r.port, "\"with_profile\":1", 5000));
  /* a profile with a newer "created" replaces the one in use at the next round */
  int before = count_in_log("profile from aibrix:profile_m_d"), taken = before;
  assert_true(before >= 1);
  store_flat_profile(rport, true);
  for (int i = 0; i < 60 && taken == before; i++) {
    fx_sleep_ms(50);
    taken = count_in_log("profile from aibrix:profile_m_d");
  }
  assert_int_equal(taken, before + 1);
  fx_redis_stop(redis);
  assert_true(wait_for(r.port, "\"status\":\"degraded\"", 5000));
  assert_int_equal(metric(r.port, "default", "d"), 0); /* no load: min_replicas 0 */
  expect(r.port, "GET", "/metrics", NULL, 200, "podscale_optimizer_redis_up 0");
  redis = fx_redis_start(&rport); /* the same port */
  assert_true(wait_for(r.port, "\"status\":\"ok\"", 20000));
  expect(r.port, "GET", "/metrics", NULL, 200, "podscale_optimizer_redis_up 1");
  stop(&r);
  fx_redis_stop(redis);
}

/* One decision per line; false with the first difference. */
static bool same_decisions(const char *a_path, const char *b_path, char *why, size_t n) {
  FILE *a = fopen(a_path, "r"), *b = fopen(b_path, "r");
  if (!a || !b) return snprintf(why, n, "cannot open the logs"), false;
  static char la[1 << 16], lb[1 << 16];
  int k = 0;
  bool ok = true;
  for (;; k++) {
    char *ra = fgets(la, sizeof la, a), *rb = fgets(lb, sizeof lb, b);
    if (!ra || !rb) {
      if (ra || rb) ok = false, snprintf(why, n, "one log ends at decision %d", k);
      break;
    }
    opt_decision x, y;
    if (!opt_decision_parse(la, "sim", &x, NULL) || !opt_decision_parse(lb, "serve", &y, NULL)) {
      ok = false;
      snprintf(why, n, "decision %d does not parse", k);
      break;
    }
    bool same = x.time_s == y.time_s && x.total_rate == y.total_rate && x.cost == y.cost &&
                x.n_deps == y.n_deps;
    for (int i = 0; same && i < x.n_deps; i++)
      same = x.deps[i].units == y.deps[i].units;
    if (!same)
      snprintf(why, n, "decision %d: at %.1f s %lld units $%.4f, served at %.1f s %lld units $%.4f",
               k, x.time_s, (long long)x.deps[0].units, x.cost, y.time_s,
               (long long)y.deps[0].units, y.cost);
    opt_decision_free(&x);
    opt_decision_free(&y);
    if (!same) {
      ok = false;
      break;
    }
  }
  fclose(a);
  fclose(b);
  if (ok && k == 0) return snprintf(why, n, "no decisions"), false;
  return ok;
}

/* The README's scenario writes its gateway traces into Redis; the service replays them with the
 * profile the simulation made and decides exactly as the simulated optimizer did. */
static void simulation_and_service_decide_alike(void **state) {
  (void)state;
  int rport = 0;
  pid_t redis = fx_redis_start(&rport);
  if (redis < 0) skip();
  char cmd[2048];
  snprintf(cmd, sizeof cmd,
           "%s run %s/scenarios/aibrix-v100.json --policy optimizer-kpa -q -o %s/sim "
           "--trace-redis redis://127.0.0.1:%d",
           fx_podscale(), PODSCALE_SOURCE_DIR, tmpdir, rport);
  assert_int_equal(fx_system(cmd), 0);
  opt_store *st = connect_store(rport);
  char *profile = opt_read_text(path_in("sim/profiles/deepseek-llm-7b-chat.json"), NULL);
  assert_non_null(profile);
  assert_true(opt_store_put(st, "deepseek-llm-7b-chat", "deepseek-llm-7b-chat", profile, NULL));
  free(profile);
  opt_store_close(st);
  /* as the scenario's optimizer: traffic its profile cannot serve is charged as AIBrix does */
  write_file(path_in("sim.json"), "{\"models\": [{\"name\": \"deepseek-llm-7b-chat\", "
                                  "\"charge_unservable\": true, "
                                  "\"deployments\": [{\"name\": \"deepseek-llm-7b-chat\", "
                                  "\"replicas\": 1}]}]}");
  mkdir(path_in("live"), 0777);
  char url[64];
  snprintf(url, sizeof url, "redis://127.0.0.1:%d", rport);
  srv_options o = srv_options_default();
  o.config_path = path_in("sim.json");
  o.redis_url = url;
  o.decision_log = path_in("live/decisions.jsonl");
  /* the simulation's first round reads key 10 at 12 s; the service's last round is to be the
   * simulation's last too */
  char *sim_log = opt_read_text(path_in("sim/optimizer.jsonl"), NULL);
  assert_non_null(sim_log);
  const char *last_line = sim_log + strlen(sim_log) - 1;
  while (last_line > sim_log && last_line[-1] != '\n')
    last_line--;
  opt_decision ld;
  assert_true(opt_decision_parse(last_line, "sim", &ld, NULL));
  o.replay = true;
  o.replay_start_s = 10;
  o.replay_end_s = (int64_t)ld.time_s - 2;
  double last_time_s = ld.time_s;
  opt_decision_free(&ld);
  free(sim_log);
  running r = start(o);
  for (int i = 0; i < 1000 && !srv_replay_done(r.s); i++)
    fx_sleep_ms(10);
  assert_true(srv_replay_done(r.s));
  long served = metric(r.port, "default", "deepseek-llm-7b-chat");
  stop(&r);
  char why[512];
  if (!same_decisions(path_in("sim/optimizer.jsonl"), o.decision_log, why, sizeof why))
    fail_msg("%s", why);
  /* the value the simulated optimizer served after its last optimising round (later rounds,
   * while the last requests drain, may only minimise) */
  FILE *fp = fopen(path_in("sim/decisions.csv"), "r");
  assert_non_null(fp);
  char line[1024];
  double last = -1;
  while (fgets(line, sizeof line, fp))
    if (strstr(line, ",gpu-optimizer,") && strtod(strchr(line, ',') + 1, NULL) == last_time_s) {
      char *f = line;
      for (int k = 0; k < 7 && f; k++)
        f = strchr(f, ',') ? strchr(f, ',') + 1 : NULL;
      if (f) last = strtod(f, NULL);
    }
  fclose(fp);
  assert_true(last > 0);
  assert_int_equal(served, (long)last);
  /* and the production log replays clean with the profiles archived beside it */
  snprintf(cmd, sizeof cmd, "%s regress %s --profiles %s >/dev/null", fx_podscale(), o.decision_log,
           path_in("live/profiles"));
  assert_int_equal(fx_system(cmd), 0);
  fx_redis_stop(redis);
}

/* The real command: SIGTERM stops it with status 0 after flushing; bad input is status 2. */
static void the_command_stops_on_sigterm_and_rejects_bad_config(void **state) {
  (void)state;
  int port = fx_free_port();
  pid_t pid = fork();
  if (pid == 0) {
    char p[16];
    snprintf(p, sizeof p, "%d", port);
    if (!freopen(path_in("child.log"), "w", stderr)) _exit(127);
    execl(fx_podscale(), "podscale", "serve", "--config", standalone_config(), "--port", p,
          "--bind", "127.0.0.1", "--decision-log", path_in("child.jsonl"), (char *)NULL);
    _exit(127);
  }
  int st = -1;
  for (int i = 0; i < 200 && st != 200; i++) {
    fx_sleep_ms(25);
    st = fx_http(port, "GET", "/healthz", NULL, NULL);
  }
  assert_int_equal(st, 200);
  kill(pid, SIGHUP); /* profiles read again; the service goes on */
  fx_sleep_ms(200);
  assert_int_equal(fx_http(port, "GET", "/healthz", NULL, NULL), 200);
  kill(pid, SIGTERM);
  int status = -1;
  for (int i = 0; i < 400; i++) {
    if (waitpid(pid, &status, WNOHANG) == pid) break;
    fx_sleep_ms(25);
  }
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  assert_int_equal(fx_http(port, "GET", "/healthz", NULL, NULL), -1);
  char *log = opt_read_text(path_in("child.log"), NULL);
  assert_non_null(log);
  assert_non_null(strstr(log, "SIGHUP: every model reads its profiles again"));
  assert_non_null(strstr(log, "SIGTERM: shutting down"));
  assert_non_null(strstr(log, "\"message\":\"stopped\""));
  free(log);

  write_file(path_in("bad.json"), "{\"models\": [{\"name\": \"m\", \"deployments\": [{\"name\": "
                                  "\"d\", \"min_replicas\": 3, \"max_replicas\": 2}]}]}");
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "%s serve --config %s --port 0 2>%s", fx_podscale(),
           path_in("bad.json"), path_in("bad.err"));
  assert_int_equal(fx_system(cmd), 2);
  char *err = opt_read_text(path_in("bad.err"), NULL);
  assert_non_null(strstr(err, "bad.json: models[0].deployments[0].min_replicas"));
  free(err);
  snprintf(cmd, sizeof cmd, "%s serve --port 0 --redis http://x 2>/dev/null", fx_podscale());
  assert_int_equal(fx_system(cmd), 2);
  snprintf(cmd, sizeof cmd, "%s serve --replay 9:5 2>/dev/null", fx_podscale());
  assert_int_equal(fx_system(cmd), 2);
  snprintf(cmd, sizeof cmd, "%s serve --port 0 --bind nope 2>/dev/null", fx_podscale());
  assert_int_equal(fx_system(cmd), 2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(every_endpoint_and_bad_requests),
      cmocka_unit_test(standalone_loop_decides),
      cmocka_unit_test(a_profile_file_of_nul_bytes_is_skipped),
      cmocka_unit_test(the_service_holds_what_its_limits_allow),
      cmocka_unit_test(serve_equals_solve_and_skips_bad_input),
      cmocka_unit_test(redis_outage_degrades_and_recovers),
      cmocka_unit_test(simulation_and_service_decide_alike),
      cmocka_unit_test(the_command_stops_on_sigterm_and_rejects_bad_config),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
