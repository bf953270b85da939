/*
 * libFuzzer target: a GPU profile (optimizer/profile.h opt_profile_parse), as `podscale serve`
 * reads it from Redis or a file and the simulator from a scenario's folder, must never crash
 * the parser. A profile that parses is written back (opt_profile_to_json), and what is written
 * must parse again and be written the same: the digests of decision logs rest on that.
 */
#include "fuzz_util.h"
#include "optimizer/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = fz_text(data, size);
  opt_profile p;
  opt_err e;
  if (opt_profile_parse(text, "fuzz", &p, &e)) {
    char *json = opt_profile_to_json(&p);
    opt_profile q;
    if (!opt_profile_parse(json, "written", &q, &e)) {
      fprintf(stderr, "a written profile does not parse: %s\n%s\n", e.msg, json);
      abort();
    }
    char *again = opt_profile_to_json(&q);
    if (strcmp(json, again) != 0) {
      fprintf(stderr, "a profile is written differently once read back:\n%s\n%s\n", json, again);
      abort();
    }
    free(again);
    free(json);
    opt_profile_free(&q);
    opt_profile_free(&p);
  }
  free(text);
  return 0;
}
