#include "models/pods/slotpod.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>

#include "base/xalloc.h"

typedef struct slot {
  int64_t finish_us; /* when the request in this slot completes */
  uint64_t seq;      /* start order: ties in finish time complete in start order */
  request *r;
} slot;

typedef struct slotpod {
  slotpod_config cfg;
  slot *busy; /* busy[0..nbusy) */
  int32_t nbusy;
  int32_t next; /* index in busy of the earliest finish, -1 when idle */
  uint64_t seq;
  rq_list queue; /* waiting requests, FIFO */
} slotpod;

static void find_next(slotpod *p) {
  p->next = -1;
  for (int32_t i = 0; i < p->nbusy; i++) {
    const slot *s = &p->busy[i], *best = p->next >= 0 ? &p->busy[p->next] : NULL;
    if (!best || s->finish_us < best->finish_us ||
        (s->finish_us == best->finish_us && s->seq < best->seq))
      p->next = i;
  }
}

static void start(slotpod *p, request *r, int64_t now_us) {
  double svc_s = dist_quantile(&p->cfg.service_s, r->service_u);
  int64_t svc_us = svc_s > 0 ? (int64_t)llround(svc_s * 1e6) : 0;
  int32_t tokens = r->output_tokens > 0 ? r->output_tokens : 1;
  r->start_us = now_us;
  r->first_token_us = now_us + svc_us / tokens;
  p->busy[p->nbusy++] = (slot){now_us + svc_us, p->seq++, r};
}

static void fill_slots(slotpod *p, int64_t now_us) {
  while (p->nbusy < p->cfg.slots && p->queue.len)
    start(p, rq_pop(&p->queue), now_us);
  find_next(p);
}

static void sp_submit(void *self, request *r, int64_t now_us, pod_done_fn done, void *ctx) {
  (void)done;
  (void)ctx;
  slotpod *p = self;
  rq_push(&p->queue, r);
  fill_slots(p, now_us);
}

static void sp_cancel(void *self, request *r, int64_t now_us) {
  slotpod *p = self;
  for (int32_t i = 0; i < p->nbusy; i++) {
    if (p->busy[i].r == r) {
      p->busy[i] = p->busy[--p->nbusy];
      fill_slots(p, now_us);
      return;
    }
  }
  rq_unlink(&p->queue, r);
}

static int64_t sp_next_us(const void *self) {
  const slotpod *p = self;
  return p->next >= 0 ? p->busy[p->next].finish_us : INT64_MAX;
}

static void sp_advance(void *self, int64_t t_us, pod_done_fn done, void *ctx) {
  slotpod *p = self;
  while (p->next >= 0 && p->busy[p->next].finish_us <= t_us) {
    slot s = p->busy[p->next];
    p->busy[p->next] = p->busy[--p->nbusy];
    fill_slots(p, s.finish_us);
    s.r->finish_us = s.finish_us;
    done(ctx, s.r, s.finish_us, RQ_OK);
  }
}

static void sp_gauges(const void *self, pod_gauges *g) {
  const slotpod *p = self;
  g->running = p->nbusy;
  g->waiting = (int32_t)p->queue.len;
  g->kv_usage = (double)p->nbusy / p->cfg.slots;
}

static void sp_evict(void *self, int64_t now_us, pod_done_fn out, void *ctx) {
  slotpod *p = self;
  while (p->nbusy)
    out(ctx, p->busy[--p->nbusy].r, now_us, RQ_FAILED);
  p->next = -1;
  request *r;
  while ((r = rq_pop(&p->queue)))
    out(ctx, r, now_us, RQ_FAILED);
}

static void sp_free(void *self) {
  slotpod *p = self;
  free(p->busy);
  free(p);
}

static const pod_ops slotpod_ops = {
    .name = "slots",
    .submit = sp_submit,
    .cancel = sp_cancel,
    .next_us = sp_next_us,
    .advance = sp_advance,
    .gauges = sp_gauges,
    .evict = sp_evict,
    .free = sp_free,
};

pod_model slotpod_new(const slotpod_config *cfg) {
  assert(cfg->slots >= 1);
  slotpod *p = xcalloc(1, sizeof *p);
  p->cfg = *cfg;
  p->busy = xcalloc((size_t)cfg->slots, sizeof *p->busy);
  p->next = -1;
  return (pod_model){&slotpod_ops, p};
}
