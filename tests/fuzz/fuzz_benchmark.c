/*
 * libFuzzer target: a benchmark file in aibrix_benchmark's JSON lines must never crash either
 * reader of it: the profile generator's (optimizer/profile.h opt_bench_parse, `podscale
 * profile`) and the calibrator's (sim/bench/calibrate.h bench_file_read, `podscale calibrate`).
 * Records that parse are made into a profile under an E2E SLO at P99, as `podscale profile --e2e 1
 * --percentile 99` does, and the profile is written out.
 */
#include "fuzz_util.h"
#include "optimizer/profile.h"
#include "sim/bench/calibrate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = fz_text(data, size);
  opt_bench b;
  opt_err e;
  if (opt_bench_parse(text, "fuzz.jsonl", &b, &e)) {
    opt_gen_options o = opt_gen_options_default("fuzz", 0);
    o.slos.percentile = 99;
    o.slos.limit[OPT_METRIC_E2E] = 1.0;
    opt_profile p;
    if (opt_profile_generate(&b, &o, &p, &e)) {
      free(opt_profile_to_json(&p));
      opt_profile_free(&p);
    }
    opt_bench_free(&b);
  }
  free(text);
  bench_file f;
  ps_err err;
  if (bench_file_read(fz_put("b.jsonl", data, size), &f, &err)) bench_file_free(&f);
  return 0;
}
