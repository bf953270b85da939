/*
 * `podscale benchmark --endpoint URL` against a tiny OpenAI-compatible server started here.
 *
 * The server (a raw socket server: one accept thread, one thread per connection) answers
 * GET /v1/models and streams POST /v1/completions as vLLM does, with known delays measured from
 * when it has read the request: the response headers after 30 ms, the first token after 50 ms,
 * then one token every 10 ms, then `data: [DONE]`. So podscale's TTFT is about 50 ms,
 * aibrix_benchmark's (from the headers) about 20 ms, TPOT 10 ms and E2E 50 + 10 x (n - 1) ms.
 * It can also answer 500 to every k-th request, 400 to long prompts, an error inside the
 * stream, or stop listening, and it records what it received. The benchmark is the podscale
 * binary ($PODSCALE_BIN), so the command line, the file and the exit status are tested too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cjson/cJSON.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <strings.h>

#include "base/clock.h"
#include "fixtures.h"
#include "sim/bench/benchmark.h"
#include "testutil.h"

enum { MAX_SEEN = 64 };

typedef struct server {
  int fd, port;
  pthread_t accept_thread;
  bool started;    /* accept_thread runs */
  atomic_int live; /* connection threads running */
  /* behaviour, set before start */
  int header_ms;           /* response headers, ms after the request was read */
  int first_ms;            /* first token */
  int token_ms;            /* each later token */
  int fail_every;          /* the n-th completion request (from 1) fails with 500 when n % k == 0 */
  int prompt_limit;        /* prompts of more "hi " than this get 400; 0 none */
  bool stream_error;       /* an error event after the first token */
  int close_after;         /* stop listening after this many completion requests; 0 never */
  const char *served;      /* the model listed by /v1/models */
  int max_model_len;       /* listed with it; 0 not listed */
  const char *require_key; /* 401 unless "Authorization: Bearer KEY"; NULL accepts all */
  /* what it saw */
  pthread_mutex_t mu;
  int completions;           /* completion requests read */
  int64_t recv_us[MAX_SEEN]; /* when each was read, monotonic */
  char auth[256];            /* the last completion's Authorization value, "" without */
  char path[256];            /* its path */
  char body[4096];           /* its body */
} server;

static void sleep_until_us(int64_t t_us) {
  struct timespec t = {(time_t)(t_us / 1000000), (long)(t_us % 1000000) * 1000};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR) {
  }
}

/* The value of header `name` in the request head, into out ("" when absent). */
static void header(const char *head, const char *name, char *out, size_t n) {
  out[0] = '\0';
  size_t k = strlen(name);
  for (const char *l = strstr(head, "\r\n"); l && l[2]; l = strstr(l + 2, "\r\n")) {
    if (strncasecmp(l + 2, name, k) || l[2 + k] != ':') continue;
    const char *v = l + 3 + k, *end = strstr(v, "\r\n");
    while (*v == ' ')
      v++;
    snprintf(out, n, "%.*s", (int)(end - v), v);
    return;
  }
}

static void reply(int fd, const char *status, const char *body) {
  char head[256];
  snprintf(head, sizeof head,
           "HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
           "Connection: close\r\n\r\n",
           status, strlen(body));
  fx_write_all(fd, head, strlen(head));
  fx_write_all(fd, body, strlen(body));
}

static void models(server *s, int fd) {
  char body[512];
  if (s->max_model_len)
    snprintf(body, sizeof body,
             "{\"object\": \"list\", \"data\": [{\"id\": \"%s\", \"object\": \"model\", "
             "\"max_model_len\": %d}]}",
             s->served, s->max_model_len);
  else
    snprintf(body, sizeof body,
             "{\"object\": \"list\", \"data\": [{\"id\": \"%s\", \"object\": \"model\"}]}",
             s->served);
  reply(fd, "200 OK", body);
}

/* The stream of one completion request read at t_us. */
static void stream(server *s, int fd, int64_t t_us, int tokens) {
  static const char ev[] = "data: {\"id\": \"cmpl-1\", \"object\": \"text_completion\", "
                           "\"model\": \"m\", \"choices\": [{\"index\": 0, \"text\": \" hi\", "
                           "\"finish_reason\": null}]}\n\n";
  static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                             "Connection: close\r\n\r\n";
  sleep_until_us(t_us + s->header_ms * 1000);
  if (!fx_write_all(fd, head, sizeof head - 1)) return;
  for (int k = 0; k < tokens; k++) {
    sleep_until_us(t_us + (int64_t)(s->first_ms + k * s->token_ms) * 1000);
    if (s->stream_error && k == 1) {
      const char *e =
          "data: {\"error\": {\"object\": \"error\", \"message\": \"engine died\"}}\n\n";
      fx_write_all(fd, e, strlen(e));
      break;
    }
    if (!fx_write_all(fd, ev, sizeof ev - 1)) return;
  }
  fx_write_all(fd, "data: [DONE]\n\n", 14);
}

static void completion(server *s, int fd, const char *head, const char *body, int64_t t_us) {
  char auth[256], path[256] = "";
  header(head, "Authorization", auth, sizeof auth);
  sscanf(head, "%*s %255s", path);
  pthread_mutex_lock(&s->mu);
  int n = ++s->completions;
  if (n <= MAX_SEEN) s->recv_us[n - 1] = t_us;
  snprintf(s->auth, sizeof s->auth, "%s", auth);
  snprintf(s->path, sizeof s->path, "%s", path);
  snprintf(s->body, sizeof s->body, "%s", body);
  pthread_mutex_unlock(&s->mu);
  if (s->close_after && n == s->close_after) shutdown(s->fd, SHUT_RDWR);
  cJSON *o = cJSON_Parse(body);
  const cJSON *prompt = cJSON_GetObjectItemCaseSensitive(o, "prompt");
  const cJSON *max = cJSON_GetObjectItemCaseSensitive(o, "max_tokens");
  int tokens = cJSON_IsNumber(max) ? max->valueint : 16;
  size_t words = cJSON_IsString(prompt) ? strlen(prompt->valuestring) / 3 : 0;
  cJSON_Delete(o);
  if (s->fail_every && n % s->fail_every == 0)
    reply(fd, "500 Internal Server Error",
          "{\"object\": \"error\", \"message\": \"boom\", \"type\": \"InternalServerError\", "
          "\"code\": 500}");
  else if (s->prompt_limit && words > (size_t)s->prompt_limit)
    reply(fd, "400 Bad Request",
          "{\"object\": \"error\", \"message\": \"This model's maximum context length is "
          "exceeded\", \"type\": \"BadRequestError\", \"code\": 400}");
  else
    stream(s, fd, t_us, tokens);
}

typedef struct conn {
  server *s;
  int fd;
} conn;

static void *serve_conn(void *arg) {
  conn *c = arg;
  server *s = c->s;
  char buf[1 << 16];
  size_t len = 0;
  char *end = NULL;
  ssize_t r;
  while (!end && len + 1 < sizeof buf && (r = read(c->fd, buf + len, sizeof buf - 1 - len)) > 0) {
    len += (size_t)r;
    buf[len] = '\0';
    end = strstr(buf, "\r\n\r\n");
  }
  if (end) {
    char cl[32];
    header(buf, "Content-Length", cl, sizeof cl);
    size_t want = (size_t)(end + 4 - buf) + (size_t)atol(cl);
    while (len < want && len + 1 < sizeof buf &&
           (r = read(c->fd, buf + len, sizeof buf - 1 - len)) > 0)
      len += (size_t)r;
    buf[len] = '\0';
    int64_t t = ps_mono_ns() / 1000;
    *end = '\0';
    char auth[256];
    header(buf, "Authorization", auth, sizeof auth);
    char want_auth[300] = "";
    if (s->require_key) snprintf(want_auth, sizeof want_auth, "Bearer %s", s->require_key);
    if (s->require_key && strcmp(auth, want_auth))
      reply(c->fd, "401 Unauthorized", "{\"error\": \"Unauthorized\"}");
    else if (!strncmp(buf, "GET /v1/models ", 15))
      models(s, c->fd);
    else if (!strncmp(buf, "POST /v1/completions ", 21))
      completion(s, c->fd, buf, end + 4, t);
    else
      reply(c->fd, "404 Not Found", "{\"detail\": \"Not Found\"}");
  }
  close(c->fd);
  free(c);
  atomic_fetch_sub(&s->live, 1);
  return NULL;
}

static void *accept_loop(void *arg) {
  server *s = arg;
  for (;;) {
    int fd = accept(s->fd, NULL, NULL);
    if (fd < 0) {
      if (errno == EINTR) continue;
      return NULL; /* the socket was shut down */
    }
    conn *c = malloc(sizeof *c);
    *c = (conn){s, fd};
    atomic_fetch_add(&s->live, 1);
    pthread_t t;
    if (pthread_create(&t, NULL, serve_conn, c) != 0) abort();
    pthread_detach(t);
  }
}

/* Listen on a free loopback port with the timings of the header comment. */
static server *server_new(void) {
  server *s = calloc(1, sizeof *s);
  *s = (server){.header_ms = 30, .first_ms = 50, .token_ms = 10, .served = "m"};
  pthread_mutex_init(&s->mu, NULL);
  atomic_init(&s->live, 0);
  s->fd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t alen = sizeof a;
  if (bind(s->fd, (struct sockaddr *)&a, sizeof a) || listen(s->fd, 128) ||
      getsockname(s->fd, (struct sockaddr *)&a, &alen))
    abort();
  s->port = ntohs(a.sin_port);
  return s;
}

static void server_start(server *s) {
  if (pthread_create(&s->accept_thread, NULL, accept_loop, s) != 0) abort();
  s->started = true;
}

/* Stop listening: connections are refused from now on. */
static void server_close(server *s) {
  if (s->fd < 0) return;
  shutdown(s->fd, SHUT_RDWR);
  if (s->started) pthread_join(s->accept_thread, NULL);
  s->started = false;
  close(s->fd);
  s->fd = -1;
}

static void server_free(server *s) {
  server_close(s);
  while (atomic_load(&s->live) > 0)
    fx_sleep_ms(5);
  pthread_mutex_destroy(&s->mu);
  free(s);
}

/* ---- the test fixture: a temporary directory, a server, podscale's output ---- */

typedef struct fx {
  char dir[64];
  char file[128]; /* DIR/b.jsonl */
  char url[64];   /* http://127.0.0.1:PORT */
  server *s;
  char *out, *err; /* podscale's stdout and stderr */
  char *text;      /* the file written, or NULL */
} fx;

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  tu_tmpdir(f->dir);
  snprintf(f->file, sizeof f->file, "%s/b.jsonl", f->dir);
  f->s = server_new();
  snprintf(f->url, sizeof f->url, "http://127.0.0.1:%d", f->s->port);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx *f = *state;
  server_free(f->s);
  free(f->out);
  free(f->err);
  free(f->text);
  tu_rmrf(f->dir);
  free(f);
  return 0;
}

/* Run `podscale benchmark --endpoint URL --model m -q -o FILE` on the tiny grid (prompt 4,
 * output 8, rates 10 and 20, 5 requests) with extra args (NULL-terminated); the exit status.
 * The file's text is in f->text (NULL when there is no file). */
static int bench(fx *f, const char *const *extra) {
  const char *args[32] = {"benchmark",
                          "--endpoint",
                          f->url,
                          "--model",
                          "m",
                          "-q",
                          "-o",
                          f->file,
                          "--input-start",
                          "4",
                          "--input-limit",
                          "4",
                          "--output-start",
                          "8",
                          "--output-limit",
                          "8",
                          "--rate-start",
                          "10",
                          "--rate-limit",
                          "20",
                          "--total",
                          "5"};
  size_t n = 22;
  for (; extra && *extra; extra++)
    args[n++] = *extra;
  args[n] = NULL;
  int rc = fx_run_podscale(f->dir, args, &f->out, &f->err);
  free(f->text);
  f->text = tu_slurp(f->file, NULL);
  return rc;
}

#define BENCH(f, ...) bench((f), (const char *const[]){__VA_ARGS__, NULL})

#define assert_status(f, rc, want)                                                                 \
  do {                                                                                             \
    int rc_ = (rc);                                                                                \
    if (rc_ != (want)) {                                                                           \
      print_error("exit status %d, expected %d; stderr:\n%s\n", rc_, (want), (f)->err);            \
      fail();                                                                                      \
    }                                                                                              \
  } while (0)

/* Field `field` of the line of `metric` at `rate` in text; fails the test when absent. */
static double value(const char *text, double rate, const char *metric, const char *field) {
  assert_non_null(text);
  char *copy = strdup(text), *save = NULL;
  double v = NAN;
  for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
    cJSON *o = cJSON_Parse(l);
    assert_non_null(o);
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(o, "request_rate");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "metric");
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, field);
    if (cJSON_IsNumber(r) && r->valuedouble == rate && cJSON_IsString(m) &&
        !strcmp(m->valuestring, metric) && cJSON_IsNumber(x))
      v = x->valuedouble;
    cJSON_Delete(o);
  }
  free(copy);
  if (isnan(v)) fail_msg("no %s of %s at rate %g in:\n%s", field, metric, rate, text);
  return v;
}

static int count_lines(const char *text) {
  int n = 0;
  for (const char *p = text; p && *p; p++)
    n += *p == '\n';
  return n;
}

#define assert_between(x, lo, hi)                                                                  \
  do {                                                                                             \
    double x_ = (x);                                                                               \
    if (!(x_ >= (lo) && x_ <= (hi))) fail_msg("%s = %g, expected %g to %g", #x, x_, (lo), (hi));   \
  } while (0)

/* ---- tests ---- */

static void lines_have_aibrix_keys_in_order(void **state) {
  fx *f = *state;
  server_start(f->s);
  assert_status(f, BENCH(f, "--model-name", "llama-v100"), 0);
  assert_int_equal(count_lines(f->text), 10);
  static const char *const metrics[] = {"TPUT", "TT", "E2E", "TTFT", "TPOT"};
  static const char *const keys[] = {"input_tokens", "output_tokens", "request_rate", "seed",
                                     "model",        "temperature",   "samples",      "metric",
                                     "mean",         "P50",           "P90",          "P99"};
  char *copy = strdup(f->text), *save = NULL;
  int i = 0;
  for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save), i++) {
    cJSON *o = cJSON_Parse(l);
    assert_non_null(o);
    int k = 0;
    for (const cJSON *c = o->child; c; c = c->next, k++)
      assert_string_equal(c->string, keys[k]);
    assert_int_equal(k, i % 5 < 2 ? 9 : 12);
    assert_string_equal(cJSON_GetObjectItem(o, "metric")->valuestring, metrics[i % 5]);
    assert_string_equal(cJSON_GetObjectItem(o, "model")->valuestring, "llama-v100");
    assert_int_equal(cJSON_GetObjectItem(o, "samples")->valueint, 5);
    assert_int_equal(cJSON_GetObjectItem(o, "input_tokens")->valueint, 4);
    assert_int_equal(cJSON_GetObjectItem(o, "output_tokens")->valueint, 8);
    assert_true(cJSON_GetObjectItem(o, "request_rate")->valuedouble == (i < 5 ? 10.0 : 20.0));
    cJSON_Delete(o);
  }
  free(copy);
  assert_string_equal(f->err, "");
}

static void times_match_the_server_stream(void **state) {
  fx *f = *state;
  server_start(f->s);
  assert_status(f, BENCH(f, NULL), 0);
  int64_t arr[5];
  for (int k = 0; k < 2; k++) {
    double rate = k ? 20.0 : 10.0;
    assert_between(value(f->text, rate, "TTFT", "mean"), 0.048, 0.085);
    assert_between(value(f->text, rate, "TTFT", "P99"), 0.048, 0.110);
    assert_between(value(f->text, rate, "TPOT", "mean"), 0.0095, 0.013);
    assert_between(value(f->text, rate, "TPOT", "P50"), 0.008, 0.013);
    assert_between(value(f->text, rate, "E2E", "mean"), 0.118, 0.170);
    /* TPUT = 5 completed / (last send + its E2E), TT = TPUT x 8 requested tokens */
    bench_arrivals_us(5, rate, 0, arr);
    double wall = arr[4] * 1e-6 + 0.12;
    assert_between(value(f->text, rate, "TPUT", "mean"), 5 / (wall + 0.05), 5 / wall);
    assert_float_equal(value(f->text, rate, "TT", "mean"), 8 * value(f->text, rate, "TPUT", "mean"),
                       1e-9);
  }
}

static void aibrix_ttft_is_measured_from_the_headers(void **state) {
  fx *f = *state;
  server_start(f->s);
  assert_status(f, BENCH(f, "--aibrix-ttft"), 0);
  for (int k = 0; k < 2; k++) {
    double rate = k ? 20.0 : 10.0;
    assert_between(value(f->text, rate, "TTFT", "mean"), 0.017, 0.045); /* 50 - 30 ms */
    assert_between(value(f->text, rate, "E2E", "mean"), 0.118, 0.170);  /* unchanged */
    assert_between(value(f->text, rate, "TPOT", "mean"), 0.0095, 0.013);
  }
}

static void requests_are_sent_on_the_simulated_schedule(void **state) {
  fx *f = *state;
  server_start(f->s);
  assert_status(f, BENCH(f, "--rate-limit", "10"), 0);
  assert_int_equal(f->s->completions, 5);
  int64_t arr[5];
  bench_arrivals_us(5, 10.0, 0, arr);
  for (int i = 1; i < 5; i++) {
    int64_t seen = f->s->recv_us[i] - f->s->recv_us[0];
    if (llabs(seen - arr[i]) > 15000)
      fail_msg("request %d arrived %lld us after the first, expected %lld", i, (long long)seen,
               (long long)arr[i]);
  }
}

static void request_body_is_aibrix_with_ignore_eos(void **state) {
  fx *f = *state;
  server_start(f->s);
  assert_status(f, BENCH(f, "--temperature", "0.5", "--rate-limit", "10"), 0);
  assert_string_equal(f->s->path, "/v1/completions");
  assert_string_equal(f->s->auth, ""); /* no key, no header */
  cJSON *o = cJSON_Parse(f->s->body);
  assert_non_null(o);
  assert_string_equal(cJSON_GetObjectItem(o, "model")->valuestring, "m");
  assert_string_equal(cJSON_GetObjectItem(o, "prompt")->valuestring, "hi hi hi hi ");
  assert_int_equal(cJSON_GetObjectItem(o, "max_tokens")->valueint, 8);
  assert_float_equal(cJSON_GetObjectItem(o, "temperature")->valuedouble, 0.5, 1e-12);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(o, "stream")));
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(o, "ignore_eos")));
  cJSON_Delete(o);
  assert_contains(f->text, "\"temperature\": 0.5,");
}

static void api_key_is_sent_as_a_bearer_token(void **state) {
  fx *f = *state;
  f->s->require_key = "sekret";
  server_start(f->s);
  assert_status(f, BENCH(f, "--rate-limit", "10"), 2); /* no key: the probe is refused */
  assert_contains(f->err, "refused");
  assert_contains(f->err, "--api-key");
  assert_null(f->text);
  assert_status(f, BENCH(f, "--rate-limit", "10", "--api-key", "sekret"), 0);
  assert_string_equal(f->s->auth, "Bearer sekret");
  /* LLM_API_KEY, as aibrix_benchmark takes it */
  const char *argv[] = {fx_podscale(),
                        "benchmark",
                        "--endpoint",
                        f->url,
                        "--model",
                        "m",
                        "--input-limit",
                        "4",
                        "--output-start",
                        "8",
                        "--output-limit",
                        "8",
                        "--rate-start",
                        "10",
                        "--rate-limit",
                        "10",
                        "--total",
                        "2",
                        "-o",
                        "-",
                        NULL};
  char *env[] = {"LLM_API_KEY=sekret", NULL};
  assert_status(f, fx_run(f->dir, argv, env, &f->out, &f->err), 0);
  assert_int_equal(count_lines(f->out), 5);
}

static void failed_requests_are_counted_and_reported(void **state) {
  fx *f = *state;
  f->s->fail_every = 5; /* the 5th and the 10th request */
  server_start(f->s);
  assert_status(f, BENCH(f, NULL), 1);
  assert_contains(f->err, "podscale: benchmark: run in=4 out=8 rate=10: 1 of 5 failed: HTTP 500: "
                          "boom\n");
  assert_contains(f->err, "run in=4 out=8 rate=20: 1 of 5 failed: HTTP 500: boom\n");
  assert_contains(f->err, "requests failed in 2 of 2 runs");
  assert_int_equal(count_lines(f->text), 10); /* the runs are kept, over 4 requests each */
  assert_float_equal(value(f->text, 10, "TT", "mean"), 8 * value(f->text, 10, "TPUT", "mean"),
                     1e-9);
  int64_t arr[5];
  bench_arrivals_us(5, 10, 0, arr);
  assert_true(value(f->text, 10, "TPUT", "mean") < 4.0 / (arr[3] * 1e-6 + 0.11));
}

static void retries_send_a_failed_request_again(void **state) {
  fx *f = *state;
  f->s->fail_every = 5;
  server_start(f->s);
  assert_status(f, BENCH(f, "--retries", "1"), 0);
  assert_int_equal(f->s->completions, 12); /* 10, and the 5th and 10th again */
  assert_int_equal(count_lines(f->text), 10);
  assert_string_equal(f->err, "");
}

static void run_where_every_request_fails_is_not_written(void **state) {
  fx *f = *state;
  f->s->prompt_limit = 4; /* 8-word prompts get 400, as vLLM past max_model_len */
  server_start(f->s);
  assert_status(f, BENCH(f, "--input-limit", "8", "--rate-limit", "10"), 1);
  assert_contains(f->err, "run in=8 out=8 rate=10: 5 of 5 failed: HTTP 400: This model's maximum "
                          "context length is exceeded; run not written\n");
  assert_int_equal(count_lines(f->text), 5);
  assert_contains(f->text, "\"input_tokens\": 4,");
}

static void stream_errors_and_timeouts_fail_requests(void **state) {
  fx *f = *state;
  f->s->stream_error = true;
  server_start(f->s);
  assert_status(f, BENCH(f, "--rate-limit", "10"), 1);
  assert_contains(f->err, "5 of 5 failed: error in the stream: engine died; run not written");
  assert_contains(f->err, "nothing written");
  assert_null(f->text); /* no run written: no file */
  f->s->stream_error = false;
  assert_status(f, BENCH(f, "--rate-limit", "10", "--request-timeout", "0.04"), 1);
  assert_contains(f->err, "5 of 5 failed: ");
  assert_contains(f->err, "timed out");
  assert_null(f->text);
}

static void unreachable_server_is_an_error(void **state) {
  fx *f = *state;
  server_close(f->s);
  assert_status(f, BENCH(f, NULL), 1);
  assert_contains(f->err, "podscale: benchmark: cannot reach http://127.0.0.1:");
  assert_null(f->text);
}

static void lost_server_stops_the_grid_and_keeps_finished_runs(void **state) {
  fx *f = *state;
  f->s->close_after = 5; /* stops listening once the first run is sent */
  server_start(f->s);
  assert_status(f, BENCH(f, "--rate-limit", "40"), 1);
  assert_contains(f->err, "run in=4 out=8 rate=20: 5 of 5 failed: ");
  assert_contains(f->err, "cannot reach http://127.0.0.1:");
  assert_contains(f->err, "stopped after 2 of 3 runs");
  assert_int_equal(count_lines(f->text), 5);
}

static void model_list_names_the_model_and_its_context(void **state) {
  fx *f = *state;
  f->s->served = "other";
  server_start(f->s);
  assert_status(f, BENCH(f, NULL), 2);
  assert_contains(f->err, "podscale: benchmark: --model: http://127.0.0.1:");
  assert_contains(f->err, " serves 'other', not 'm'");
  assert_null(f->text);
  f->s->served = "m";
  f->s->max_model_len = 14; /* 4 + 8 fits, 8 + 8 does not */
  assert_status(f, BENCH(f, "--input-limit", "8", "--rate-limit", "10"), 0);
  assert_contains(f->err, "skipped 1 of 2 runs whose prompt plus output exceed max_model_len (14)");
  assert_int_equal(count_lines(f->text), 5);
  assert_int_equal(f->s->completions, 5);
  assert_status(f, BENCH(f, "--input-limit", "8", "--rate-limit", "10", "--max-model-len", "11"),
                2);
  assert_contains(f->err, "expected at least one run that fits, found none");
}

static void append_and_standard_output(void **state) {
  fx *f = *state;
  server_start(f->s);
  assert_status(f, BENCH(f, "--rate-limit", "10"), 0);
  assert_status(f, BENCH(f, "--rate-limit", "10", "--append"), 0);
  assert_int_equal(count_lines(f->text), 10);
  assert_status(f, BENCH(f, "--rate-limit", "10", "-o", "-"), 0);
  assert_int_equal(count_lines(f->out), 5);
}

static void options_are_checked(void **state) {
  fx *f = *state;
  static const struct {
    const char *args[8];
    const char *msg;
  } cases[] = {
      {{"--simulated"}, "expected --simulated or --endpoint, not both"},
      {{"--gpu", "A100-80GB"}, "--gpu: expected only with --simulated"},
      {{"--max-num-seqs", "8"}, "--max-num-seqs: expected only with --simulated"},
      {{"--retries", "101"}, "expected a whole number from 0 to 100, found '101'"},
      {{"--request-timeout", "0"}, "expected a number from 0.001 to 86400, found '0'"},
      {{"--endpoint", "localhost:8010"}, "--endpoint: expected an http:// or https:// URL"},
      {{"--model", "a\"b"}, "--model: expected a name without quotes"},
      {{"--rate-start", "40"}, "expected each --*-start at most its --*-limit"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    const char *extra[10] = {0};
    for (size_t k = 0; cases[i].args[k]; k++)
      extra[k] = cases[i].args[k];
    assert_status(f, bench(f, extra), 2);
    assert_contains(f->err, cases[i].msg);
    assert_null(f->text);
  }
  const char *sim[] = {"benchmark",  "--simulated",   "--gpu", "A100-80GB", "--model",
                       "llama-2-7b", "--aibrix-ttft", "-o",    f->file,     NULL};
  assert_status(f, fx_run_podscale(f->dir, sim, &f->out, &f->err), 2);
  assert_contains(f->err, "--aibrix-ttft: expected only with --endpoint");
  const char *none[] = {"benchmark", "--model", "m", "-o", f->file, NULL};
  assert_status(f, fx_run_podscale(f->dir, none, &f->out, &f->err), 2);
  assert_contains(f->err, "expected --simulated or --endpoint URL");
}

static void url_may_name_the_completions_path(void **state) {
  fx *f = *state;
  server_start(f->s);
  snprintf(f->url, sizeof f->url, "http://127.0.0.1:%d/v1/completions", f->s->port);
  assert_status(f, BENCH(f, "--rate-limit", "10"), 0);
  assert_string_equal(f->s->path, "/v1/completions");
  snprintf(f->url, sizeof f->url, "http://127.0.0.1:%d/", f->s->port);
  assert_status(f, BENCH(f, "--rate-limit", "10"), 0);
  assert_string_equal(f->s->path, "/v1/completions");
}

int main(void) {
  unsetenv("LLM_API_KEY");
  signal(SIGPIPE, SIG_IGN); /* the server writes to clients that gave up */
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(lines_have_aibrix_keys_in_order),
      T(times_match_the_server_stream),
      T(aibrix_ttft_is_measured_from_the_headers),
      T(requests_are_sent_on_the_simulated_schedule),
      T(request_body_is_aibrix_with_ignore_eos),
      T(api_key_is_sent_as_a_bearer_token),
      T(failed_requests_are_counted_and_reported),
      T(retries_send_a_failed_request_again),
      T(run_where_every_request_fails_is_not_written),
      T(stream_errors_and_timeouts_fail_requests),
      T(unreachable_server_is_an_error),
      T(lost_server_stops_the_grid_and_keeps_finished_runs),
      T(model_list_names_the_model_and_its_context),
      T(append_and_standard_output),
      T(options_are_checked),
      T(url_may_name_the_completions_path),
  };
#undef T
  return cmocka_run_group_tests(tests, NULL, NULL);
}
