/*
 * The LLM pod engine: iteration timing against the performance model, the vLLM scheduler's
 * admission, preemption and rejection rules, and the closed-form fast path against one engine
 * event per iteration.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "models/pods/llmpod.h"
#include "sim/run/run.h"
#include "testutil.h"

typedef struct outcome {
  request *r[64];
  int64_t t[64];
  rq_status st[64];
  int n;
} outcome;

static void record(void *ctx, request *r, int64_t t, rq_status st) {
  outcome *o = ctx;
  o->r[o->n] = r;
  o->t[o->n] = t;
  o->st[o->n++] = st;
}

static request req(uint64_t id, int32_t in, int32_t out) {
  return (request){.id = id,
                   .input_tokens = in,
                   .output_tokens = out,
                   .start_us = -1,
                   .first_token_us = -1,
                   .finish_us = -1,
                   .pod = 0};
}

static llmpod_config config(int32_t blocks) {
  const gpu_spec *g = catalog_gpu("V100-32GB");
  const llm_spec *m = catalog_llm("deepseek-llm-7b-chat");
  return (llmpod_config){.perf = perf_model_make(g, m, &llm_engine_args_default.perf),
                         .block_size = 16,
                         .total_blocks = blocks,
                         .watermark_blocks = blocks / 100,
                         .max_num_seqs = 256,
                         .max_num_batched_tokens = 4096,
                         .max_model_len = 4096};
}

static int64_t ceil_us(int64_t ps) { return (ps + 999999) / 1000000; }

static void one_request_follows_the_performance_model(void **state) {
  (void)state;
  llmpod_config c = config(2000);
  pod_model p = llmpod_new(&c);
  outcome o = {0};
  request r = req(0, 100, 10);
  p.ops->submit(p.self, &r, 0, record, &o);
  /* prefill of 100 tokens, then 9 decode steps reading 101, 102, ... 109 KV tokens */
  int64_t t = perf_iter_ps(&c.perf, 100, 100 * 101 / 2, 0, 0, 1);
  int64_t first = t;
  for (int j = 0; j < 9; j++)
    t += perf_iter_ps(&c.perf, 0, 0, 1, 101 + j, 1);
  assert_int_equal(p.ops->next_us(p.self), ceil_us(first));
  p.ops->advance(p.self, INT64_MAX / 2, record, &o);
  assert_int_equal(o.n, 1);
  assert_int_equal(o.st[0], RQ_OK);
  assert_int_equal(r.start_us, 0);
  assert_int_equal(r.first_token_us, ceil_us(first));
  assert_int_equal(r.finish_us, ceil_us(t));
  assert_int_equal(r.generated, 10);
  assert_int_equal(p.ops->next_us(p.self), INT64_MAX);
  p.ops->free(p.self);
}

static void gauges_report_running_waiting_and_kv_blocks(void **state) {
  (void)state;
  llmpod_config c = config(1000);
  c.max_num_seqs = 2;
  pod_model p = llmpod_new(&c);
  outcome o = {0};
  request r[5];
  for (int i = 0; i < 5; i++) {
    r[i] = req((uint64_t)i, 100, 50);
    p.ops->submit(p.self, &r[i], 0, record, &o);
  }
  pod_gauges g;
  p.ops->gauges(p.self, &g);
  /* The idle pod starts a prefill for the first at once; the others wait for its end. */
  assert_int_equal(g.running, 1);
  assert_int_equal(g.waiting, 4);
  assert_true(g.kv_usage == 7.0 / 1000); /* ceil(100 / 16) blocks */
  /* Then max_num_seqs 2 lets one more in; the decode of the first waits (prefill first). */
  p.ops->advance(p.self, p.ops->next_us(p.self), record, &o);
  p.ops->gauges(p.self, &g);
  assert_int_equal(g.running, 2);
  assert_int_equal(g.waiting, 3);
  assert_true(g.kv_usage == 14.0 / 1000);
  p.ops->advance(p.self, INT64_MAX / 2, record, &o);
  assert_int_equal(o.n, 5);
  for (int i = 0; i < 5; i++)
    assert_int_equal(o.st[i], RQ_OK);
  p.ops->gauges(p.self, &g);
  assert_int_equal(g.running, 0);
  assert_true(g.kv_usage == 0);
  p.ops->free(p.self);
}

static void request_longer_than_the_context_is_rejected_at_once(void **state) {
  (void)state;
  llmpod_config c = config(1000);
  pod_model p = llmpod_new(&c);
  outcome o = {0};
  request r = req(0, 4000, 200); /* 4200 > max_model_len 4096 */
  p.ops->submit(p.self, &r, 7, record, &o);
  assert_int_equal(o.n, 1);
  assert_int_equal(o.st[0], RQ_FAILED);
  assert_int_equal(o.t[0], 7);
  assert_int_equal(p.ops->next_us(p.self), INT64_MAX);
  p.ops->free(p.self);
}

/* vLLM refuses prompt + max_tokens > max_model_len even when the output would be short. */
static void a_prompt_with_the_clients_max_tokens_beyond_the_context_is_rejected(void **state) {
  (void)state;
  llmpod_config c = config(1000);
  pod_model p = llmpod_new(&c);
  outcome o = {0};
  request r = req(0, 2100, 1), fits = req(1, 2048, 1);
  r.max_tokens = fits.max_tokens = 2048; /* 4148 > 4096; 4096 fits */
  p.ops->submit(p.self, &r, 7, record, &o);
  assert_int_equal(o.n, 1);
  assert_int_equal(o.st[0], RQ_FAILED);
  p.ops->submit(p.self, &fits, 7, record, &o);
  assert_int_equal(o.n, 1); /* accepted: waiting for its prefill */
  p.ops->advance(p.self, INT64_MAX / 2, record, &o);
  assert_int_equal(o.n, 2);
  assert_int_equal(o.st[1], RQ_OK);
  p.ops->free(p.self);
}

static void full_cache_preempts_the_newest_and_it_recomputes(void **state) {
  (void)state;
  /* 20 blocks (320 tokens), watermark 0: two requests of 100 + 200 tokens cannot both finish */
  llmpod_config c = config(20);
  c.watermark_blocks = 0;
  pod_model p = llmpod_new(&c);
  outcome o = {0};
  request a = req(0, 100, 200), b = req(1, 100, 200);
  p.ops->submit(p.self, &a, 0, record, &o);
  p.ops->submit(p.self, &b, 0, record, &o);
  p.ops->advance(p.self, INT64_MAX / 2, record, &o);
  assert_int_equal(o.n, 2);
  assert_ptr_equal(o.r[0], &a); /* the older one keeps its blocks and finishes first */
  assert_int_equal(a.preemptions, 0);
  assert_true(b.preemptions >= 1);
  assert_int_equal(b.generated, 200);
  assert_true(b.finish_us > a.finish_us);
  p.ops->free(p.self);
}

static void cancel_removes_a_running_request(void **state) {
  (void)state;
  llmpod_config c = config(1000);
  pod_model p = llmpod_new(&c);
  outcome o = {0};
  request a = req(0, 100, 500), b = req(1, 100, 20);
  p.ops->submit(p.self, &a, 0, record, &o);
  p.ops->submit(p.self, &b, 0, record, &o);
  p.ops->advance(p.self, 200000, record, &o); /* 0.2 s: both decoding */
  p.ops->cancel(p.self, &a, 200000);
  pod_gauges g;
  p.ops->gauges(p.self, &g);
  assert_int_equal(g.running, 1);
  p.ops->advance(p.self, INT64_MAX / 2, record, &o);
  assert_int_equal(o.n, 1);
  assert_ptr_equal(o.r[0], &b);
  p.ops->free(p.self);
}

/* ---- the fast path against one event per iteration, through the whole simulator ---- */

static void write_engine_scenario(const char *dir, bool stepped, bool chunked, char *path,
                                  size_t n) {
  char text[4096];
  /* A small KV cache (preemptions), a short client timeout (cancellations), bursts (queueing)
   * and two pods: every path of the engine is exercised. */
  snprintf(
      text, sizeof text,
      "{\"seed\": 11, \"workload\": {\"arrivals\": {\"type\": \"segments\", \"process\": "
      "\"gamma\", \"cv\": 3, \"segments\": [{\"duration_s\": 200, \"rate\": 2}, "
      "{\"duration_s\": 200, \"rate\": 12}, {\"duration_s\": 200, \"rate\": 4}]}, "
      "\"input_tokens\": {\"dist\": \"lognormal\", \"mean\": 300, \"p99\": 2000}, "
      "\"output_tokens\": {\"dist\": \"lognormal\", \"mean\": 200, \"p99\": 1500}}, "
      "\"gpus\": [{\"name\": \"A10-24GB\"}], \"deployments\": [{\"name\": \"d\", \"gpu\": "
      "\"A10-24GB\", \"startup_s\": 0, \"model\": {\"type\": \"llm\", \"llm\": \"llama-2-7b\", "
      "\"num_gpu_blocks_override\": 400, \"max_num_seqs\": 48, \"stepped\": %s, "
      "\"enable_chunked_prefill\": %s}}], "
      "\"router\": {\"policy\": \"round-robin\"}, \"client\": {\"timeout_s\": 40}, "
      "\"policies\": [{\"name\": \"two\", \"type\": \"fixed\", \"replicas\": 2}], "
      "\"output\": {\"interval_s\": 0.7}}",
      stepped ? "true" : "false", chunked ? "true" : "false");
  tu_write(dir, stepped ? "stepped.json" : "fast.json", text, path, n);
}

/* Rows of requests.csv text whose preemptions field (next to last) is not 0. */
static int preempted_rows(const char *csv) {
  int n = 0;
  for (const char *l = strchr(csv, '\n'); l && l[1]; l = strchr(l + 1, '\n')) {
    const char *end = strchr(l + 1, '\n'), *c = end;
    for (int commas = 0; c > l && commas < 2; c--) /* preemptions is next to last (reason) */
      commas += c[-1] == ',';
    n += atoi(c + 1) > 0;
  }
  return n;
}

static uint64_t run_engine(const char *scenario_file, const char *out) {
  scenario sc;
  ps_err err;
  if (!scenario_load(scenario_file, &sc, &err)) fail_msg("%s", err.msg);
  run_options opt = {.out_dir = out, .seed = sc.seed};
  run_totals tot;
  assert_true(run_scenario(&sc, &opt, &tot, &err));
  scenario_free(&sc);
  return tot.events;
}

static void check_closed_form(bool chunked) {
  char d[64], fast[256], stepped[256], out_f[128], out_s[128];
  tu_tmpdir(d);
  write_engine_scenario(d, false, chunked, fast, sizeof fast);
  write_engine_scenario(d, true, chunked, stepped, sizeof stepped);
  snprintf(out_f, sizeof out_f, "%s/fast", d);
  snprintf(out_s, sizeof out_s, "%s/stepped", d);
  uint64_t ev_fast = run_engine(fast, out_f), ev_stepped = run_engine(stepped, out_s);
  print_message("%s: %llu events with closed-form segments, %llu with one per iteration\n",
                chunked ? "chunked prefill" : "prefill first", (unsigned long long)ev_fast,
                (unsigned long long)ev_stepped);
  assert_true(ev_stepped > 2 * ev_fast);
  const char *files[] = {"requests.csv", "timeseries.csv", "summary.csv"};
  for (int i = 0; i < 3; i++) {
    char a[256], b[256];
    snprintf(a, sizeof a, "%s/%s", out_f, files[i]);
    snprintf(b, sizeof b, "%s/%s", out_s, files[i]);
    size_t na, nb;
    char *x = tu_slurp(a, &na), *y = tu_slurp(b, &nb);
    assert_int_equal(na, nb);
    assert_memory_equal(x, y, na);
    if (i == 0) { /* the scenario did reach timeouts and preemptions */
      assert_non_null(strstr(x, ",timeout,"));
      assert_true(preempted_rows(x) > 10);
    }
    free(x);
    free(y);
  }
  tu_rmrf(d);
}

static void closed_form_decode_equals_one_event_per_iteration(void **state) {
  (void)state;
  check_closed_form(false);
}

static void closed_form_equals_one_event_per_iteration_with_chunked_prefill(void **state) {
  (void)state;
  check_closed_form(true);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(one_request_follows_the_performance_model),
      cmocka_unit_test(gauges_report_running_waiting_and_kv_blocks),
      cmocka_unit_test(request_longer_than_the_context_is_rejected_at_once),
      cmocka_unit_test(a_prompt_with_the_clients_max_tokens_beyond_the_context_is_rejected),
      cmocka_unit_test(full_cache_preempts_the_newest_and_it_recomputes),
      cmocka_unit_test(cancel_removes_a_running_request),
      cmocka_unit_test(closed_form_decode_equals_one_event_per_iteration),
      cmocka_unit_test(closed_form_equals_one_event_per_iteration_with_chunked_prefill),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
