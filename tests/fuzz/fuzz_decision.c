/*
 * libFuzzer target: a line of a decision log (optimizer/decision.h opt_decision_parse), as
 * `podscale regress` reads the optimizer.jsonl of a run or the --decision-log of serve, must
 * never crash the parser. A decision that parses is written back (opt_decision_to_json), and
 * what is written must parse again and be written the same, so that a log replays as it was.
 */
#include "fuzz_util.h"
#include "optimizer/decision.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = fz_text(data, size);
  opt_decision d;
  opt_err e;
  if (opt_decision_parse(text, "fuzz:1", &d, &e)) {
    char *json = opt_decision_to_json(&d);
    opt_decision d2;
    if (!opt_decision_parse(json, "written", &d2, &e)) {
      fprintf(stderr, "a written decision does not parse: %s\n%s\n", e.msg, json);
      abort();
    }
    char *again = opt_decision_to_json(&d2);
    if (strcmp(json, again) != 0) {
      fprintf(stderr, "a decision is written differently once read back:\n%s\n%s\n", json, again);
      abort();
    }
    free(again);
    free(json);
    opt_decision_free(&d2);
    opt_decision_free(&d);
  }
  free(text);
  return 0;
}
