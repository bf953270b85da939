/*
 * mock_vllm: `podscale mock-vllm` as a child process, over real sockets (libcurl). Every
 * endpoint; usage counts; a request's wall-clock E2E, first token and token spread against the
 * same simulated pod run in-process (divided by --speedup); the gauges while a request is in
 * flight; a client that leaves mid-stream is aborted; bad requests and bad options; SIGTERM.
 * The tests run in order against one server.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "models/pods/catalog.h"
#include "models/pods/llmpod.h"
#include "sim/http/mock_vllm.h"
#include "testutil.h"

extern char **environ;

#define GPU "A100-80GB"
#define MODEL "llama-2-7b"
#define SPEEDUP 2.0
#define SPEEDUP_ARG "2"

static char tmpdir[64];
static pid_t server = -1;
static int port;

/* ---- helpers ---- */

static void sleep_ms(long ms) {
  struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&t, NULL);
}

static const char *bin(void) {
  const char *b = getenv("PODSCALE_BIN");
  if (!b || !*b) fail_msg("PODSCALE_BIN is not set: run the tests through ctest");
  return b;
}

/* Start podscale with args (NULL-terminated), stdout and stderr into files of tmpdir. */
static pid_t spawn(const char *const *args, const char *err_name) {
  const char *argv[40];
  int n = 0;
  argv[n++] = bin();
  for (; args[n - 1]; n++)
    argv[n] = args[n - 1];
  argv[n] = NULL;
  char err_path[256];
  snprintf(err_path, sizeof err_path, "%s/%s", tmpdir, err_name);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid;
  int rc = posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) fail_msg("cannot start %s: %s", argv[0], strerror(rc));
  return pid;
}

static char *read_file(const char *name) {
  char path[256];
  snprintf(path, sizeof path, "%s/%s", tmpdir, name);
  char *s = tu_slurp(path, NULL);
  return s ? s : strdup("");
}

/* Exit status of pid within timeout_ms; -1 if it did not exit normally in time (then killed). */
static int wait_exit(pid_t pid, long timeout_ms) {
  int status;
  for (long t = 0; t < timeout_ms; t += 10) {
    pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    sleep_ms(10);
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return -1;
}

typedef struct resp {
  long status;
  char *body;
  size_t len, scan;
  double t0;         /* when the request was sent */
  double t_ev[8192]; /* seconds after t0 at the end of each "\n\n"-terminated event */
  int n_ev;
  double t_end; /* seconds after t0 when the response was complete */
} resp;

static size_t on_write(char *p, size_t sz, size_t nm, void *ud) {
  resp *r = ud;
  size_t n = sz * nm;
  r->body = realloc(r->body, r->len + n + 1);
  memcpy(r->body + r->len, p, n);
  r->len += n;
  r->body[r->len] = '\0';
  double t = ps_mono_s() - r->t0;
  size_t i = r->scan;
  for (; i + 1 < r->len; i++)
    if (r->body[i] == '\n' && r->body[i + 1] == '\n') {
      if (r->n_ev < 8192) r->t_ev[r->n_ev++] = t;
      i++;
    }
  r->scan = i;
  return n;
}

/* One request; the status (-1 when the server cannot be reached). */
static long http(const char *method, const char *path, const char *body, resp *r) {
  memset(r, 0, sizeof *r);
  char url[256];
  snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
  CURL *c = curl_easy_init();
  struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  if (!strcmp(method, "HEAD")) curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  if (body) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
  }
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
  r->t0 = ps_mono_s();
  CURLcode rc = curl_easy_perform(c);
  r->t_end = ps_mono_s() - r->t0;
  r->status = -1;
  if (rc == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  if (!r->body) r->body = strdup("");
  return r->status;
}

static void resp_free(resp *r) {
  free(r->body);
  r->body = NULL;
}

/* {"model": MODEL, "prompt": "hi " x words, "max_tokens": max[, "stream": 1]} */
static char *completion_body(int words, int max, bool stream) {
  size_t cap = (size_t)words * 3 + 256;
  char *b = malloc(cap);
  int n = snprintf(b, cap, "{\"model\": \"" MODEL "\", \"prompt\": \"");
  for (int i = 0; i < words; i++, n += 3)
    memcpy(b + n, "hi ", 3);
  snprintf(b + n, cap - (size_t)n, "\", \"max_tokens\": %d, \"temperature\": 0.0%s}", max,
           stream ? ", \"stream\": 1" : "");
  return b;
}

/* The simulated pod of the server, in-process: token times of one request arriving at 0. */
typedef struct engine_run {
  int64_t tok_us[4096];
  int32_t n;
  int64_t finish_us;
} engine_run;

static void on_tok(void *ctx, request *const *rs, int32_t n, int64_t t_us) {
  engine_run *e = ctx;
  (void)rs;
  if (n > 0 && e->n < 4096) e->tok_us[e->n++] = t_us;
}

static void on_fin(void *ctx, request *r, int64_t t_us, rq_status st) {
  (void)r;
  assert_int_equal(st, RQ_OK);
  ((engine_run *)ctx)->finish_us = t_us;
}

static void engine_alone(int32_t input, int32_t output, engine_run *e) {
  memset(e, 0, sizeof *e);
  llmpod_config cfg;
  char why[256];
  assert_true(llmpod_configure(catalog_gpu(GPU), catalog_llm(MODEL), &llm_engine_args_default, &cfg,
                               why, sizeof why));
  cfg.stepped = true;
  cfg.on_tokens = on_tok;
  cfg.tokens_ctx = e;
  pod_model p = llmpod_new(&cfg);
  request r = {.arrival_us = 0,
               .start_us = -1,
               .first_token_us = -1,
               .finish_us = -1,
               .input_tokens = input,
               .output_tokens = output};
  p.ops->submit(p.self, &r, 0, on_fin, e);
  for (int64_t t; (t = p.ops->next_us(p.self)) != INT64_MAX;)
    p.ops->advance(p.self, t, on_fin, e);
  p.ops->free(p.self);
  assert_int_equal(e->n, output);
}

/* Wall seconds for a simulated time. */
static double wall(int64_t sim_us) { return (double)sim_us * 1e-6 / SPEEDUP; }

/* A time measured from the send: the server may be late (a loaded machine) but never early,
 * so from 80% of the expected time (less 5 ms of rounding) to 150% + 50 ms. */
static void assert_near(const char *what, double measured, double expected) {
  if (measured < 0.8 * expected - 0.005 || measured > 1.5 * expected + 0.05)
    fail_msg("%s: measured %.4f s, expected %.4f s (-20%% - 5 ms, +50%% + 50 ms)", what, measured,
             expected);
}

/* A time between two events, both of which may be late: +-50% + 50 ms. */
static void assert_span(const char *what, double measured, double expected) {
  if (measured < 0.5 * expected || measured > 1.5 * expected + 0.05)
    fail_msg("%s: measured %.4f s, expected %.4f s (+-50%% + 50 ms)", what, measured, expected);
}

/* The value of a metric line "NAME{model_name="MODEL"} V"; fails when absent. */
static double metric(const char *text, const char *name) {
  char key[256];
  snprintf(key, sizeof key, "\n%s{model_name=\"" MODEL "\"} ", name);
  const char *at = strstr(text, key);
  if (!at) fail_msg("no %s in /metrics:\n%s", name, text);
  return strtod(at + strlen(key), NULL);
}

static double scrape(const char *name) {
  resp r;
  assert_int_equal(http("GET", "/metrics", NULL, &r), 200);
  double v = metric(r.body, name);
  resp_free(&r);
  return v;
}

static cJSON *json(const resp *r) {
  cJSON *o = cJSON_Parse(r->body);
  if (!o) fail_msg("not JSON: %s", r->body);
  return o;
}

static int int_at(const cJSON *o, const char *a, const char *b) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, a), b);
  if (!cJSON_IsNumber(v)) fail_msg("no number %s.%s", a, b);
  return v->valueint;
}

static const cJSON *choice0(const cJSON *o) {
  const cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, "choices"), 0);
  if (!c) fail_msg("no choices[0]");
  return c;
}

static const char *str_at(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(v) ? v->valuestring : "(not a string)";
}

/* Event i of a stream ("data: {...}"), parsed. */
static cJSON *event(const resp *r, int i) {
  const char *p = r->body;
  for (int k = 0; k < i; k++) {
    p = strstr(p, "\n\n");
    if (!p) fail_msg("no event %d in %s", i, r->body);
    p += 2;
  }
  if (strncmp(p, "data: ", 6) != 0) fail_msg("event %d does not start with 'data: ': %.80s", i, p);
  const char *end = strstr(p, "\n\n");
  char *text = strndup(p + 6, (size_t)(end - p - 6));
  cJSON *o = cJSON_Parse(text);
  if (!o) fail_msg("event %d is not JSON: %s", i, text);
  free(text);
  return o;
}

/* ---- the server ---- */

static int start_server(void **state) {
  (void)state;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  tu_tmpdir(tmpdir);
  const char *args[] = {"mock-vllm", "--gpu",  GPU,         "--model",   MODEL,       "--port",
                        "0",         "--bind", "127.0.0.1", "--speedup", SPEEDUP_ARG, NULL};
  server = spawn(args, "server.txt");
  for (int i = 0; i < 500 && !port; i++) {
    sleep_ms(10);
    char *err = read_file("server.txt");
    const char *at = strstr(err, "listening on 127.0.0.1:");
    if (at) port = atoi(at + strlen("listening on 127.0.0.1:"));
    free(err);
  }
  if (!port) {
    char *err = read_file("server.txt");
    fprintf(stderr, "mock-vllm did not start:\n%s\n", err);
    free(err);
    return -1;
  }
  return 0;
}

static int stop_server(void **state) {
  (void)state;
  if (server > 0 && kill(server, 0) == 0) {
    kill(server, SIGKILL);
    waitpid(server, NULL, 0);
  }
  tu_rmrf(tmpdir);
  curl_global_cleanup();
  return 0;
}

/* ---- tests ---- */

static void words_are_tokens(void **state) {
  (void)state;
  assert_int_equal(mv_count_words("hi hi hi ", 9), 3);
  assert_int_equal(mv_count_words("", 0), 0);
  assert_int_equal(mv_count_words("  a\tb\nc  ", 9), 3);
  assert_int_equal(mv_count_words("one", 3), 1);
}

static void health_and_models(void **state) {
  (void)state;
  resp r;
  assert_int_equal(http("GET", "/health", NULL, &r), 200);
  resp_free(&r);
  assert_int_equal(http("GET", "/v1/models", NULL, &r), 200);
  cJSON *o = json(&r);
  assert_string_equal(str_at(o, "object"), "list");
  const cJSON *m = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, "data"), 0);
  assert_non_null(m);
  assert_string_equal(str_at(m, "id"), MODEL);
  assert_int_equal(cJSON_GetObjectItemCaseSensitive(m, "max_model_len")->valueint, 4096);
  cJSON_Delete(o);
  resp_free(&r);
}

static void completion_counts_words_and_lasts_the_engines_e2e(void **state) {
  (void)state;
  engine_run e;
  engine_alone(128, 32, &e);
  char *body = completion_body(128, 32, false);
  resp r;
  assert_int_equal(http("POST", "/v1/completions", body, &r), 200);
  free(body);
  cJSON *o = json(&r);
  assert_int_equal(int_at(o, "usage", "prompt_tokens"), 128);
  assert_int_equal(int_at(o, "usage", "completion_tokens"), 32);
  assert_int_equal(int_at(o, "usage", "total_tokens"), 160);
  assert_string_equal(str_at(o, "object"), "text_completion");
  const cJSON *c = choice0(o);
  assert_int_equal(mv_count_words(str_at(c, "text"), strlen(str_at(c, "text"))), 32);
  assert_string_equal(str_at(c, "finish_reason"), "length");
  assert_near("E2E", r.t_end, wall(e.finish_us));
  cJSON_Delete(o);
  resp_free(&r);
}

static void stream_sends_each_token_when_the_engine_makes_it(void **state) {
  (void)state;
  engine_run e;
  engine_alone(128, 32, &e);
  char *body = completion_body(128, 32, true);
  resp r;
  assert_int_equal(http("POST", "/v1/completions", body, &r), 200);
  free(body);
  assert_int_equal(r.n_ev, 33);
  assert_non_null(strstr(r.body, "\n\ndata: [DONE]\n\n"));
  assert_int_equal(strlen(strstr(r.body, "data: [DONE]\n\n")), strlen("data: [DONE]\n\n"));
  for (int i = 0; i < 32; i++) {
    cJSON *o = event(&r, i);
    const cJSON *c = choice0(o);
    assert_string_equal(str_at(c, "text"), "tok ");
    assert_true(i == 31 ? cJSON_IsString(cJSON_GetObjectItemCaseSensitive(c, "finish_reason"))
                        : cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(c, "finish_reason")));
    cJSON_Delete(o);
  }
  assert_near("first token", r.t_ev[0], wall(e.tok_us[0]));
  assert_near("16th token", r.t_ev[15], wall(e.tok_us[15]));
  assert_near("last token", r.t_ev[31], wall(e.tok_us[31]));
  /* spread over the decode, not sent in one burst */
  assert_span("16th - 1st token", r.t_ev[15] - r.t_ev[0], wall(e.tok_us[15] - e.tok_us[0]));
  resp_free(&r);
}

static void long_prompt_delays_the_first_token_by_its_prefill(void **state) {
  (void)state;
  engine_run e;
  engine_alone(3000, 4, &e);
  assert_true(wall(e.tok_us[0]) > 0.05); /* the check below means something */
  char *body = completion_body(3000, 4, true);
  resp r;
  assert_int_equal(http("POST", "/v1/completions", body, &r), 200);
  free(body);
  assert_int_equal(r.n_ev, 5);
  assert_near("TTFT", r.t_ev[0], wall(e.tok_us[0]));
  assert_near("E2E", r.t_end, wall(e.finish_us));
  resp_free(&r);
}

static void chat_completions_stream_and_not(void **state) {
  (void)state;
  resp r;
  const char *chat = "{\"model\": \"" MODEL "\", \"max_tokens\": 3, \"messages\": [{\"role\": "
                     "\"system\", \"content\": \"be brief\"}, {\"role\": \"user\", \"content\": "
                     "[{\"type\": \"text\", \"text\": \"a b c\"}]}]";
  char body[512];
  snprintf(body, sizeof body, "%s}", chat);
  assert_int_equal(http("POST", "/v1/chat/completions", body, &r), 200);
  cJSON *o = json(&r);
  assert_string_equal(str_at(o, "object"), "chat.completion");
  assert_int_equal(int_at(o, "usage", "prompt_tokens"), 5);
  assert_int_equal(int_at(o, "usage", "completion_tokens"), 3);
  const cJSON *msg = cJSON_GetObjectItemCaseSensitive(choice0(o), "message");
  assert_string_equal(str_at(msg, "role"), "assistant");
  assert_string_equal(str_at(msg, "content"), "tok tok tok ");
  cJSON_Delete(o);
  resp_free(&r);

  snprintf(body, sizeof body,
           "%s, \"stream\": true, \"stream_options\": {\"include_usage\": "
           "true}}",
           chat);
  assert_int_equal(http("POST", "/v1/chat/completions", body, &r), 200);
  assert_int_equal(r.n_ev, 6); /* role, 3 tokens, usage, [DONE] */
  o = event(&r, 0);
  assert_string_equal(str_at(o, "object"), "chat.completion.chunk");
  assert_string_equal(str_at(cJSON_GetObjectItemCaseSensitive(choice0(o), "delta"), "role"),
                      "assistant");
  cJSON_Delete(o);
  for (int i = 1; i <= 3; i++) {
    o = event(&r, i);
    assert_string_equal(str_at(cJSON_GetObjectItemCaseSensitive(choice0(o), "delta"), "content"),
                        "tok ");
    cJSON_Delete(o);
  }
  o = event(&r, 4);
  assert_int_equal(int_at(o, "usage", "total_tokens"), 8);
  cJSON_Delete(o);
  resp_free(&r);
}

typedef struct bg {
  pthread_t t;
  char *body;
  resp r;
} bg;

static void *bg_main(void *arg) {
  bg *b = arg;
  http("POST", "/v1/completions", b->body, &b->r);
  return NULL;
}

static void metrics_follow_a_request_in_flight(void **state) {
  (void)state;
  assert_true(scrape("vllm:num_requests_running") == 0);
  double ok0 = 0;
  {
    resp r;
    assert_int_equal(http("GET", "/metrics", NULL, &r), 200);
    const char *k =
        "vllm:request_success_total{finished_reason=\"length\",model_name=\"" MODEL "\"} ";
    const char *at = strstr(r.body, k);
    assert_non_null(at);
    ok0 = strtod(at + strlen(k), NULL);
    assert_non_null(strstr(r.body, "# TYPE vllm:gpu_cache_usage_perc gauge\n"));
    assert_non_null(strstr(r.body, "vllm:time_to_first_token_seconds_bucket{model_name=\"" MODEL
                                   "\",le=\"+Inf\"} "));
    resp_free(&r);
  }
  bg b = {.body = completion_body(200, 300, false)}; /* about 2 s of wall time */
  pthread_create(&b.t, NULL, bg_main, &b);
  double running = 0, usage = 0;
  for (int i = 0; i < 100 && running != 1; i++) {
    sleep_ms(10);
    running = scrape("vllm:num_requests_running");
    usage = scrape("vllm:gpu_cache_usage_perc");
  }
  assert_true(running == 1);
  assert_true(scrape("vllm:num_requests_waiting") == 0);
  assert_true(usage > 0 && usage < 0.01); /* 500 tokens of a 119696-token cache */
  pthread_join(b.t, NULL);
  assert_int_equal(b.r.status, 200);
  resp_free(&b.r);
  free(b.body);
  assert_true(scrape("vllm:num_requests_running") == 0);
  assert_true(scrape("vllm:gpu_cache_usage_perc") == 0);
  resp r;
  assert_int_equal(http("GET", "/metrics", NULL, &r), 200);
  char k[256];
  snprintf(k, sizeof k,
           "vllm:request_success_total{finished_reason=\"length\",model_name=\"" MODEL "\"} ");
  assert_true(strtod(strstr(r.body, k) + strlen(k), NULL) == ok0 + 1);
  resp_free(&r);
}

static int connect_server(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_port = htons((uint16_t)port),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
  return fd;
}

static void a_client_that_leaves_mid_stream_is_aborted(void **state) {
  (void)state;
  double aborted0 = scrape("podscale:requests_aborted_total");
  char *body = completion_body(16, 2000, true); /* 25 s of wall time if it ran to the end */
  char head[256];
  int hn = snprintf(head, sizeof head,
                    "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                    "\r\nContent-Length: %zu\r\n\r\n",
                    strlen(body));
  int fd = connect_server();
  assert_int_equal(write(fd, head, (size_t)hn), hn);
  assert_int_equal(write(fd, body, strlen(body)), (ssize_t)strlen(body));
  free(body);
  char buf[4096];
  size_t got = 0;
  while (got < sizeof buf - 1) { /* until the first token */
    ssize_t n = read(fd, buf + got, sizeof buf - 1 - got);
    assert_true(n > 0);
    got += (size_t)n;
    buf[got] = '\0';
    if (strstr(buf, "data: ")) break;
  }
  assert_true(scrape("vllm:num_requests_running") == 1);
  close(fd);
  double running = 1;
  for (int i = 0; i < 100 && running != 0; i++) {
    sleep_ms(10);
    running = scrape("vllm:num_requests_running");
  }
  assert_true(running == 0);
  assert_true(scrape("podscale:requests_aborted_total") == aborted0 + 1);
}

static void concurrent_requests_all_complete(void **state) {
  (void)state;
  enum { N = 24 };
  bg b[N];
  for (int i = 0; i < N; i++) {
    b[i] = (bg){.body = completion_body(64 + 8 * i, 16 + i, i % 2 == 0)};
    pthread_create(&b[i].t, NULL, bg_main, &b[i]);
  }
  for (int i = 0; i < N; i++) {
    pthread_join(b[i].t, NULL);
    assert_int_equal(b[i].r.status, 200);
    if (i % 2 == 0) assert_int_equal(b[i].r.n_ev, 16 + i + 1);
    resp_free(&b[i].r);
    free(b[i].body);
  }
  assert_true(scrape("vllm:num_requests_running") == 0);
  /* counts past 10 as prometheus_client writes them ("30.0", not "3e+01") */
  resp r;
  assert_int_equal(http("GET", "/metrics", NULL, &r), 200);
  const char *k =
      "\nvllm:request_success_total{finished_reason=\"length\",model_name=\"" MODEL "\"} ";
  const char *v = strstr(r.body, k);
  assert_non_null(v);
  v += strlen(k);
  size_t digits = strspn(v, "0123456789");
  assert_true(digits >= 2);
  assert_memory_equal(v + digits, ".0\n", 3);
  resp_free(&r);
}

/* status and error.message containing has */
static void expect_error(const char *method, const char *path, const char *body, long status,
                         const char *has) {
  resp r;
  long st = http(method, path, body, &r);
  cJSON *o = cJSON_Parse(r.body);
  const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "error");
  const char *msg = str_at(e, "message");
  if (st != status || !e || int_at(o, "error", "code") != status || !strstr(msg, has))
    fail_msg("%s %s: status %ld (expected %ld), body %.300s (expected an error with '%s')", method,
             path, st, status, r.body, has);
  cJSON_Delete(o);
  resp_free(&r);
}

static void bad_requests_get_openai_errors(void **state) {
  (void)state;
  const char *c = "/v1/completions";
  expect_error("POST", c, "{\"prompt\": ", 400, "JSON object");
  expect_error("POST", c, "[1, 2]", 400, "JSON object");
  expect_error("POST", c, "{\"model\": \"" MODEL "\"}", 400, "prompt");
  expect_error("POST", c, "{\"model\": \"gpt-4\", \"prompt\": \"hi\"}", 404,
               "The model `gpt-4` does not exist.");
  expect_error("POST", c, "{\"prompt\": \"\"}", 400, "empty");
  expect_error("POST", c, "{\"prompt\": \"hi\", \"max_tokens\": 0}", 400, "max_tokens");
  expect_error("POST", c, "{\"prompt\": \"hi\", \"max_tokens\": 2.5}", 400, "max_tokens");
  expect_error("POST", c, "{\"prompt\": \"hi\", \"max_tokens\": 4096}", 400,
               "maximum context length is 4096 tokens. However, you requested 4097 tokens");
  expect_error("POST", c, "{\"prompt\": \"hi\", \"max_tokens\": 2147483647}", 400,
               "you requested 2147483648 tokens (1 in the messages, 2147483647 in the completion)");
  expect_error("POST", "/v1/chat/completions",
               "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], "
               "\"max_completion_tokens\": -3}",
               400, "max_completion_tokens: expected a whole number");
  expect_error("POST", c, "{\"prompt\": \"hi\", \"n\": 2}", 400, "n:");
  expect_error("POST", c, "{\"prompt\": \"hi\", \"stream\": \"yes\"}", 400, "stream");
  expect_error("POST", c, "{\"prompt\": [\"a\", \"b\"]}", 400, "one prompt");
  expect_error("POST", "/v1/chat/completions", "{\"messages\": []}", 400, "messages");
  expect_error("POST", "/v1/chat/completions", "{\"messages\": [{\"content\": 3}]}", 400,
               "messages");
  expect_error("GET", c, NULL, 405, "POST");
  expect_error("POST", "/metrics", "{}", 405, "GET");
  expect_error("GET", "/nope", NULL, 404, "Not Found");
  expect_error("GET", "/v1/models%00", NULL, 404, "Not Found");
  size_t big = 5 * 1024 * 1024;
  char *huge = malloc(big + 1);
  memset(huge, ' ', big);
  huge[big] = '\0';
  expect_error("POST", c, huge, 413, "over");
  free(huge);
  /* a prompt of token ids counts its ids */
  resp r;
  assert_int_equal(http("POST", c, "{\"prompt\": [1, 2, 3, 4], \"max_tokens\": 1}", &r), 200);
  cJSON *o = json(&r);
  assert_int_equal(int_at(o, "usage", "prompt_tokens"), 4);
  cJSON_Delete(o);
  resp_free(&r);
  /* garbage on the wire does not stop the server */
  int fd = connect_server();
  assert_int_equal(write(fd, "\x01\x02\xff\r\n\r\n", 7), 7);
  close(fd);
  assert_int_equal(http("GET", "/health", NULL, &r), 200);
  resp_free(&r);
}

static void bad_options_exit_2(void **state) {
  (void)state;
  const char *const cases[][12] = {
      {"mock-vllm", "--gpu", "nope", "--model", MODEL, NULL},
      {"mock-vllm", "--gpu", GPU, NULL},
      {"mock-vllm", "--gpu", GPU, "--model", MODEL, "--speedup", "0", NULL},
      {"mock-vllm", "--gpu", GPU, "--model", MODEL, "--port", "70000", NULL},
      {"mock-vllm", "--gpu", GPU, "--model", MODEL, "--bind", "localhost", "--port", "0", NULL},
      {"mock-vllm", "--gpu", GPU, "--model", MODEL, "--served-model-name", "a\"b", NULL},
      {"mock-vllm", "--gpu", GPU, "--model", MODEL, "--max-model-len", "9999999", NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    pid_t pid = spawn(cases[i], "bad.txt");
    int rc = wait_exit(pid, 5000);
    char *err = read_file("bad.txt");
    if (rc != 2) fail_msg("case %zu: exit %d, expected 2; stderr:\n%s", i, rc, err);
    assert_non_null(strstr(err, "podscale: "));
    free(err);
  }
}

static void sigterm_exits_0(void **state) {
  (void)state;
  bg b = {.body = completion_body(16, 2000, false)}; /* still running at SIGTERM */
  pthread_create(&b.t, NULL, bg_main, &b);
  for (int i = 0; i < 100 && scrape("vllm:num_requests_running") != 1; i++)
    sleep_ms(10);
  assert_int_equal(kill(server, SIGTERM), 0);
  int rc = wait_exit(server, 10000);
  server = -1;
  pthread_join(b.t, NULL);
  assert_true(b.r.status == 503 || b.r.status == -1);
  resp_free(&b.r);
  free(b.body);
  char *err = read_file("server.txt");
  if (rc != 0) fail_msg("exit %d after SIGTERM; stderr:\n%s", rc, err);
  assert_non_null(strstr(err, "SIGTERM: shutting down"));
  free(err);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(words_are_tokens),
      cmocka_unit_test(health_and_models),
      cmocka_unit_test(completion_counts_words_and_lasts_the_engines_e2e),
      cmocka_unit_test(stream_sends_each_token_when_the_engine_makes_it),
      cmocka_unit_test(long_prompt_delays_the_first_token_by_its_prefill),
      cmocka_unit_test(chat_completions_stream_and_not),
      cmocka_unit_test(metrics_follow_a_request_in_flight),
      cmocka_unit_test(a_client_that_leaves_mid_stream_is_aborted),
      cmocka_unit_test(concurrent_requests_all_complete),
      cmocka_unit_test(bad_requests_get_openai_errors),
      cmocka_unit_test(bad_options_exit_2),
      cmocka_unit_test(sigterm_exits_0),
  };
  return cmocka_run_group_tests(tests, start_server, stop_server);
}
