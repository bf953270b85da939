#include "sim/bench/calibrate.h"

#include <cjson/cJSON.h>
#include <gsl/gsl_multifit_nlinear.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/textin.h"
#include "base/xalloc.h"
#include "sim/bench/benchmark.h"
#include "sim/engine/rng.h"

/* ---- reading ---- */

static bench_run *find_run(bench_file *f, int32_t in, int32_t out, double rate) {
  for (int32_t i = 0; i < f->n; i++)
    if (f->runs[i].input == in && f->runs[i].output == out && f->runs[i].rate == rate)
      return &f->runs[i];
  f->runs = xrealloc(f->runs, ((size_t)f->n + 1) * sizeof *f->runs);
  f->runs[f->n] = (bench_run){.input = in, .output = out, .rate = rate};
  return &f->runs[f->n++];
}

static bool num(const cJSON *o, const char *key, double *out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble)) return false;
  *out = v->valuedouble;
  return true;
}

bool bench_file_read(const char *path, bench_file *f, ps_err *err) {
  *f = (bench_file){0};
  textin tin;
  if (!textin_open(&tin, path, 0, err)) return false;
  bool ok = true;
  int got;
  while (ok && (got = textin_next(&tin, err)) != 0) {
    if (!(ok = got > 0)) break;
    const char *line = tin.buf;
    long lineno = tin.line;
    if (strspn(line, " \t\r\n") == strlen(line)) continue;
    cJSON *o = cJSON_Parse(line);
    double in, out, rate, mean, samples = 0, seed = 0;
    const cJSON *metric = o ? cJSON_GetObjectItemCaseSensitive(o, "metric") : NULL;
    if (!o || !cJSON_IsObject(o)) {
      ok = ps_fail(err, "%s:%ld: expected a JSON object, found invalid JSON", path, lineno);
    } else if (!num(o, "input_tokens", &in) || !num(o, "output_tokens", &out) ||
               !num(o, "request_rate", &rate) || !num(o, "mean", &mean) ||
               !cJSON_IsString(metric)) {
      ok = ps_fail(err,
                   "%s:%ld: expected input_tokens, output_tokens, request_rate, metric and "
                   "mean, found a line without them",
                   path, lineno);
    } else if (!(in >= 1 && out >= 1 && in <= 1e7 && out <= 1e7) || in != floor(in) ||
               out != floor(out) || rate <= 0 || mean < 0) {
      ok = ps_fail(err,
                   "%s:%ld: expected whole token counts from 1 to 10000000, a positive rate and "
                   "a mean >= 0, found other values",
                   path, lineno);
    } else {
      if (!num(o, "samples", &samples) || !(samples >= 0 && samples <= 2147483647)) samples = 0;
      if (num(o, "seed", &seed) && seed >= 0 && seed <= 9007199254740992.0)
        f->seed = (uint64_t)seed;
      bench_run *r = find_run(f, (int32_t)in, (int32_t)out, rate);
      r->samples = (int32_t)samples;
      if (!strcmp(metric->valuestring, "TPUT")) r->tput = mean, r->has_tput = true;
      if (!strcmp(metric->valuestring, "E2E")) r->e2e_mean = mean, r->has_e2e = true;
    }
    cJSON_Delete(o);
  }
  textin_close(&tin);
  if (ok && f->n == 0) ok = ps_fail(err, "%s: expected benchmark lines, found none", path);
  if (!ok) bench_file_free(f);
  return ok;
}

void bench_file_free(bench_file *f) {
  free(f->runs);
  *f = (bench_file){0};
}

/* ---- fitting ---- */

static bool kept_up(const bench_run *r) {
  return r->has_tput && r->has_e2e && r->tput >= 0.9 * r->rate && r->e2e_mean > 0;
}

typedef struct fit_ctx {
  const gpu_spec *g;
  const llm_spec *m;
  llm_engine_args args;
  const bench_file *bf;
  int32_t *idx; /* runs that kept up */
  int32_t n;
  int32_t evaluations;                              /* simulations of every fitted run so far */
  void (*progress)(void *ctx, int32_t evaluations); /* after each, or NULL */
  void *progress_ctx;
} fit_ctx;

/* Simulated TPUT and E2E mean of every fitted run under factors p. */
static bool simulate(fit_ctx *c, const perf_params *p, double *tput, double *e2e) {
  llm_engine_args a = c->args;
  a.perf = *p;
  llmpod_config cfg;
  char why[256];
  if (!llmpod_configure(c->g, c->m, &a, &cfg, why, sizeof why)) return false;
  for (int32_t k = 0; k < c->n; k++) {
    const bench_run *r = &c->bf->runs[c->idx[k]];
    bench_point pt;
    int32_t total = r->samples > 0 ? r->samples : 100;
    if (!bench_run_point(&cfg, r->input, r->output, r->rate, total, c->bf->seed, &pt)) {
      tput[k] = e2e[k] = NAN;
      continue;
    }
    tput[k] = pt.tput;
    e2e[k] = pt.e2e[0];
  }
  return true;
}

static perf_params from_x(const gsl_vector *x) {
  return (perf_params){fmin(1.0, exp(gsl_vector_get(x, 0))), fmin(1.0, exp(gsl_vector_get(x, 1))),
                       exp(gsl_vector_get(x, 2)), exp(gsl_vector_get(x, 3))};
}

/* Cauchy loss through least squares: sum f^2 = sum c^2 log(1 + (r/c)^2). Measured files hold
 * outliers the engine should not chase (the published one has cold first requests that
 * multiply some low-rate means by ten), and the acceptance measure is a median. */
static double robust(double r) {
  const double c = 0.1;
  double f = c * sqrt(log1p((r / c) * (r / c)));
  return r < 0 ? -f : f;
}

static int residuals(const gsl_vector *x, void *data, gsl_vector *f) {
  fit_ctx *c = data;
  perf_params p = from_x(x);
  double *tput = xmalloc((size_t)c->n * sizeof *tput), *e2e = xmalloc((size_t)c->n * sizeof *e2e);
  bool ok = simulate(c, &p, tput, e2e);
  c->evaluations++;
  if (c->progress) c->progress(c->progress_ctx, c->evaluations);
  for (int32_t k = 0; k < c->n; k++) {
    const bench_run *r = &c->bf->runs[c->idx[k]];
    double rt = ok && tput[k] > 0 ? log(tput[k] / r->tput) : 5;
    double re = ok && e2e[k] > 0 ? log(e2e[k] / r->e2e_mean) : 5;
    gsl_vector_set(f, 2 * (size_t)k, robust(isfinite(rt) ? rt : 5));
    gsl_vector_set(f, 2 * (size_t)k + 1, robust(isfinite(re) ? re : 5));
  }
  free(tput);
  free(e2e);
  return GSL_SUCCESS;
}

/* J = (f(x + h e_j) - f0) / h for every parameter j, h = 0.02. */
static void forward_differences(int (*f)(const gsl_vector *, void *, gsl_vector *),
                                const gsl_vector *x, const gsl_vector *f0, void *data,
                                gsl_matrix *J) {
  const double h = 0.02;
  gsl_vector *f1 = gsl_vector_alloc(J->size1), *xh = gsl_vector_alloc(x->size);
  for (size_t j = 0; j < x->size; j++) {
    gsl_vector_memcpy(xh, x);
    gsl_vector_set(xh, j, gsl_vector_get(x, j) + h);
    f(xh, data, f1);
    for (size_t i = 0; i < J->size1; i++)
      gsl_matrix_set(J, i, j, (gsl_vector_get(f1, i) - gsl_vector_get(f0, i)) / h);
  }
  gsl_vector_free(f1);
  gsl_vector_free(xh);
}

/* Forward differences with a 2% step in log space: finer steps only see the simulation's
 * microsecond rounding. */
static int jacobian(const gsl_vector *x, void *data, gsl_matrix *J) {
  gsl_vector *f0 = gsl_vector_alloc(J->size1);
  residuals(x, data, f0);
  forward_differences(residuals, x, f0, data, J);
  gsl_vector_free(f0);
  return GSL_SUCCESS;
}

static double median_abs_err(const double *sim, const double *meas_of, int32_t n) {
  double *e = xmalloc((size_t)(n ? n : 1) * sizeof *e);
  for (int32_t k = 0; k < n; k++)
    e[k] = isfinite(sim[k]) ? fabs(sim[k] / meas_of[k] - 1) : INFINITY;
  gsl_sort(e, 1, (size_t)n);
  double med = n ? gsl_stats_median_from_sorted_data(e, 1, (size_t)n) : NAN;
  free(e);
  return med;
}

static void errors(fit_ctx *c, const perf_params *p, double *tput_err, double *e2e_err) {
  double *tput = xmalloc((size_t)(c->n + 1) * sizeof *tput),
         *e2e = xmalloc((size_t)(c->n + 1) * sizeof *e2e);
  double *mt = xmalloc((size_t)(c->n + 1) * sizeof *mt),
         *me = xmalloc((size_t)(c->n + 1) * sizeof *me);
  if (!simulate(c, p, tput, e2e))
    for (int32_t k = 0; k < c->n; k++)
      tput[k] = e2e[k] = NAN;
  for (int32_t k = 0; k < c->n; k++) {
    mt[k] = c->bf->runs[c->idx[k]].tput;
    me[k] = c->bf->runs[c->idx[k]].e2e_mean;
  }
  *tput_err = median_abs_err(tput, mt, c->n);
  *e2e_err = median_abs_err(e2e, me, c->n);
  free(tput);
  free(e2e);
  free(mt);
  free(me);
}

static void ctx_init(fit_ctx *c, const gpu_spec *g, const llm_spec *m, const llm_engine_args *a,
                     const bench_file *bf) {
  *c = (fit_ctx){.g = g, .m = m, .args = *a, .bf = bf};
  c->idx = xmalloc(((size_t)bf->n + 1) * sizeof *c->idx);
  for (int32_t i = 0; i < bf->n; i++)
    if (kept_up(&bf->runs[i]) &&
        (int64_t)bf->runs[i].input + bf->runs[i].output <= m->max_model_len)
      c->idx[c->n++] = i;
}

bool calibrate(const gpu_spec *g, const llm_spec *m, const llm_engine_args *args,
               const bench_file *bf, void (*progress)(void *ctx, int32_t evaluations),
               void *progress_ctx, calib_result *res, ps_err *err) {
  llmpod_config probe;
  char why[256];
  if (!llmpod_configure(g, m, args, &probe, why, sizeof why))
    return ps_fail(err, "vLLM would not start with this configuration: %s", why);
  fit_ctx c;
  ctx_init(&c, g, m, args, bf);
  *res = (calib_result){.runs_fitted = c.n};
  if (c.n < 2) {
    free(c.idx);
    return ps_fail(err,
                   "expected at least 2 benchmark runs where the server kept up (TPUT >= 0.9 "
                   "x rate), found %d",
                   c.n);
  }
  errors(&c, &args->perf, &res->tput_median_err0, &res->e2e_median_err0);

  gsl_multifit_nlinear_parameters params = gsl_multifit_nlinear_default_parameters();
  gsl_multifit_nlinear_fdf fdf = {
      .f = residuals, .df = jacobian, .n = 2 * (size_t)c.n, .p = 4, .params = &c};
  gsl_multifit_nlinear_workspace *w =
      gsl_multifit_nlinear_alloc(gsl_multifit_nlinear_trust, &params, fdf.n, fdf.p);
  gsl_vector *x = gsl_vector_alloc(4);
  const perf_params *s = &args->perf;
  gsl_vector_set(x, 0, log(s->eff_compute));
  gsl_vector_set(x, 1, log(s->eff_memory));
  gsl_vector_set(x, 2, log(fmax(s->overhead_s, 1e-6)));
  gsl_vector_set(x, 3, log(fmax(s->overhead_seq_s, 1e-8)));
  c.progress = progress;
  c.progress_ctx = progress_ctx;
  gsl_multifit_nlinear_init(x, &fdf, w);
  int info = 0;
  gsl_multifit_nlinear_driver(30, 1e-4, 1e-6, 1e-6, NULL, NULL, &info, w);
  res->fitted = from_x(gsl_multifit_nlinear_position(w));
  res->iterations = (int32_t)gsl_multifit_nlinear_niter(w);
  res->evaluations = c.evaluations;
  errors(&c, &res->fitted, &res->tput_median_err, &res->e2e_median_err);
  gsl_vector_free(x);
  gsl_multifit_nlinear_free(w);
  free(c.idx);
  return true;
}

/* ---- from vLLM's stats lines ---- */

void vcal_draw_lengths(const dist *input, const dist *output, int32_t max_output, uint64_t seed,
                       int32_t n, int32_t *input_tokens, int32_t *output_tokens) {
  gsl_rng *ri = rng_stream(seed, "calibrate_input"), *ro = rng_stream(seed, "calibrate_output");
  for (int32_t i = 0; i < n; i++) {
    double x = round(dist_quantile(input, gsl_rng_uniform_pos(ri)));
    double y = round(dist_quantile(output, gsl_rng_uniform_pos(ro)));
    if (max_output > 0 && y > max_output) y = max_output;
    input_tokens[i] = x < 1 ? 1 : x > INT32_MAX ? INT32_MAX : (int32_t)x;
    output_tokens[i] = y < 1 ? 1 : y > INT32_MAX ? INT32_MAX : (int32_t)y;
  }
  gsl_rng_free(ri);
  gsl_rng_free(ro);
}

/* The closed loop: every request that leaves is replaced by the next length pair. */
typedef struct loop {
  const int32_t *in, *out;
  int32_t nreq, next; /* next length pair to use */
  request *slots;
  request **back; /* requests that left, to submit again */
  int32_t nback;
  bool measuring;
  double done_tokens, done_prompt; /* tokens of the requests finished while measuring */
} loop;

static void renew(loop *l, request *r) {
  int32_t k = l->next++ % l->nreq;
  *r = (request){.id = (uint64_t)l->next,
                 .start_us = -1,
                 .first_token_us = -1,
                 .finish_us = -1,
                 .input_tokens = l->in[k],
                 .output_tokens = l->out[k],
                 .slot = r->slot};
}

static void on_leave(void *ctx, request *r, int64_t t_us, rq_status st) {
  loop *l = ctx;
  (void)t_us;
  if (l->measuring && st == RQ_OK) {
    l->done_tokens += r->output_tokens;
    l->done_prompt += r->input_tokens;
  }
  l->back[l->nback++] = r;
}

static double generated(const loop *l, int32_t n) {
  double g = 0;
  for (int32_t i = 0; i < n; i++)
    g += l->slots[i].generated;
  return g;
}

/* Advance to t, then hand the requests that left back to the pod. Requests the pod rejects at
 * once (too long for it) come back through on_leave and are replaced, at most nreq times. */
static void run_to(pod_model *pod, loop *l, int64_t t_us) {
  int32_t rejected = 0;
  for (;;) {
    int64_t t = pod->ops->next_us(pod->self);
    if (t > t_us) t = t_us;
    pod->ops->advance(pod->self, t, on_leave, l);
    while (l->nback > 0 && rejected <= l->nreq) {
      request *r = l->back[--l->nback];
      renew(l, r);
      r->arrival_us = t;
      int32_t before = l->nback;
      pod->ops->submit(pod->self, r, t, on_leave, l);
      rejected += l->nback > before;
    }
    if (t >= t_us) return;
  }
}

void vcal_closed_loop(const llmpod_config *cfg, const int32_t *input_tokens,
                      const int32_t *output_tokens, int32_t nrequests, int32_t population,
                      double warmup_s, double measure_s, vcal_state *out) {
  loop l = {.in = input_tokens, .out = output_tokens, .nreq = nrequests};
  l.slots = xcalloc((size_t)population, sizeof *l.slots);
  l.back = xmalloc((size_t)population * sizeof *l.back);
  pod_model pod = llmpod_new(cfg);
  for (int32_t i = 0; i < population; i++) {
    l.slots[i].slot = (uint32_t)i;
    l.back[l.nback++] = &l.slots[i];
  }
  const int64_t warm_us = (int64_t)(warmup_s * 1e6), step_us = 1000000;
  run_to(&pod, &l, 0);
  run_to(&pod, &l, warm_us);
  l.measuring = true;
  double g0 = generated(&l, population), run = 0, wait = 0, kv = 0;
  int32_t samples = 0;
  for (int64_t t = warm_us + step_us; t <= warm_us + (int64_t)(measure_s * 1e6); t += step_us) {
    run_to(&pod, &l, t);
    pod_gauges gg;
    pod.ops->gauges(pod.self, &gg);
    run += gg.running;
    wait += gg.waiting;
    kv += gg.kv_usage;
    samples++;
  }
  *out = (vcal_state){
      .gen_tps = (l.done_tokens + generated(&l, population) - g0) / measure_s,
      .prompt_tps = l.done_prompt / measure_s,
      .running = run / samples,
      .pending = wait / samples,
      .kv_usage = kv / samples,
  };
  pod.ops->free(pod.self);
  free(l.slots);
  free(l.back);
}

typedef struct vfit {
  const vcal_input *in;
  const vlog_set *logs;
  int32_t *idx; /* lines with a running request */
  int32_t n;
  int32_t grid[64]; /* populations simulated, ascending */
  int32_t ngrid;
  vcal_state *st; /* per grid point, last evaluation */
  int32_t evaluations;
  gsl_vector *last_x, *last_f; /* the last evaluation, reused by the Jacobian */
} vfit;

static double logistic(double x) { return 1 / (1 + exp(-x)); }
static double logit(double p) {
  p = fmin(fmax(p, 1e-4), 0.999);
  return log(p / (1 - p));
}

/* The parameters in the solver's coordinates: logit of the efficiencies, log of the rest. */
static const unsigned fit_bits[] = {VCAL_FIT_EFF_COMPUTE, VCAL_FIT_EFF_MEMORY, VCAL_FIT_OVERHEAD,
                                    VCAL_FIT_OVERHEAD_SEQ, VCAL_FIT_BLOCKS};
enum { NFIT = sizeof fit_bits / sizeof *fit_bits };

static size_t nparams(const vfit *c) {
  size_t n = 0;
  for (int i = 0; i < NFIT; i++)
    n += (c->in->fit & fit_bits[i]) != 0;
  return n;
}

static void coords(const perf_params *p, int32_t blocks, double v[NFIT]) {
  v[0] = logit(p->eff_compute);
  v[1] = logit(p->eff_memory);
  v[2] = log(fmax(p->overhead_s, 1e-6));
  v[3] = log(fmax(p->overhead_seq_s, 1e-8));
  v[4] = log(blocks);
}

static void params_of(const vfit *c, const gsl_vector *x, perf_params *p, int32_t *blocks) {
  double v[NFIT];
  coords(&c->in->start, c->in->base.total_blocks, v);
  for (int i = 0, k = 0; i < NFIT; i++)
    if (c->in->fit & fit_bits[i]) v[i] = gsl_vector_get(x, (size_t)k++);
  *p = (perf_params){logistic(v[0]), logistic(v[1]), exp(v[2]), exp(v[3])};
  if (!(c->in->fit & VCAL_FIT_EFF_COMPUTE)) p->eff_compute = c->in->start.eff_compute;
  if (!(c->in->fit & VCAL_FIT_EFF_MEMORY)) p->eff_memory = c->in->start.eff_memory;
  if (!(c->in->fit & VCAL_FIT_OVERHEAD)) p->overhead_s = c->in->start.overhead_s;
  if (!(c->in->fit & VCAL_FIT_OVERHEAD_SEQ)) p->overhead_seq_s = c->in->start.overhead_seq_s;
  double b = round(exp(v[4]));
  *blocks = b < 2 ? 2 : b > INT32_MAX ? INT32_MAX : (int32_t)b;
}

static gsl_vector *x_of(const vfit *c) {
  double v[NFIT];
  coords(&c->in->start, c->in->base.total_blocks, v);
  gsl_vector *x = gsl_vector_alloc(nparams(c));
  for (int i = 0, k = 0; i < NFIT; i++)
    if (c->in->fit & fit_bits[i]) gsl_vector_set(x, (size_t)k++, v[i]);
  return x;
}

static int32_t population(const vlog_line *l) { return l->running + l->pending; }

/* Every population to 24, then steps of 15%, up to the largest one logged (capped). */
static void make_grid(vfit *c) {
  int32_t top = 1;
  for (int32_t k = 0; k < c->n; k++) {
    int32_t p = population(&c->logs->lines[c->idx[k]]);
    if (p > top) top = p;
  }
  if (top > VCAL_MAX_POPULATION) top = VCAL_MAX_POPULATION;
  c->ngrid = 0;
  for (int32_t p = 1; p <= top && c->ngrid < 64;) {
    c->grid[c->ngrid++] = p;
    int32_t next = p < 24 ? p + 1 : (int32_t)ceil(p * 1.15);
    p = next > top && p < top ? top : next;
  }
}

/* Simulate every grid population under (p, blocks); false when the engine cannot start. */
static bool simulate_grid(vfit *c, const perf_params *p, int32_t blocks) {
  const vcal_input *in = c->in;
  llmpod_config cfg = in->base;
  cfg.perf = perf_model_make(in->g, in->m, p);
  cfg.stepped = false;
  cfg.on_tokens = NULL;
  if (blocks <= cfg.watermark_blocks + 1 || (int64_t)blocks * cfg.block_size < cfg.max_model_len)
    return false;
  llmpod_set_kv_blocks(&cfg, blocks);
  double measure = in->measure_s > 0 ? in->measure_s : VCAL_MEASURE_S;
  double warmup = in->measure_s > 0 ? in->measure_s / 3 : VCAL_WARMUP_S;
  for (int32_t i = 0; i < c->ngrid; i++)
    vcal_closed_loop(&cfg, in->input_tokens, in->output_tokens, in->nrequests, c->grid[i], warmup,
                     measure, &c->st[i]);
  c->evaluations++;
  if (in->progress) in->progress(in->progress_ctx, c->evaluations);
  return true;
}

/* The simulated state at population n, linear between grid points. */
static vcal_state state_at(const vfit *c, int32_t n) {
  int32_t i = 0;
  while (i + 1 < c->ngrid && c->grid[i + 1] <= n)
    i++;
  vcal_state s = c->st[i];
  if (i + 1 < c->ngrid && n > c->grid[i]) {
    const vcal_state *a = &c->st[i], *b = &c->st[i + 1];
    double w = (double)(n - c->grid[i]) / (c->grid[i + 1] - c->grid[i]);
    s.gen_tps = a->gen_tps + w * (b->gen_tps - a->gen_tps);
    s.prompt_tps = a->prompt_tps + w * (b->prompt_tps - a->prompt_tps);
    s.running = a->running + w * (b->running - a->running);
    s.kv_usage = a->kv_usage + w * (b->kv_usage - a->kv_usage);
  }
  s.pending = n - s.running;
  return s;
}

static int vresiduals(const gsl_vector *x, void *data, gsl_vector *f) {
  vfit *c = data;
  perf_params p;
  int32_t blocks;
  params_of(c, x, &p, &blocks);
  bool ok = simulate_grid(c, &p, blocks);
  for (int32_t k = 0; k < c->n; k++) {
    const vlog_line *l = &c->logs->lines[c->idx[k]];
    vcal_state s = state_at(c, population(l));
    double r[3] = {5, 5, 5}; /* an engine that cannot start is far off */
    if (ok) {
      r[0] = log((s.gen_tps + 1) / (l->gen_tps + 1));
      r[1] = log((s.kv_usage + 0.01) / (l->kv_usage + 0.01));
      r[2] = log((s.running + 0.5) / (l->running + 0.5));
    }
    for (size_t j = 0; j < 3; j++)
      gsl_vector_set(f, 3 * (size_t)k + j, robust(r[j]));
  }
  if (!c->last_x) {
    c->last_x = gsl_vector_alloc(x->size);
    c->last_f = gsl_vector_alloc(f->size);
  }
  gsl_vector_memcpy(c->last_x, x);
  gsl_vector_memcpy(c->last_f, f);
  return GSL_SUCCESS;
}

static bool same(const gsl_vector *a, const gsl_vector *b) {
  for (size_t i = 0; i < a->size; i++)
    if (gsl_vector_get(a, i) != gsl_vector_get(b, i)) return false;
  return true;
}

/* Forward differences of 2% in the transformed parameters, from the residuals at x (the last
 * evaluation is usually at x already). */
static int vjacobian(const gsl_vector *x, void *data, gsl_matrix *J) {
  vfit *c = data;
  gsl_vector *f0 = gsl_vector_alloc(J->size1);
  if (c->last_x && same(c->last_x, x))
    gsl_vector_memcpy(f0, c->last_f);
  else
    vresiduals(x, data, f0);
  forward_differences(vresiduals, x, f0, data, J);
  gsl_vector_free(f0);
  return GSL_SUCCESS;
}

static double median_of(double *e, int32_t n) {
  if (n == 0) return NAN;
  gsl_sort(e, 1, (size_t)n);
  return gsl_stats_median_from_sorted_data(e, 1, (size_t)n);
}

static int32_t band_of(int32_t n) { return n <= 3 ? 0 : n <= 15 ? 1 : n <= 31 ? 2 : 3; }

/* Median errors over all lines and per band, and the mean throughputs, under the states of the
 * last simulation (ok false: the engine could not start). */
static void vreport(const vfit *c, bool ok, vcal_result *res, bool after) {
  double *e[3][VCAL_BANDS + 1];
  int32_t cnt[VCAL_BANDS + 1] = {0};
  for (int j = 0; j < 3; j++)
    for (int b = 0; b <= VCAL_BANDS; b++)
      e[j][b] = xmalloc(((size_t)c->n + 1) * sizeof(double));
  double gen = 0, prompt = 0, gen_meas = 0, prompt_meas = 0;
  for (int32_t k = 0; k < c->n; k++) {
    const vlog_line *l = &c->logs->lines[c->idx[k]];
    vcal_state s = ok ? state_at(c, population(l)) : (vcal_state){NAN, NAN, NAN, NAN, NAN};
    double err[3] = {fabs(s.gen_tps / l->gen_tps - 1), fabs(s.kv_usage / l->kv_usage - 1),
                     fabs(s.running / l->running - 1)};
    int32_t bands[2] = {band_of(population(l)), VCAL_BANDS};
    for (int b = 0; b < 2; b++) {
      for (int j = 0; j < 3; j++)
        e[j][bands[b]][cnt[bands[b]]] = isfinite(err[j]) ? err[j] : INFINITY;
      cnt[bands[b]]++;
    }
    gen += s.gen_tps;
    prompt += s.prompt_tps;
    gen_meas += l->gen_tps;
    prompt_meas += l->prompt_tps;
  }
  for (int b = 0; b <= VCAL_BANDS; b++) {
    vcal_errors v = {median_of(e[0][b], cnt[b]), median_of(e[1][b], cnt[b]),
                     median_of(e[2][b], cnt[b])};
    vcal_errors *dst = b == VCAL_BANDS ? (after ? &res->after : &res->before)
                                       : (after ? &res->bands[b].after : &res->bands[b].before);
    *dst = v;
    if (b < VCAL_BANDS) res->bands[b].lines = cnt[b];
  }
  for (int j = 0; j < 3; j++)
    for (int b = 0; b <= VCAL_BANDS; b++)
      free(e[j][b]);
  res->gen_meas = gen_meas / c->n;
  res->prompt_meas = prompt_meas / c->n;
  *(after ? &res->gen_after : &res->gen_before) = gen / c->n;
  *(after ? &res->prompt_after : &res->prompt_before) = prompt / c->n;
}

static void band_limits(vcal_result *res) {
  static const int32_t lo[VCAL_BANDS] = {1, 4, 16, 32}, hi[VCAL_BANDS] = {3, 15, 31, INT32_MAX};
  for (int b = 0; b < VCAL_BANDS; b++) {
    res->bands[b].lo = lo[b];
    res->bands[b].hi = hi[b];
  }
}

bool calibrate_vllm_log(const vcal_input *in, const vlog_set *logs, vcal_result *res, ps_err *err) {
  vfit c = {.in = in, .logs = logs};
  c.idx = xmalloc(((size_t)logs->n + 1) * sizeof *c.idx);
  for (int32_t i = 0; i < logs->n; i++)
    if (logs->lines[i].running > 0) c.idx[c.n++] = i;
  *res = (vcal_result){.lines = c.n, .blocks_start = in->base.total_blocks};
  if (c.n == 0 || nparams(&c) == 0 || (size_t)c.n * 3 < nparams(&c)) {
    free(c.idx);
    return ps_fail(err,
                   "expected stats lines with at least one running request and something "
                   "to fit, found %d such lines",
                   c.n);
  }
  make_grid(&c);
  res->populations = c.ngrid;
  band_limits(res);
  c.st = xcalloc((size_t)c.ngrid, sizeof *c.st);
  bool ok = simulate_grid(&c, &in->start, in->base.total_blocks);
  if (!ok) {
    free(c.idx);
    free(c.st);
    return ps_fail(err, "expected a KV cache of more than %d blocks to start from, found %d",
                   in->base.watermark_blocks + 1, in->base.total_blocks);
  }
  vreport(&c, true, res, false);

  size_t np = nparams(&c), nres = 3 * (size_t)c.n;
  gsl_multifit_nlinear_parameters params = gsl_multifit_nlinear_default_parameters();
  gsl_multifit_nlinear_fdf fdf = {
      .f = vresiduals, .df = vjacobian, .n = nres, .p = np, .params = &c};
  gsl_multifit_nlinear_workspace *w =
      gsl_multifit_nlinear_alloc(gsl_multifit_nlinear_trust, &params, nres, np);
  gsl_vector *x = x_of(&c);
  gsl_multifit_nlinear_init(x, &fdf, w);
  int info = 0;
  gsl_multifit_nlinear_driver(20, 1e-3, 1e-6, 1e-6, NULL, NULL, &info, w);
  params_of(&c, gsl_multifit_nlinear_position(w), &res->fitted, &res->blocks);
  res->iterations = (int32_t)gsl_multifit_nlinear_niter(w);
  vreport(&c, simulate_grid(&c, &res->fitted, res->blocks), res, true);
  res->evaluations = c.evaluations;
  gsl_vector_free(x);
  if (c.last_x) gsl_vector_free(c.last_x);
  if (c.last_f) gsl_vector_free(c.last_f);
  gsl_multifit_nlinear_free(w);
  free(c.idx);
  free(c.st);
  return true;
}
