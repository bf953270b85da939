#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <gsl/gsl_rng.h>

#include "sim/engine/evq.h"
#include "sim/engine/rng.h"

static void events_pop_in_time_order(void **state) {
  (void)state;
  evq q;
  evq_init(&q);
  int64_t times[] = {50, 10, 40, 20, 30, 0, 60};
  for (uint32_t i = 0; i < 7; i++)
    evq_push(&q, times[i], 0, i, 0);
  int64_t last = -1;
  evq_event ev;
  int n = 0;
  while (evq_pop(&q, &ev)) {
    assert_true(ev.time_us >= last);
    assert_int_equal(evq_now(&q), ev.time_us);
    last = ev.time_us;
    n++;
  }
  assert_int_equal(n, 7);
  assert_int_equal(evq_peek_time(&q), INT64_MAX);
  evq_free(&q);
}

static void equal_times_run_first_in_first_out(void **state) {
  (void)state;
  evq q;
  evq_init(&q);
  for (uint32_t i = 0; i < 1000; i++)
    evq_push(&q, (i % 3) * 100, 0, i, 0);
  evq_event ev;
  uint32_t last_target[3] = {0, 0, 0};
  int64_t last_time = 0;
  int seen[3] = {0, 0, 0};
  while (evq_pop(&q, &ev)) {
    int k = (int)(ev.time_us / 100);
    assert_true(ev.time_us >= last_time);
    if (seen[k]) assert_true(ev.target > last_target[k]); /* insertion order within a time */
    seen[k] = 1;
    last_target[k] = ev.target;
    last_time = ev.time_us;
  }
  evq_free(&q);
}

static void events_pushed_while_running_keep_fifo_ties(void **state) {
  (void)state;
  evq q;
  evq_init(&q);
  evq_push(&q, 5, 0, 1, 0);
  evq_push(&q, 5, 0, 2, 0);
  evq_event ev;
  assert_true(evq_pop(&q, &ev));
  assert_int_equal(ev.target, 1);
  evq_push(&q, 5, 0, 3, 0); /* same time, pushed later: after target 2 */
  assert_true(evq_pop(&q, &ev));
  assert_int_equal(ev.target, 2);
  assert_true(evq_pop(&q, &ev));
  assert_int_equal(ev.target, 3);
  assert_false(evq_pop(&q, &ev));
  evq_free(&q);
}

static void heap_matches_sorted_order_on_random_input(void **state) {
  (void)state;
  gsl_rng *r = rng_stream(7, "evq-test");
  evq q;
  evq_init(&q);
  enum { N = 20000 };
  for (uint32_t i = 0; i < N; i++)
    evq_push(&q, (int64_t)gsl_rng_uniform_int(r, 500), 0, i, 0);
  evq_event prev = {0}, ev;
  for (int i = 0; i < N; i++) {
    assert_true(evq_pop(&q, &ev));
    if (i)
      assert_true(prev.time_us < ev.time_us || (prev.time_us == ev.time_us && prev.seq < ev.seq));
    prev = ev;
  }
  assert_int_equal(q.popped, N);
  gsl_rng_free(r);
  evq_free(&q);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(events_pop_in_time_order),
      cmocka_unit_test(equal_times_run_first_in_first_out),
      cmocka_unit_test(events_pushed_while_running_keep_fifo_ties),
      cmocka_unit_test(heap_matches_sorted_order_on_random_input),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
