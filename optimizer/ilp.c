/* ilp: the optimizer's ILP with GLPK (see ilp.h for the formulation, the stages and the search). */
#include "optimizer/ilp.h"

#include <assert.h>
#include <glpk.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/pyfloat.h"
#include "base/xalloc.h"
#include "optimizer/ilp_search.h"

#define MAX_BUCKETS (1 << 20)
#define MAX_SLICE_FACTOR 1024
#define MAX_GPU_FRACTION 1e6
#define MAX_UNITS 1e9 /* bounds and loads: GLPK's 1e-7 tolerance stays meaningful on them */
#define NANO_UNITS 1000000000LL /* the exact check's scale: a slice load <= 1e9 units is < 2^63 */
/* Slack of the rows that carry one stage's optimum into the next. GLPK leaves a load up to its
 * feasibility tolerance (1e-7 units; the rows are not scaled) above the unit count, so the next
 * stage's LP must be allowed to raise each count by that much: TIE_TOL relative, plus
 * TIE_UNITS units' worth of every deployment's cost in the cost row. */
#define TIE_TOL 1e-9
#define TIE_UNITS 1e-6
#define SEARCH_STEPS 100000 /* the exact search's budget before GLPK (ilp_search.h) */

/* --- Validation --- */

static bool check_options(const opt_ilp_options *o, opt_err *e) {
  double f = o->gpu_fraction;
  if (!(f >= 1 && f <= MAX_GPU_FRACTION) || f != floor(f))
    return opt_fail(e, "ilp: gpu_fraction must be a whole number in 1..1e6, found %g", f);
  if (o->slice_factor < 1 || o->slice_factor > MAX_SLICE_FACTOR)
    return opt_fail(e, "ilp: slice_factor must be in 1..%d, found %d", MAX_SLICE_FACTOR,
                    o->slice_factor);
  if (o->tie != OPT_ILP_TIE_ORDERED && o->tie != OPT_ILP_TIE_SOLVER)
    return opt_fail(e, "ilp: tie must be OPT_ILP_TIE_ORDERED or OPT_ILP_TIE_SOLVER, found %d",
                    (int)o->tie);
  if (o->time_limit_ms < 0 || o->node_limit < 0 || o->iter_limit < 0)
    return opt_fail(e,
                    "ilp: time_limit_ms, node_limit and iter_limit must be >= 0, found %d, %d "
                    "and %d",
                    o->time_limit_ms, o->node_limit, o->iter_limit);
  return true;
}

static bool check_deployment(const opt_ilp_problem *p, int j, opt_err *e) {
  const opt_ilp_deployment *d = &p->deployments[j];
  if (!d->name || !d->name[0]) return opt_fail(e, "ilp: deployments[%d]: name is missing", j);
  for (int k = 0; k < j; k++)
    if (strcmp(p->deployments[k].name, d->name) == 0)
      return opt_fail(e, "ilp: deployments[%d]: name \"%s\" is also deployments[%d]'s", j, d->name,
                      k);
  if (!isfinite(d->cost) || d->cost < 0)
    return opt_fail(e, "ilp: deployment %s: cost must be a finite number >= 0, found %g", d->name,
                    d->cost);
  if (!d->tputs) return opt_fail(e, "ilp: deployment %s: tputs are missing", d->name);
  for (int b = 0; b < p->n_buckets; b++)
    if (!isfinite(d->tputs[b]) || d->tputs[b] < 0)
      return opt_fail(e, "ilp: deployment %s: tputs[%d] must be a finite number >= 0, found %g",
                      d->name, b, d->tputs[b]);
  if (d->min_units < 0 || d->min_units > MAX_UNITS || d->max_units < 0 || d->max_units > MAX_UNITS)
    return opt_fail(e,
                    "ilp: deployment %s: min_units and max_units must be in 0..1e9, found %lld "
                    "and %lld",
                    d->name, (long long)d->min_units, (long long)d->max_units);
  if (d->max_units > 0 && d->min_units > d->max_units)
    return opt_fail(e, "ilp: deployment %s: min_units %lld is above max_units %lld", d->name,
                    (long long)d->min_units, (long long)d->max_units);
  return true;
}

static int64_t pods_of(int64_t units, int64_t per_pod) { return (units + per_pod - 1) / per_pod; }

static bool same_type(const char *a, const char *b) { return a && b && strcmp(a, b) == 0; }

static bool check_limit(const opt_ilp_problem *p, int l, opt_err *e) {
  const opt_ilp_limit *lim = &p->limits[l];
  if (!lim->gpu_type || !lim->gpu_type[0])
    return opt_fail(e, "ilp: limits[%d]: gpu_type is missing", l);
  for (int k = 0; k < l; k++)
    if (strcmp(p->limits[k].gpu_type, lim->gpu_type) == 0)
      return opt_fail(e, "ilp: limits[%d]: GPU type \"%s\" is also limits[%d]'s", l, lim->gpu_type,
                      k);
  if (lim->max_units < 0 || lim->max_units > MAX_UNITS)
    return opt_fail(e, "ilp: GPU type %s: max_units must be in 0..1e9, found %lld", lim->gpu_type,
                    (long long)lim->max_units);
  int64_t per_pod = (int64_t)p->options.gpu_fraction, need = 0;
  for (int j = 0; j < p->n_deployments; j++)
    if (same_type(p->deployments[j].gpu_type, lim->gpu_type))
      need += pods_of(p->deployments[j].min_units, per_pod);
  if (need > lim->max_units / per_pod)
    return opt_fail(e,
                    "ilp: GPU type %s: the deployments' min_units need %lld pods, but "
                    "max_units %lld allows %lld pods of %lld units",
                    lim->gpu_type, (long long)need, (long long)lim->max_units,
                    (long long)(lim->max_units / per_pod), (long long)per_pod);
  return true;
}

static bool check_problem(const opt_ilp_problem *p, opt_err *e) {
  if (!p) return opt_fail(e, "ilp: no problem given");
  if (!check_options(&p->options, e)) return false;
  if (p->n_buckets < 1 || p->n_buckets > MAX_BUCKETS || !p->rates)
    return opt_fail(e, "ilp: need 1..%d buckets with rates, found %d%s", MAX_BUCKETS, p->n_buckets,
                    p->rates ? "" : " and no rates");
  for (int b = 0; b < p->n_buckets; b++)
    if (!isfinite(p->rates[b]) || p->rates[b] < 0)
      return opt_fail(e, "ilp: rates[%d] must be a finite number >= 0 req/s, found %g", b,
                      p->rates[b]);
  if (p->n_deployments < 0 || (p->n_deployments > 0 && !p->deployments))
    return opt_fail(e, "ilp: %d deployments given without their array", p->n_deployments);
  if (p->n_limits < 0 || (p->n_limits > 0 && !p->limits))
    return opt_fail(e, "ilp: %d limits given without their array", p->n_limits);
  for (int j = 0; j < p->n_deployments; j++)
    if (!check_deployment(p, j, e)) return false;
  for (int l = 0; l < p->n_limits; l++)
    if (!check_limit(p, l, e)) return false;
  return true;
}

/* --- The GLPK model --- */

typedef struct assign {
  int col;  /* GLPK column of n_jb */
  int dep;  /* j */
  double a; /* units one slice of the bucket needs on j: (1 / tput) (F r / S) */
} assign;

/* A deployment as the heuristics see it: load and units of the solution at hand, the node's
 * bounds on units and the stage's objective coefficient. */
typedef struct dep_state {
  double load, y, lb, ub, obj;
} dep_state;

typedef struct ilp_model {
  const opt_ilp_problem *p;
  glp_prob *lp;
  int n_dep, n_active, n_assign;
  int *bucket;       /* [n_active] buckets with traffic that some deployment can serve */
  int *first;        /* [n_active + 1] assigns of active bucket i: first[i] .. first[i + 1] - 1 */
  int *y_col;        /* [n_dep] */
  int *pod_col;      /* [n_dep] GLPK column of the deployment's pods; 0: not in a limited pool */
  int *u_col;        /* [n_active] uncovered slices; 0: everything must be covered */
  assign *assigns;   /* [n_assign] */
  double *x;         /* [1 + columns] the last stage's solution, integral */
  bool have_x;       /* x holds a solution feasible for the current stage */
  bool fed;          /* best was handed to the current branch-and-bound */
  int n_cols;        /* GLPK columns */
  int solves;        /* glp_intopt calls */
  bool optimal;      /* no stage stopped at the node limit */
  bool stopped;      /* the last stage stopped at the node or iteration limit */
  int node_limit;    /* the stage's: options.node_limit, a quarter of it for a tie stage */
  double stop_bound; /* the search's lower bound on the objective when it stopped */
  double cost_bound; /* a lower bound on the least cost: the cost when proven, NAN before */
  int rows0;         /* rows when branch-and-bound starts (GLPK appends its cuts after them) */
  double *best;      /* [1 + columns] the stage's best whole solution so far */
  double best_obj;   /* its objective */
  bool have_best;
  double *frac;  /* [1 + columns] a fractional solution to round */
  double *hx;    /* [1 + columns] the rounding */
  int *ind;      /* [1 + columns] scratch for a row */
  double *val;   /* [1 + columns] */
  dep_state *ds; /* [n_dep] */
} ilp_model;

/* A zeroed block of at least one element, so that an empty array still has an address. */
/* GLPK's environment lives in thread-local storage (ilp.h, GLPK); the library frees it when a
 * thread that solved with GLPK exits, through a thread-specific key's destructor, so callers
 * never call glp_free_env themselves. The main thread's is freed at process exit by the OS. */
static pthread_key_t glpk_key;
static pthread_once_t glpk_once = PTHREAD_ONCE_INIT;
static bool glpk_key_ok;

static void glpk_release(void *unused) {
  (void)unused;
  glp_free_env();
}

static void glpk_key_make(void) { glpk_key_ok = pthread_key_create(&glpk_key, glpk_release) == 0; }

static void glpk_thread_enter(void) {
  pthread_once(&glpk_once, glpk_key_make);
  if (glpk_key_ok && !pthread_getspecific(glpk_key)) pthread_setspecific(glpk_key, &glpk_key);
}

static void *zalloc(size_t n, size_t size) { return xcalloc(n ? n : 1, size); }

static void model_free(ilp_model *m) {
  if (m->lp) glp_delete_prob(m->lp);
  free(m->bucket);
  free(m->first);
  free(m->hx);
  free(m->best);
  free(m->frac);
  free(m->ind);
  free(m->val);
  free(m->ds);
  free(m->y_col);
  free(m->pod_col);
  free(m->u_col);
  free(m->assigns);
  free(m->x);
}

static const opt_ilp_limit *limit_of(const opt_ilp_problem *p, const char *gpu_type) {
  for (int l = 0; l < p->n_limits; l++)
    if (same_type(gpu_type, p->limits[l].gpu_type)) return &p->limits[l];
  return NULL;
}

static bool any_bound(const opt_ilp_problem *p) {
  for (int j = 0; j < p->n_deployments; j++)
    if (p->deployments[j].max_units > 0 || limit_of(p, p->deployments[j].gpu_type)) return true;
  return false;
}

/* Whether the exact search can take the problem: no bound on any deployment's units. */
static bool unbounded(const opt_ilp_problem *p) {
  for (int j = 0; j < p->n_deployments; j++)
    if (p->deployments[j].min_units > 0) return false;
  return !any_bound(p);
}

/* Which buckets carry traffic some deployment can serve, and the slice loads; false when a
 * load is beyond MAX_UNITS (a tiny tput). */
static bool plan_assignments(ilp_model *m, opt_err *e) {
  const opt_ilp_problem *p = m->p;
  double f = p->options.gpu_fraction, s = p->options.slice_factor;
  m->bucket = zalloc((size_t)p->n_buckets, sizeof *m->bucket);
  m->first = zalloc((size_t)p->n_buckets + 1, sizeof *m->first);
  m->assigns = zalloc((size_t)p->n_buckets * (size_t)(m->n_dep ? m->n_dep : 1), sizeof *m->assigns);
  for (int b = 0; b < p->n_buckets; b++) {
    if (p->rates[b] == 0) continue;
    int first = m->n_assign;
    for (int j = 0; j < m->n_dep; j++) {
      double t = p->deployments[j].tputs[b];
      if (t == 0) continue;
      double a = (1.0 / t) * (p->rates[b] * f / s); /* MelangeSolver: load * slice rate */
      if (!(a * s <= MAX_UNITS))
        return opt_fail(e,
                        "ilp: deployment %s: bucket %d needs %g units (%g req/s at tput %g): "
                        "too many to count",
                        p->deployments[j].name, b, a * s, p->rates[b], t);
      m->assigns[m->n_assign++] = (assign){0, j, a};
    }
    if (m->n_assign > first) {
      m->first[m->n_active] = first;
      m->bucket[m->n_active++] = b;
    }
  }
  m->first[m->n_active] = m->n_assign;
  return true;
}

static int add_int_col(glp_prob *lp, double lb, double ub) {
  int c = glp_add_cols(lp, 1);
  glp_set_col_kind(lp, c, GLP_IV);
  if (ub < 0)
    glp_set_col_bnds(lp, c, GLP_LO, lb, 0);
  else if (ub == lb)
    glp_set_col_bnds(lp, c, GLP_FX, lb, lb);
  else
    glp_set_col_bnds(lp, c, GLP_DB, lb, ub);
  return c;
}

/* A row lo <= sum val[k] x[ind[k]] (k = 1..len) <= up; lo may be -HUGE_VAL, up HUGE_VAL. */
static int add_row(glp_prob *lp, int len, const int *ind, const double *val, double lo, double up) {
  int r = glp_add_rows(lp, 1);
  glp_set_mat_row(lp, r, len, ind, val);
  if (lo == -HUGE_VAL)
    glp_set_row_bnds(lp, r, GLP_UP, 0, up);
  else if (up == HUGE_VAL)
    glp_set_row_bnds(lp, r, GLP_LO, lo, 0);
  else
    glp_set_row_bnds(lp, r, lo == up ? GLP_FX : GLP_DB, lo, up);
  return r;
}

/* Columns y_j, pods, n_jb, u_b; rows: slices of each bucket, capacity of each deployment, pods
 * of each deployment and pool. With `coverage` the u_b exist with upper bound 0. */
static void build(ilp_model *m, bool coverage) {
  const opt_ilp_problem *p = m->p;
  int s = p->options.slice_factor, n = m->n_dep;
  double f = p->options.gpu_fraction;
  m->lp = glp_create_prob();
  m->y_col = zalloc((size_t)n, sizeof *m->y_col);
  m->pod_col = zalloc((size_t)n, sizeof *m->pod_col);
  m->u_col = zalloc((size_t)m->n_active, sizeof *m->u_col);
  for (int j = 0; j < n; j++) {
    const opt_ilp_deployment *d = &p->deployments[j];
    m->y_col[j] =
        add_int_col(m->lp, (double)d->min_units, d->max_units ? (double)d->max_units : -1);
    if (limit_of(p, d->gpu_type)) m->pod_col[j] = add_int_col(m->lp, 0, -1);
  }
  for (int k = 0; k < m->n_assign; k++)
    m->assigns[k].col = add_int_col(m->lp, 0, s);
  for (int i = 0; coverage && i < m->n_active; i++)
    m->u_col[i] = add_int_col(m->lp, 0, 0);

  int cap = (m->n_assign > n ? m->n_assign : n) + 2;
  int *ind = zalloc((size_t)cap, sizeof *ind);
  double *val = zalloc((size_t)cap, sizeof *val);
  for (int i = 0; i < m->n_active; i++) {
    int len = 0;
    for (int k = m->first[i]; k < m->first[i + 1]; k++)
      ind[++len] = m->assigns[k].col, val[len] = 1;
    if (m->u_col[i]) ind[++len] = m->u_col[i], val[len] = 1;
    add_row(m->lp, len, ind, val, s, s);
  }
  for (int j = 0; j < n; j++) {
    int len = 0;
    for (int k = 0; k < m->n_assign; k++)
      if (m->assigns[k].dep == j) ind[++len] = m->assigns[k].col, val[len] = m->assigns[k].a;
    ind[++len] = m->y_col[j], val[len] = -1;
    add_row(m->lp, len, ind, val, -HUGE_VAL, 0);
    if (m->pod_col[j]) { /* y_j <= F pods_j */
      int pi[3] = {0, m->y_col[j], m->pod_col[j]};
      double pv[3] = {0, 1, -f};
      add_row(m->lp, 2, pi, pv, -HUGE_VAL, 0);
    }
  }
  for (int l = 0; l < p->n_limits; l++) {
    int len = 0;
    for (int j = 0; j < n; j++)
      if (same_type(p->deployments[j].gpu_type, p->limits[l].gpu_type))
        ind[++len] = m->pod_col[j], val[len] = 1;
    if (len) add_row(m->lp, len, ind, val, -HUGE_VAL, floor((double)p->limits[l].max_units / f));
  }
  free(ind);
  free(val);
  m->n_cols = glp_get_num_cols(m->lp);
  size_t nc = (size_t)m->n_cols + 1;
  m->x = zalloc(nc, sizeof *m->x);
  m->best = zalloc(nc, sizeof *m->best);
  m->frac = zalloc(nc, sizeof *m->frac);
  m->hx = zalloc(nc, sizeof *m->hx);
  m->ind = zalloc(nc, sizeof *m->ind);
  m->val = zalloc(nc, sizeof *m->val);
  m->ds = zalloc((size_t)n, sizeof *m->ds);
}

/* --- Stages --- */

typedef enum stage_status {
  STAGE_SOLVED,     /* optimum (or the best found when stopped at the node limit) in m->x */
  STAGE_INFEASIBLE, /* no solution exists */
  STAGE_STOPPED,    /* run_mip only: the node limit ended branch-and-bound */
  STAGE_FAILED,     /* GLPK failed; message in the opt_err */
} stage_status;

/* Whether x (whole, within the columns' bounds) satisfies the rows the model had when the
 * solve began; glp_ios_heur_sol takes a solution on trust. */
static bool rows_hold(ilp_model *m, const double *x) {
  for (int i = 1; i <= m->rows0; i++) {
    int len = glp_get_mat_row(m->lp, i, m->ind, m->val), type = glp_get_row_type(m->lp, i);
    double a = 0, lb = glp_get_row_lb(m->lp, i), ub = glp_get_row_ub(m->lp, i);
    for (int k = 1; k <= len; k++)
      a += m->val[k] * x[m->ind[k]];
    if ((type == GLP_LO || type == GLP_DB || type == GLP_FX) && a < lb - 1e-9 * (1 + fabs(lb)))
      return false;
    if ((type == GLP_UP || type == GLP_DB || type == GLP_FX) && a > ub + 1e-9 * (1 + fabs(ub)))
      return false;
  }
  return true;
}

static double objective_of(const ilp_model *m, const double *x) {
  double v = 0;
  for (int c = 1; c <= m->n_cols; c++)
    v += glp_get_obj_coef(m->lp, c) * x[c];
  return v;
}

/* Keep x if it is the stage's best whole solution so far. */
static void keep_best(ilp_model *m, const double *x) {
  double v = objective_of(m, x);
  if (m->have_best && !(v < m->best_obj)) return;
  memcpy(m->best, x, sizeof *x * (size_t)(m->n_cols + 1));
  m->best_obj = v;
  m->have_best = true;
}

/* --- Heuristics: whole solutions from a fractional one --- */

/* Round one bucket's slice counts: floors, then the remaining slices one by one to the largest
 * fractional part (earliest on ties). False if the columns' bounds leave no way. */
static bool round_bucket(ilp_model *m, int i, const double *frac, double *x) {
  glp_prob *lp = m->lp;
  int left = m->p->options.slice_factor, k0 = m->first[i], k1 = m->first[i + 1];
  for (int o = 0; o <= k1 - k0; o++) {
    int c = o < k1 - k0 ? m->assigns[k0 + o].col : m->u_col[i];
    if (!c) continue;
    x[c] = fmin(fmax(floor(frac[c] + 1e-9), glp_get_col_lb(lp, c)), glp_get_col_ub(lp, c));
    left -= (int)x[c];
  }
  for (; left > 0; left--) {
    int best = 0;
    double most = -1;
    for (int o = 0; o <= k1 - k0; o++) {
      int c = o < k1 - k0 ? m->assigns[k0 + o].col : m->u_col[i];
      if (c && x[c] + 1 <= glp_get_col_ub(lp, c) && frac[c] - x[c] > most)
        most = frac[c] - x[c], best = c;
    }
    if (!best) return false;
    x[best]++;
  }
  return left == 0;
}

static double units_for(const dep_state *d, double load) { return fmax(ceil(load - 1e-9), d->lb); }

static void move_slice(ilp_model *m, double *x, dep_state *ds, int from, int to) {
  const assign *f = &m->assigns[from], *t = &m->assigns[to];
  x[f->col]--;
  x[t->col]++;
  ds[f->dep].load -= f->a;
  ds[t->dep].load += t->a;
}

/* Move one slice from assign `from` to `to` (same bucket) if that lowers the objective. */
static bool improve_by_move(ilp_model *m, double *x, dep_state *ds, int from, int to) {
  dep_state *df = &ds[m->assigns[from].dep], *dt = &ds[m->assigns[to].dep];
  double yf = units_for(df, df->load - m->assigns[from].a);
  double yt = units_for(dt, dt->load + m->assigns[to].a);
  if (yt > dt->ub || !(df->obj * (yf - df->y) + dt->obj * (yt - dt->y) < -1e-12)) return false;
  move_slice(m, x, ds, from, to);
  df->y = yf;
  dt->y = yt;
  return true;
}

/* Free at least one unit of deployment j by moving its slices, largest first, into room the
 * other deployments already pay for; undone when it falls short. */
static bool improve_by_shedding(ilp_model *m, double *x, dep_state *ds, int j) {
  dep_state *d = &ds[j];
  if (!(d->obj > 0) || d->y - 1 < d->lb) return false;
  int moves[64][2], nm = 0;
  while (d->load > d->y - 1 + 1e-9 && nm < 64) {
    int bf = -1, bt = -1;
    for (int i = 0; i < m->n_active; i++)
      for (int f = m->first[i]; f < m->first[i + 1]; f++) {
        if (m->assigns[f].dep != j || x[m->assigns[f].col] < 1) continue;
        if (bf >= 0 && m->assigns[f].a <= m->assigns[bf].a) continue;
        for (int t = m->first[i]; t < m->first[i + 1]; t++) {
          const dep_state *dt = &ds[m->assigns[t].dep];
          if (t != f && dt->y - dt->load >= m->assigns[t].a + 1e-9) {
            bf = f, bt = t;
            break;
          }
        }
      }
    if (bf < 0) break;
    move_slice(m, x, ds, bf, bt);
    moves[nm][0] = bf, moves[nm++][1] = bt;
  }
  if (d->load <= d->y - 1 + 1e-9) {
    d->y = units_for(d, d->load);
    return true;
  }
  while (nm-- > 0)
    move_slice(m, x, ds, moves[nm][1], moves[nm][0]);
  return false;
}

/* Local search over slice moves until no move or shedding lowers the objective. */
static void improve(ilp_model *m, double *x, dep_state *ds) {
  for (bool better = true; better;) {
    better = false;
    for (int i = 0; i < m->n_active; i++)
      for (int f = m->first[i]; f < m->first[i + 1]; f++)
        for (int t = m->first[i]; t < m->first[i + 1] && x[m->assigns[f].col] >= 1; t++)
          if (t != f && improve_by_move(m, x, ds, f, t)) better = true;
    for (int j = 0; j < m->n_dep; j++)
      if (improve_by_shedding(m, x, ds, j)) better = true;
  }
}

/* A whole solution near `frac` within the columns' current bounds, into x: round the slices,
 * buy the units their load needs, improve by local search when `search`. False when that
 * breaks a bound or a row. */
static bool round_solution(ilp_model *m, const double *frac, bool search, double *x) {
  glp_prob *lp = m->lp;
  double f = m->p->options.gpu_fraction;
  dep_state *ds = m->ds;
  for (int c = 1; c <= m->n_cols; c++)
    x[c] = glp_get_col_lb(lp, c);
  for (int i = 0; i < m->n_active; i++)
    if (!round_bucket(m, i, frac, x)) return false;
  for (int j = 0; j < m->n_dep; j++) {
    int c = m->y_col[j];
    ds[j] = (dep_state){0, 0, glp_get_col_lb(lp, c),
                        glp_get_col_type(lp, c) == GLP_LO ? HUGE_VAL : glp_get_col_ub(lp, c),
                        glp_get_obj_coef(lp, c)};
  }
  for (int k = 0; k < m->n_assign; k++)
    ds[m->assigns[k].dep].load += x[m->assigns[k].col] * m->assigns[k].a;
  for (int j = 0; j < m->n_dep; j++) {
    ds[j].y = units_for(&ds[j], ds[j].load);
    if (ds[j].y > ds[j].ub) return false;
  }
  if (search) improve(m, x, ds);
  for (int j = 0; j < m->n_dep; j++) {
    x[m->y_col[j]] = ds[j].y;
    if (m->pod_col[j])
      x[m->pod_col[j]] = fmax(glp_get_col_lb(lp, m->pod_col[j]), ceil(ds[j].y / f));
  }
  return rows_hold(m, x);
}

/* Branch-and-bound callback, after each node's LP: offer the stage's best whole solution once,
 * then a rounding of the node's LP solution (with local search at the root). An early good
 * incumbent is what keeps the search short: on a dense grid GLPK alone can take seconds to
 * find one. */
static void heuristics(glp_tree *tree, void *info) {
  ilp_model *m = info;
  int active, alive, total;
  glp_ios_tree_size(tree, &active, &alive, &total);
  int iters = glp_get_it_cnt(m->lp); /* the decision's: every stage's LPs */
  if ((m->node_limit && total > m->node_limit) ||
      (m->p->options.iter_limit && iters > m->p->options.iter_limit)) {
    int best = glp_ios_best_node(tree); /* the open node of the lowest bound bounds them all */
    m->stop_bound = best ? glp_ios_node_bound(tree, best) : m->best_obj;
    glp_ios_terminate(tree);
    return;
  }
  if (glp_ios_reason(tree) != GLP_IHEUR) return;
  if (m->have_best && !m->fed) {
    m->fed = true;
    glp_ios_heur_sol(tree, m->best);
  }
  for (int c = 1; c <= m->n_cols; c++)
    m->frac[c] = glp_get_col_prim(m->lp, c);
  bool root = glp_ios_node_level(tree, glp_ios_curr_node(tree)) == 0;
  if (round_solution(m, m->frac, root, m->hx)) {
    keep_best(m, m->hx);
    glp_ios_heur_sol(tree, m->hx);
  }
}

/* --- Solving a stage --- */

static void set_objective(ilp_model *m, const int *cols, const double *coefs, int len) {
  for (int c = 1; c <= m->n_cols; c++)
    glp_set_obj_coef(m->lp, c, 0);
  for (int k = 0; k < len; k++)
    glp_set_obj_coef(m->lp, cols[k], coefs[k]);
}

static stage_status glpk_failed(const char *what, int rc, opt_err *e) {
  opt_fail(e, "ilp: GLPK %s failed (%s, code %d)", what,
           rc == GLP_ETMLIM ? "time limit reached" : "numerical trouble", rc);
  return STAGE_FAILED;
}

/* The LP relaxation from the current basis (dual simplex after bound changes), then
 * branch-and-bound with the heuristics. */
static stage_status run_mip(ilp_model *m, opt_err *e) {
  glp_smcp sp;
  glp_init_smcp(&sp);
  sp.msg_lev = GLP_MSG_OFF;
  sp.meth = GLP_DUALP;
  if (m->p->options.time_limit_ms) sp.tm_lim = m->p->options.time_limit_ms;
  int rc = glp_simplex(m->lp, &sp);
  if (rc == GLP_EBADB || rc == GLP_ESING || rc == GLP_ECOND || rc == GLP_EFAIL) {
    glp_std_basis(m->lp); /* the dual simplex can fail to factorise on the unscaled rows */
    sp.meth = GLP_PRIMAL;
    rc = glp_simplex(m->lp, &sp);
  }
  if (rc != 0) return glpk_failed("simplex", rc, e);
  int st = glp_get_status(m->lp);
  if (st == GLP_NOFEAS) return STAGE_INFEASIBLE;
  if (st != GLP_OPT) return glpk_failed("simplex status", st, e);

  glp_iocp ip;
  glp_init_iocp(&ip);
  ip.msg_lev = GLP_MSG_OFF;
  ip.presolve = GLP_OFF;   /* keeps the basis warm between stages */
  ip.tol_int = 1e-9;       /* a unit count is whole, not within 1e-5 of whole */
  ip.br_tech = GLP_BR_FFV; /* the unit counts are the first columns */
  ip.gmi_cuts = GLP_ON;    /* Gomory cuts: fewer nodes on dense grids (bench_solve) */
  ip.cb_func = heuristics;
  ip.cb_info = m;
  if (m->p->options.time_limit_ms) ip.tm_lim = m->p->options.time_limit_ms;
  m->fed = false;
  m->rows0 = glp_get_num_rows(m->lp);
  m->solves++;
  rc = glp_intopt(m->lp, &ip);
  if (rc == GLP_ESTOP) return STAGE_STOPPED;
  if (rc != 0) return glpk_failed("branch-and-bound", rc, e);
  st = glp_mip_status(m->lp);
  if (st == GLP_NOFEAS) return STAGE_INFEASIBLE;
  if (st != GLP_OPT) return glpk_failed("branch-and-bound status", st, e);
  return STAGE_SOLVED;
}

/* Minimise the objective set on the model, starting from the previous stage's optimum (each
 * stage's new row keeps it feasible); on success m->x holds the optimum, or, when the search
 * stopped at the node limit, the best solution found (and m->optimal is cleared). */
static stage_status solve_stage(ilp_model *m, opt_err *e) {
  m->have_best = false;
  if (m->have_x) keep_best(m, m->x);
  stage_status st = run_mip(m, e);
  if (st == STAGE_INFEASIBLE || st == STAGE_FAILED) return st;
  int ms = glp_mip_status(m->lp);
  if (ms == GLP_OPT || ms == GLP_FEAS) {
    for (int c = 1; c <= m->n_cols; c++) {
      double v = glp_mip_col_val(m->lp, c);
      m->hx[c] = round(v);
      assert(fabs(v - m->hx[c]) < 1e-6); /* every column is whole */
    }
    keep_best(m, m->hx);
  }
  if (!m->have_best) {
    opt_fail(e, "ilp: no allocation found within %d branch-and-bound nodes",
             m->p->options.node_limit);
    return STAGE_FAILED;
  }
  memcpy(m->x, m->best, sizeof *m->x * (size_t)(m->n_cols + 1));
  m->have_x = true;
  m->stopped = st == STAGE_STOPPED;
  if (m->stopped) m->optimal = false;
  return STAGE_SOLVED;
}

static double y_of(const ilp_model *m, int j) { return m->x[m->y_col[j]]; }

/* sum_j y_j c_j / F from 0 in problem order, as MelangeSolver adds its result up. */
static double cost_of(const ilp_model *m) {
  double cost = 0, f = m->p->options.gpu_fraction;
  for (int j = 0; j < m->n_dep; j++)
    cost += y_of(m, j) * (m->p->deployments[j].cost / f);
  return cost;
}

static stage_status stage_cost(ilp_model *m, opt_err *e) {
  int *cols = zalloc((size_t)m->n_dep, sizeof *cols);
  double *coefs = zalloc((size_t)m->n_dep, sizeof *coefs);
  for (int j = 0; j < m->n_dep; j++)
    cols[j] = m->y_col[j], coefs[j] = m->p->deployments[j].cost / m->p->options.gpu_fraction;
  set_objective(m, cols, coefs, m->n_dep);
  stage_status st = solve_stage(m, e);
  if (st == STAGE_SOLVED) m->cost_bound = m->stopped ? fmin(m->stop_bound, cost_of(m)) : cost_of(m);
  free(cols);
  free(coefs);
  return st;
}

/* Least uncovered rate within the bounds; then fix it as a row. */
static stage_status stage_coverage(ilp_model *m, opt_err *e) {
  const opt_ilp_problem *p = m->p;
  int *ind = zalloc((size_t)m->n_active + 1, sizeof *ind);
  double *val = zalloc((size_t)m->n_active + 1, sizeof *val), total = 0;
  for (int i = 0; i < m->n_active; i++) {
    glp_set_col_bnds(m->lp, m->u_col[i], GLP_DB, 0, p->options.slice_factor);
    ind[i + 1] = m->u_col[i];
    val[i + 1] = p->rates[m->bucket[i]] / p->options.slice_factor;
    total += p->rates[m->bucket[i]];
  }
  set_objective(m, ind + 1, val + 1, m->n_active);
  stage_status st = solve_stage(m, e);
  if (st == STAGE_INFEASIBLE) /* the bounds were checked to admit the minimums */
    st = glpk_failed("coverage stage (no feasible allocation)", 0, e);
  if (st == STAGE_SOLVED) {
    double unc = 0;
    for (int i = 0; i < m->n_active; i++)
      unc += val[i + 1] * m->x[ind[i + 1]];
    add_row(m->lp, m->n_active, ind, val, -HUGE_VAL, unc + TIE_TOL * (1 + total));
  }
  free(ind);
  free(val);
  return st;
}

/* Fewest units at (within TIE_TOL of) the least cost; leaves both as rows. If GLPK cannot
 * solve it (numerics: in exact arithmetic the previous optimum is feasible), the previous
 * optimum stands. */
static stage_status stage_units(ilp_model *m, bool solve, opt_err *e) {
  int n = m->n_dep;
  int *ind = zalloc((size_t)n + 1, sizeof *ind);
  double *val = zalloc((size_t)n + 1, sizeof *val), *ones = zalloc((size_t)n + 1, sizeof *ones);
  double cost = cost_of(m), slack = TIE_TOL * (1 + cost);
  for (int j = 0; j < n; j++) {
    ind[j + 1] = m->y_col[j];
    val[j + 1] = m->p->deployments[j].cost / m->p->options.gpu_fraction;
    ones[j + 1] = 1;
    slack += TIE_UNITS * val[j + 1];
  }
  add_row(m->lp, n, ind, val, -HUGE_VAL, cost + slack);
  stage_status st = STAGE_SOLVED;
  if (solve) {
    set_objective(m, ind + 1, ones + 1, n);
    st = solve_stage(m, e);
    if (st == STAGE_INFEASIBLE) st = STAGE_SOLVED;
  }
  if (st == STAGE_SOLVED) {
    double units = 0;
    for (int j = 0; j < n; j++)
      units += y_of(m, j);
    add_row(m->lp, n, ind, ones, -HUGE_VAL, units + 0.5); /* y are integers */
  }
  free(ind);
  free(val);
  free(ones);
  return st;
}

/* Units cannot trade at equal cost when there is one deployment or all cost the same (> 0). */
static bool units_forced(const ilp_model *m) {
  for (int j = 1; j < m->n_dep; j++)
    if (m->p->deployments[j].cost != m->p->deployments[0].cost) return false;
  return m->n_dep <= 1 || m->p->deployments[0].cost > 0;
}

/* Units to the earliest deployments: minimise sum_j j y_j at the least cost and units. Skipped
 * when the solution already piles the units as early as the bounds allow; as in stage_units,
 * the previous optimum stands if GLPK fails to see it feasible. */
static stage_status stage_order(ilp_model *m, opt_err *e) {
  const opt_ilp_problem *p = m->p;
  double units = 0, now = 0, least = 0;
  for (int j = 0; j < m->n_dep; j++) {
    units += y_of(m, j);
    now += j * y_of(m, j);
    least += j * (double)p->deployments[j].min_units;
    units -= (double)p->deployments[j].min_units;
  }
  for (int j = 0; j < m->n_dep && units > 0; j++) { /* fill the earliest up to max_units */
    const opt_ilp_deployment *d = &p->deployments[j];
    double room = d->max_units ? (double)(d->max_units - d->min_units) : units;
    least += j * fmin(room, units);
    units -= fmin(room, units);
  }
  if (now == least) return STAGE_SOLVED;
  for (int j = 0; j < m->n_dep; j++)
    m->ind[j] = m->y_col[j], m->val[j] = j;
  set_objective(m, m->ind, m->val, m->n_dep);
  stage_status st = solve_stage(m, e);
  return st == STAGE_INFEASIBLE ? STAGE_SOLVED : st;
}

static stage_status run_stages(ilp_model *m, bool bounded, opt_err *e) {
  stage_status st = stage_cost(m, e);
  if (st == STAGE_INFEASIBLE && bounded) {
    st = stage_coverage(m, e);
    if (st == STAGE_SOLVED) st = stage_cost(m, e);
  }
  if (st == STAGE_INFEASIBLE) /* unbounded y always fit */
    return glpk_failed("cost stage (no feasible allocation)", 0, e);
  if (st != STAGE_SOLVED || m->p->options.tie == OPT_ILP_TIE_SOLVER) return st;
  /* The tie stages keep the least cost (their rows), so a stop there leaves the cost as
   * proven or not as the cost stage left it; they get a quarter of the node budget each. */
  bool proven = m->optimal;
  int limit = m->node_limit;
  m->node_limit = limit ? (limit + 3) / 4 : 0;
  st = stage_units(m, !units_forced(m), e);
  if (st == STAGE_SOLVED) st = stage_order(m, e);
  m->node_limit = limit;
  m->optimal = proven;
  return st;
}

/* --- Result --- */

static void result_init(const opt_ilp_problem *p, opt_ilp_result *r) {
  memset(r, 0, sizeof *r);
  r->n_deployments = p->n_deployments;
  r->alloc = zalloc((size_t)p->n_deployments, sizeof *r->alloc);
  r->n_buckets = p->n_buckets;
  r->uncovered = zalloc((size_t)p->n_buckets, sizeof *r->uncovered);
  r->slices = zalloc((size_t)p->n_buckets * (size_t)(p->n_deployments ? p->n_deployments : 1),
                     sizeof *r->slices);
}

/* A whole solution in counts: slices per assign, uncovered slices per active bucket, units per
 * deployment. */
typedef struct solution {
  int32_t *count; /* [n_assign] */
  int32_t *unc;   /* [n_active] */
  int64_t *units; /* [n_dep] */
} solution;

static void solution_init(const ilp_model *m, solution *sol) {
  sol->count = zalloc((size_t)m->n_assign, sizeof *sol->count);
  sol->unc = zalloc((size_t)m->n_active, sizeof *sol->unc);
  sol->units = zalloc((size_t)m->n_dep, sizeof *sol->units);
}

static void solution_free(solution *sol) {
  free(sol->count);
  free(sol->unc);
  free(sol->units);
}

/* The GLPK model's last solution, in whole numbers. */
static void solution_of_model(const ilp_model *m, solution *sol) {
  for (int k = 0; k < m->n_assign; k++)
    sol->count[k] = (int32_t)llround(m->x[m->assigns[k].col]);
  for (int i = 0; i < m->n_active; i++)
    sol->unc[i] = m->u_col[i] ? (int32_t)llround(m->x[m->u_col[i]]) : 0;
  for (int j = 0; j < m->n_dep; j++)
    sol->units[j] = llround(y_of(m, j));
}

/* The units each deployment needs for the solution's slices, exactly: each slice's load in
 * integers of 1/NANO_UNITS unit (rounded to the nearest), summed in 128 bits and rounded up to
 * whole units. */
static void exact_need(const ilp_model *m, const solution *sol, int64_t *need) {
  size_t n = (size_t)m->n_dep;
  __int128 *nano = zalloc(n, sizeof *nano);
  for (int k = 0; k < m->n_assign; k++)
    nano[m->assigns[k].dep] += (__int128)sol->count[k] * llround(m->assigns[k].a * NANO_UNITS);
  for (size_t j = 0; j < n; j++)
    need[j] = (int64_t)((nano[j] + (__int128)NANO_UNITS - 1) / (__int128)NANO_UNITS);
  free(nano);
}

/* Fill *r from a solution, or from the minimums when nothing needed solving (sol NULL). */
static void result_fill(const ilp_model *m, const solution *sol, opt_ilp_result *r) {
  const opt_ilp_problem *p = m->p;
  double f = p->options.gpu_fraction;
  int s = p->options.slice_factor;
  size_t n = (size_t)p->n_deployments;
  for (int b = 0; b < p->n_buckets; b++)
    r->uncovered[b] = p->rates[b];
  for (int i = 0; i < m->n_active; i++) {
    int b = m->bucket[i], u = sol ? sol->unc[i] : 0;
    r->uncovered[b] = u == 0 ? 0 : u == s ? p->rates[b] : p->rates[b] * u / s;
  }
  for (int b = 0; b < p->n_buckets; b++) {
    r->uncovered_rate += r->uncovered[b];
    r->covered_rate += p->rates[b] - r->uncovered[b];
    r->n_uncovered_buckets += r->uncovered[b] > 0;
  }
  int64_t *need = zalloc(n, sizeof *need);
  if (sol) exact_need(m, sol, need);
  for (int i = 0; sol && i < m->n_active; i++)
    for (int k = m->first[i]; k < m->first[i + 1]; k++)
      r->slices[(size_t)m->bucket[i] * n + (size_t)m->assigns[k].dep] = sol->count[k];
  for (size_t j = 0; j < n; j++) {
    opt_ilp_alloc *a = &r->alloc[j];
    a->units = sol ? sol->units[j] : p->deployments[j].min_units;
    if (a->units < need[j]) { /* a load over its units by the solver's tolerance */
      a->units = need[j];
      r->repaired++;
    }
    a->pods = pods_of(a->units, (int64_t)f);
    a->cost = (double)a->units * (p->deployments[j].cost / f);
    r->cost += a->cost;
    r->units += a->units;
  }
  free(need);
  for (int k = 0; sol && k < m->n_assign; k++)
    r->alloc[m->assigns[k].dep].load += sol->count[k] * m->assigns[k].a;
  r->solves = m->solves;
  r->optimal = m->optimal;
  r->cost_bound = isnan(m->cost_bound) || r->optimal ? r->cost : fmin(m->cost_bound, r->cost);
  r->gap = r->cost > 0 ? (r->cost - r->cost_bound) / r->cost : 0;
}

opt_ilp_options opt_ilp_options_default(void) {
  return (opt_ilp_options){
      OPT_ILP_GPU_FRACTION, OPT_ILP_SLICE_FACTOR, OPT_ILP_TIE_ORDERED, OPT_ILP_NODE_LIMIT, 0,
      OPT_ILP_ITER_LIMIT};
}

/* --- The exact search (ilp_search.h), tried first when no bound limits the units --- */

/* The search's answer into sol. ILP_SEARCH_BUDGET: sol holds its best answer and *room the
 * excess over the LP bound that any better answer must stay within. */
static ilp_search_status search(ilp_model *m, solution *sol, double *room) {
  const opt_ilp_problem *p = m->p;
  int *dep = zalloc((size_t)m->n_assign, sizeof *dep);
  int64_t *nano = zalloc((size_t)m->n_assign, sizeof *nano);
  double *ucost = zalloc((size_t)m->n_dep, sizeof *ucost), slack = 0;
  for (int k = 0; k < m->n_assign; k++) {
    dep[k] = m->assigns[k].dep;
    nano[k] = llround(m->assigns[k].a * NANO_UNITS);
  }
  for (int j = 0; j < m->n_dep; j++) {
    ucost[j] = p->deployments[j].cost / p->options.gpu_fraction;
    slack += TIE_UNITS * ucost[j];
  }
  ilp_search_problem sp = {.n_dep = m->n_dep,
                           .n_active = m->n_active,
                           .slice_factor = p->options.slice_factor,
                           .first = m->first,
                           .dep = dep,
                           .nano = nano,
                           .ucost = ucost,
                           .ordered_ties = p->options.tie == OPT_ILP_TIE_ORDERED,
                           .tie_tol = TIE_TOL,
                           .tie_units = TIE_UNITS,
                           .step_budget = SEARCH_STEPS};
  ilp_search_stats st;
  ilp_search_status status = opt_ilp_search(&sp, sol->count, sol->units, &st);
  /* the slack of the tie rule, and 1e-9 relative for the nano rounding of the loads */
  *room = st.cost - st.base + slack + (TIE_TOL + 1e-9) * (1 + st.cost);
  free(dep);
  free(nano);
  free(ucost);
  return status;
}

/* Leave out every assign whose regret (its slice's cost as load above the bucket's cheapest)
 * exceeds `room`: no answer within room of the LP bound uses it. sol's counts follow. */
static void drop_dear(ilp_model *m, solution *sol, double room) {
  const opt_ilp_problem *p = m->p;
  int kept = 0;
  for (int i = 0; i < m->n_active; i++) {
    double least = HUGE_VAL;
    int k0 = m->first[i], k1 = m->first[i + 1];
    for (int k = k0; k < k1; k++)
      least = fmin(least, m->assigns[k].a * p->deployments[m->assigns[k].dep].cost);
    m->first[i] = kept;
    for (int k = k0; k < k1; k++) {
      const assign *a = &m->assigns[k];
      double regret = (a->a * p->deployments[a->dep].cost - least) / p->options.gpu_fraction;
      if (regret > room && sol->count[k] == 0) continue;
      sol->count[kept] = sol->count[k];
      m->assigns[kept++] = *a;
    }
  }
  m->first[m->n_active] = m->n_assign = kept;
}

/* The search's answer as the first stage's starting solution (GLPK's first incumbent). */
static void seed(ilp_model *m, const solution *sol) {
  for (int k = 0; k < m->n_assign; k++)
    m->x[m->assigns[k].col] = sol->count[k];
  for (int j = 0; j < m->n_dep; j++)
    m->x[m->y_col[j]] = (double)sol->units[j];
  m->rows0 = glp_get_num_rows(m->lp);
  m->have_x = rows_hold(m, m->x);
}

/* --- Symmetry --- */

/* Whether deployments a and b are interchangeable for the ILP: the same cost, the same tput in
 * every bucket (bit for bit), the same GPU type (or none), and no unit bounds on either. Any
 * split of units between such deployments costs the same, so branch-and-bound would otherwise
 * enumerate the splits: seconds to minutes for three or four identical GPU types. */
static bool interchangeable(const opt_ilp_problem *p, int a, int b) {
  const opt_ilp_deployment *x = &p->deployments[a], *y = &p->deployments[b];
  if (x->cost != y->cost || x->min_units || x->max_units || y->min_units || y->max_units)
    return false;
  if ((x->gpu_type == NULL) != (y->gpu_type == NULL)) return false;
  if (x->gpu_type && strcmp(x->gpu_type, y->gpu_type) != 0) return false;
  return memcmp(x->tputs, y->tputs, (size_t)p->n_buckets * sizeof *x->tputs) == 0;
}

/* The solve over one deployment per class of interchangeable ones (the first of each, in problem
 * order), its result spread back: each class's units go to its first deployment, which is where
 * the ordered tie rule puts them, and the others get none. The optimum is the same: a solution
 * of the full problem moves all its class's slices to the first deployment at no more cost. */
static bool solve_merged(const opt_ilp_problem *p, const int *rep, opt_ilp_result *out,
                         opt_err *e) {
  int n = p->n_deployments, k = 0;
  opt_ilp_deployment *firsts = zalloc((size_t)n, sizeof *firsts);
  int *at = zalloc((size_t)n, sizeof *at); /* original j -> its index in the merged problem */
  for (int j = 0; j < n; j++)
    if (rep[j] == j) at[j] = k, firsts[k++] = p->deployments[j];
  opt_ilp_problem q = *p;
  q.n_deployments = k;
  q.deployments = firsts;
  opt_ilp_result r;
  bool ok = opt_ilp_solve(&q, &r, e);
  if (ok) {
    *out = r;
    out->n_deployments = n;
    out->alloc = zalloc((size_t)n, sizeof *out->alloc);
    out->slices = zalloc((size_t)p->n_buckets * (size_t)n, sizeof *out->slices);
    for (int j = 0; j < n; j++) {
      if (rep[j] != j) continue;
      out->alloc[j] = r.alloc[at[j]];
      for (int b = 0; b < p->n_buckets; b++)
        out->slices[(size_t)b * (size_t)n + (size_t)j] =
            r.slices[(size_t)b * (size_t)k + (size_t)at[j]];
    }
    out->cost = 0; /* summed again in problem order, as AIBrix does (the zeros change nothing) */
    for (int j = 0; j < n; j++)
      out->cost += out->alloc[j].cost;
    free(r.alloc);
    free(r.slices);
  }
  free(firsts);
  free(at);
  return ok;
}

bool opt_ilp_solve(const opt_ilp_problem *p, opt_ilp_result *out, opt_err *e) {
  double t0 = 1e3 * ps_mono_s();
  if (!out) return opt_fail(e, "ilp: no result given");
  memset(out, 0, sizeof *out);
  if (!check_problem(p, e)) return false;
  int *rep = zalloc((size_t)(p->n_deployments ? p->n_deployments : 1), sizeof *rep);
  bool merge = false;
  for (int j = 0; j < p->n_deployments; j++) {
    rep[j] = j;
    for (int i = 0; i < j && rep[j] == j; i++)
      if (rep[i] == i && interchangeable(p, i, j)) rep[j] = i, merge = true;
  }
  if (merge) {
    bool ok = solve_merged(p, rep, out, e);
    free(rep);
    if (ok) out->solve_ms = 1e3 * ps_mono_s() - t0;
    return ok;
  }
  free(rep);
  ilp_model m = {.p = p,
                 .n_dep = p->n_deployments,
                 .optimal = true,
                 .cost_bound = NAN,
                 .node_limit = p->options.node_limit};
  bool ok = plan_assignments(&m, e), solved = false;
  solution sol = {0};
  if (ok && m.n_active > 0) {
    bool bounded = any_bound(p);
    solution_init(&m, &sol);
    ilp_search_status st = ILP_SEARCH_NOMEM;
    double room = 0;
    if (unbounded(p)) st = search(&m, &sol, &room);
    solved = st == ILP_SEARCH_OPTIMAL;
    if (!solved) {
      if (st == ILP_SEARCH_BUDGET) drop_dear(&m, &sol, room);
      glpk_thread_enter();
      int term = glp_term_out(GLP_OFF);
      build(&m, bounded);
      if (st == ILP_SEARCH_BUDGET) seed(&m, &sol);
      ok = run_stages(&m, bounded, e) == STAGE_SOLVED;
      glp_term_out(term);
      if (ok) solution_of_model(&m, &sol);
      solved = ok;
    }
  }
  if (ok) {
    result_init(p, out);
    result_fill(&m, solved ? &sol : NULL, out);
    out->solve_ms = 1e3 * ps_mono_s() - t0;
  }
  solution_free(&sol);
  model_free(&m);
  return ok;
}

void opt_ilp_result_free(opt_ilp_result *r) {
  if (!r) return;
  free(r->alloc);
  free(r->uncovered);
  free(r->slices);
  memset(r, 0, sizeof *r);
}

/* --- The log line --- */

/* Append to buf like snprintf, tracking the length it would need. */
static void put(char *buf, size_t n, size_t *len, const char *s) {
  size_t l = strlen(s);
  if (*len < n) snprintf(buf + *len, n - *len, "%s", s);
  *len += l;
}

size_t opt_ilp_log_line(const opt_ilp_problem *p, const opt_ilp_result *r, const char *model,
                        double coverage_pct, char *buf, size_t n) {
  assert(p && r && model && r->n_deployments == p->n_deployments);
  char num[64], item[96];
  size_t len = 0;
  if (buf && n) buf[0] = 0;
  put(buf, n, &len, model);
  put(buf, n, &len, " optimization took ");
  ps_float_repr(r->solve_ms, num, sizeof num);
  put(buf, n, &len, num);
  put(buf, n, &len, " ms, cost $");
  ps_float_repr(r->cost, num, sizeof num);
  put(buf, n, &len, num);
  put(buf, n, &len, ", coverage: ");
  ps_float_repr(coverage_pct, num, sizeof num);
  put(buf, n, &len, num);
  put(buf, n, &len, "%: [");
  for (int j = 0; j < r->n_deployments; j++) {
    if (j) put(buf, n, &len, ", ");
    put(buf, n, &len, p->deployments[j].name);
    ps_float_repr(r->alloc[j].cost, num, sizeof num);
    snprintf(item, sizeof item, ": %lld($%s)", (long long)r->alloc[j].units, num);
    put(buf, n, &len, item);
  }
  put(buf, n, &len, "]");
  return len;
}
