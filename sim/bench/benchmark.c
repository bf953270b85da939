#include "sim/bench/benchmark.h"

#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/stats.h"
#include "base/xalloc.h"
#include "optimizer/profile.h"
#include "sim/engine/rng.h"

/* benchmark.sh's loops from 4 tokens to the limits, rates 1 to 64 req/s, 100 requests a run. */
#define GRID(in_limit, out_limit)                                                                  \
  {                                                                                                \
    .input_start = 4, .input_limit = (in_limit), .output_start = 4, .output_limit = (out_limit),   \
    .rate_start = 1, .rate_limit = 64, .total = 100, .seed = 0, .temperature = 0.0, .model = NULL  \
  }
const bench_grid bench_grid_aibrix = GRID(2048, 512);
const bench_grid bench_grid_wide = GRID(4096, 4096);
#undef GRID

static int32_t doublings(int64_t start, int64_t limit) {
  int32_t n = 0;
  for (int64_t v = start; v <= limit; v *= 2)
    n++;
  return n;
}

/* Rates doubling in milli-requests per second, as benchmark.sh does. */
static int64_t milli(double r) { return (int64_t)llround(r * 1000); }

int32_t bench_grid_runs(const bench_grid *g) {
  return doublings(g->input_start, g->input_limit) * doublings(g->output_start, g->output_limit) *
         doublings(milli(g->rate_start), milli(g->rate_limit));
}

void bench_grid_at(const bench_grid *g, int32_t i, int32_t *input, int32_t *output, double *rate) {
  int32_t nr = doublings(milli(g->rate_start), milli(g->rate_limit));
  int32_t no = doublings(g->output_start, g->output_limit);
  int32_t ri = i % nr, oi = (i / nr) % no, ii = i / nr / no;
  *input = g->input_start << ii;
  *output = g->output_start << oi;
  *rate = (double)(milli(g->rate_start) << ri) / 1000.0;
}

typedef struct tracker {
  int64_t *last; /* last token time per request id */
  sample gaps;   /* pooled token gaps, seconds */
  int32_t done;
  int64_t end_us;
} tracker;

static void on_tokens(void *ctx, request *const *rs, int32_t n, int64_t t_us) {
  tracker *k = ctx;
  for (int32_t i = 0; i < n; i++) {
    int64_t *last = &k->last[rs[i]->id];
    if (*last >= 0) sample_add(&k->gaps, (double)(t_us - *last) * 1e-6);
    *last = t_us;
  }
}

static void on_done(void *ctx, request *r, int64_t t_us, rq_status st) {
  tracker *k = ctx;
  (void)r;
  if (st == RQ_OK) k->done++;
  if (t_us > k->end_us) k->end_us = t_us;
}

void bench_stats4(sample *s, double out[4]) {
  if (s->n == 0) { /* aibrix_benchmark reports [0.0] when there is nothing to measure */
    out[0] = out[1] = out[2] = out[3] = 0;
    return;
  }
  out[0] = sample_mean(s);
  out[1] = sample_quantile(s, 0.50);
  out[2] = sample_quantile(s, 0.90);
  out[3] = sample_quantile(s, 0.99);
}

void bench_arrivals_us(int32_t total, double rate, uint64_t seed, int64_t *arrival_us) {
  gsl_rng *r = rng_stream(seed, "benchmark");
  int64_t t = 0;
  for (int32_t i = 0; i < total; i++) {
    arrival_us[i] = t;
    t += (int64_t)llround(gsl_ran_exponential(r, 1.0) / rate * 1e6);
  }
  gsl_rng_free(r);
}

bool bench_run_point(const llmpod_config *base, int32_t input, int32_t output, double rate,
                     int32_t total, uint64_t seed, bench_point *out) {
  if ((int64_t)input + output > base->max_model_len) return false;
  tracker k = {.last = xmalloc((size_t)total * sizeof(int64_t))};
  llmpod_config cfg = *base;
  cfg.stepped = true;
  cfg.on_tokens = on_tokens;
  cfg.tokens_ctx = &k;
  pod_model pod = llmpod_new(&cfg);
  request *rq = xcalloc((size_t)total, sizeof *rq);
  int64_t *arrival_us = xmalloc((size_t)total * sizeof *arrival_us);
  bench_arrivals_us(total, rate, seed, arrival_us);
  for (int32_t i = 0; i < total; i++) {
    rq[i] = (request){.id = (uint64_t)i,
                      .arrival_us = arrival_us[i],
                      .start_us = -1,
                      .first_token_us = -1,
                      .finish_us = -1,
                      .input_tokens = input,
                      .output_tokens = output,
                      .pod = 0};
    k.last[i] = -1;
  }
  free(arrival_us);
  int32_t next = 0;
  for (;;) {
    int64_t t_pod = pod.ops->next_us(pod.self);
    int64_t t_in = next < total ? rq[next].arrival_us : INT64_MAX;
    if (t_pod == INT64_MAX && t_in == INT64_MAX) break;
    if (t_in <= t_pod) {
      pod.ops->advance(pod.self, t_in, on_done, &k);
      pod.ops->submit(pod.self, &rq[next++], t_in, on_done, &k);
    } else {
      pod.ops->advance(pod.self, t_pod, on_done, &k);
    }
  }
  sample e2e = {0}, ttft = {0};
  for (int32_t i = 0; i < total; i++) {
    if (rq[i].finish_us < 0 || rq[i].first_token_us < 0) continue;
    sample_add(&e2e, (double)(rq[i].finish_us - rq[i].arrival_us) * 1e-6);
    sample_add(&ttft, (double)(rq[i].first_token_us - rq[i].arrival_us) * 1e-6);
  }
  double span = (double)k.end_us * 1e-6;
  *out = (bench_point){.input = input, .output = output, .rate = rate, .samples = total};
  out->tput = span > 0 ? k.done / span : 0;
  out->tt = span > 0 ? (double)total * output / span : 0; /* requested tokens, as AIBrix */
  bench_stats4(&e2e, out->e2e);
  bench_stats4(&ttft, out->ttft);
  bench_stats4(&k.gaps, out->tpot);
  sample_free(&e2e);
  sample_free(&ttft);
  sample_free(&k.gaps);
  pod.ops->free(pod.self);
  free(rq);
  free(k.last);
  return true;
}

/* Floats as Python's repr writes them (opt_float_repr), so lines compare equal to
 * aibrix_benchmark's: 16.0, not 16 or 1.6e+01. */
static void py_float(char *buf, size_t n, double v) { opt_float_repr(v, buf, n); }

static void line(FILE *fp, const bench_grid *g, const bench_point *pt, const char *metric,
                 const double *v, bool percentiles) {
  char rate[32], temp[32], mean[32];
  py_float(rate, sizeof rate, pt->rate);
  py_float(temp, sizeof temp, g->temperature);
  py_float(mean, sizeof mean, v[0]);
  fprintf(fp,
          "{\"input_tokens\": %d, \"output_tokens\": %d, \"request_rate\": %s, \"seed\": %llu, "
          "\"model\": \"%s\", \"temperature\": %s, \"samples\": %d, \"metric\": \"%s\", "
          "\"mean\": %s",
          pt->input, pt->output, rate, (unsigned long long)g->seed, g->model, temp, pt->samples,
          metric, mean);
  if (percentiles) {
    char p[3][32];
    for (int i = 0; i < 3; i++)
      py_float(p[i], sizeof p[i], v[i + 1]);
    fprintf(fp, ", \"P50\": %s, \"P90\": %s, \"P99\": %s", p[0], p[1], p[2]);
  }
  fputs("}\n", fp);
}

void bench_point_records(const bench_point *pt, int32_t first_line, opt_bench_record out[5]) {
  const opt_metric metric[5] = {OPT_METRIC_TPUT, OPT_METRIC_TT, OPT_METRIC_E2E, OPT_METRIC_TTFT,
                                OPT_METRIC_TPOT};
  const double *v[5] = {&pt->tput, &pt->tt, pt->e2e, pt->ttft, pt->tpot};
  for (int i = 0; i < 5; i++) {
    bool percentiles = i >= 2;
    out[i] = (opt_bench_record){.input_tokens = pt->input,
                                .output_tokens = pt->output,
                                .request_rate = pt->rate,
                                .metric = metric[i],
                                .mean = v[i][0],
                                .p50 = percentiles ? v[i][1] : NAN,
                                .p90 = percentiles ? v[i][2] : NAN,
                                .p99 = percentiles ? v[i][3] : NAN,
                                .line = first_line + i};
  }
}

void bench_write_point(FILE *fp, const bench_grid *g, const bench_point *pt) {
  line(fp, g, pt, "TPUT", &pt->tput, false);
  line(fp, g, pt, "TT", &pt->tt, false);
  line(fp, g, pt, "E2E", pt->e2e, true);
  line(fp, g, pt, "TTFT", pt->ttft, true);
  line(fp, g, pt, "TPOT", pt->tpot, true);
}
