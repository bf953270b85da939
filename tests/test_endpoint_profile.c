/*
 * The AIBrix workflow on one machine, end to end: `podscale mock-vllm` stands in for a vLLM pod,
 * `podscale benchmark --endpoint` benchmarks it over HTTP, `podscale profile gen` makes a GPU
 * profile of that; the profile must match, within 10%, the one made from `podscale benchmark
 * --simulated` of the same GPU and model. The mock runs SPEEDUP times faster than the wall
 * clock, so the endpoint grid's rates are SPEEDUP times the simulated grid's, its latency SLO
 * SPEEDUP times shorter, and its throughputs come out SPEEDUP times higher.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixtures.h"
#include "optimizer/profile.h"
#include "testutil.h"

/* Low enough that the wall-clock overheads (HTTP, a sanitized build, a slow phase of a shared
 * machine) stay small against the SLO: at 10, one slow CI run halved a bucket's rate. */
#define SPEEDUP 4
#define GPU "A100-80GB"
#define LLM "llama-2-7b"

static char dir[64];

/* Start the mock on a free port; its pid, the port in *port. */
static pid_t start_mock(int *port) {
  char log[128];
  snprintf(log, sizeof log, "%s/mock.log", dir);
  pid_t pid = fork();
  if (pid == 0) {
    char speed[16];
    snprintf(speed, sizeof speed, "%d", SPEEDUP);
    if (!freopen(log, "w", stderr)) _exit(127);
    execl(fx_podscale(), "podscale", "mock-vllm", "--gpu", GPU, "--model", LLM, "--port", "0",
          "--bind", "127.0.0.1", "--speedup", speed, (char *)NULL);
    _exit(127);
  }
  for (int i = 0; i < 400; i++) { /* "listening on 127.0.0.1:PORT" */
    fx_sleep_ms(25);
    char *text = tu_slurp(log, NULL);
    const char *at = text ? strstr(text, "listening on 127.0.0.1:") : NULL;
    if (at) *port = atoi(at + strlen("listening on 127.0.0.1:"));
    free(text);
    if (at) return pid;
  }
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  fail_msg("podscale mock-vllm did not say where it listens (%s)", log);
  return -1;
}

static void run_ok(const char *const *args) {
  char *out = NULL, *err = NULL;
  int rc = fx_run_podscale(dir, args, &out, &err);
  if (rc != 0) fail_msg("podscale %s %s: exit %d\n%s", args[0], args[1], rc, err);
  free(out);
  free(err);
}

static void path(char *buf, size_t n, const char *name) { snprintf(buf, n, "%s/%s", dir, name); }

static void mock_endpoint_profiles_like_the_simulated_pod(void **state) {
  (void)state;
  tu_tmpdir(dir);
  int port = 0;
  pid_t mock = start_mock(&port);
  char url[64], sim_jsonl[128], ep_jsonl[128], sim_json[128], ep_json[128];
  snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
  path(sim_jsonl, sizeof sim_jsonl, "sim.jsonl");
  path(ep_jsonl, sizeof ep_jsonl, "ep.jsonl");
  path(sim_json, sizeof sim_json, "sim.json");
  path(ep_json, sizeof ep_json, "ep.json");
  char rate_lo[16], rate_hi[16], slo_ep[16];
  snprintf(rate_lo, sizeof rate_lo, "%d", 2 * SPEEDUP);
  snprintf(rate_hi, sizeof rate_hi, "%d", 4 * SPEEDUP);
  snprintf(slo_ep, sizeof slo_ep, "%g", 2.0 / SPEEDUP);
  /* The grid: prompts 128 and 256 tokens, outputs 16 and 32, 2 and 4 req/s, 20 requests. */
  const char *const sim_args[] = {"benchmark",
                                  "--simulated",
                                  "--gpu",
                                  GPU,
                                  "--model",
                                  LLM,
                                  "--input-start",
                                  "128",
                                  "--input-limit",
                                  "256",
                                  "--output-start",
                                  "16",
                                  "--output-limit",
                                  "32",
                                  "--rate-start",
                                  "2",
                                  "--rate-limit",
                                  "4",
                                  "--total",
                                  "20",
                                  "-q",
                                  "-o",
                                  sim_jsonl,
                                  NULL};
  const char *const ep_args[] = {"benchmark", "--endpoint",     url,     "--model",
                                 LLM,         "--input-start",  "128",   "--input-limit",
                                 "256",       "--output-start", "16",    "--output-limit",
                                 "32",        "--rate-start",   rate_lo, "--rate-limit",
                                 rate_hi,     "--total",        "20",    "-q",
                                 "-o",        ep_jsonl,         NULL};
  run_ok(sim_args);
  run_ok(ep_args);
  kill(mock, SIGTERM);
  int status;
  waitpid(mock, &status, 0);
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  /* SLO: E2E P99 under 2 s of simulated time (0.5 s of the mock's wall time). */
  const char *const sim_gen[] = {"profile", "gen",          "d",  "--benchmark", sim_jsonl, "--e2e",
                                 "2",       "--percentile", "99", "-o",          sim_json,  NULL};
  const char *const ep_gen[] = {"profile", "gen",          "d",  "--benchmark", ep_jsonl, "--e2e",
                                slo_ep,    "--percentile", "99", "-o",          ep_json,  NULL};
  run_ok(sim_gen);
  run_ok(ep_gen);
  opt_profile ps, pe;
  opt_err e;
  if (!opt_profile_read(sim_json, &ps, &e) || !opt_profile_read(ep_json, &pe, &e))
    fail_msg("%s", e.msg);
  assert_true(opt_profile_same_grid(&ps, &pe, &e));
  int compared = 0;
  for (int32_t i = 0; i < ps.n_out * ps.n_in; i++) {
    double sim = ps.tputs[i], ep = pe.tputs[i] / SPEEDUP;
    print_message("bucket %d: simulated %.3f req/s, endpoint %.3f req/s (x1/%d)\n", i, sim, ep,
                  SPEEDUP);
    if (sim == 0 && ep == 0) continue;
    compared++;
    if (fabs(ep - sim) > 0.10 * sim)
      fail_msg("bucket %d: the endpoint's profile says %.3f req/s, the simulation's %.3f", i, ep,
               sim);
  }
  assert_true(compared > 0); /* the SLO lets some runs through */
  opt_profile_free(&ps);
  opt_profile_free(&pe);
  tu_rmrf(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(mock_endpoint_profiles_like_the_simulated_pod),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
