/* The mock vLLM server (mock_vllm.h): the engine thread, the OpenAI routes, the metrics. */
#include "sim/http/mock_vllm.h"

#include <arpa/inet.h>
#include <assert.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/net.h"
#include "base/prom.h"
#include "base/strbuf.h"
#include "base/xalloc.h"

#define BODY_LIMIT (4 * 1024 * 1024) /* a 128k-token prompt of short words fits */
#define STREAM_BLOCK 8192            /* bytes libmicrohttpd asks a stream for at a time */
#define DEFAULT_MAX_TOKENS 16        /* OpenAI's and vLLM's completions default */
#define TOKEN_TEXT "tok "            /* the text of every generated token */
#define TOKEN_LEN 4
#define CONN_LIMIT 4096          /* connections, one thread each */
#define STREAM_CHUNK (64 * 1024) /* stream bytes formatted at a time */

/* ---- metrics: vLLM 0.6's histograms (vllm/engine/metrics.py), seconds ---- */

static const double TTFT_LE[] = {0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1,
                                 0.25,  0.5,   0.75, 1.0,  2.5,  5.0,  7.5,  10.0};
static const double TPOT_LE[] = {0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2,
                                 0.3,  0.4,   0.5,  0.75,  1.0, 2.5};
static const double E2E_LE[] = {1.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0};
#define HIST_MAX 16

typedef struct mv_hist {
  const double *le;       /* upper bounds, seconds */
  int n;                  /* bounds (+Inf is implicit) */
  uint64_t cum[HIST_MAX]; /* observations <= le[i] */
  uint64_t count;         /* all observations */
  double sum;             /* seconds */
} mv_hist;

typedef struct mv_stats {
  pod_gauges g;               /* at the engine's last pass */
  uint64_t success;           /* requests finished (finished_reason "length") */
  uint64_t aborted;           /* cancelled: the client went away */
  uint64_t prompt_tokens;     /* prompts prefilled */
  uint64_t generation_tokens; /* tokens generated */
  uint64_t preemptions;       /* of finished requests */
  mv_hist ttft, tpot, e2e;    /* wall-clock seconds, what clients see */
} mv_stats;

/* ---- requests ---- */

typedef struct mv_req mv_req;
struct mv_req {
  request rq; /* the pod's record; first member, so a request * is an mv_req * */
  mock_vllm *m;
  pthread_cond_t cv; /* signalled at each token, at the end, at shutdown */
  int refs;          /* the connection, the engine while in flight, a stream response */
  bool chat, stream, include_usage;
  bool queued;           /* handed to the engine */
  bool submitted;        /* in the pod */
  bool done;             /* out of the pod: finished, rejected or cancelled */
  bool failed;           /* rejected or cancelled */
  bool cancel;           /* on the engine's cancel list */
  bool ended;            /* the stream's last event is written */
  int64_t last_token_us; /* simulated time of its last token, -1 before the first */
  int32_t emitted;       /* tokens written to the stream */
  int64_t created_s;     /* Unix time of arrival */
  char id[48];           /* cmpl-... or chatcmpl-... */
  char *out;             /* stream bytes not yet taken by libmicrohttpd: out[off, len) */
  size_t out_len, out_off, out_cap;
  mv_req *cancel_next;           /* the cancel list */
  mv_req *live_prev, *live_next; /* every request alive */
};

struct mock_vllm {
  mv_options o;
  char *model_name, *bind, *gpu_name; /* copies */
  FILE *log;
  int listen_fd, port;
  struct MHD_Daemon *mhd;
  pthread_t engine;
  bool engine_started, stopped;
  pthread_mutex_t lock; /* everything below, and every mv_req */
  pthread_cond_t wake;  /* the engine thread: a request, a cancellation, shutdown */
  int64_t t0_ns;        /* ps_mono_ns at simulated time 0 */
  pod_model pod;
  int64_t pod_now_us; /* simulated time the pod has been advanced to */
  rq_list incoming;   /* requests stamped with their arrival, not yet submitted */
  mv_req *cancels;    /* submitted requests whose client went away */
  mv_req *live;
  bool stopping;
  uint64_t salt, next_id; /* request ids */
  mv_stats st;
};

/* ---- time ---- */

static int64_t elapsed_ns(const mock_vllm *m) { return ps_mono_ns() - m->t0_ns; }

static int64_t sim_now_us(const mock_vllm *m) {
  return (int64_t)floor((double)elapsed_ns(m) * m->o.speedup / 1000.0);
}

/* The CLOCK_MONOTONIC instant at which simulated time reaches sim_us (1 us late rather than
 * early, so the engine wakes once per event). */
static struct timespec wall_at(const mock_vllm *m, int64_t sim_us) {
  double ns = ceil((double)sim_us * 1000.0 / m->o.speedup) + 1000.0;
  if (ns > 1e15) ns = 1e15; /* 11 days: wakes, finds nothing, sleeps again */
  return ps_mono_timespec(m->t0_ns + (int64_t)ns);
}

/* A simulated duration as the wall-clock seconds a client sees. */
static double wall_s(const mock_vllm *m, int64_t sim_us) {
  return (double)sim_us / m->o.speedup * 1e-6;
}

/* ---- metrics ---- */

static void hist_init(mv_hist *h, const double *le, int n) {
  assert(n <= HIST_MAX);
  *h = (mv_hist){.le = le, .n = n};
}

static void hist_add(mv_hist *h, double v) {
  for (int i = 0; i < h->n; i++)
    if (v <= h->le[i]) h->cum[i]++;
  h->count++;
  h->sum += v;
}

/* One sample of a family of its own, labelled with the model (and `extra`, if any), as vLLM
 * writes it (prometheus_client's number format, base/prom.h). */
static void metric(strbuf *b, const char *model, const char *name, const char *type,
                   const char *help, const prom_label *extra, double v) {
  prom_label l[2] = {{"model_name", model}};
  size_t n = 1;
  if (extra) l[0] = *extra, l[1] = (prom_label){"model_name", model}, n = 2;
  char num[PROM_NUM];
  prom_family(b, name, type, help);
  prom_sample(b, name, l, n, prom_float(num, v));
}

static void histogram(strbuf *b, const char *model, const char *name, const char *help,
                      const mv_hist *h) {
  char num[PROM_NUM], le[PROM_NUM], sample[128];
  prom_family(b, name, "histogram", help);
  snprintf(sample, sizeof sample, "%s_bucket", name);
  for (int i = 0; i <= h->n; i++) {
    prom_label l[2] = {{"model_name", model},
                       {"le", prom_float(le, i < h->n ? h->le[i] : INFINITY)}};
    prom_sample(b, sample, l, 2, prom_float(num, (double)(i < h->n ? h->cum[i] : h->count)));
  }
  prom_label l = {"model_name", model};
  snprintf(sample, sizeof sample, "%s_count", name);
  prom_sample(b, sample, &l, 1, prom_float(num, (double)h->count));
  snprintf(sample, sizeof sample, "%s_sum", name);
  prom_sample(b, sample, &l, 1, prom_float(num, h->sum));
}

/* The Prometheus text of GET /metrics. The three gauges the autoscalers read come first, so a
 * parser that takes the first line containing a name (AIBrix's legacy one) finds them. */
static char *metrics_text(mock_vllm *m, size_t *len) {
  pthread_mutex_lock(&m->lock);
  mv_stats s = m->st;
  pthread_mutex_unlock(&m->lock);
  const char *mn = m->model_name;
  strbuf b = {0};
  metric(&b, mn, "vllm:num_requests_running", "gauge",
         "Number of requests currently running on GPU.", NULL, s.g.running);
  metric(&b, mn, "vllm:num_requests_waiting", "gauge",
         "Number of requests waiting to be processed.", NULL, s.g.waiting);
  metric(&b, mn, "vllm:gpu_cache_usage_perc", "gauge",
         "GPU KV-cache usage. 1 means 100 percent usage.", NULL, s.g.kv_usage);
  metric(&b, mn, "vllm:kv_cache_usage_perc", "gauge", "KV-cache usage. 1 means 100 percent usage.",
         NULL, s.g.kv_usage);
  metric(&b, mn, "vllm:num_requests_swapped", "gauge",
         "Number of requests swapped to CPU (always 0: preemption is by recompute).", NULL, 0);
  metric(&b, mn, "vllm:num_preemptions_total", "counter",
         "Cumulative number of preemption from the engine.", NULL, (double)s.preemptions);
  metric(&b, mn, "vllm:prompt_tokens_total", "counter", "Number of prefill tokens processed.", NULL,
         (double)s.prompt_tokens);
  metric(&b, mn, "vllm:generation_tokens_total", "counter",
         "Number of generation tokens processed.", NULL, (double)s.generation_tokens);
  metric(&b, mn, "vllm:request_success_total", "counter",
         "Count of successfully processed requests.", &(prom_label){"finished_reason", "length"},
         (double)s.success);
  metric(&b, mn, "podscale:requests_aborted_total", "counter",
         "Requests cancelled because the client went away.", NULL, (double)s.aborted);
  histogram(&b, mn, "vllm:time_to_first_token_seconds",
            "Histogram of time to first token in seconds.", &s.ttft);
  histogram(&b, mn, "vllm:time_per_output_token_seconds",
            "Histogram of time per output token in seconds.", &s.tpot);
  histogram(&b, mn, "vllm:e2e_request_latency_seconds",
            "Histogram of end to end request latency in seconds.", &s.e2e);
  *len = b.len;
  return b.s;
}

/* ---- request records (all under m->lock) ---- */

static mv_req *req_new(mock_vllm *m) {
  mv_req *q = xcalloc(1, sizeof *q);
  q->m = m;
  pthread_cond_init(&q->cv, NULL);
  q->refs = 1; /* the connection's */
  q->last_token_us = -1;
  q->rq.start_us = q->rq.first_token_us = q->rq.finish_us = -1;
  q->rq.pod = 0;
  q->created_s = (int64_t)time(NULL);
  q->live_next = m->live;
  if (m->live) m->live->live_prev = q;
  m->live = q;
  return q;
}

static void req_unref(mock_vllm *m, mv_req *q) {
  assert(q->refs > 0);
  if (--q->refs) return;
  if (q->live_prev)
    q->live_prev->live_next = q->live_next;
  else
    m->live = q->live_next;
  if (q->live_next) q->live_next->live_prev = q->live_prev;
  pthread_cond_destroy(&q->cv);
  free(q->out);
  free(q);
}

/* ---- the engine ---- */

static void on_tokens(void *ctx, request *const *rs, int32_t n, int64_t t_us) {
  mock_vllm *m = ctx;
  for (int32_t i = 0; i < n; i++) {
    mv_req *q = (mv_req *)rs[i];
    if (q->last_token_us < 0) {
      m->st.prompt_tokens += (uint64_t)q->rq.input_tokens;
      hist_add(&m->st.ttft, wall_s(m, t_us - q->rq.arrival_us));
    } else {
      hist_add(&m->st.tpot, wall_s(m, t_us - q->last_token_us));
    }
    q->last_token_us = t_us;
    m->st.generation_tokens++;
    pthread_cond_signal(&q->cv);
  }
}

static void on_done(void *ctx, request *r, int64_t t_us, rq_status status) {
  mock_vllm *m = ctx;
  mv_req *q = (mv_req *)r;
  q->done = true;
  q->failed = status != RQ_OK;
  if (!q->failed) {
    m->st.success++;
    m->st.preemptions += (uint64_t)r->preemptions;
    hist_add(&m->st.e2e, wall_s(m, t_us - r->arrival_us));
  }
  pthread_cond_broadcast(&q->cv);
  if (!q->cancel) req_unref(m, q); /* else the cancel list still holds the engine's reference */
}

/* One pass: cancellations, then arrivals at their times, then the pod up to now. */
static void engine_pass(mock_vllm *m) {
  pod_model *p = &m->pod;
  for (mv_req *q = m->cancels, *next; q; q = next) {
    next = q->cancel_next;
    q->cancel_next = NULL;
    q->cancel = false;
    if (!q->done) {
      p->ops->cancel(p->self, &q->rq, m->pod_now_us);
      q->done = q->failed = true;
      m->st.aborted++;
    }
    req_unref(m, q);
  }
  m->cancels = NULL;
  request *r;
  while ((r = rq_pop(&m->incoming))) {
    int64_t t = r->arrival_us > m->pod_now_us ? r->arrival_us : m->pod_now_us;
    p->ops->advance(p->self, t, on_done, m);
    m->pod_now_us = t;
    ((mv_req *)r)->submitted = true;
    p->ops->submit(p->self, r, t, on_done, m);
  }
  int64_t now = sim_now_us(m);
  if (now > m->pod_now_us) {
    p->ops->advance(p->self, now, on_done, m);
    m->pod_now_us = now;
  }
  p->ops->gauges(p->self, &m->st.g);
}

static void *engine_main(void *arg) {
  mock_vllm *m = arg;
  pthread_mutex_lock(&m->lock);
  while (!m->stopping) {
    engine_pass(m);
    if (m->incoming.len || m->cancels) continue;
    int64_t next = m->pod.ops->next_us(m->pod.self);
    if (next == INT64_MAX) {
      pthread_cond_wait(&m->wake, &m->lock);
    } else {
      struct timespec at = wall_at(m, next);
      pthread_cond_timedwait(&m->wake, &m->lock, &at);
    }
  }
  pthread_mutex_unlock(&m->lock);
  return NULL;
}

/* The client went away (the connection ended) before the request was done: vLLM aborts it. */
static void abandon(mock_vllm *m, mv_req *q) {
  if (!q->queued || q->done || q->cancel) return;
  if (!q->submitted) {
    rq_unlink(&m->incoming, &q->rq);
    q->done = q->failed = true;
    m->st.aborted++;
    req_unref(m, q); /* the engine's */
    return;
  }
  q->cancel = true;
  q->cancel_next = m->cancels;
  m->cancels = q;
  pthread_cond_signal(&m->wake);
}

/* ---- what a request asks for ---- */

typedef struct job {
  bool chat, stream, include_usage;
  int32_t prompt_tokens;
  int64_t max_tokens;
} job;

int32_t mv_count_words(const char *s, size_t n) {
  int32_t words = 0;
  bool in = false;
  for (size_t i = 0; i < n; i++) {
    bool space = s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r');
    if (!space && !in && words < INT32_MAX) words++;
    in = !space;
  }
  return words;
}

static int32_t count_string(const cJSON *v) {
  return mv_count_words(v->valuestring, strlen(v->valuestring));
}

/* A non-empty list of token ids: its length. */
static bool token_ids(const cJSON *a, int32_t *out) {
  if (!cJSON_IsArray(a) || !a->child) return false;
  for (const cJSON *t = a->child; t; t = t->next)
    if (!cJSON_IsNumber(t)) return false;
  *out = cJSON_GetArraySize(a);
  return true;
}

/* A completion's prompt: a string, a list of token ids, or a list holding one of those (a
 * list of several prompts is a batch, which the mock does not serve). */
static bool prompt_tokens(const cJSON *p, int32_t *out) {
  if (cJSON_IsString(p)) {
    *out = count_string(p);
    return true;
  }
  if (token_ids(p, out)) return true;
  if (!cJSON_IsArray(p) || !p->child || p->child->next) return false;
  if (cJSON_IsString(p->child)) {
    *out = count_string(p->child);
    return true;
  }
  return token_ids(p->child, out);
}

/* A chat's prompt: the words of every message's text (a string, or parts of type "text"). */
static bool chat_tokens(const cJSON *msgs, int32_t *out) {
  if (!cJSON_IsArray(msgs) || !msgs->child) return false;
  int64_t words = 0;
  for (const cJSON *msg = msgs->child; msg; msg = msg->next) {
    if (!cJSON_IsObject(msg)) return false;
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(msg, "content");
    if (cJSON_IsString(c)) {
      words += count_string(c);
    } else if (cJSON_IsArray(c)) {
      for (const cJSON *part = c->child; part; part = part->next) {
        if (!cJSON_IsObject(part)) return false;
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(part, "text");
        if (cJSON_IsString(text)) words += count_string(text);
      }
    } else if (c && !cJSON_IsNull(c)) {
      return false;
    }
  }
  if (words < 1) words = 1; /* a chat template is never empty */
  *out = words > INT32_MAX ? INT32_MAX : (int32_t)words;
  return true;
}

/* stream: pydantic's bool takes true/false and numbers (aibrix_benchmark sends "stream": 1). */
static bool bool_field(const cJSON *o, const char *key, bool *out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!v || cJSON_IsNull(v)) return true;
  if (cJSON_IsBool(v)) {
    *out = cJSON_IsTrue(v);
    return true;
  }
  if (cJSON_IsNumber(v) && (v->valuedouble == 0 || v->valuedouble == 1)) {
    *out = v->valuedouble == 1;
    return true;
  }
  return false;
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static unsigned
bad(char *msg, unsigned status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, 1024, fmt, ap);
  va_end(ap);
  return status;
}

static int32_t blocks_for(const llmpod_config *c, int64_t tokens) {
  return (int32_t)((tokens + c->block_size - 1) / c->block_size);
}

/* The request's tokens and options; 0, or the HTTP status with the message (1024 bytes). */
static unsigned parse_fields(const mock_vllm *m, const cJSON *o, bool chat, job *j, char *msg) {
  const cJSON *model = cJSON_GetObjectItemCaseSensitive(o, "model");
  if (model && !cJSON_IsNull(model)) { /* absent: the served model, as vLLM 0.8+ */
    if (!cJSON_IsString(model)) return bad(msg, 400, "model: expected a string");
    if (strcmp(model->valuestring, m->model_name) != 0)
      return bad(msg, 404, "The model `%.200s` does not exist.", model->valuestring);
  }
  if (chat) {
    if (!chat_tokens(cJSON_GetObjectItemCaseSensitive(o, "messages"), &j->prompt_tokens))
      return bad(msg, 400,
                 "messages: expected a non-empty list of {\"role\", \"content\"} "
                 "objects whose content is a string or a list of parts");
  } else {
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(o, "prompt");
    if (!p) return bad(msg, 400, "prompt: required");
    if (!prompt_tokens(p, &j->prompt_tokens))
      return bad(msg, 400,
                 "prompt: expected a string or a list of token ids (the mock serves "
                 "one prompt per request)");
    if (j->prompt_tokens == 0) return bad(msg, 400, "The prompt cannot be empty.");
  }
  const char *mt_key = "max_completion_tokens";
  const cJSON *mt = chat ? cJSON_GetObjectItemCaseSensitive(o, mt_key) : NULL;
  if (!mt || cJSON_IsNull(mt)) mt = cJSON_GetObjectItemCaseSensitive(o, mt_key = "max_tokens");
  j->max_tokens = DEFAULT_MAX_TOKENS;
  if (mt && !cJSON_IsNull(mt)) {
    /* Any whole number is taken, as vLLM does: one past the context is refused by check_fits
     * with the context length, not here. 2^53 keeps the count exact in a double. */
    double v = cJSON_IsNumber(mt) ? mt->valuedouble : -1;
    if (!(v >= 1 && v <= 9007199254740992.0 && v == floor(v)))
      return bad(msg, 400, "%s: expected a whole number of at least 1", mt_key);
    j->max_tokens = (int64_t)v;
  }
  const cJSON *n = cJSON_GetObjectItemCaseSensitive(o, "n");
  if (n && !cJSON_IsNull(n) && !(cJSON_IsNumber(n) && n->valuedouble == 1))
    return bad(msg, 400, "n: the mock generates one choice per request; expected 1");
  if (!bool_field(o, "stream", &j->stream)) return bad(msg, 400, "stream: expected true or false");
  const cJSON *so = cJSON_GetObjectItemCaseSensitive(o, "stream_options");
  if (so && !cJSON_IsNull(so)) {
    if (!j->stream) return bad(msg, 400, "Stream options can only be defined when `stream=True`.");
    if (!cJSON_IsObject(so) || !bool_field(so, "include_usage", &j->include_usage))
      return bad(msg, 400, "stream_options: expected {\"include_usage\": true or false}");
  }
  return 0;
}

/* Whether the pod can ever serve it, checked here so the client gets vLLM's 400. */
static unsigned check_fits(const mock_vllm *m, const job *j, char *msg) {
  const llmpod_config *c = &m->o.pod;
  int64_t total = j->prompt_tokens + j->max_tokens;
  if (total > c->max_model_len)
    return bad(msg, 400,
               "This model's maximum context length is %d tokens. However, you requested %lld "
               "tokens (%d in the messages, %lld in the completion). Please reduce the length of "
               "the messages or completion.",
               c->max_model_len, (long long)total, j->prompt_tokens, (long long)j->max_tokens);
  if (blocks_for(c, total) > c->total_blocks - c->watermark_blocks)
    return bad(msg, 400,
               "the prompt and the completion (%lld tokens) need more KV-cache blocks than the "
               "cache can give one request (%d blocks of %d tokens)",
               (long long)total, c->total_blocks - c->watermark_blocks, c->block_size);
  return 0;
}

static unsigned parse_job(const mock_vllm *m, const char *body, size_t len, bool chat, job *j,
                          char *msg) {
  *j = (job){.chat = chat};
  cJSON *o = body ? cJSON_ParseWithLength(body, len) : NULL;
  unsigned st = 0;
  if (!cJSON_IsObject(o))
    st = bad(msg, 400, "expected a JSON object in the request body");
  else
    st = parse_fields(m, o, chat, j, msg);
  cJSON_Delete(o);
  return st ? st : check_fits(m, j, msg);
}

/* ---- response bodies ---- */

static void head(strbuf *b, const mock_vllm *m, const mv_req *q, const char *object) {
  sb_printf(b, "{\"id\":\"%s\",\"object\":\"%s\",\"created\":%lld,\"model\":\"%s\",", q->id, object,
            (long long)q->created_s, m->model_name);
}

static void usage(strbuf *b, const mv_req *q) {
  sb_printf(b, "\"usage\":{\"prompt_tokens\":%d,\"total_tokens\":%d,\"completion_tokens\":%d}",
            q->rq.input_tokens, q->rq.input_tokens + q->rq.output_tokens, q->rq.output_tokens);
}

static void tokens_text(strbuf *b, int32_t n) {
  for (int32_t i = 0; i < n; i++)
    sb_put(b, TOKEN_TEXT, TOKEN_LEN);
}

/* The whole answer of a non-streaming request. */
static char *full_body(const mock_vllm *m, const mv_req *q, size_t *len) {
  strbuf b = {0};
  head(&b, m, q, q->chat ? "chat.completion" : "text_completion");
  if (q->chat)
    sb_printf(&b, "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"");
  else
    sb_printf(&b, "\"choices\":[{\"index\":0,\"text\":\"");
  tokens_text(&b, q->rq.output_tokens);
  sb_printf(&b, "\"%s,\"logprobs\":null,\"finish_reason\":\"length\",\"stop_reason\":null}],",
            q->chat ? "}" : "");
  usage(&b, q);
  sb_printf(&b, "}");
  *len = b.len;
  return b.s;
}

/* Server-sent events for the tokens the pod produced since the last call, and the end once
 * every token is out. At most about STREAM_CHUNK bytes a call: a client that reads slowly (or
 * not at all) holds one chunk in memory, not an event per token generated meanwhile. */
static void stream_events(const mock_vllm *m, mv_req *q) {
  strbuf b = {q->out, q->out_len, q->out_cap};
  const char *object = q->chat ? "chat.completion.chunk" : "text_completion";
  for (; q->emitted < q->rq.generated && b.len < STREAM_CHUNK; q->emitted++) {
    bool last = q->emitted + 1 == q->rq.output_tokens;
    const char *finish = last ? "\"length\"" : "null";
    if (q->chat && q->emitted == 0) { /* vLLM's first chat chunk carries the role */
      sb_printf(&b, "data: ");
      head(&b, m, q, object);
      sb_printf(&b, "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
                    "\"logprobs\":null,\"finish_reason\":null}]}\n\n");
    }
    sb_printf(&b, "data: ");
    head(&b, m, q, object);
    if (q->chat)
      sb_printf(&b, "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" TOKEN_TEXT "\"},");
    else
      sb_printf(&b, "\"choices\":[{\"index\":0,\"text\":\"" TOKEN_TEXT "\",");
    sb_printf(&b, "\"logprobs\":null,\"finish_reason\":%s,\"stop_reason\":null}]}\n\n", finish);
  }
  if (q->done && q->emitted == q->rq.generated) {
    if (q->failed) {
      sb_printf(&b, "data: {\"error\":{\"message\":\"the request was aborted\",\"type\":"
                    "\"InternalServerError\",\"param\":null,\"code\":500}}\n\n");
    } else if (q->include_usage) {
      sb_printf(&b, "data: ");
      head(&b, m, q, object);
      sb_printf(&b, "\"choices\":[],");
      usage(&b, q);
      sb_printf(&b, "}\n\n");
    }
    sb_printf(&b, "data: [DONE]\n\n");
    q->ended = true;
  }
  q->out = b.s;
  q->out_len = b.len;
  q->out_cap = b.cap;
}

/* libmicrohttpd's content callback of a stream, on the connection's own thread: it blocks
 * until the engine has produced the next token. */
static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max) {
  (void)pos;
  mv_req *q = cls;
  mock_vllm *m = q->m;
  pthread_mutex_lock(&m->lock);
  for (;;) {
    if (q->out_off < q->out_len) {
      size_t n = q->out_len - q->out_off < max ? q->out_len - q->out_off : max;
      memcpy(buf, q->out + q->out_off, n);
      q->out_off += n;
      if (q->out_off == q->out_len) q->out_off = q->out_len = 0;
      pthread_mutex_unlock(&m->lock);
      return (ssize_t)n;
    }
    if (q->ended || m->stopping) break;
    if (q->emitted < q->rq.generated || q->done)
      stream_events(m, q);
    else
      pthread_cond_wait(&q->cv, &m->lock);
  }
  bool ended = q->ended;
  pthread_mutex_unlock(&m->lock);
  return ended ? MHD_CONTENT_READER_END_OF_STREAM : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void stream_free(void *cls) {
  mv_req *q = cls;
  mock_vllm *m = q->m;
  pthread_mutex_lock(&m->lock);
  req_unref(m, q);
  pthread_mutex_unlock(&m->lock);
}

/* ---- HTTP ---- */

typedef struct conn {
  char *body;
  size_t len, cap;
  bool too_big;
  mv_req *q; /* the completion request, once made */
} conn;

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
                             char *body, size_t len, const char *allow) {
  struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
  if (!r) {
    free(body);
    return MHD_NO;
  }
  if (type) MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
  if (allow) MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
  enum MHD_Result ok = MHD_queue_response(c, status, r);
  MHD_destroy_response(r);
  return ok;
}

static const char *error_type(unsigned status) {
  switch (status) {
  case 404: return "NotFoundError";
  case 405: return "MethodNotAllowedError";
  case 413: return "RequestTooLargeError";
  case 503: return "ServiceUnavailableError";
  case 500: return "InternalServerError";
  default: return "BadRequestError";
  }
}

/* An OpenAI error object: {"error": {"message", "type", "param", "code"}}. */
static enum MHD_Result fail(struct MHD_Connection *c, unsigned status, const char *allow,
                            const char *msg) {
  cJSON *o = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(o, "error");
  cJSON_AddStringToObject(e, "message", msg);
  cJSON_AddStringToObject(e, "type", error_type(status));
  cJSON_AddNullToObject(e, "param");
  cJSON_AddNumberToObject(e, "code", status);
  char *body = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  if (!body) return MHD_NO;
  return reply(c, status, "application/json", body, strlen(body), allow);
}

static enum MHD_Result models(mock_vllm *m, struct MHD_Connection *c) {
  strbuf b = {0};
  sb_printf(&b,
            "{\"object\":\"list\",\"data\":[{\"id\":\"%s\",\"object\":\"model\",\"created\":%lld,"
            "\"owned_by\":\"vllm\",\"root\":\"%s\",\"parent\":null,\"max_model_len\":%d,"
            "\"permission\":[]}]}",
            m->model_name, (long long)time(NULL), m->model_name, m->o.pod.max_model_len);
  return reply(c, MHD_HTTP_OK, "application/json", b.s, b.len, NULL);
}

static enum MHD_Result completion(mock_vllm *m, struct MHD_Connection *c, conn *k, bool chat);

static bool route_is(const char *url, const char *path) { return strcmp(url, path) == 0; }

static enum MHD_Result route(mock_vllm *m, struct MHD_Connection *c, const char *url,
                             const char *method, conn *k) {
  bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD"), post = !strcmp(method, "POST");
  const char *allow = "GET, HEAD";
  if (route_is(url, "/health")) {
    if (get) return reply(c, MHD_HTTP_OK, NULL, NULL, 0, NULL); /* vLLM: 200, no body */
  } else if (route_is(url, "/metrics")) {
    if (get) {
      size_t len;
      char *text = metrics_text(m, &len);
      return reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", text, len, NULL);
    }
  } else if (route_is(url, "/v1/models")) {
    if (get) return models(m, c);
  } else if (route_is(url, "/v1/completions") || route_is(url, "/v1/chat/completions")) {
    allow = "POST";
    if (post) return completion(m, c, k, route_is(url, "/v1/chat/completions"));
  } else {
    return fail(c, MHD_HTTP_NOT_FOUND, NULL, "Not Found");
  }
  char msg[128];
  snprintf(msg, sizeof msg, "Method Not Allowed: use %s", allow);
  return fail(c, MHD_HTTP_METHOD_NOT_ALLOWED, allow, msg);
}

/* POST /v1/completions and /v1/chat/completions: the request goes to the engine stamped with
 * its arrival; a stream answers at once and its callback follows the tokens, otherwise this
 * thread waits for the pod to finish the request. */
static enum MHD_Result completion(mock_vllm *m, struct MHD_Connection *c, conn *k, bool chat) {
  job j;
  char msg[1024];
  unsigned st = parse_job(m, k->body, k->len, chat, &j, msg);
  if (st) return fail(c, st, NULL, msg);
  pthread_mutex_lock(&m->lock);
  if (m->stopping) {
    pthread_mutex_unlock(&m->lock);
    return fail(c, MHD_HTTP_SERVICE_UNAVAILABLE, NULL, "the server is shutting down");
  }
  mv_req *q = k->q = req_new(m);
  q->chat = chat;
  q->stream = j.stream;
  q->include_usage = j.include_usage;
  q->rq.id = m->next_id++;
  q->rq.input_tokens = j.prompt_tokens;
  q->rq.output_tokens = (int32_t)j.max_tokens; /* check_fits bounds it by the context */
  snprintf(q->id, sizeof q->id, "%s-%016llx%016llx", chat ? "chatcmpl" : "cmpl",
           (unsigned long long)m->salt, (unsigned long long)q->rq.id);
  q->rq.arrival_us = sim_now_us(m);
  q->queued = true;
  q->refs++; /* the engine's */
  rq_push(&m->incoming, &q->rq);
  pthread_cond_signal(&m->wake);
  if (j.stream) {
    q->refs++; /* the stream response's, dropped by stream_free */
    pthread_mutex_unlock(&m->lock);
    struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_BLOCK,
                                                               stream_read, q, stream_free);
    if (!r) {
      stream_free(q);
      return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream; charset=utf-8");
    enum MHD_Result ok = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ok;
  }
  while (!q->done && !m->stopping)
    pthread_cond_wait(&q->cv, &m->lock);
  bool ok = q->done && !q->failed, stopping = m->stopping;
  pthread_mutex_unlock(&m->lock);
  if (!ok)
    return fail(c, stopping ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_INTERNAL_SERVER_ERROR, NULL,
                stopping ? "the server is shutting down" : "the engine rejected the request");
  size_t len;
  char *body = full_body(m, q, &len);
  return reply(c, MHD_HTTP_OK, "application/json", body, len, NULL);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls) {
  (void)version;
  mock_vllm *m = cls;
  if (!*con_cls) { /* headers: the body, if any, comes in the next calls */
    *con_cls = xcalloc(1, sizeof(conn));
    return MHD_YES;
  }
  conn *k = *con_cls;
  if (*upload_size) {
    if (!k->too_big && k->len + *upload_size > BODY_LIMIT) {
      k->too_big = true;
      free(k->body);
      k->body = NULL;
      k->len = k->cap = 0;
    }
    if (!k->too_big) {
      if (k->len + *upload_size > k->cap) {
        k->cap = (k->len + *upload_size) * 2;
        k->body = xrealloc(k->body, k->cap);
      }
      memcpy(k->body + k->len, upload, *upload_size);
      k->len += *upload_size;
    }
    *upload_size = 0; /* consumed (or dropped) */
    return MHD_YES;
  }
  if (k->too_big) {
    char msg[64];
    snprintf(msg, sizeof msg, "request body over %d bytes", BODY_LIMIT);
    return fail(c, MHD_HTTP_CONTENT_TOO_LARGE, NULL, msg);
  }
  return route(m, c, url, method, k);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode code) {
  (void)c;
  (void)code;
  mock_vllm *m = cls;
  conn *k = *con_cls;
  if (!k) return;
  if (k->q) {
    pthread_mutex_lock(&m->lock);
    abandon(m, k->q);
    req_unref(m, k->q);
    pthread_mutex_unlock(&m->lock);
  }
  free(k->body);
  free(k);
  *con_cls = NULL;
}

/* Paths are matched as sent: no percent-decoding, so "/v1/models%00x" is not "/v1/models". */
static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s) {
  (void)cls;
  (void)c;
  return strlen(s);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap) {
  mock_vllm *m = cls;
  char msg[1024];
  vsnprintf(msg, sizeof msg, fmt, ap);
  size_t n = strlen(msg);
  while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
    msg[--n] = '\0';
  fprintf(m->log, "podscale mock-vllm: http: %s\n", msg);
}

/* ---- life cycle ---- */

static bool name_ok(const char *s) {
  if (!s || !*s || strlen(s) > 256) return false;
  for (; *s; s++)
    if (*s < 0x20 || *s > 0x7e || *s == '"' || *s == '\\') return false;
  return true;
}

mock_vllm *mv_new(const mv_options *o, char *why, size_t why_len) {
  struct in_addr a;
  const char *bind_addr = o->bind ? o->bind : "0.0.0.0";
  if (!(o->speedup >= 0.001 && o->speedup <= 1e6)) {
    snprintf(why, why_len, "--speedup: expected a number from 0.001 to 1000000, found %g",
             o->speedup);
    return NULL;
  }
  if (inet_pton(AF_INET, bind_addr, &a) != 1) {
    snprintf(why, why_len, "--bind: expected an IPv4 address, found '%s'", bind_addr);
    return NULL;
  }
  if (o->port < 0 || o->port > 65535) {
    snprintf(why, why_len, "--port: expected 0 to 65535, found %d", o->port);
    return NULL;
  }
  if (!name_ok(o->model_name)) {
    snprintf(why, why_len,
             "--served-model-name: expected 1 to 256 printable ASCII "
             "characters without quotes or backslashes, found '%s'",
             o->model_name ? o->model_name : "");
    return NULL;
  }
  mock_vllm *m = xcalloc(1, sizeof *m);
  m->o = *o;
  m->model_name = xstrdup(o->model_name);
  m->bind = xstrdup(bind_addr);
  m->gpu_name = xstrdup(o->gpu_name ? o->gpu_name : "?");
  m->log = o->log ? o->log : stderr;
  m->listen_fd = -1;
  pthread_mutex_init(&m->lock, NULL);
  /* The engine's deadlines are CLOCK_MONOTONIC: a step of the system clock changes nothing. */
  ps_cond_init_mono(&m->wake);
  llmpod_config cfg = o->pod;
  cfg.stepped = true; /* an engine event per iteration: every token at its own time */
  cfg.on_tokens = on_tokens;
  cfg.tokens_ctx = m;
  m->pod = llmpod_new(&cfg);
  hist_init(&m->st.ttft, TTFT_LE, (int)(sizeof TTFT_LE / sizeof *TTFT_LE));
  hist_init(&m->st.tpot, TPOT_LE, (int)(sizeof TPOT_LE / sizeof *TPOT_LE));
  hist_init(&m->st.e2e, E2E_LE, (int)(sizeof E2E_LE / sizeof *E2E_LE));
  return m;
}

static bool listen_on(mock_vllm *m, char *why, size_t why_len) {
  ps_err e;
  m->listen_fd = ps_listen_tcp(m->bind, m->o.port, &m->port, &e);
  if (m->listen_fd < 0) snprintf(why, why_len, "%s", e.msg);
  return m->listen_fd >= 0;
}

bool mv_start(mock_vllm *m, char *why, size_t why_len) {
  assert(!m->engine_started && !m->mhd);
  if (!listen_on(m, why, why_len)) return false;
  m->t0_ns = ps_mono_ns();
  m->salt = (uint64_t)time(NULL) * 6364136223846793005u ^ (uint64_t)getpid() << 20 ^
            (uint64_t)(m->t0_ns % 1000000000);
  if (pthread_create(&m->engine, NULL, engine_main, m) != 0) {
    snprintf(why, why_len, "cannot start the engine thread");
    return false;
  }
  m->engine_started = true;
  /* A thread per connection: a request's thread may block until its answer is due. No idle
   * timeout: libmicrohttpd would count a long wait for the engine as idleness. */
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL |
                   MHD_USE_ERROR_LOG | MHD_USE_ITC;
  m->mhd = MHD_start_daemon(
      flags, 0, NULL, NULL, on_request, m, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, m,
      MHD_OPTION_LISTEN_SOCKET, m->listen_fd, MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONN_LIMIT,
      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)0, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
      (size_t)(128 * 1024), MHD_OPTION_THREAD_STACK_SIZE, (size_t)(512 * 1024),
      MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, NULL, MHD_OPTION_NOTIFY_COMPLETED, on_completed, m,
      MHD_OPTION_END);
  if (!m->mhd) {
    snprintf(why, why_len, "cannot start the HTTP server on port %d", m->port);
    return false; /* mv_free stops the engine and closes the socket */
  }
  m->listen_fd = -1; /* the daemon's now */
  const llmpod_config *c = &m->o.pod;
  fprintf(m->log,
          "podscale mock-vllm: listening on %s:%d (%s on %s; %d KV blocks of %d tokens, "
          "max_num_seqs %d, max_model_len %d%s; speedup %g)\n",
          m->bind, m->port, m->model_name, m->gpu_name, c->total_blocks, c->block_size,
          c->max_num_seqs, c->max_model_len, c->chunked_prefill ? ", chunked prefill" : "",
          m->o.speedup);
  fflush(m->log);
  return true;
}

int mv_port(const mock_vllm *m) { return m->port; }

static void on_evicted(void *ctx, request *r, int64_t t_us, rq_status status) {
  (void)t_us;
  (void)status;
  mock_vllm *m = ctx;
  mv_req *q = (mv_req *)r;
  q->done = q->failed = true;
  if (!q->cancel) req_unref(m, q);
}

void mv_stop(mock_vllm *m) {
  if (m->stopped) return;
  m->stopped = true;
  pthread_mutex_lock(&m->lock);
  m->stopping = true;
  pthread_cond_signal(&m->wake);
  for (mv_req *q = m->live; q; q = q->live_next)
    pthread_cond_broadcast(&q->cv);
  pthread_mutex_unlock(&m->lock);
  if (m->engine_started) pthread_join(m->engine, NULL);
  m->engine_started = false;
  if (m->mhd) MHD_stop_daemon(m->mhd); /* joins the connection threads */
  m->mhd = NULL;
  if (m->listen_fd >= 0) close(m->listen_fd);
  m->listen_fd = -1;
  /* No connection is left: the engine's references are the last ones. */
  pthread_mutex_lock(&m->lock);
  m->pod.ops->evict(m->pod.self, m->pod_now_us, on_evicted, m);
  for (mv_req *q = m->cancels, *next; q; q = next) {
    next = q->cancel_next;
    q->cancel = false;
    req_unref(m, q);
  }
  m->cancels = NULL;
  request *r;
  while ((r = rq_pop(&m->incoming)))
    req_unref(m, (mv_req *)r);
  assert(!m->live);
  pthread_mutex_unlock(&m->lock);
}

void mv_free(mock_vllm *m) {
  if (!m) return;
  mv_stop(m);
  m->pod.ops->free(m->pod.self);
  pthread_mutex_destroy(&m->lock);
  pthread_cond_destroy(&m->wake);
  free(m->model_name);
  free(m->bind);
  free(m->gpu_name);
  free(m);
}

/* As many open files as allowed: one per connection. */
int mv_main(const mv_options *o) {
  sigset_t set;
  ps_daemon_prepare(&set); /* signals for sigwait only, SIGPIPE ignored, files limit raised */
  char why[512];
  mock_vllm *m = mv_new(o, why, sizeof why);
  if (!m) {
    fprintf(stderr, "podscale: mock-vllm: %s\n", why);
    return 2;
  }
  if (!mv_start(m, why, sizeof why)) {
    fprintf(stderr, "podscale: mock-vllm: %s\n", why);
    mv_free(m);
    return 1;
  }
  int sig = 0;
  sigwait(&set, &sig);
  fprintf(m->log, "podscale mock-vllm: %s: shutting down\n",
          sig == SIGTERM  ? "SIGTERM"
          : sig == SIGINT ? "SIGINT"
                          : "SIGHUP");
  mv_free(m);
  return 0;
}
