#include "models/workload/workload.h"

#include <assert.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdlib.h>

#include "base/xalloc.h"

struct wl_gen {
  const wl_spec *spec;
  gsl_rng *r_arr, *r_in, *r_out, *r_svc;
  uint64_t next_id;
  bool done;
  /* segments: cumulative intensity */
  double *seg_t0_s; /* scaled start time of each segment, seconds */
  double *seg_l0;   /* Lambda at the start of each segment */
  size_t seg;       /* current segment */
  double s;         /* last point of the unit-rate process */
  /* counts and traces: a batch of arrival times being emitted */
  double *batch; /* arrival times, seconds, sorted */
  size_t nbatch, ibatch, capbatch;
  size_t cursor;    /* next second (counts) or record (trace) */
  size_t batch_rec; /* trace record the batch belongs to */
};

static double seg_duration(const wl_spec *sp, size_t i) {
  return sp->segments[i].duration_s * sp->time_scale;
}
static double seg_rate(const wl_spec *sp, size_t i, bool end) {
  const wl_segment *g = &sp->segments[i];
  return (end ? g->end_rps : g->rate_rps) * sp->rate_scale / sp->time_scale;
}

int64_t wl_spec_span_us(const wl_spec *sp) {
  double s = 0;
  switch (sp->source) {
  case WL_SEGMENTS:
    for (size_t i = 0; i < sp->nsegments; i++)
      s += seg_duration(sp, i);
    break;
  case WL_COUNTS: s = (double)sp->ncounts * sp->time_scale; break;
  case WL_TRACE:
    s = sp->ntrace ? (double)sp->trace[sp->ntrace - 1].t_us * 1e-6 * sp->time_scale + 1e-6 : 0;
    break;
  }
  return (int64_t)llround(s * 1e6);
}

double wl_spec_expected_count(const wl_spec *sp) {
  double end_s = (double)sp->duration_us * 1e-6, n = 0, t = 0;
  switch (sp->source) {
  case WL_SEGMENTS:
    for (size_t i = 0; i < sp->nsegments && t < end_s; i++) {
      double d = seg_duration(sp, i), r0 = seg_rate(sp, i, false), r1 = seg_rate(sp, i, true);
      double x = fmin(d, end_s - t);
      n += r0 * x + (r1 - r0) * x * x / (2 * d);
      t += d;
    }
    return n;
  case WL_COUNTS:
    for (size_t i = 0; i < sp->ncounts; i++)
      if ((double)i * sp->time_scale < end_s) n += sp->counts[i];
    return n * sp->rate_scale;
  case WL_TRACE:
    for (size_t i = 0; i < sp->ntrace; i++)
      if ((double)sp->trace[i].t_us * 1e-6 * sp->time_scale < end_s) n += 1;
    return n * sp->rate_scale;
  }
  return 0;
}

wl_gen *wl_gen_new(const wl_spec *spec, gsl_rng *arrivals, gsl_rng *input, gsl_rng *output,
                   gsl_rng *service) {
  wl_gen *g = xcalloc(1, sizeof *g);
  *g = (wl_gen){.spec = spec, .r_arr = arrivals, .r_in = input, .r_out = output, .r_svc = service};
  if (spec->source == WL_SEGMENTS) {
    g->seg_t0_s = xmalloc((spec->nsegments + 1) * sizeof(double));
    g->seg_l0 = xmalloc((spec->nsegments + 1) * sizeof(double));
    double t = 0, l = 0;
    for (size_t i = 0; i < spec->nsegments; i++) {
      g->seg_t0_s[i] = t;
      g->seg_l0[i] = l;
      double d = seg_duration(spec, i);
      l += 0.5 * (seg_rate(spec, i, false) + seg_rate(spec, i, true)) * d;
      t += d;
    }
    g->seg_t0_s[spec->nsegments] = t;
    g->seg_l0[spec->nsegments] = l;
  }
  return g;
}

void wl_gen_free(wl_gen *g) {
  if (!g) return;
  free(g->seg_t0_s);
  free(g->seg_l0);
  free(g->batch);
  free(g);
}

/* Unit-rate renewal gap: exponential for Poisson, gamma with mean 1 and CV cv otherwise. */
static double unit_gap(wl_gen *g) {
  const wl_spec *sp = g->spec;
  if (sp->process == WL_GAMMA && sp->cv != 1.0) {
    double k = 1.0 / (sp->cv * sp->cv);
    return gsl_ran_gamma(g->r_arr, k, 1.0 / k);
  }
  return gsl_ran_exponential(g->r_arr, 1.0);
}

/* Lambda^-1(s) over the segments, seconds; false past the last segment. */
static bool segments_next(wl_gen *g, double *t_s) {
  const wl_spec *sp = g->spec;
  g->s += unit_gap(g);
  while (g->seg < sp->nsegments && g->s >= g->seg_l0[g->seg + 1])
    g->seg++;
  if (g->seg >= sp->nsegments) return false;
  size_t i = g->seg;
  double d = seg_duration(sp, i), r0 = seg_rate(sp, i, false), r1 = seg_rate(sp, i, true);
  double ds = g->s - g->seg_l0[i];
  /* Solve r0 x + (r1 - r0) x^2 / (2d) = ds in the form that is stable for any slope. */
  double a = (r1 - r0) / (2 * d);
  double x = 2 * ds / (r0 + sqrt(fmax(0.0, r0 * r0 + 4 * a * ds)));
  *t_s = g->seg_t0_s[i] + fmin(x, d);
  return true;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static size_t scaled_copies(wl_gen *g, double n) {
  double k = n * g->spec->rate_scale, whole = floor(k);
  return (size_t)whole + (gsl_rng_uniform(g->r_arr) < k - whole ? 1 : 0);
}

static void batch_reserve(wl_gen *g, size_t n) {
  if (n > g->capbatch) {
    g->capbatch = n;
    g->batch = xrealloc(g->batch, n * sizeof(double));
  }
  g->nbatch = n;
  g->ibatch = 0;
}

/* Fill the batch with the next non-empty second of a count file. */
static bool counts_refill(wl_gen *g) {
  const wl_spec *sp = g->spec;
  while (g->cursor < sp->ncounts) {
    size_t sec = g->cursor++;
    size_t m = scaled_copies(g, sp->counts[sec]);
    if (m == 0) continue;
    batch_reserve(g, m);
    for (size_t j = 0; j < m; j++)
      g->batch[j] = ((double)sec + gsl_rng_uniform(g->r_arr)) * sp->time_scale;
    qsort(g->batch, m, sizeof(double), cmp_double);
    return true;
  }
  return false;
}

/* Fill the batch with the copies of the next trace record. */
static bool trace_refill(wl_gen *g) {
  const wl_spec *sp = g->spec;
  while (g->cursor < sp->ntrace) {
    size_t i = g->cursor++;
    size_t m = scaled_copies(g, 1.0);
    if (m == 0) continue;
    double t = (double)sp->trace[i].t_us * 1e-6 * sp->time_scale;
    double next = i + 1 < sp->ntrace ? (double)sp->trace[i + 1].t_us * 1e-6 * sp->time_scale : t;
    batch_reserve(g, m);
    g->batch[0] = t;
    for (size_t j = 1; j < m; j++)
      g->batch[j] = t + gsl_rng_uniform(g->r_arr) * (next - t);
    qsort(g->batch, m, sizeof(double), cmp_double);
    g->batch_rec = i;
    return true;
  }
  return false;
}

/* A token length: the traced one, or the distribution's quantile at u, at least 1. */
static int32_t tokens_at(const dist *d, double u, int32_t traced) {
  if (d->kind == DIST_TRACE) return traced < 1 ? 1 : traced;
  double x = round(dist_quantile(d, u));
  return x < 1 ? 1 : x > INT32_MAX ? INT32_MAX : (int32_t)x;
}

static int32_t draw_tokens(const dist *d, gsl_rng *r, int32_t traced) {
  double u = gsl_rng_uniform_pos(r); /* drawn for a trace too: the stream's position is kept */
  return tokens_at(d, u, traced);
}

bool wl_gen_next(wl_gen *g, wl_request *out) {
  const wl_spec *sp = g->spec;
  if (g->done) return false;
  double t_s;
  bool more;
  switch (sp->source) {
  case WL_SEGMENTS: more = segments_next(g, &t_s); break;
  case WL_COUNTS:
  case WL_TRACE:
    more = g->ibatch < g->nbatch || (sp->source == WL_COUNTS ? counts_refill(g) : trace_refill(g));
    if (more) t_s = g->batch[g->ibatch++];
    break;
  default: assert(0); more = false;
  }
  int64_t t_us = more ? (int64_t)llround(t_s * 1e6) : 0;
  if (!more || t_us >= sp->duration_us) {
    g->done = true;
    return false;
  }
  const wl_trace_rec *rec = sp->source == WL_TRACE ? &sp->trace[g->batch_rec] : NULL;
  out->id = g->next_id++;
  out->arrival_us = t_us;
  out->input_tokens = draw_tokens(&sp->input_tokens, g->r_in, rec ? rec->input_tokens : 0);
  out->output_tokens = draw_tokens(&sp->output_tokens, g->r_out, rec ? rec->output_tokens : 0);
  if (sp->max_output_tokens > 0 && out->output_tokens > sp->max_output_tokens)
    out->output_tokens = sp->max_output_tokens;
  out->service_u = gsl_rng_uniform_pos(g->r_svc);
  return true;
}

/* ---- lengths against a context window ---- */

#define SHARE_GRID 1024 /* quantiles per length distribution */

static int cmp_i32(const void *a, const void *b) {
  int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  return (x > y) - (x < y);
}

/* The trace records that arrive before duration_us (all when it is not set): they are sorted. */
static size_t records_in_run(const wl_spec *sp) {
  size_t n = 0;
  double end_s = (double)sp->duration_us * 1e-6;
  while (n < sp->ntrace &&
         (sp->duration_us <= 0 || (double)sp->trace[n].t_us * 1e-6 * sp->time_scale < end_s))
    n++;
  return n;
}

/* The lengths one side gives, equally likely: one per trace record of the run, or one per grid
 * quantile; sorted. */
static int32_t *lengths(const wl_spec *sp, const dist *d, bool input, size_t *n) {
  bool traced = d->kind == DIST_TRACE;
  *n = traced ? records_in_run(sp) : SHARE_GRID;
  int32_t *v = xcalloc(*n ? *n : 1, sizeof *v);
  for (size_t k = 0; k < *n; k++) {
    const wl_trace_rec *rec = traced ? &sp->trace[k] : NULL;
    int32_t t = rec ? (input ? rec->input_tokens : rec->output_tokens) : 0;
    v[k] = tokens_at(d, ((double)k + 0.5) / SHARE_GRID, t);
  }
  qsort(v, *n, sizeof *v, cmp_i32);
  return v;
}

/* How many of the sorted v[0..n) are greater than x. */
static size_t count_above(const int32_t *v, size_t n, int64_t x) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (v[mid] > x)
      hi = mid;
    else
      lo = mid + 1;
  }
  return n - lo;
}

double wl_spec_share_over(const wl_spec *sp, int32_t len) {
  const dist *in = &sp->input_tokens, *out = &sp->output_tokens;
  int64_t cap = sp->max_output_tokens;
  if (cap == 0 && in->kind == DIST_TRACE && out->kind == DIST_TRACE) { /* pairs, as recorded */
    size_t over = 0, n = records_in_run(sp);
    for (size_t k = 0; k < n; k++)
      over += (int64_t)tokens_at(in, 0, sp->trace[k].input_tokens) +
                  tokens_at(out, 0, sp->trace[k].output_tokens) >
              len;
    return n ? (double)over / (double)n : 0;
  }
  size_t ni, no = 1;
  int32_t *iv = lengths(sp, in, true, &ni);
  /* With max_tokens the prompt alone decides: vLLM checks prompt + max_tokens. */
  int32_t *ov = cap > 0 ? NULL : lengths(sp, out, false, &no);
  double share = 0;
  if (cap > 0)
    share = (double)count_above(iv, ni, len - cap) / (double)(ni ? ni : 1);
  else
    for (size_t i = 0; i < ni; i++)
      share += (double)count_above(ov, no, (int64_t)len - iv[i]) / ((double)ni * (double)no);
  free(iv);
  free(ov);
  return share;
}
