#include "models/pods/lifecycle.h"

#include <math.h>

/* init: lognormal mean 20 s, p99 60 s (a cached image to a fresh pull); load: lognormal mean
 * 60 s, p99 150 s (a 7-8B model's download and load); the probe of AIBrix's sample. */
lifecycle_config lifecycle_default(void) {
  lifecycle_config c = {.probe_delay_us = 120 * INT64_C(1000000),
                        .probe_period_us = 5 * INT64_C(1000000)};
  dist_lognormal_mean_p99(20, 60, &c.init_s);
  dist_lognormal_mean_p99(60, 150, &c.load_s);
  return c;
}

static int64_t us_of(const dist *d, double u) {
  double s = dist_quantile(d, u);
  return s > 0 ? (int64_t)llround(s * 1e6) : 0;
}

lifecycle_times lifecycle_phases(const lifecycle_config *c, double u_init, double u_load) {
  lifecycle_times t;
  t.running_us = us_of(&c->init_s, u_init);
  t.serving_us = t.running_us + us_of(&c->load_s, u_load);
  t.ready_us = t.running_us + c->probe_delay_us;
  if (t.ready_us < t.serving_us) /* the first probe at or after the server is up */
    t.ready_us += (t.serving_us - t.ready_us + c->probe_period_us - 1) / c->probe_period_us *
                  c->probe_period_us;
  return t;
}

int64_t lifecycle_ready_after_us(const lifecycle_config *c, double u_init, double u_load) {
  return lifecycle_phases(c, u_init, u_load).ready_us;
}

lifecycle_config lifecycle_constant(int64_t us) {
  return (lifecycle_config){.init_s = {.kind = DIST_CONSTANT, .a = (double)us * 1e-6},
                            .load_s = {.kind = DIST_CONSTANT},
                            .probe_delay_us = 0,
                            .probe_period_us = 1};
}
