/* ilp_search: exact branch-and-bound for the ILP without unit bounds (see ilp_search.h). */
#include "optimizer/ilp_search.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NANO 1000000000LL
#define SLACK 1e-9      /* units: loads summed in doubles count as whole below this */
#define MAX_FRAMES 4096 /* recursion depth: buckets searched times (their splits' alts + 1) */

typedef __int128 i128;

typedef struct alt {
  int k;        /* the problem's assign */
  int dep;      /* its deployment */
  int64_t nano; /* one slice's load */
  double rho;   /* regret of one slice here instead of on the bucket's cheapest */
} alt;

typedef struct bucket {
  int a0, n_alt; /* alts[a0 .. a0 + n_alt - 1]; alts[a0] is the cheapest (the default) */
  double cost;   /* S m_i: the order of the search, largest first */
} bucket;

/* Load that an open bucket can move onto or off a deployment, and its regret per unit. */
typedef struct move {
  double rate; /* regret per unit of load moved */
  double cap;  /* units of load: all S slices moved */
  int t;       /* the bucket's place in the search: open at nodes t' <= t */
} move;

typedef struct search {
  const ilp_search_problem *p;
  int n_assign;
  int nb;          /* buckets searched (those with a move cheaper than the greedy's waste) */
  bucket *b;       /* [nb], in search order */
  alt *alts;       /* [n_assign] */
  int *n;          /* [n_assign] slices per alt of the searched buckets, as the search stands */
  int *best_n;     /* [n_assign] of the best answer */
  move *moves;     /* [2 * n_assign]: per deployment its moves in, then out, cheapest first */
  int *in0, *out0; /* [n_dep + 1] deployment j's moves in: moves[in0[j] .. in0[j + 1] - 1] */
  i128 *load;      /* [n_dep] fixed + decided + the open buckets' slices on their cheapest */
  double base;     /* sum_i S m_i, the LP bound */
  bool ties;       /* second pass: fewest units, then earliest, within `limit` */
  double limit;    /* cost pass: the best cost; ties pass: the least cost plus slack */
  double eps;      /* float noise in a cost */
  int64_t best_units, best_order;
  long nodes, steps; /* nodes tried; steps of work: a node, a deployment or a move looked at */
  bool stop;
} search;

static int64_t units_of(i128 load) { return (int64_t)((load + NANO - 1) / NANO); }

/* The least regret (`share` of each move's) plus rounding waste with which deployment j's load,
 * now with `g` units of room below its ceiling, can end: fill the room with the cheapest moves
 * in while they cost less than the waste, or empty its last unit with moves out; buckets
 * before t are decided (ilp_search.h). */
static double settle(search *s, int t, int j, double g, double share) {
  double c = s->p->ucost[j], room = g, in = 0;
  for (int k = s->in0[j]; k < s->in0[j + 1] && room > SLACK; k++) {
    const move *mv = &s->moves[k];
    s->steps++;
    if (mv->rate * share >= c) break;
    if (mv->t < t) continue;
    double take = fmin(room, mv->cap);
    in += take * mv->rate * share;
    room -= take;
  }
  if (room > SLACK) in += room * c; /* (rounding: a lower bound may only err low) */
  double rest = 1 - g, out = 0;
  for (int k = s->out0[j]; k < s->out0[j + 1] && rest > SLACK && out < in; k++) {
    const move *mv = &s->moves[k];
    s->steps++;
    if (mv->t < t) continue;
    double take = fmin(rest, mv->cap);
    out += take * mv->rate * share;
    rest -= take;
  }
  return rest > SLACK ? in : fmin(in, out);
}

/* A lower bound on the cost of any answer below a node at bucket t with `regret` so far: the
 * LP bound and the regret, plus either every deployment's settle() with half of each move's
 * regret (a move touches two), or the largest settle() with all of it. */
static double bound(search *s, int t, double regret) {
  double half = 0, whole = 0;
  s->steps += s->p->n_dep;
  for (int j = 0; j < s->p->n_dep; j++) {
    i128 l = s->load[j];
    double g = (double)((i128)units_of(l) * NANO - l) / (double)NANO;
    if (g <= 0) continue;
    half += settle(s, t, j, g, 0.5);
    whole = fmax(whole, settle(s, t, j, g, 1.0));
  }
  return s->base + regret + fmax(half, whole);
}

/* A whole answer: keep it if it beats the best under the pass's rule. */
static void leaf(search *s) {
  double cost = 0;
  int64_t units = 0, order = 0;
  for (int j = 0; j < s->p->n_dep; j++) {
    int64_t y = units_of(s->load[j]);
    cost += (double)y * s->p->ucost[j];
    units += y;
    order += (int64_t)j * y;
  }
  if (!s->ties) {
    if (!(cost < s->limit - s->eps)) return;
    s->limit = cost;
  } else {
    if (cost > s->limit + s->eps) return;
    if (units > s->best_units || (units == s->best_units && order >= s->best_order)) return;
  }
  s->best_units = units;
  s->best_order = order;
  memcpy(s->best_n, s->n, sizeof *s->n * (size_t)s->n_assign);
}

static bool prune(const search *s, double lb) {
  return s->ties ? lb > s->limit + s->eps : lb >= s->limit - s->eps;
}

static void dfs(search *s, int t, double regret);

/* Split the slices of bucket t: alts a.. take `left` of them, `regret` so far. */
static void split(search *s, int t, int a, int left, double regret) {
  const bucket *bk = &s->b[t];
  const alt *al = &s->alts[bk->a0 + a];
  int *n = &s->n[bk->a0 + a];
  if (a == bk->n_alt - 1 || left == 0) { /* the rest here (none when left is 0) */
    regret += left * al->rho;
    s->load[al->dep] += (i128)left * al->nano;
    *n = left;
    for (int r = a + 1; r < bk->n_alt; r++)
      s->n[bk->a0 + r] = 0;
    if (!prune(s, s->base + regret)) {
      s->nodes++;
      if (++s->steps > s->p->step_budget)
        s->stop = true;
      else if (!prune(s, bound(s, t + 1, regret)))
        dfs(s, t + 1, regret);
    }
    s->load[al->dep] -= (i128)left * al->nano;
    return;
  }
  for (int c = 0; c <= left && !s->stop; c++) {
    int m = a == 0 ? left - c : c;                       /* the cheapest first takes the most */
    if (prune(s, s->base + regret + m * al->rho)) break; /* (never the cheapest: rho 0) */
    *n = m;
    s->load[al->dep] += (i128)m * al->nano;
    split(s, t, a + 1, left - m, regret + m * al->rho);
    s->load[al->dep] -= (i128)m * al->nano;
  }
}

static void dfs(search *s, int t, double regret) {
  if (t == s->nb) {
    leaf(s);
    return;
  }
  const bucket *bk = &s->b[t];
  const alt *d = &s->alts[bk->a0];
  s->load[d->dep] -= (i128)s->p->slice_factor * d->nano; /* its default comes off the projection */
  split(s, t, 0, s->p->slice_factor, regret);
  s->load[d->dep] += (i128)s->p->slice_factor * d->nano;
}

static int by_cost_desc(const void *x, const void *y) {
  const bucket *a = x, *b = y;
  if (a->cost != b->cost) return a->cost < b->cost ? 1 : -1;
  return a->a0 - b->a0; /* problem order: the sort is deterministic */
}

static int by_rho(const void *x, const void *y) {
  const alt *a = x, *b = y;
  if (a->rho != b->rho) return a->rho < b->rho ? -1 : 1;
  return a->k - b->k;
}

static move move_of(const alt *x, int64_t nano, int t, int slices) {
  double units = (double)nano / NANO;
  return (move){x->rho / units, slices * units, t};
}

static int by_rate(const void *x, const void *y) {
  const move *a = x, *b = y;
  if (a->rate != b->rate) return a->rate < b->rate ? -1 : 1;
  return a->t - b->t;
}

static void search_free(search *s) {
  free(s->b);
  free(s->alts);
  free(s->n);
  free(s->best_n);
  free(s->moves);
  free(s->in0);
  free(s->out0);
  free(s->load);
}

/* Per bucket its alts, cheapest first; the greedy's loads into s->load; the greedy's cost. */
static double setup(search *s) {
  const ilp_search_problem *p = s->p;
  double S = p->slice_factor;
  for (int i = 0; i < p->n_active; i++) {
    bucket *bk = &s->b[i];
    bk->a0 = p->first[i];
    bk->n_alt = p->first[i + 1] - p->first[i];
    double m = HUGE_VAL;
    for (int k = p->first[i]; k < p->first[i + 1]; k++) {
      alt *a = &s->alts[k];
      *a = (alt){k, p->dep[k], p->nano[k], p->ucost[p->dep[k]] * ((double)p->nano[k] / NANO)};
      m = fmin(m, a->rho);
    }
    for (int k = p->first[i]; k < p->first[i + 1]; k++)
      s->alts[k].rho -= m;
    qsort(&s->alts[bk->a0], (size_t)bk->n_alt, sizeof *s->alts, by_rho);
    bk->cost = S * m;
    s->base += S * m;
    s->load[s->alts[bk->a0].dep] += (i128)p->slice_factor * s->alts[bk->a0].nano;
  }
  double cost = 0;
  for (int j = 0; j < p->n_dep; j++)
    cost += (double)units_of(s->load[j]) * p->ucost[j];
  return cost;
}

/* Keep the buckets with a move whose regret is at most `room` (their alts cut to those), in
 * search order; fill the suffix rates. False when the recursion would be too deep. */
static bool choose(search *s, double room) {
  const ilp_search_problem *p = s->p;
  int nb = 0, frames = 0;
  for (int i = 0; i < p->n_active; i++) {
    bucket bk = s->b[i];
    while (bk.n_alt > 1 && s->alts[bk.a0 + bk.n_alt - 1].rho > room)
      bk.n_alt--;
    if (bk.n_alt > 1) s->b[nb++] = bk, frames += bk.n_alt + 1;
  }
  if (frames > MAX_FRAMES) return false;
  s->nb = nb;
  qsort(s->b, (size_t)nb, sizeof *s->b, by_cost_desc);
  int nm = 0;
  for (int j = 0; j < p->n_dep; j++) { /* moves onto j, then moves off j */
    s->in0[j] = nm;
    for (int t = 0; t < nb; t++)
      for (int a = 1; a < s->b[t].n_alt; a++) {
        const alt *x = &s->alts[s->b[t].a0 + a];
        if (x->dep == j) s->moves[nm++] = move_of(x, x->nano, t, p->slice_factor);
      }
  }
  s->in0[p->n_dep] = nm;
  for (int j = 0; j < p->n_dep; j++) {
    s->out0[j] = nm;
    for (int t = 0; t < nb; t++) {
      const alt *d = &s->alts[s->b[t].a0];
      if (d->dep == j && s->b[t].n_alt > 1) /* its cheapest way off j */
        s->moves[nm++] = move_of(&s->alts[s->b[t].a0 + 1], d->nano, t, p->slice_factor);
    }
  }
  s->out0[p->n_dep] = nm;
  for (int j = 0; j < p->n_dep; j++) {
    qsort(&s->moves[s->in0[j]], (size_t)(s->in0[j + 1] - s->in0[j]), sizeof *s->moves, by_rate);
    qsort(&s->moves[s->out0[j]], (size_t)(s->out0[j + 1] - s->out0[j]), sizeof *s->moves, by_rate);
  }
  return true;
}

ilp_search_status opt_ilp_search(const ilp_search_problem *p, int32_t *counts, int64_t *units,
                                 ilp_search_stats *stats) {
  int na = p->first[p->n_active];
  size_t nd = (size_t)p->n_dep, nbk = (size_t)p->n_active + 1;
  search s = {.p = p, .n_assign = na};
  s.b = calloc(nbk, sizeof *s.b);
  s.alts = calloc((size_t)na + 1, sizeof *s.alts);
  s.n = calloc((size_t)na + 1, sizeof *s.n);
  s.best_n = calloc((size_t)na + 1, sizeof *s.best_n);
  s.moves = calloc(2 * (size_t)na + 1, sizeof *s.moves);
  s.in0 = calloc(nd + 1, sizeof *s.in0);
  s.out0 = calloc(nd + 1, sizeof *s.out0);
  s.load = calloc(nd, sizeof *s.load);
  *stats = (ilp_search_stats){0};
  if (!s.b || !s.alts || !s.n || !s.best_n || !s.moves || !s.in0 || !s.out0 || !s.load) {
    search_free(&s);
    return ILP_SEARCH_NOMEM;
  }
  double greedy = setup(&s), slack = p->tie_tol * (1 + greedy);
  for (size_t j = 0; j < nd; j++)
    slack += p->tie_units * p->ucost[j];
  s.eps = 1e-12 * (1 + greedy);
  bool ok = choose(&s, greedy - s.base + slack + s.eps);
  for (int t = 0; ok && t < s.nb; t++) /* the greedy: every slice on its cheapest */
    s.n[s.b[t].a0] = s.best_n[s.b[t].a0] = p->slice_factor;
  if (!ok) s.nb = 0; /* the greedy stands */
  if (ok) {
    s.limit = greedy;
    s.best_units = INT64_MAX;
    dfs(&s, 0, 0);
  }
  if (ok && !s.stop && p->ordered_ties) {
    double least = s.limit;
    s.ties = true;
    s.limit = least + p->tie_tol * (1 + least);
    for (size_t j = 0; j < nd; j++)
      s.limit += p->tie_units * p->ucost[j];
    s.best_units = INT64_MAX;
    dfs(&s, 0, 0);
  }
  stats->nodes = s.nodes;
  stats->steps = s.steps;
  stats->base = s.base;
  ilp_search_status st = !ok || s.stop ? ILP_SEARCH_BUDGET : ILP_SEARCH_OPTIMAL;
  /* the best answer found; buckets not searched keep every slice on their cheapest */
  memset(counts, 0, sizeof *counts * (size_t)na);
  for (int i = 0; i < p->n_active; i++)
    counts[s.alts[p->first[i]].k] = p->slice_factor;
  for (int t = 0; t < s.nb; t++)
    for (int a = 0; a < s.b[t].n_alt; a++)
      counts[s.alts[s.b[t].a0 + a].k] = s.best_n[s.b[t].a0 + a];
  memset(s.load, 0, sizeof *s.load * nd);
  for (int k = 0; k < na; k++)
    s.load[p->dep[k]] += (i128)counts[k] * p->nano[k];
  for (size_t j = 0; j < nd; j++) {
    units[j] = units_of(s.load[j]);
    stats->cost += (double)units[j] * p->ucost[j];
  }
  search_free(&s);
  return st;
}
