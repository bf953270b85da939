/*
 * The optimizer's ILP (optimizer/ilp.h): the Mélange and optimizer-level vectors of AIBrix
 * (tests/aibrix_vectors.h) and the faults fixed on purpose (tput 0,
 * uncoverable traffic, bounds, ties). Costs are compared exactly with the double AIBrix's
 * Python computes (0 + y_0 c_0 + y_1 c_1 ..., costs already divided by gpu_fraction).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <string.h>

#include "aibrix_vectors.h"
#include "optimizer/ilp.h"

/* --- Profiles --- */

/* aibrix PROF/result/simulator-llama2-7b-a100.json (tests/data/aibrix-profiles), cost 1.0;
 * rows out 4..512, columns in 128..2048. */
static const double A100_TPUTS[40] = {62.4770592037908,
                                      32.3132063155413,
                                      16.794872306236712,
                                      8.506609663869995,
                                      4.25505318548248,
                                      60.316466916176516,
                                      31.743326005665654,
                                      16.648846618248662,
                                      8.456487777894496,
                                      4.232097897906285,
                                      31.390153356402557,
                                      31.44077673744191,
                                      16.35548438044074,
                                      8.319937915785582,
                                      4.195196435104038,
                                      29.659845691502795,
                                      29.443006402919238,
                                      15.737020124678372,
                                      8.09950347977996,
                                      4.097482292889981,
                                      15.195016931044663,
                                      15.141240615344003,
                                      8.084202765314256,
                                      7.635497267355755,
                                      3.9453497193741334,
                                      7.6749238663857575,
                                      7.646377471511056,
                                      7.469959534415053,
                                      4.021491925138638,
                                      2.0825276518486944,
                                      3.8569367968050043,
                                      3.8474025810402654,
                                      3.788259676585335,
                                      2.0288591107923666,
                                      0.0,
                                      0.0,
                                      0.0,
                                      0.0,
                                      0.0,
                                      0.0};

/* Reference 6.2 V-P3: gen_profile --e2e 5 --percentile 99 --cost 0.3 on the a40 benchmark. */
static const double A40_TPUTS[40] = {31.27979562792885,
                                     16.437690887352556,
                                     8.388167072977168,
                                     4.240887079416033,
                                     2.1188288031826015,
                                     30.322196458076718,
                                     16.143744111958988,
                                     8.30749664354739,
                                     4.201412045104191,
                                     2.0969217209808613,
                                     15.65481089870355,
                                     14.791607877745344,
                                     8.099678750319264,
                                     4.132450258328595,
                                     2.080416351227587,
                                     14.53647197417589,
                                     7.988279383679795,
                                     7.575132651417761,
                                     3.9798869910947983,
                                     1.0723851384895906,
                                     7.429433614342273,
                                     7.316096204590208,
                                     3.981604601798121,
                                     2.0772145516687512,
                                     0.0,
                                     3.7285408143619883,
                                     2.018186239477635,
                                     1.0474780818844678,
                                     0.0,
                                     0.0,
                                     0.0,
                                     0.0,
                                     0.0,
                                     0.0,
                                     0.0,
                                     0.0,
                                     0.0,
                                     0.0,
                                     0.0,
                                     0.0};

/* MEL/config_example.json: 2 x 2 grid. */
static const double A10G_TPUTS[4] = {2, 1, 5, 2};
static const double A100_80GB_TPUTS[4] = {20, 20, 40, 20};

#define GRID_IN 5 /* a100/a40 grid: 8 output rows x 5 input columns */
#define BUCKET(out, in) ((out)*GRID_IN + (in))
#define MAX_DEPS 4
#define MAX_GRID 40

/* --- Vector tables --- */

typedef struct load {
  int bucket;
  double rate; /* req/s */
} load;

typedef struct vector_row {
  int n_buckets;
  double gpu_fraction;
  int slice_factor;
  int n_deps;
  opt_ilp_deployment deps[MAX_DEPS];
  int n_loads;
  load loads[4];
  int64_t units[MAX_DEPS]; /* expected y (unique optimum) */
  double cost;             /* expected, as AIBrix's Python computes it */
  double uncovered_rate;
} vector_row;

#define A100                                                                                       \
  { "default/a100", NULL, 1.0, A100_TPUTS, 0, 0 }
#define A40                                                                                        \
  { "default/a40", NULL, 0.3, A40_TPUTS, 0, 0 }

/* Python's cost: MelangeSolver sums y * (profile cost / gpu_fraction) from 0 in key order. */
#define C100(c) ((c) / 100.0)

/* V-S1: config_example, slice factor 1: {'A10G': 3, 'A100-80GB': 1, 'cost': 6.7}. The rates
 * are the distribution [[0.2, 0.1], [0.5, 0.2]] times 30.0, as MelangeSolver forms them. */
static const vector_row melange_config_example_slice_factor_1 = {
    4,
    1,
    1,
    2,
    {{"A10G", NULL, 1.01, A10G_TPUTS, 0, 0}, {"A100-80GB", NULL, 3.67, A100_80GB_TPUTS, 0, 0}},
    4,
    {{0, 0.2 * 30.0}, {1, 0.1 * 30.0}, {2, 0.5 * 30.0}, {3, 0.2 * 30.0}},
    {3, 1},
    0 + 3 * 1.01 + 1 * 3.67,
    0};

/* V-S2: slice factor 4: {'A10G': 2, 'A100-80GB': 1, 'cost': 5.69}; the double Python sums is
 * 5.6899999999999995 (0 + 2 * 1.01 + 3.67), which the reference prints rounded. */
static const vector_row melange_config_example_slice_factor_4 = {
    4,
    1,
    4,
    2,
    {{"A10G", NULL, 1.01, A10G_TPUTS, 0, 0}, {"A100-80GB", NULL, 3.67, A100_80GB_TPUTS, 0, 0}},
    4,
    {{0, 0.2 * 30.0}, {1, 0.1 * 30.0}, {2, 0.5 * 30.0}, {3, 0.2 * 30.0}},
    {2, 1},
    0 + 2 * 1.01 + 1 * 3.67,
    0};

/* 6.5 A: centre (6, 9) -> bucket (4, 2), 5 req/s: {a100: 0, a40: 126, cost 0.378}. */
static const vector_row optimizer_case_a_one_bucket_goes_to_a40 = {
    40,
    100,
    4,
    2,
    {A100, A40},
    1,
    {{BUCKET(4, 2), 5.0}},
    {0, 126},
    0 + 0 * C100(1.0) + 126 * C100(0.3),
    0};

/* 6.5 A': a100 only: {a100: 62, cost 0.62}. */
static const vector_row optimizer_case_a_prime_a100_only = {
    40, 100, 4, 1, {A100}, 1, {{BUCKET(4, 2), 5.0}}, {62}, 0 + 62 * C100(1.0), 0};

/* 6.5 B: centres (3, 7; 60 points) -> bucket (1, 0) at 6 req/s and (7, 10; 40) -> (5, 3) at
 * 4 req/s: {a100: 100, a40: 20, cost 1.06}. a40 cannot serve (5, 3). */
static const vector_row optimizer_case_b_two_buckets_split = {
    40,
    100,
    4,
    2,
    {A100, A40},
    2,
    {{BUCKET(1, 0), 6.0}, {BUCKET(5, 3), 4.0}},
    {100, 20},
    0 + 100 * C100(1.0) + 20 * C100(0.3),
    0};

/* 6.5 C: centre (10, 9) -> bucket (7, 2), which neither serves. AIBrix: {a100: 0, a40:
 * 200000000, cost 600000.0}; fixed here: nothing bought, 2 req/s uncovered. */
static const vector_row optimizer_case_c_uncoverable_buys_nothing = {
    40, 100, 4, 2, {A100, A40}, 1, {{BUCKET(7, 2), 2.0}}, {0, 0}, 0.0, 2.0};

/* 6.5 D: centre (5, 8) -> bucket (3, 1), 0.5 req/s: {a100: 2, a40: 0, cost 0.02}. */
static const vector_row optimizer_case_d_small_rate_goes_to_a100 = {
    40, 100, 4, 2, {A100, A40}, 1, {{BUCKET(3, 1), 0.5}}, {2, 0}, 0 + 2 * C100(1.0) + 0 * C100(0.3),
    0};

static void problem_of(const vector_row *v, double *rates, opt_ilp_problem *p) {
  memset(rates, 0, sizeof(double) * (size_t)v->n_buckets);
  for (int k = 0; k < v->n_loads; k++)
    rates[v->loads[k].bucket] += v->loads[k].rate;
  *p = (opt_ilp_problem){.n_buckets = v->n_buckets,
                         .rates = rates,
                         .n_deployments = v->n_deps,
                         .deployments = v->deps,
                         .options = opt_ilp_options_default()};
  p->options.gpu_fraction = v->gpu_fraction;
  p->options.slice_factor = v->slice_factor;
}

static void solve_ok(const opt_ilp_problem *p, opt_ilp_result *r) {
  opt_err e = {{0}};
  if (!opt_ilp_solve(p, r, &e)) {
    print_error("opt_ilp_solve: %s\n", e.msg);
    fail();
  }
}

static void reproduces_vector(void **state) {
  const vector_row *v = *state;
  double rates[MAX_GRID];
  opt_ilp_problem p;
  opt_ilp_result r;
  problem_of(v, rates, &p);
  solve_ok(&p, &r);
  for (int j = 0; j < v->n_deps; j++)
    assert_int_equal(r.alloc[j].units, v->units[j]);
  assert_double_exact(r.cost, v->cost);
  assert_double_exact(r.uncovered_rate, v->uncovered_rate);
  double total = 0;
  for (int b = 0; b < v->n_buckets; b++)
    total += rates[b];
  assert_double_exact(r.covered_rate + r.uncovered_rate, total);
  for (int j = 0; j < v->n_deps; j++)
    assert_true(r.alloc[j].load <= (double)r.alloc[j].units + 1e-7); /* GLPK's tolerance */
  opt_ilp_result_free(&r);
}

/* The reference's rounded costs, to tie the exact doubles above to the printed vectors. */
static void vector_costs_print_as_the_reference(void **state) {
  (void)state;
  assert_double_exact(melange_config_example_slice_factor_1.cost, 6.7);
  assert_true(fabs(melange_config_example_slice_factor_4.cost - 5.69) < 1e-12);
  assert_double_exact(optimizer_case_a_one_bucket_goes_to_a40.cost, 0.378);
  assert_double_exact(optimizer_case_a_prime_a100_only.cost, 0.62);
  assert_double_exact(optimizer_case_b_two_buckets_split.cost, 1.06);
  assert_double_exact(optimizer_case_d_small_rate_goes_to_a100.cost, 0.02);
}

/* 6.5: "Pod counts at KPA target 100: A -> a40 2 pods; B -> a100 1 pod, a40 1 pod; D -> a100 1". */
static void pods_are_units_over_100_rounded_up(void **state) {
  (void)state;
  const vector_row *rows[] = {&optimizer_case_a_one_bucket_goes_to_a40,
                              &optimizer_case_b_two_buckets_split,
                              &optimizer_case_d_small_rate_goes_to_a100};
  const int64_t pods[][2] = {{0, 2}, {1, 1}, {1, 0}};
  for (int i = 0; i < 3; i++) {
    double rates[MAX_GRID];
    opt_ilp_problem p;
    opt_ilp_result r;
    problem_of(rows[i], rates, &p);
    solve_ok(&p, &r);
    assert_int_equal(r.alloc[0].pods, pods[i][0]);
    assert_int_equal(r.alloc[1].pods, pods[i][1]);
    opt_ilp_result_free(&r);
  }
}

/* --- Faults fixed on purpose --- */

/* a40 is cheaper per unit but has tput 0 for (5, 3): none of that bucket may go there, even
 * when a40 has room (it is bought anyway for the other bucket). */
static void tput_zero_forbids_the_assignment(void **state) {
  (void)state;
  double rates[MAX_GRID] = {0};
  rates[BUCKET(5, 3)] = 0.2;  /* 20 units: a100 only (4.97 units) */
  rates[BUCKET(0, 0)] = 10.0; /* a40: 31.97 units, 32 bought */
  opt_ilp_deployment d[] = {A100, A40};
  opt_ilp_problem p = {.n_buckets = 40,
                       .rates = rates,
                       .n_deployments = 2,
                       .deployments = d,
                       .options = opt_ilp_options_default()};
  opt_ilp_result r;
  solve_ok(&p, &r);
  assert_int_equal(r.alloc[0].units, 5);
  assert_int_equal(r.alloc[1].units, 32);
  assert_double_exact(r.alloc[0].load, 4 * ((1.0 / A100_TPUTS[BUCKET(5, 3)]) * (0.2 * 100 / 4)));
  assert_double_exact(r.uncovered_rate, 0);
  opt_ilp_result_free(&r);
}

static void uncovered_traffic_is_reported_per_bucket(void **state) {
  (void)state;
  double rates[MAX_GRID] = {0};
  rates[BUCKET(4, 2)] = 5.0;
  rates[BUCKET(7, 0)] = 1.5; /* row 512: neither serves it */
  rates[BUCKET(6, 4)] = 0.5; /* (256, 2048): neither */
  opt_ilp_deployment d[] = {A100, A40};
  opt_ilp_problem p = {.n_buckets = 40,
                       .rates = rates,
                       .n_deployments = 2,
                       .deployments = d,
                       .options = opt_ilp_options_default()};
  opt_ilp_result r;
  solve_ok(&p, &r);
  assert_int_equal(r.alloc[0].units, 0);
  assert_int_equal(r.alloc[1].units, 126); /* as case A: the uncoverable part costs nothing */
  assert_double_exact(r.covered_rate, 5.0);
  assert_double_exact(r.uncovered_rate, 2.0);
  assert_int_equal(r.n_uncovered_buckets, 2);
  assert_double_exact(r.uncovered[BUCKET(7, 0)], 1.5);
  assert_double_exact(r.uncovered[BUCKET(6, 4)], 0.5);
  assert_double_exact(r.uncovered[BUCKET(4, 2)], 0);
  opt_ilp_result_free(&r);
}

static void no_deployments_leave_everything_uncovered(void **state) {
  (void)state;
  double rates[2] = {1.0, 2.0};
  opt_ilp_problem p = {.n_buckets = 2, .rates = rates, .options = opt_ilp_options_default()};
  opt_ilp_result r;
  solve_ok(&p, &r);
  assert_int_equal(r.n_deployments, 0);
  assert_double_exact(r.uncovered_rate, 3.0);
  assert_int_equal(r.n_uncovered_buckets, 2);
  assert_int_equal(r.solves, 0);
  opt_ilp_result_free(&r);
}

static void no_traffic_gives_the_minimums_without_solving(void **state) {
  (void)state;
  double rates[MAX_GRID] = {0};
  opt_ilp_deployment d[] = {A100, A40};
  d[0].min_units = 100;
  opt_ilp_problem p = {.n_buckets = 40,
                       .rates = rates,
                       .n_deployments = 2,
                       .deployments = d,
                       .options = opt_ilp_options_default()};
  opt_ilp_result r;
  solve_ok(&p, &r);
  assert_int_equal(r.alloc[0].units, 100);
  assert_int_equal(r.alloc[1].units, 0);
  assert_double_exact(r.cost, 1.0);
  assert_int_equal(r.solves, 0);
  opt_ilp_result_free(&r);
}

/* Case A with min_units 100 on a100: that unit covers the whole bucket (61.85 units). */
static void min_units_are_bought_and_used(void **state) {
  (void)state;
  double rates[MAX_GRID] = {0};
  rates[BUCKET(4, 2)] = 5.0;
  opt_ilp_deployment d[] = {A100, A40};
  d[0].min_units = 100;
  opt_ilp_problem p = {.n_buckets = 40,
                       .rates = rates,
                       .n_deployments = 2,
                       .deployments = d,
                       .options = opt_ilp_options_default()};
  opt_ilp_result r;
  solve_ok(&p, &r);
  assert_int_equal(r.alloc[0].units, 100);
  assert_int_equal(r.alloc[1].units, 0);
  assert_double_exact(r.cost, 0 + 100 * C100(1.0) + 0 * C100(0.3));
  opt_ilp_result_free(&r);
}

/* Case A with a40 capped at 100 units: three slices on a40 (94.18 -> 95), one on a100
 * (15.46 -> 16). */
static void max_units_push_slices_to_the_next_cheapest(void **state) {
  (void)state;
  double rates[MAX_GRID] = {0};
  rates[BUCKET(4, 2)] = 5.0;
  opt_ilp_deployment d[] = {A100, A40};
  d[1].max_units = 100;
  opt_ilp_problem p = {.n_buckets = 40,
                       .rates = rates,
                       .n_deployments = 2,
                       .deployments = d,
                       .options = opt_ilp_options_default()};
  opt_ilp_result r;
  solve_ok(&p, &r);
  assert_int_equal(r.alloc[0].units, 16);
  assert_int_equal(r.alloc[1].units, 95);
  assert_double_exact(r.cost, 0 + 16 * C100(1.0) + 95 * C100(0.3));
  assert_double_exact(r.uncovered_rate, 0);
  opt_ilp_result_free(&r);
}

/* Two deployments share an a40 pool of 2 pods (200 units); P serves bucket 0 only (120 units
 * of load, slices of 30), Q bucket 1 only (60 units), R (a100, 3x the price) both. By units
 * alone P 120 + Q 60 = 180 fit, but that is 2 + 1 = 3 pods: the pool allows P 90 (1 pod) and
 * Q 60 (1 pod), and R takes one slice of bucket 0. */
static void availability_counts_whole_pods_across_deployments(void **state) {
  (void)state;
  static const double tp[] = {1.0, 0.0}, tq[] = {0.0, 1.0}, tr[] = {1.0, 1.0};
  double rates[2] = {1.2, 0.6};
  opt_ilp_deployment d[] = {
      {"P", "a40", 1.0, tp, 0, 0}, {"Q", "a40", 1.0, tq, 0, 0}, {"R", "a100", 3.0, tr, 0, 0}};
  opt_ilp_limit lim[] = {{"a40", 200}, {"h100", 0}};
  opt_ilp_problem p = {.n_buckets = 2,
                       .rates = rates,
                       .n_deployments = 3,
                       .deployments = d,
                       .n_limits = 2,
                       .limits = lim,
                       .options = opt_ilp_options_default()};
  opt_ilp_result r;
  solve_ok(&p, &r);
  assert_int_equal(r.alloc[0].units, 90);
  assert_int_equal(r.alloc[1].units, 60);
  assert_int_equal(r.alloc[2].units, 30);
  assert_int_equal(r.alloc[0].pods + r.alloc[1].pods, 2);
  assert_double_exact(r.cost, 0 + 90 * C100(1.0) + 60 * C100(1.0) + 30 * C100(3.0));
  opt_ilp_result_free(&r);
}

/* One deployment capped at 100 units, 1.6 req/s at tput 1 (slices of 40 units): two slices
 * fit; the rest is uncovered instead of the round failing. */
static void traffic_beyond_the_bounds_is_uncovered(void **state) {
  (void)state;
  static const double t[] = {1.0};
  double rates[1] = {1.6};
  opt_ilp_deployment d[] = {{"only", "a40", 1.0, t, 0, 0}};
  opt_ilp_limit lim[] = {{"a40", 100}};
  opt_ilp_problem p = {.n_buckets = 1,
                       .rates = rates,
                       .n_deployments = 1,
                       .deployments = d,
                       .n_limits = 1,
                       .limits = lim,
                       .options = opt_ilp_options_default()};
  opt_ilp_result r;
  solve_ok(&p, &r);
  assert_int_equal(r.alloc[0].units, 80);
  assert_double_exact(r.covered_rate, 1.6 - 1.6 * 2 / 4);
  assert_double_exact(r.uncovered[0], 1.6 * 2 / 4);
  assert_int_equal(r.n_uncovered_buckets, 1);
  opt_ilp_result_free(&r);
}

/* Four identical GPU types over 24 loaded buckets (GLPK alone: minutes, enumerating the splits)
 * solve as one: the cost of the same problem with one of them, all units on the first. */
static void identical_gpu_types_solve_as_one(void **state) {
  (void)state;
  enum { NB = 24 };
  double t[NB], rates[NB];
  uint64_t x = 12345;
  for (int b = 0; b < NB; b++) { /* a fixed pseudo-random instance */
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    t[b] = 0.5 + (double)(x >> 40) / (double)(1 << 24) * 20;
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    rates[b] = 0.01 + (double)(x >> 40) / (double)(1 << 24) * 50;
  }
  opt_ilp_deployment d[] = {{"a", NULL, 6.03, t, 0, 0},
                            {"b", NULL, 6.03, t, 0, 0},
                            {"c", NULL, 6.03, t, 0, 0},
                            {"e", NULL, 6.03, t, 0, 0}};
  opt_ilp_problem p = {.n_buckets = NB,
                       .rates = rates,
                       .n_deployments = 4,
                       .deployments = d,
                       .options = opt_ilp_options_default()};
  opt_ilp_result all, one;
  solve_ok(&p, &all);
  p.n_deployments = 1;
  solve_ok(&p, &one);
  assert_true(all.optimal && one.optimal);
  assert_double_exact(all.cost, one.cost);
  assert_int_equal(all.alloc[0].units, one.alloc[0].units);
  for (int j = 1; j < 4; j++)
    assert_int_equal(all.alloc[j].units, 0);
  assert_true(all.solve_ms < 1000);
  for (int b = 0; b < NB; b++)
    assert_int_equal(all.slices[b * 4], one.slices[b]);
  opt_ilp_result_free(&all);
  opt_ilp_result_free(&one);
}

static void bad_input_gets_a_message(void **state) {
  (void)state;
  static const double t[] = {1.0, 1.0}, tneg[] = {1.0, -1.0};
  double rates[2] = {1.0, NAN};
  opt_ilp_deployment d[] = {{"a", "g", 1.0, t, 0, 0}, {"b", "g", 1.0, t, 0, 0}};
  opt_ilp_problem p = {.n_buckets = 2,
                       .rates = rates,
                       .n_deployments = 2,
                       .deployments = d,
                       .options = opt_ilp_options_default()};
  opt_ilp_result r;
  opt_err e = {{0}};
  assert_false(opt_ilp_solve(&p, &r, &e));
  assert_non_null(strstr(e.msg, "rates[1]"));
  rates[1] = 1.0;
  d[1].tputs = tneg;
  assert_false(opt_ilp_solve(&p, &r, &e));
  assert_non_null(strstr(e.msg, "deployment b: tputs[1]"));
  d[1].tputs = t;
  d[1].name = "a";
  assert_false(opt_ilp_solve(&p, &r, &e));
  assert_non_null(strstr(e.msg, "\"a\""));
  d[1].name = "b";
  d[0].min_units = 300;
  d[0].max_units = 200;
  assert_false(opt_ilp_solve(&p, &r, &e));
  assert_non_null(strstr(e.msg, "deployment a: min_units 300 is above max_units 200"));
  d[0].max_units = 0;
  d[1].min_units = 1; /* 3 + 1 pods wanted, 3 available */
  opt_ilp_limit lim[] = {{"g", 399}};
  p.n_limits = 1;
  p.limits = lim;
  assert_false(opt_ilp_solve(&p, &r, &e));
  assert_non_null(strstr(e.msg, "GPU type g: the deployments' min_units need 4 pods"));
  p.n_limits = 0;
  p.options.gpu_fraction = 2.5;
  assert_false(opt_ilp_solve(&p, &r, &e));
  assert_non_null(strstr(e.msg, "gpu_fraction"));
  p.options.gpu_fraction = 100;
  p.options.slice_factor = 0;
  assert_false(opt_ilp_solve(&p, &r, &e));
  assert_non_null(strstr(e.msg, "slice_factor"));
}

/* --- Ties --- */

static void same_result(const opt_ilp_result *a, const opt_ilp_result *b) {
  assert_int_equal(a->n_deployments, b->n_deployments);
  for (int j = 0; j < a->n_deployments; j++) {
    assert_int_equal(a->alloc[j].units, b->alloc[j].units);
    assert_double_exact(a->alloc[j].load, b->alloc[j].load);
  }
  assert_double_exact(a->cost, b->cost);
}

/* Three buckets; X and Y are the same profile under two names (cost 1, tputs 1, 2, 3), Z
 * costs twice as much per request. Every split of the 274 units between X and Y costs the
 * same (GLPK 5.0 alone, OPT_ILP_TIE_SOLVER, returned 59 + 215). Whatever the order, the first
 * of X and Y listed gets all of them, and solving again gives the same bits. */
static void ties_go_to_the_earliest_deployment_in_every_order(void **state) {
  (void)state;
  static const double t[] = {1, 2, 3}, tz[] = {1.5, 3, 4.5};
  double rates[3] = {1.7, 1.8, 0.4};
  const opt_ilp_deployment x = {"X", NULL, 1, t, 0, 0}, y = {"Y", NULL, 1, t, 0, 0},
                           z = {"Z", NULL, 3, tz, 0, 0};
  static const int perms[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
  for (int k = 0; k < 6; k++) {
    opt_ilp_deployment d[3];
    const opt_ilp_deployment *all[3] = {&x, &y, &z};
    for (int i = 0; i < 3; i++)
      d[i] = *all[perms[k][i]];
    opt_ilp_problem p = {.n_buckets = 3,
                         .rates = rates,
                         .n_deployments = 3,
                         .deployments = d,
                         .options = opt_ilp_options_default()};
    opt_ilp_result r1, r2;
    solve_ok(&p, &r1);
    solve_ok(&p, &r2);
    same_result(&r1, &r2);
    int first = perms[k][0] != 2 ? 0 : 1;
    for (int i = 0; i < 3; i++)
      assert_int_equal(r1.alloc[i].units, i == first ? 274 : 0);
    assert_double_exact(r1.cost, 274 * C100(1.0));
    assert_true(r1.optimal);
    opt_ilp_result_free(&r1);
    opt_ilp_result_free(&r2);
  }
}

/* B has twice the tput of A and C at twice the price: the cheapest allocations all cost 2.45
 * per hour. The fewest units (B takes what it can, 120, and 5 go elsewhere) win over the
 * order, which then puts the 5 on A rather than C. GLPK 5.0 alone (OPT_ILP_TIE_SOLVER)
 * returned B 60 and C 125: 185 units. */
static void equal_cost_prefers_fewer_units_then_order(void **state) {
  (void)state;
  static const double t1[] = {1, 2, 3}, t2[] = {2, 4, 6};
  double rates[3] = {1.5, 1.7, 0.3};
  opt_ilp_deployment d[] = {
      {"A", NULL, 1, t1, 0, 0}, {"B", NULL, 2, t2, 0, 0}, {"C", NULL, 1, t1, 0, 0}};
  opt_ilp_problem p = {.n_buckets = 3,
                       .rates = rates,
                       .n_deployments = 3,
                       .deployments = d,
                       .options = opt_ilp_options_default()};
  opt_ilp_result r;
  solve_ok(&p, &r);
  assert_int_equal(r.alloc[0].units, 5);
  assert_int_equal(r.alloc[1].units, 120);
  assert_int_equal(r.alloc[2].units, 0);
  assert_double_exact(r.cost, 0 + 5 * C100(1.0) + 120 * C100(2.0) + 0 * C100(1.0));
  opt_ilp_result_free(&r);
}

/* OPT_ILP_TIE_SOLVER stops at the least cost, as AIBrix: the same cost (to the last bit of
 * the summation), one solve. */
static void solver_ties_keep_the_least_cost_in_one_solve(void **state) {
  (void)state;
  static const double t1[] = {1, 2, 3}, t2[] = {2, 4, 6};
  double rates[3] = {1.5, 1.7, 0.3};
  opt_ilp_deployment d[] = {
      {"A", NULL, 1, t1, 0, 0}, {"B", NULL, 2, t2, 0, 0}, {"C", NULL, 1, t1, 0, 0}};
  opt_ilp_problem p = {.n_buckets = 3,
                       .rates = rates,
                       .n_deployments = 3,
                       .deployments = d,
                       .options = opt_ilp_options_default()};
  p.options.tie = OPT_ILP_TIE_SOLVER;
  opt_ilp_result r;
  solve_ok(&p, &r);
  assert_true(fabs(r.cost - 2.45) < 1e-12);
  assert_int_equal(r.solves, 0); /* the exact search, no GLPK */
  opt_ilp_result_free(&r);
  d[0].max_units = 1000000; /* a bound, never reached: GLPK, one solve */
  solve_ok(&p, &r);
  assert_true(fabs(r.cost - 2.45) < 1e-12);
  assert_int_equal(r.solves, 1);
  opt_ilp_result_free(&r);
}

/* --- Search limits and threads --- */

/* Four GPU types whose costs per request cross over the grid (tests/bench/bench_solve.c's
 * "crossovers"), 6 loaded buckets of an 11 x 11 grid: branch-and-bound needs more than a few
 * nodes here. */
typedef struct crossover {
  double tputs[4][121], rates[121];
  opt_ilp_deployment deps[4];
} crossover;

static void crossover_init(crossover *x) {
  static const char *names[4] = {"l4", "a10g", "a100", "h100"};
  static const double cost[4] = {0.8, 1.01, 3.67, 6.5}, speed[4] = {0.3, 0.4, 1.0, 1.9},
                      kv[4] = {1500, 2000, 12000, 24000}, cap[4] = {6000, 10000, 40000, 80000};
  for (int g = 0; g < 4; g++) {
    for (int b = 0; b < 121; b++) {
      double out = 4 * pow(2, b / 11), in = 16 * pow(2, b % 11), s = in / 8000 + out / 25;
      x->tputs[g][b] = in + out > cap[g] ? 0 : speed[g] * 64 / s / (1 + (in + out) / kv[g]);
    }
    x->deps[g] = (opt_ilp_deployment){names[g], NULL, cost[g], x->tputs[g], 0, 0};
  }
  for (int b = 0; b < 121; b++)
    x->rates[b] = b % 17 == 11 && b / 17 < 6 ? 4.0 : 0;
}

/* Stopped at the node limit, the decision is still a full, valid allocation, marked not
 * optimal, and the same every time. (A bound that is never reached sends the problem to GLPK:
 * the exact search takes no bounds.) */
static void node_limit_keeps_the_best_allocation_found(void **state) {
  (void)state;
  crossover x;
  crossover_init(&x);
  x.deps[0].max_units = 1000000;
  opt_ilp_problem p = {.n_buckets = 121,
                       .rates = x.rates,
                       .n_deployments = 4,
                       .deployments = x.deps,
                       .options = opt_ilp_options_default()};
  p.options.node_limit = 3;
  opt_ilp_result r1, r2, exact;
  solve_ok(&p, &r1);
  solve_ok(&p, &r2);
  same_result(&r1, &r2);
  assert_false(r1.optimal);
  assert_double_exact(r1.uncovered_rate, 0);
  for (int j = 0; j < 4; j++)
    assert_true(r1.alloc[j].load <= (double)r1.alloc[j].units + 1e-7);
  p.options.node_limit = 0;
  solve_ok(&p, &exact);
  assert_true(exact.optimal);
  assert_true(exact.cost <= r1.cost);
  opt_ilp_result_free(&r1);
  opt_ilp_result_free(&r2);
  opt_ilp_result_free(&exact);
}

static void *solve_in_thread(void *arg) {
  opt_ilp_result *r = arg;
  double rates[MAX_GRID];
  opt_ilp_problem p;
  problem_of(&optimizer_case_b_two_buckets_split, rates, &p);
  for (int k = 0; k < 20; k++) {
    opt_ilp_result_free(r);
    if (!opt_ilp_solve(&p, r, NULL)) break;
  }
  return NULL;
}

/* No shared state: four threads solving at once get the single-threaded answer. */
static void solves_concurrently_in_threads(void **state) {
  (void)state;
  pthread_t t[4];
  opt_ilp_result r[4] = {{0}};
  for (int i = 0; i < 4; i++)
    assert_int_equal(pthread_create(&t[i], NULL, solve_in_thread, &r[i]), 0);
  for (int i = 0; i < 4; i++) {
    assert_int_equal(pthread_join(t[i], NULL), 0);
    assert_int_equal(r[i].n_deployments, 2);
    assert_int_equal(r[i].alloc[0].units, 100);
    assert_int_equal(r[i].alloc[1].units, 20);
    opt_ilp_result_free(&r[i]);
  }
}

/* --- The log line --- */

/* The docs' example line (reference 3.4), made before the x100 change (gpu_fraction 1): a
 * V100 deployment at $25.6662 per GPU-hour, 2 GPUs. */
static void log_line_matches_the_aibrix_docs_example(void **state) {
  (void)state;
  static const double t[] = {1.0};
  double rates[1] = {1.5};
  opt_ilp_deployment d[] = {{"deepseek-llm-7b-chat-v100", NULL, 25.6662, t, 0, 0}};
  opt_ilp_problem p = {.n_buckets = 1,
                       .rates = rates,
                       .n_deployments = 1,
                       .deployments = d,
                       .options = opt_ilp_options_default()};
  p.options.gpu_fraction = 1;
  opt_ilp_result r;
  solve_ok(&p, &r);
  r.solve_ms = 6.66;
  char line[256];
  size_t n = opt_ilp_log_line(&p, &r, "deepseek-llm-7b-chat", 72.6218, line, sizeof line);
  assert_string_equal(line, "deepseek-llm-7b-chat optimization took 6.66 ms, cost $51.3324, "
                            "coverage: 72.6218%: [deepseek-llm-7b-chat-v100: 2($51.3324)]");
  assert_int_equal(n, strlen(line));
  opt_ilp_result_free(&r);
}

/* Case B in 1/100 GPU, floats as Python prints them (1.0, 0.06, 1e-05, 1e+16), and a line
 * cut to the buffer still reports the length it needed. */
static void log_line_prints_units_and_python_floats(void **state) {
  (void)state;
  double rates[MAX_GRID];
  opt_ilp_problem p;
  opt_ilp_result r;
  problem_of(&optimizer_case_b_two_buckets_split, rates, &p);
  solve_ok(&p, &r);
  r.solve_ms = 1e-05;
  char line[256];
  opt_ilp_log_line(&p, &r, "llama2-7b", 100.0, line, sizeof line);
  assert_string_equal(line, "llama2-7b optimization took 1e-05 ms, cost $1.06, coverage: 100.0%: "
                            "[default/a100: 100($1.0), default/a40: 20($0.06)]");
  r.solve_ms = 0.0001;
  opt_ilp_log_line(&p, &r, "m", 1e16, line, sizeof line);
  assert_non_null(strstr(line, "took 0.0001 ms"));
  assert_non_null(strstr(line, "coverage: 1e+16%"));
  opt_ilp_log_line(&p, &r, "m", 123456789012345.6, line, sizeof line);
  assert_non_null(strstr(line, "coverage: 123456789012345.6%"));
  char small[8];
  size_t need = opt_ilp_log_line(&p, &r, "m", 50.0, small, sizeof small);
  assert_string_equal(small, "m optim");
  opt_ilp_log_line(&p, &r, "m", 50.0, line, sizeof line);
  assert_int_equal(need, strlen(line));
  opt_ilp_result_free(&r);
}

#define VECTOR(row)                                                                                \
  { #row, reproduces_vector, NULL, NULL, (void *)&row }

int main(void) {
  const struct CMUnitTest tests[] = {
      VECTOR(melange_config_example_slice_factor_1),
      VECTOR(melange_config_example_slice_factor_4),
      VECTOR(optimizer_case_a_one_bucket_goes_to_a40),
      VECTOR(optimizer_case_a_prime_a100_only),
      VECTOR(optimizer_case_b_two_buckets_split),
      VECTOR(optimizer_case_c_uncoverable_buys_nothing),
      VECTOR(optimizer_case_d_small_rate_goes_to_a100),
      cmocka_unit_test(vector_costs_print_as_the_reference),
      cmocka_unit_test(pods_are_units_over_100_rounded_up),
      cmocka_unit_test(tput_zero_forbids_the_assignment),
      cmocka_unit_test(uncovered_traffic_is_reported_per_bucket),
      cmocka_unit_test(no_deployments_leave_everything_uncovered),
      cmocka_unit_test(no_traffic_gives_the_minimums_without_solving),
      cmocka_unit_test(min_units_are_bought_and_used),
      cmocka_unit_test(max_units_push_slices_to_the_next_cheapest),
      cmocka_unit_test(availability_counts_whole_pods_across_deployments),
      cmocka_unit_test(traffic_beyond_the_bounds_is_uncovered),
      cmocka_unit_test(bad_input_gets_a_message),
      cmocka_unit_test(ties_go_to_the_earliest_deployment_in_every_order),
      cmocka_unit_test(equal_cost_prefers_fewer_units_then_order),
      cmocka_unit_test(solver_ties_keep_the_least_cost_in_one_solve),
      cmocka_unit_test(node_limit_keeps_the_best_allocation_found),
      cmocka_unit_test(identical_gpu_types_solve_as_one),
      cmocka_unit_test(solves_concurrently_in_threads),
      cmocka_unit_test(log_line_matches_the_aibrix_docs_example),
      cmocka_unit_test(log_line_prints_units_and_python_floats),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
