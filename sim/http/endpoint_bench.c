#include "sim/http/endpoint_bench.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/strbuf.h"
#include "base/xalloc.h"

enum {
  EB_HEAD_BYTES = 2048,    /* body bytes kept to explain a failure */
  EB_PROBE_TIMEOUT_S = 30, /* limit on GET /v1/models */
};

struct eb_client {
  const eb_config *cfg;
  CURLM *multi;               /* kept across runs, so its connections are reused */
  struct curl_slist *headers; /* the same for every request */
  char *completions_url;      /* URL/v1/completions */
};

/* One run: what its requests share and what they add up to. */
typedef struct eb_run {
  eb_client *c;
  const char *body; /* the request body, the same for every request */
  int64_t t0_us;    /* the run's start on the monotonic clock */
  int64_t end_us;   /* end of the last request to end, from the start */
  sample e2e, ttft; /* completed requests, seconds */
  sample tpot;      /* their gaps between tokens, pooled, seconds */
  eb_outcome *out;
} eb_run;

/* One request in flight, through all its attempts; freed when settled, so memory follows the
 * requests in flight, not --total. */
typedef struct eb_request {
  eb_run *run;
  CURL *easy;
  int32_t attempts;   /* sent so far */
  int64_t send_us;    /* first attempt's send, from the run's start */
  int64_t headers_us; /* end of the current attempt's response headers; -1 before */
  int64_t first_us;   /* current attempt's first token; -1 before */
  int64_t last_us;    /* its latest token */
  sample gaps;        /* current attempt's gaps between tokens, seconds */
  char *line;         /* the event-stream line being received */
  size_t line_len, line_cap;
  char head[EB_HEAD_BYTES]; /* the first bytes of the current attempt's body */
  size_t head_len;
  bool done;       /* `data: [DONE]` seen */
  char error[256]; /* why the current attempt failed, from the stream; "" if not */
  char curl_error[CURL_ERROR_SIZE];
} eb_request;

static int64_t mono_us(void) { return ps_mono_ns() / 1000; }

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void
set_text(char *dst, size_t n, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(dst, n, fmt, ap);
  va_end(ap);
}

/* The message of an OpenAI or vLLM error object, {"error": {"message"}}, {"error": "..."} or
 * {"object": "error", "message"} (vLLM), and with `detail` FastAPI's {"detail": "..."} (an
 * error body, not an event); false when o is none of them ("error": null is no error). */
static bool error_message(const cJSON *o, bool detail, char *out, size_t n) {
  const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "error");
  const cJSON *obj = cJSON_GetObjectItemCaseSensitive(o, "object");
  const cJSON *src;
  if (cJSON_IsString(e))
    src = e;
  else if (cJSON_IsObject(e))
    src = cJSON_GetObjectItemCaseSensitive(e, "message");
  else if (cJSON_IsString(obj) && !strcmp(obj->valuestring, "error"))
    src = cJSON_GetObjectItemCaseSensitive(o, "message");
  else if (detail && cJSON_HasObjectItem(o, "detail"))
    src = cJSON_GetObjectItemCaseSensitive(o, "detail");
  else
    return false;
  set_text(out, n, "%s", cJSON_IsString(src) ? src->valuestring : "an error without a message");
  return true;
}

/* A one-line excerpt of a body for a message. */
static void excerpt(const char *p, size_t len, char *out, size_t n) {
  size_t k = 0;
  for (size_t i = 0; i < len && k + 4 < n && k < 120; i++)
    out[k++] = (p[i] == '\n' || p[i] == '\r' || p[i] == '\t') ? ' ' : p[i];
  if (k == 0)
    set_text(out, n, "an empty body");
  else
    out[k] = '\0';
}

static void on_token(eb_request *r, int64_t now_us) {
  if (r->first_us < 0)
    r->first_us = now_us;
  else
    sample_add(&r->gaps, (double)(now_us - r->last_us) * 1e-6);
  r->last_us = now_us;
}

/* One complete line of the event stream (without its newline). */
static void on_line(eb_request *r, char *s, size_t len, int64_t now_us) {
  if (len && s[len - 1] == '\r') s[--len] = '\0';
  if (len < 5 || strncmp(s, "data:", 5)) return; /* blank, comment, event:, id:, retry: */
  const char *data = s[5] == ' ' ? s + 6 : s + 5;
  if (!strcmp(data, "[DONE]")) {
    r->done = true;
    return;
  }
  if (r->error[0] || r->done) return;
  cJSON *o = cJSON_Parse(data);
  if (!o) {
    char ex[128];
    excerpt(data, strlen(data), ex, sizeof ex);
    set_text(r->error, sizeof r->error, "expected JSON after 'data:', found '%s'", ex);
    return;
  }
  char msg[200];
  if (error_message(o, false, msg, sizeof msg)) {
    set_text(r->error, sizeof r->error, "error in the stream: %s", msg);
  } else {
    const cJSON *choices = cJSON_GetObjectItemCaseSensitive(o, "choices");
    if (cJSON_IsArray(choices) && cJSON_GetArraySize(choices) > 0) on_token(r, now_us);
  }
  cJSON_Delete(o);
}

static size_t on_body(char *p, size_t size, size_t n, void *ud) {
  eb_request *r = ud;
  size_t len = size * n;
  int64_t now = mono_us() - r->run->t0_us;
  size_t keep = len < EB_HEAD_BYTES - 1 - r->head_len ? len : EB_HEAD_BYTES - 1 - r->head_len;
  memcpy(r->head + r->head_len, p, keep);
  r->head_len += keep;
  r->head[r->head_len] = '\0';
  long status = 0;
  curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
  if (status >= 400) return len; /* an error body: only its head is used */
  for (size_t i = 0; i < len;) {
    const char *nl = memchr(p + i, '\n', len - i);
    size_t seg = nl ? (size_t)(nl - (p + i)) : len - i;
    if (r->line_len + seg + 1 > r->line_cap) {
      r->line_cap = 2 * (r->line_len + seg + 1);
      r->line = xrealloc(r->line, r->line_cap);
    }
    memcpy(r->line + r->line_len, p + i, seg);
    r->line_len += seg;
    r->line[r->line_len] = '\0';
    i += seg;
    if (nl) {
      on_line(r, r->line, r->line_len, now);
      r->line_len = 0;
      i++;
    }
  }
  return len;
}

/* Called for every header line; the blank line ends a response's headers (the last one, after
 * any 1xx, is the one that counts). */
static size_t on_header(char *p, size_t size, size_t n, void *ud) {
  eb_request *r = ud;
  size_t len = size * n;
  if ((len == 2 && p[0] == '\r' && p[1] == '\n') || (len == 1 && p[0] == '\n'))
    r->headers_us = mono_us() - r->run->t0_us;
  return len;
}

eb_client *eb_client_new(const eb_config *cfg) {
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return NULL;
  eb_client *c = xcalloc(1, sizeof *c);
  c->cfg = cfg;
  c->multi = curl_multi_init();
  if (!c->multi) {
    free(c);
    curl_global_cleanup();
    return NULL;
  }
  size_t n = strlen(cfg->url) + sizeof "/v1/completions";
  c->completions_url = xmalloc(n);
  snprintf(c->completions_url, n, "%s/v1/completions", cfg->url);
  c->headers = curl_slist_append(NULL, "Content-Type: application/json");
  c->headers = curl_slist_append(c->headers, "Accept: text/event-stream");
  c->headers = curl_slist_append(c->headers, "Expect:"); /* no 100-continue round trip */
  if (cfg->api_key && *cfg->api_key) {
    size_t k = strlen(cfg->api_key) + sizeof "Authorization: Bearer ";
    char *h = xmalloc(k);
    snprintf(h, k, "Authorization: Bearer %s", cfg->api_key);
    c->headers = curl_slist_append(c->headers, h);
    free(h);
  }
  return c;
}

void eb_client_free(eb_client *c) {
  if (!c) return;
  curl_multi_cleanup(c->multi);
  curl_slist_free_all(c->headers);
  free(c->completions_url);
  free(c);
  curl_global_cleanup();
}

/* ---- GET /v1/models ---- */

static size_t on_probe_body(char *p, size_t size, size_t n, void *ud) {
  strbuf *b = ud;
  size_t len = size * n;
  if (b->len + len > (size_t)1 << 24) return 0; /* not a model list */
  sb_put(b, p, len);
  return len;
}

/* The served ids of a /v1/models body ({"data": [{"id", "max_model_len"}, ...]}), and the
 * model's max_model_len; false when the body is not such a list. */
static bool find_model(const char *body, const char *model, bool *found, int32_t *max_len,
                       char *ids, size_t n) {
  cJSON *o = cJSON_Parse(body);
  const cJSON *data = cJSON_GetObjectItemCaseSensitive(o, "data");
  if (!cJSON_IsArray(data)) {
    cJSON_Delete(o);
    return false;
  }
  *found = false;
  ids[0] = '\0';
  const cJSON *m;
  cJSON_ArrayForEach(m, data) {
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(m, "id");
    if (!cJSON_IsString(id)) continue;
    size_t used = strlen(ids);
    if (used + 1 < n) snprintf(ids + used, n - used, "%s'%s'", used ? ", " : "", id->valuestring);
    if (strcmp(id->valuestring, model)) continue;
    *found = true;
    const cJSON *len = cJSON_GetObjectItemCaseSensitive(m, "max_model_len");
    if (cJSON_IsNumber(len) && len->valuedouble >= 1 && len->valuedouble <= INT32_MAX)
      *max_len = (int32_t)len->valuedouble;
  }
  cJSON_Delete(o);
  return true;
}

eb_probe_result eb_probe(eb_client *c, int32_t *max_model_len, char *why, size_t why_len) {
  *max_model_len = 0;
  why[0] = '\0';
  size_t n = strlen(c->cfg->url) + sizeof "/v1/models";
  char *url = xmalloc(n);
  snprintf(url, n, "%s/v1/models", c->cfg->url);
  strbuf body = {0};
  char err[CURL_ERROR_SIZE] = "";
  CURL *e = curl_easy_init();
  curl_easy_setopt(e, CURLOPT_URL, url);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->headers);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_probe_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, err);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  double limit_s = c->cfg->request_timeout_s < EB_PROBE_TIMEOUT_S ? c->cfg->request_timeout_s
                                                                  : EB_PROBE_TIMEOUT_S;
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(limit_s * 1000));
  CURLcode rc = curl_easy_perform(e);
  long status = 0;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(e);
  free(url);
  eb_probe_result res = EB_PROBE_UNKNOWN;
  bool found = false;
  if (rc != CURLE_OK && status == 0) {
    set_text(why, why_len, "%s", err[0] ? err : curl_easy_strerror(rc));
    res = EB_PROBE_UNREACHABLE;
  } else if (status == 401 || status == 403) {
    set_text(why, why_len, "HTTP %ld", status);
    res = EB_PROBE_REFUSED;
  } else if (status == 200 && body.s &&
             find_model(body.s, c->cfg->model, &found, max_model_len, why, why_len)) {
    res = found ? EB_PROBE_SERVED : EB_PROBE_NOT_SERVED;
    if (found) why[0] = '\0';
  }
  free(body.s);
  return res;
}

/* ---- one run ---- */

/* {"model", "prompt", "max_tokens", "temperature", "stream", "ignore_eos"}: malloc'd. */
static char *request_body(const eb_config *cfg, int32_t input, int32_t output) {
  char *prompt = xmalloc((size_t)input * 3 + 1);
  for (int32_t i = 0; i < input; i++)
    memcpy(prompt + 3 * (size_t)i, "hi ", 3);
  prompt[(size_t)input * 3] = '\0';
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "model", cfg->model);
  cJSON_AddStringToObject(o, "prompt", prompt);
  cJSON_AddNumberToObject(o, "max_tokens", output);
  cJSON_AddNumberToObject(o, "temperature", cfg->temperature);
  cJSON_AddBoolToObject(o, "stream", 1);
  cJSON_AddBoolToObject(o, "ignore_eos", 1);
  char *text = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  free(prompt);
  if (!text) xcheck(NULL, 1);
  return text;
}

static void reset_attempt(eb_request *r) {
  r->headers_us = r->first_us = r->last_us = -1;
  r->gaps.n = 0;
  r->line_len = r->head_len = 0;
  r->head[0] = r->error[0] = r->curl_error[0] = '\0';
  r->done = false;
}

/* Why the finished attempt failed, into why; "" when it completed. */
static void judge(eb_request *r, CURLcode rc, char *why, size_t n, bool *unreachable) {
  long status = 0;
  curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
  why[0] = '\0';
  *unreachable = false;
  char msg[200];
  if (rc != CURLE_OK) {
    *unreachable = rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
                   rc == CURLE_COULDNT_RESOLVE_PROXY;
    set_text(why, n, "%s", r->curl_error[0] ? r->curl_error : curl_easy_strerror(rc));
  } else if (status >= 400) {
    cJSON *o = cJSON_Parse(r->head);
    if (!o || !error_message(o, true, msg, sizeof msg))
      excerpt(r->head, r->head_len, msg, sizeof msg);
    cJSON_Delete(o);
    set_text(why, n, "HTTP %ld: %s", status, msg);
  } else if (r->error[0]) {
    set_text(why, n, "%s", r->error);
  } else if (r->first_us < 0 && !r->done) {
    cJSON *o = cJSON_Parse(r->head);
    if (o && error_message(o, true, msg, sizeof msg)) {
      set_text(why, n, "HTTP %ld with an error: %s", status, msg);
    } else {
      excerpt(r->head, r->head_len, msg, sizeof msg);
      set_text(why, n, "expected a stream of 'data:' events, found '%s'", msg);
    }
    cJSON_Delete(o);
  } else if (!r->done) {
    set_text(why, n, "the stream ended before 'data: [DONE]'");
  } else if (r->first_us < 0) {
    set_text(why, n, "no token before 'data: [DONE]'");
  }
}

static CURL *new_easy(eb_client *c, eb_request *r, const char *body) {
  CURL *e = curl_easy_init();
  if (!e) xcheck(NULL, sizeof *r); /* it fails only for want of memory */
  curl_easy_setopt(e, CURLOPT_URL, c->completions_url);
  curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->headers);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->curl_error);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(c->cfg->request_timeout_s * 1000));
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_PRIVATE, r);
  return e;
}

static void send_attempt(eb_request *r) {
  reset_attempt(r);
  r->attempts++;
  /* It fails only for want of memory (the handles are valid and not yet added). */
  if (curl_multi_add_handle(r->run->c->multi, r->easy) != CURLM_OK) xcheck(NULL, 0);
}

static void send_request(eb_run *run) {
  eb_request *r = xcalloc(1, sizeof *r);
  r->run = run;
  r->easy = new_easy(run->c, r, run->body);
  r->send_us = mono_us() - run->t0_us;
  send_attempt(r);
}

static void settle(eb_request *r, bool ok, const char *why, bool unreachable) {
  eb_run *run = r->run;
  eb_outcome *out = run->out;
  int64_t end_us = mono_us() - run->t0_us;
  if (end_us > run->end_us) run->end_us = end_us;
  if (ok) {
    out->completed++;
    int64_t from = run->c->cfg->aibrix_ttft && r->headers_us >= 0 ? r->headers_us : r->send_us;
    sample_add(&run->e2e, (double)(end_us - r->send_us) * 1e-6);
    sample_add(&run->ttft, (double)(r->first_us - from) * 1e-6);
    for (size_t k = 0; k < r->gaps.n; k++)
      sample_add(&run->tpot, r->gaps.v[k]);
  } else {
    out->failed++;
    if (unreachable) out->unreachable++;
    if (!out->first_error[0]) set_text(out->first_error, sizeof out->first_error, "%s", why);
  }
  curl_easy_cleanup(r->easy);
  sample_free(&r->gaps);
  free(r->line);
  free(r);
}

/* A finished attempt: resend it or settle the request. Returns true when it is settled. */
static bool on_done(eb_request *r, CURLcode rc) {
  curl_multi_remove_handle(r->run->c->multi, r->easy);
  char why[sizeof r->run->out->first_error];
  bool unreachable;
  judge(r, rc, why, sizeof why, &unreachable);
  if (why[0] && r->attempts <= r->run->c->cfg->retries) {
    send_attempt(r);
    return false;
  }
  settle(r, !why[0], why, unreachable);
  return true;
}

/* Send the requests at arrival_us from the run's start and drive them until all are settled. */
static void drive(eb_run *run, const int64_t *arrival_us, int32_t total) {
  CURLM *multi = run->c->multi;
  int32_t next = 0, active = 0;
  while (next < total || active > 0) {
    for (; next < total && arrival_us[next] <= mono_us() - run->t0_us; next++, active++)
      send_request(run);
    int running;
    curl_multi_perform(multi, &running);
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(multi, &left))) {
      if (m->msg != CURLMSG_DONE) continue;
      char *priv;
      curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
      eb_request *r = (eb_request *)priv;
      CURLcode rc = m->data.result; /* m is invalid once the handle is removed */
      if (on_done(r, rc)) active--;
    }
    if (next >= total && active == 0) break;
    long wait_ms = -1;
    curl_multi_timeout(multi, &wait_ms);
    if (wait_ms < 0 || wait_ms > 1000) wait_ms = 1000;
    if (next < total) {
      int64_t due_ms = (arrival_us[next] - (mono_us() - run->t0_us) + 999) / 1000;
      if (due_ms < wait_ms) wait_ms = due_ms > 0 ? (long)due_ms : 0;
    }
    if (wait_ms > 0) curl_multi_poll(multi, NULL, 0, (int)wait_ms, NULL);
  }
}

bool eb_run_point(eb_client *c, int32_t input, int32_t output, double rate, int32_t total,
                  uint64_t seed, bench_point *pt, eb_outcome *out) {
  *out = (eb_outcome){0};
  char *body = request_body(c->cfg, input, output);
  int64_t *arrival_us = xmalloc((size_t)total * sizeof *arrival_us);
  bench_arrivals_us(total, rate, seed, arrival_us);
  eb_run run = {.c = c, .body = body, .out = out, .t0_us = mono_us()};
  drive(&run, arrival_us, total);
  double wall_s = (double)run.end_us * 1e-6;
  *pt = (bench_point){.input = input, .output = output, .rate = rate, .samples = total};
  pt->tput = wall_s > 0 ? out->completed / wall_s : 0;
  pt->tt = wall_s > 0 ? (double)out->completed * output / wall_s : 0; /* requested tokens */
  bench_stats4(&run.e2e, pt->e2e);
  bench_stats4(&run.ttft, pt->ttft);
  bench_stats4(&run.tpot, pt->tpot);
  sample_free(&run.e2e);
  sample_free(&run.ttft);
  sample_free(&run.tpot);
  free(arrival_us);
  free(body);
  return out->completed > 0;
}
