#include "models/pods/llmpod.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/xalloc.h"

#define PS_PER_US INT64_C(1000000)
#define REBASE_PS (INT64_C(1000) * 1000000 * PS_PER_US) /* rebase the clock every 1000 s */

typedef struct lseq {
  request *r;
  int32_t ctx;    /* tokens whose KV entries are stored */
  int32_t target; /* prompt to prefill (input + tokens generated before a preemption) */
  int32_t step;   /* ITER: tokens this sequence processes in the iteration, 0 if none */
} lseq;

/* IDLE: nothing to do. ITER: one iteration with prefill work (and, with chunked prefill,
 * decodes), each sequence's share in lseq.step. DECODE: a segment of decode-only iterations. */
enum { IDLE, ITER, DECODE };

typedef struct llmpod {
  llmpod_config cfg;
  lseq *run; /* the batch, in admission order (newest last) */
  int32_t nrun;
  int32_t bs_shift; /* log2(block_size) when it is a power of two, else -1 */
  rq_list waiting;  /* FCFS queue */
  int64_t base_us;  /* pod clock origin */
  int64_t now_ps;   /* last boundary processed, ps after base_us */
  int kind;         /* IDLE, ITER or DECODE */
  /* DECODE segment: iteration j takes fixed + max(ca + cb j, ma + mb j) ps */
  int64_t seg_ps;    /* start of the segment */
  int32_t seg_iters; /* iterations planned */
  int32_t seg_done;  /* iterations applied to the sequences */
  int64_t fixed, ca, cb, ma, mb;
  int64_t end_ps;  /* end of the prefill iteration or of the decode segment */
  int64_t next_ps; /* end of the iteration in progress */
} llmpod;

/* ceil(tokens / block_size); a shift for the usual power-of-two sizes, since this runs for
 * every sequence at every batch change. */
static int32_t blocks_for(const llmpod *p, int64_t tokens) {
  if (p->bs_shift >= 0) return (int32_t)((tokens + p->cfg.block_size - 1) >> p->bs_shift);
  return (int32_t)((tokens + p->cfg.block_size - 1) / p->cfg.block_size);
}

static int64_t to_us_ceil(const llmpod *p, int64_t t_ps) {
  return p->base_us + (t_ps + PS_PER_US - 1) / PS_PER_US;
}

/* Blocks a sequence holds: vLLM allocates the whole prompt's blocks on admission. */
static int32_t held(const llmpod *p, const lseq *s) {
  return blocks_for(p, s->ctx > s->target ? s->ctx : s->target);
}

static bool decoding(const lseq *s) { return s->ctx >= s->target; }

static int32_t used_blocks(const llmpod *p) {
  int32_t n = 0;
  for (int32_t i = 0; i < p->nrun; i++)
    n += held(p, &p->run[i]);
  return n;
}

/* sum_{j<k} (a + b j) */
static int64_t sum_line(int64_t a, int64_t b, int64_t k) { return a * k + b * (k * (k - 1) / 2); }

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* Time of the first k iterations of the segment: sum_{j<k} fixed + max(ca + cb j, ma + mb j). */
static int64_t seg_span(const llmpod *p, int64_t k) {
  int64_t da = p->ca - p->ma, db = p->cb - p->mb, cross; /* compute - memory = da + db j */
  int64_t base = p->fixed * k;
  if (db == 0) return base + (da >= 0 ? sum_line(p->ca, p->cb, k) : sum_line(p->ma, p->mb, k));
  if (db > 0) { /* memory-bound first, compute-bound from j >= ceil(-da / db) */
    cross = -floor_div(da, db);
    cross = cross < 0 ? 0 : cross > k ? k : cross;
    return base + sum_line(p->ma, p->mb, cross) + sum_line(p->ca, p->cb, k) -
           sum_line(p->ca, p->cb, cross);
  }
  /* compute-bound first, for j <= floor(da / -db) */
  cross = floor_div(da, -db) + 1;
  cross = cross < 0 ? 0 : cross > k ? k : cross;
  return base + sum_line(p->ca, p->cb, cross) + sum_line(p->ma, p->mb, k) -
         sum_line(p->ma, p->mb, cross);
}

static int64_t seg_time(const llmpod *p, int64_t k) { return p->seg_ps + seg_span(p, k); }

/* Apply completed decode iterations up to k to the sequences. */
static void materialize(llmpod *p, int32_t k) {
  int32_t delta = k - p->seg_done;
  if (delta <= 0) return;
  for (int32_t i = 0; i < p->nrun; i++) {
    p->run[i].ctx += delta;
    p->run[i].r->generated += delta;
  }
  p->seg_done = k;
}

static void remove_at(llmpod *p, int32_t i) {
  for (; i + 1 < p->nrun; i++)
    p->run[i] = p->run[i + 1];
  p->nrun--;
}

/* ---- scheduling at an iteration boundary (p->now_ps) ---- */

/* Admit waiting requests in queue order while they fit (vLLM _schedule_prefills); each gets
 * min(prompt, budget) tokens of this iteration. Returns the tokens scheduled. */
static int64_t admit(llmpod *p, int64_t budget, int32_t free_blocks) {
  const llmpod_config *c = &p->cfg;
  int64_t used = 0;
  request *r;
  while ((r = p->waiting.head) && budget - used > 0) {
    int32_t prompt = r->input_tokens + r->generated, need = blocks_for(p, prompt);
    int64_t chunk = prompt;
    if (c->chunked_prefill && chunk > budget - used) chunk = budget - used;
    if (p->nrun + 1 > c->max_num_seqs || used + chunk > budget ||
        free_blocks - need < c->watermark_blocks)
      break;
    rq_pop(&p->waiting);
    if (r->start_us < 0) r->start_us = to_us_ceil(p, p->now_ps);
    p->run[p->nrun++] = (lseq){r, 0, prompt, (int32_t)chunk};
    free_blocks -= need;
    used += chunk;
  }
  return used;
}

/* Plan one iteration with prefill work, if there is any. Without chunked prefill that is a
 * prefill-only iteration of newly admitted requests (vLLM 0.6 default); with it, the running
 * sequences go first (one token per decode, the next chunk of a prompt being prefilled) and
 * waiting requests fill the rest of the token budget (vLLM _schedule_chunked_prefill). */
static bool plan_iteration(llmpod *p) {
  const llmpod_config *c = &p->cfg;
  int64_t budget = c->max_num_batched_tokens, tokens = 0, pairs = 0, dseqs = 0, kv = 0, seqs = 0;
  bool prefill_work = false;
  for (int32_t i = 0; i < p->nrun; i++) {
    lseq *s = &p->run[i];
    s->step = 0;
    if (!c->chunked_prefill) continue;
    if (decoding(s)) {
      if (budget < 1) continue;
      s->step = 1;
      budget--;
    } else {
      int64_t chunk = s->target - s->ctx < budget ? s->target - s->ctx : budget;
      if (chunk < 1) continue;
      s->step = (int32_t)chunk;
      budget -= chunk;
      prefill_work = true;
    }
  }
  /* Blocks left for admissions: what is held, plus the new block a decode of this step may
   * take for the token it writes. */
  int32_t committed = 0;
  for (int32_t i = 0; i < p->nrun; i++) {
    const lseq *s = &p->run[i];
    committed += s->step && decoding(s) ? blocks_for(p, s->ctx + 1) : held(p, s);
  }
  int32_t from = p->nrun;
  prefill_work |= admit(p, budget, c->total_blocks - committed) > 0;
  if (!prefill_work) {
    for (int32_t i = 0; i < from; i++)
      p->run[i].step = 0;
    return false;
  }
  for (int32_t i = 0; i < p->nrun; i++) {
    const lseq *s = &p->run[i];
    if (!s->step) continue;
    seqs++;
    if (decoding(s)) {
      dseqs++;
      kv += s->ctx + 1;
    } else { /* a chunk attends to the prompt before it and to itself */
      tokens += s->step;
      pairs += (int64_t)s->step * s->ctx + (int64_t)s->step * (s->step + 1) / 2;
      kv += s->ctx;
    }
  }
  p->kind = ITER;
  p->seg_ps = p->now_ps;
  p->end_ps = p->next_ps = p->now_ps + perf_iter_ps(&c->perf, tokens, pairs, dseqs, kv, seqs);
  return true;
}

/* Before a decode step: every sequence whose next token needs a new block gets one, the newest
 * sequences giving theirs up when none is free (vLLM _schedule_running). */
static void preempt_for_step(llmpod *p, rq_list *back) {
  int32_t free_blocks = p->cfg.total_blocks - used_blocks(p);
  for (int32_t i = 0; i < p->nrun; i++) {
    lseq *s = &p->run[i];
    if (!decoding(s) || blocks_for(p, s->ctx + 1) <= held(p, s)) continue;
    while (free_blocks < 1 && p->nrun - 1 > i) {
      lseq *v = &p->run[p->nrun - 1];
      free_blocks += held(p, v);
      v->r->preemptions++;
      rq_push(back, v->r);
      p->nrun--;
    }
    if (free_blocks < 1) { /* i is the newest left: it yields itself */
      s->r->preemptions++;
      rq_push(back, s->r);
      p->nrun--;
      break;
    }
    free_blocks--;
  }
}

/* Preempted requests (newest first in `back`) return to the queue head, oldest in front, after
 * this step's admissions, as vLLM's waiting.extendleft does. */
static void requeue(llmpod *p, rq_list *back) {
  request *r;
  while ((r = back->head)) {
    rq_unlink(back, r);
    r->next = p->waiting.head;
    r->prev = NULL;
    if (p->waiting.head)
      p->waiting.head->prev = r;
    else
      p->waiting.tail = r;
    p->waiting.head = r;
    p->waiting.len++;
  }
}

/* Iterations before the KV cache cannot hold the next token of every sequence. */
static int64_t iterations_until_full(const llmpod *p) {
  /* Blocks to start iteration j: sum_i ceil((ctx_i + j + 1) / bs)
   *   = D + Q + m D + #{i : r_i >= bs - x}   for j = m bs + x, ctx_i = q_i bs + r_i. */
  int32_t bs = p->cfg.block_size, d = p->nrun;
  int64_t q = 0;
  int32_t hist[256] = {0};
  for (int32_t i = 0; i < d; i++) {
    q += p->run[i].ctx / bs;
    hist[p->run[i].ctx % bs]++;
  }
  int64_t best = INT64_MAX, cnt = 0;
  for (int32_t x = 0; x < bs; x++) {
    if (x > 0) cnt += hist[bs - x];
    int64_t need0 = d + q + cnt;
    int64_t m = need0 > p->cfg.total_blocks ? 0 : (p->cfg.total_blocks - need0) / d + 1;
    int64_t j = m * bs + x;
    if (j < best) best = j;
  }
  return best;
}

static void plan_decode(llmpod *p) {
  const perf_model *pm = &p->cfg.perf;
  int64_t d = p->nrun, c0 = 0, n = INT32_MAX;
  for (int32_t i = 0; i < p->nrun; i++) {
    const lseq *s = &p->run[i];
    c0 += s->ctx + 1;
    int64_t left = s->r->output_tokens - s->r->generated;
    if (left < n) n = left;
  }
  int64_t full = iterations_until_full(p);
  if (full < n) n = full;
  if (p->cfg.stepped) n = 1;
  assert(n >= 1);
  p->kind = DECODE;
  p->fixed = pm->ovh + pm->ovh_seq * d;
  p->ca = pm->c_tok * d + pm->c_pair * c0;
  p->cb = pm->c_pair * d;
  p->ma = pm->m_w + pm->m_kv * c0;
  p->mb = pm->m_kv * d;
  p->seg_ps = p->now_ps;
  p->seg_iters = (int32_t)n;
  p->seg_done = 0;
  p->end_ps = seg_time(p, n);
  p->next_ps = seg_time(p, 1);
}

static void schedule(llmpod *p) {
  if (p->now_ps >= REBASE_PS) {
    int64_t shift_us = p->now_ps / PS_PER_US;
    p->base_us += shift_us;
    p->now_ps -= shift_us * PS_PER_US;
  }
  p->kind = IDLE;
  rq_list back = {0};
  if (p->cfg.chunked_prefill) { /* running sequences first, then what waits */
    preempt_for_step(p, &back);
    bool iter = plan_iteration(p);
    requeue(p, &back);
    if (!iter && p->nrun > 0) plan_decode(p);
    if (p->kind == IDLE && p->waiting.len) plan_iteration(p); /* all yielded: next step */
    return;
  }
  if (plan_iteration(p) || p->nrun == 0) return; /* prefill first */
  preempt_for_step(p, &back);
  requeue(p, &back);
  if (p->nrun == 0) {
    bool ok = plan_iteration(p);
    assert(ok && "after preempting every sequence the queue head must fit");
    (void)ok;
    return;
  }
  plan_decode(p);
}

/* Sequences that have all their tokens leave the batch. */
static void finish_done(llmpod *p, pod_done_fn done, void *ctx) {
  int64_t t_us = to_us_ceil(p, p->now_ps);
  int32_t k = 0;
  for (int32_t i = 0; i < p->nrun; i++) {
    lseq s = p->run[i];
    if (s.r->generated < s.r->output_tokens) {
      p->run[k++] = s;
      continue;
    }
    s.r->finish_us = t_us;
    done(ctx, s.r, t_us, RQ_OK);
  }
  p->nrun = k;
}

/* Tell the observer which requests just got a token. */
static void tokens_out(llmpod *p, request *const *rs, int32_t n) {
  if (p->cfg.on_tokens && n > 0)
    p->cfg.on_tokens(p->cfg.tokens_ctx, rs, n, to_us_ceil(p, p->now_ps));
}

/* The end of an ITER iteration: decodes get their token, chunks their KV, and a prompt whose
 * last chunk is done yields its next token (the first, unless it was being recomputed). */
static void end_iteration(llmpod *p, pod_done_fn done, void *ctx) {
  p->now_ps = p->end_ps;
  int64_t t_us = to_us_ceil(p, p->now_ps);
  request *got[4096];
  int32_t ngot = 0;
  for (int32_t i = 0; i < p->nrun; i++) {
    lseq *s = &p->run[i];
    if (!s->step) continue;
    bool token = decoding(s) || s->ctx + s->step >= s->target;
    s->ctx += s->step;
    s->step = 0;
    if (!token) continue;
    s->r->generated++;
    if (s->r->first_token_us < 0) s->r->first_token_us = t_us;
    if (ngot < 4096) got[ngot++] = s->r;
  }
  tokens_out(p, got, ngot);
  finish_done(p, done, ctx);
  schedule(p);
}

/* Largest k in [seg_done, seg_iters] whose boundary is at or before t. */
static int32_t iterations_by(const llmpod *p, int64_t t) {
  int32_t lo = p->seg_done, hi = p->seg_iters;
  while (lo < hi) {
    int32_t mid = lo + (hi - lo + 1) / 2;
    if (seg_time(p, mid) <= t)
      lo = mid;
    else
      hi = mid - 1;
  }
  return lo;
}

static void lp_advance(void *self, int64_t t_us, pod_done_fn done, void *ctx) {
  llmpod *p = self;
  for (;;) {
    int64_t rel_us = t_us - p->base_us;
    int64_t t = rel_us >= INT64_MAX / PS_PER_US ? INT64_MAX : rel_us * PS_PER_US;
    if (p->kind == IDLE || p->next_ps > t) return;
    if (p->kind == ITER) {
      end_iteration(p, done, ctx);
      continue;
    }
    if (p->end_ps <= t) {
      materialize(p, p->seg_iters);
      p->now_ps = p->end_ps;
      if (p->cfg.on_tokens) {
        request *got[4096];
        int32_t n = 0;
        for (int32_t i = 0; i < p->nrun && n < 4096; i++)
          got[n++] = p->run[i].r;
        tokens_out(p, got, n);
      }
      finish_done(p, done, ctx);
      schedule(p);
      continue;
    }
    int32_t k = iterations_by(p, t);
    materialize(p, k);
    p->now_ps = seg_time(p, k);
    p->next_ps = seg_time(p, k + 1);
    return;
  }
}

/* ---- the pod interface ---- */

static void lp_submit(void *self, request *r, int64_t now_us, pod_done_fn done, void *ctx) {
  llmpod *p = self;
  const llmpod_config *c = &p->cfg;
  int64_t total = (int64_t)r->input_tokens + r->output_tokens;
  int64_t asked = (int64_t)r->input_tokens + r->max_tokens; /* vLLM checks what the client asks */
  bool too_long = total > c->max_model_len || asked > c->max_model_len;
  if (too_long || blocks_for(p, total) > c->total_blocks - c->watermark_blocks) {
    r->reason = too_long ? RQ_TOO_LONG : RQ_KV_CACHE_TOO_SMALL;
    r->finish_us = now_us;
    done(ctx, r, now_us, RQ_FAILED);
    return;
  }
  rq_push(&p->waiting, r);
  if (p->kind == IDLE) {
    p->now_ps = (now_us - p->base_us) * PS_PER_US;
    schedule(p);
  } else if (p->kind == DECODE && p->seg_iters > p->seg_done + 1) {
    p->seg_iters = p->seg_done + 1; /* the scheduler looks at the queue after this iteration */
    p->end_ps = seg_time(p, p->seg_iters);
  }
}

static void lp_cancel(void *self, request *r, int64_t now_us) {
  llmpod *p = self;
  (void)now_us;
  for (int32_t i = 0; i < p->nrun; i++) {
    if (p->run[i].r != r) continue;
    remove_at(p, i);
    if (p->kind == DECODE && p->seg_iters > p->seg_done + 1) {
      /* The iteration in progress keeps its time; the next one is planned without r. */
      p->seg_iters = p->seg_done + 1;
      p->end_ps = seg_time(p, p->seg_iters);
    }
    return;
  }
  rq_unlink(&p->waiting, r);
}

static int64_t lp_next_us(const void *self) {
  const llmpod *p = self;
  return p->kind == IDLE ? INT64_MAX : to_us_ceil(p, p->end_ps);
}

static void lp_gauges(const void *self, pod_gauges *g) {
  const llmpod *p = self;
  int32_t used = 0;
  for (int32_t i = 0; i < p->nrun; i++) {
    const lseq *s = &p->run[i];
    bool stepping = p->kind == DECODE || (p->kind == ITER && s->step > 0);
    /* a decode step in progress holds the slot of the token it writes */
    used += decoding(s) && stepping ? blocks_for(p, s->ctx + 1) : held(p, s);
  }
  g->running = p->nrun;
  g->waiting = (int32_t)p->waiting.len;
  g->kv_usage = (double)used / p->cfg.total_blocks;
}

static void lp_evict(void *self, int64_t now_us, pod_done_fn out, void *ctx) {
  llmpod *p = self;
  for (int32_t i = 0; i < p->nrun; i++)
    out(ctx, p->run[i].r, now_us, RQ_FAILED);
  p->nrun = 0;
  request *r;
  while ((r = rq_pop(&p->waiting)))
    out(ctx, r, now_us, RQ_FAILED);
  p->kind = IDLE;
}

static void lp_free(void *self) {
  llmpod *p = self;
  free(p->run);
  free(p);
}

static const pod_ops llmpod_ops = {
    .name = "llm",
    .submit = lp_submit,
    .cancel = lp_cancel,
    .next_us = lp_next_us,
    .advance = lp_advance,
    .gauges = lp_gauges,
    .evict = lp_evict,
    .free = lp_free,
};

pod_model llmpod_new(const llmpod_config *cfg) {
  assert(cfg->block_size >= 1 && cfg->block_size <= 256 &&
         cfg->total_blocks > cfg->watermark_blocks);
  assert(cfg->max_num_seqs >= 1 && cfg->max_num_seqs <= 4096);
  assert(cfg->chunked_prefill ? cfg->max_num_batched_tokens >= cfg->max_num_seqs
                              : cfg->max_num_batched_tokens >= cfg->max_model_len);
  assert(!cfg->on_tokens || cfg->stepped);
  llmpod *p = xcalloc(1, sizeof *p);
  p->cfg = *cfg;
  p->run = xcalloc((size_t)cfg->max_num_seqs, sizeof *p->run);
  p->bs_shift = -1;
  for (int32_t k = 0; k < 9; k++)
    if (cfg->block_size == 1 << k) p->bs_shift = k;
  return (pod_model){&llmpod_ops, p};
}

const llm_engine_args llm_engine_args_default = {
    .max_num_seqs = 256,
    .block_size = 16,
    .gpu_memory_utilization = 0.9,
    .activation_reserve_bytes = 1024.0 * 1024.0 * 1024.0,
    .perf = {0.55, 0.80, 0.004, 0.00002},
};

llm_engine_args llm_engine_args_for(const gpu_spec *g, const llm_spec *m) {
  llm_engine_args a = llm_engine_args_default;
  const catalog_pod *c = catalog_pod_for(g->name, m->name);
  if (c) {
    a.perf = c->perf;
    a.num_gpu_blocks = c->num_gpu_blocks;
  }
  return a;
}

bool llmpod_configure(const gpu_spec *g, const llm_spec *m, const llm_engine_args *a,
                      llmpod_config *out, char *why, size_t why_len) {
  const double gib = 1024.0 * 1024.0 * 1024.0;
  int64_t len = a->max_model_len > 0 ? a->max_model_len : m->max_model_len;
  /* vLLM 0.6's defaults: 512 with chunked prefill, else max(max_model_len, 2048) */
  int64_t batched = a->max_num_batched_tokens > 0 ? a->max_num_batched_tokens
                    : a->enable_chunked_prefill   ? 512
                                                  : (len > 2048 ? len : 2048);
  int64_t blocks = a->num_gpu_blocks;
  if (!a->enable_chunked_prefill && batched < len) {
    snprintf(why, why_len,
             "max_num_batched_tokens (%lld) must be at least max_model_len (%lld) "
             "without chunked prefill",
             (long long)batched, (long long)len);
    return false;
  }
  if (a->enable_chunked_prefill && batched < a->max_num_seqs) {
    snprintf(why, why_len,
             "max_num_batched_tokens (%lld) must be at least max_num_seqs (%d) "
             "with chunked prefill",
             (long long)batched, a->max_num_seqs);
    return false;
  }
  if (blocks <= 0) {
    blocks = llmpod_kv_blocks(g, m, a->gpu_memory_utilization, a->activation_reserve_bytes,
                              a->block_size);
    if (blocks == 0) {
      snprintf(why, why_len,
               "%s's weights (%.1f GiB) leave no room for a KV cache in %.0f%% of "
               "%s's %.1f GiB with %.1f GiB reserved",
               m->name, m->params * m->bytes_per_weight / gib, a->gpu_memory_utilization * 100,
               g->name, g->memory / gib, a->activation_reserve_bytes / gib);
      return false;
    }
  }
  if (blocks * a->block_size < len) {
    snprintf(why, why_len,
             "the KV cache holds %lld tokens, less than max_model_len (%lld); "
             "lower max_model_len",
             (long long)(blocks * a->block_size), (long long)len);
    return false;
  }
  *out = (llmpod_config){
      .perf = perf_model_make(g, m, &a->perf),
      .block_size = a->block_size,
      .max_num_seqs = a->max_num_seqs,
      .max_num_batched_tokens = (int32_t)batched,
      .max_model_len = (int32_t)len,
      .chunked_prefill = a->enable_chunked_prefill,
  };
  llmpod_set_kv_blocks(out, (int32_t)blocks);
  return true;
}

void llmpod_set_kv_blocks(llmpod_config *c, int32_t blocks) {
  c->total_blocks = blocks;
  c->watermark_blocks = (int32_t)(0.01 * (double)blocks); /* vLLM: watermark 0.01 */
}

int32_t llmpod_kv_blocks(const gpu_spec *g, const llm_spec *m, double gpu_memory_utilization,
                         double activation_reserve_bytes, int32_t block_size) {
  double kv = g->memory * gpu_memory_utilization - m->params * m->bytes_per_weight -
              activation_reserve_bytes;
  double per_block = llm_kv_bytes_per_token(m) * block_size;
  if (kv < per_block) return 0;
  double n = floor(kv / per_block);
  return n > INT32_MAX ? INT32_MAX : (int32_t)n;
}
