/*
 * The ILP (optimizer/ilp.h) against an independent oracle on thousands of random small
 * instances: the oracle enumerates every assignment of every loaded bucket's slices to the
 * deployments that can serve it, with no LP and no tolerance. A deployment's load is the sum of
 * the ILP's own slice loads a = (1 / t) (F r / S) (doubles, so binary fractions), summed exactly
 * in 128-bit fixed point at 2^-64 unit; its units are the ceiling; the cost is the sum of units
 * times cost / F. The instances are drawn so that every a is a multiple of 2^-64 (checked), which
 * makes the oracle exact.
 *
 * Kinds: one to four GPU types; slice factor 1, 2 or 4; cost ties (equal costs, and costs
 * proportional to throughput); buckets some types cannot serve (tput 0) and buckets none can;
 * rates from 0.01 to 1000 req/s; loads of 1e5 to 1e7 units, where GLPK's relative tolerances
 * reach a whole unit. The solver must find the oracle's cost when it says it is
 * optimal, never less (a cost below the optimum means a load above its units), and when it is
 * not proven optimal, a cost within its own reported gap of the optimum.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "optimizer/ilp.h"

#define MAX_DEP 4
#define MAX_LOADED 4
#define MAX_LEAVES 20000 /* assignments an instance may have, so the suite stays fast */

typedef struct instance {
  int n_dep, n_buckets, s;
  double f;
  double rates[MAX_LOADED];
  double tputs[MAX_DEP][MAX_LOADED];
  double cost[MAX_DEP];
} instance;

typedef struct oracle {
  const instance *in;
  __int128 a[MAX_LOADED][MAX_DEP]; /* slice loads in 2^-64 unit */
  __int128 load[MAX_DEP];
  double best;
  long leaves;
} oracle;

static uint64_t rng = 88172645463325252ULL;
static uint64_t next(void) { /* xorshift64 */
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}
static double uniform(void) { return (double)(next() >> 11) / 9007199254740992.0; }
static double log_uniform(double lo, double hi) { return lo * pow(hi / lo, uniform()); }

/* x in 2^-64 unit, when that is exact */
static bool fixed(double x, __int128 *out) {
  double scaled = ldexp(x, 64);
  if (scaled != floor(scaled) || scaled >= 1e37) return false;
  *out = (__int128)scaled;
  return true;
}

static double cost_of(const oracle *o) {
  const instance *in = o->in;
  const __int128 one = (__int128)1 << 64;
  double cost = 0;
  for (int j = 0; j < in->n_dep; j++) {
    __int128 units = (o->load[j] + one - 1) / one;
    cost += (double)units * (in->cost[j] / in->f);
  }
  return cost;
}

/* Every way to give bucket b's s slices to the deployments that serve it. */
static void assign(oracle *o, int b, int j, int left) {
  const instance *in = o->in;
  if (b == in->n_buckets) {
    o->leaves++;
    double c = cost_of(o);
    if (c < o->best) o->best = c;
    return;
  }
  if (j == in->n_dep) {
    if (left == 0) assign(o, b + 1, 0, in->s);
    return;
  }
  int most = in->tputs[j][b] > 0 ? left : 0;
  for (int n = 0; n <= most; n++) {
    o->load[j] += n * o->a[b][j];
    assign(o, b, j + 1, left - n);
    o->load[j] -= n * o->a[b][j];
  }
}

static long leaves_of(const instance *in) {
  long total = 1;
  for (int b = 0; b < in->n_buckets; b++) {
    int k = 0;
    for (int j = 0; j < in->n_dep; j++)
      k += in->tputs[j][b] > 0;
    long ways = 1; /* compositions of s into k parts: C(s + k - 1, k - 1) */
    for (int i = 1; i < k; i++)
      ways = ways * (in->s + i) / i;
    total *= k ? ways : 1;
  }
  return total;
}

/* A random instance of one of the kinds above; false when the oracle cannot take it. */
static bool draw(instance *in, int kind) {
  *in = (instance){
      .n_dep = 1 + (int)(next() % MAX_DEP), .n_buckets = 1 + (int)(next() % MAX_LOADED), .f = 100};
  static const int slice[] = {1, 2, 4};
  in->s = slice[next() % 3];
  for (int b = 0; b < in->n_buckets; b++)
    in->rates[b] = kind == 3   ? log_uniform(0.01, 1000)
                   : kind == 5 ? log_uniform(100, 1000)
                               : log_uniform(0.1, 50);
  for (int j = 0; j < in->n_dep; j++) {
    in->cost[j] = kind == 1 ? 2.5 : log_uniform(0.5, 10);
    double scale = log_uniform(0.5, 4);
    for (int b = 0; b < in->n_buckets; b++) {
      in->tputs[j][b] = kind == 2   ? scale * (1 + b)
                        : kind == 5 ? log_uniform(0.01, 0.5) /* 1e5 to 1e7 units */
                                    : log_uniform(0.05, 40);
      if (kind == 4 && next() % 3 == 0) in->tputs[j][b] = 0; /* this type cannot serve it */
    }
    if (kind == 2) in->cost[j] = 1.7 * scale; /* cost proportional to throughput */
  }
  if (kind == 4 && next() % 4 == 0) /* a bucket no type can serve */
    for (int j = 0; j < in->n_dep; j++)
      in->tputs[j][0] = 0;
  return leaves_of(in) <= MAX_LEAVES;
}

static double solve_oracle(const instance *in) {
  oracle o = {.in = in, .best = INFINITY};
  for (int b = 0; b < in->n_buckets; b++)
    for (int j = 0; j < in->n_dep; j++) {
      double t = in->tputs[j][b];
      double a = t > 0 ? (1.0 / t) * (in->rates[b] * in->f / in->s) : 0; /* as the ILP has it */
      if (!fixed(a, &o.a[b][j])) return NAN;
    }
  assign(&o, 0, 0, in->s);
  return o.best;
}

static void random_instances_match_the_oracle(void **state) {
  (void)state;
  int checked = 0, not_optimal = 0;
  for (int i = 0; i < 4800; i++) {
    instance in;
    int kind = i % 6; /* 0 plain, 1 equal costs, 2 proportional, 3 wide rates, 4 unservable,
                         5 huge loads (where GLPK's tolerances reach a unit) */
    if (!draw(&in, kind)) continue;
    double want = solve_oracle(&in);
    if (isnan(want)) continue;
    opt_ilp_deployment d[MAX_DEP];
    char names[MAX_DEP][16];
    for (int j = 0; j < in.n_dep; j++) {
      snprintf(names[j], sizeof names[j], "d%d", j);
      d[j] = (opt_ilp_deployment){names[j], NULL, in.cost[j], in.tputs[j], 0, 0};
    }
    opt_ilp_problem p = {.n_buckets = in.n_buckets,
                         .rates = in.rates,
                         .n_deployments = in.n_dep,
                         .deployments = d,
                         .options = opt_ilp_options_default()};
    p.options.slice_factor = in.s;
    opt_ilp_result r;
    opt_err e = {{0}};
    if (!opt_ilp_solve(&p, &r, &e)) fail_msg("instance %d: %s", i, e.msg);
    double tol = 1e-9 * fmax(1, want);
    if (r.cost < want - tol)
      fail_msg("instance %d (kind %d): cost %.12g below the optimum %.12g: a load above its units",
               i, kind, r.cost, want);
    if (r.optimal && r.cost > want + tol)
      fail_msg("instance %d (kind %d): cost %.12g said optimal, the optimum is %.12g", i, kind,
               r.cost, want);
    if (!r.optimal && r.cost > want + tol && r.cost - want > r.gap * r.cost + tol)
      fail_msg("instance %d (kind %d): cost %.12g, gap %.3g, but the optimum is %.12g", i, kind,
               r.cost, r.gap, want);
    not_optimal += !r.optimal;
    checked++;
    opt_ilp_result_free(&r);
  }
  print_message("%d instances checked against the oracle, %d not proven optimal\n", checked,
                not_optimal);
  assert_true(checked > 2000);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(random_instances_match_the_oracle),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
