/*
 * profile: GPU profiles in AIBrix's format, the benchmark files they are made from, and
 * profile generation with the exact semantics of `aibrix_gen_profile`.
 *
 * A profile says, for one deployment (one GPU type serving one model), how many requests per
 * second it sustains within an SLO for each (output length, input length) bucket. The grid is
 * two lists of ticks in tokens, strictly increasing; matrices have one row per output tick and
 * one column per input tick (`indexes` is `[[output ticks], [input ticks]]`) and are stored
 * row-major here. A throughput of 0 means the bucket cannot meet the SLO at any benchmarked rate.
 * All profiles of one model must share one grid (opt_profile_same_grid) for the solver to
 * compare them bucket by bucket.
 *
 * Upstream: vllm-project/aibrix, python/aibrix/aibrix/gpu_optimizer/optimizer/profiling/
 * gen_profile.py (generation and the JSON written), gpu_benchmark.py (the benchmark lines), and
 * the readers GO/optimizer/types.py (GPUProfile) and pkg/cache/model_gpu_profile.go; what
 * podscale takes from them: docs/optimizer.md.
 *
 * Generation (opt_profile_generate), per bucket. TPAT, E2E per token, is derived from every E2E
 * line (each value divided by input + output tokens). A rate qualifies when, for each of TPUT,
 * TT, E2E, TTFT, TPAT and TPOT, a line of that metric at that rate passes its SLO: a time SLO
 * when the value at the chosen percentile (0 = mean) is strictly below the limit, a throughput
 * SLO when the mean is at least the limit. Unset SLOs are checked too, at their defaults (+inf,
 * 0), so a rate missing any metric line never qualifies. Of the qualifying rates, the highest
 * at which the server kept up (TPUT mean >= rate * 0.9) is chosen, else the lowest qualifying
 * rate; the bucket gets that rate's TPUT mean and E2E mean (always the mean), and its TTFT mean
 * when a TTFT SLO is set. With no qualifying rate the throughput is 0 and E2E (and TTFT) are
 * the means of the bucket's first such line in file order. "First line" also decides between
 * duplicate lines of one rate.
 *
 * Writing (opt_profile_to_json) gives gen_profile's bytes: its key order (gpu, cost, tputs,
 * indexes, created, e2e, ttft, slos), Python's json.dumps separators and escapes (ensure_ascii)
 * and Python's repr of floats (shortest round-trip digits, 1.0 not 1, 1e-05, 1e+16). Absent
 * optional keys stay absent, so an older generator's profile (no e2e, slos, maybe no created)
 * is written back as it was read. Keys that neither gen_profile writes nor this module knows
 * (the Go reader's optional "tpot" matrix, for one) are dropped on reading.
 *
 * Errors: bad input (a profile, a benchmark line, generation options) gets an opt_err naming
 * the source, the place (JSON path or line number), what was expected and what was found.
 * Internal invariants are assertions. Profiles and benchmarks own their memory and are freed
 * by their _free; there is no global state.
 */
#ifndef PODSCALE_OPT_PROFILE_H
#define PODSCALE_OPT_PROFILE_H

#include <stdbool.h>
#include <stdint.h>

#include "optimizer/opt_err.h"

/* gen_profile TPUT_TOLERANCE: the server kept up at rate r when TPUT >= r * 0.9. */
#define OPT_PROFILE_TPUT_TOLERANCE 0.9

/* Metrics in gen_profile's SLO order (also the order of the keys in "slos"). */
typedef enum opt_metric {
  OPT_METRIC_TPUT, /* completed requests / wall time, req/s (throughput SLO) */
  OPT_METRIC_TT,   /* configured output tokens / wall time, tokens/s (throughput SLO) */
  OPT_METRIC_E2E,  /* request latency, s */
  OPT_METRIC_TTFT, /* time to first token, s */
  OPT_METRIC_TPAT, /* E2E / (input + output tokens), s; derived, never in a benchmark file */
  OPT_METRIC_TPOT, /* time per output token, s */
  OPT_METRIC_COUNT
} opt_metric;

typedef struct opt_slos {
  int32_t percentile;             /* 0 (the mean), 50, 90 or 99; for the time SLOs only */
  double limit[OPT_METRIC_COUNT]; /* per metric; an SLO is set when it differs from its
                                     default (opt_slos_default: 0 for TPUT, TT, +inf others) */
} opt_slos;

typedef struct opt_profile {
  char *gpu;           /* "gpu": the deployment name */
  double cost;         /* "cost": cost of one GPU, user unit (e.g. $ per hour) */
  int32_t n_out, n_in; /* grid: rows (output ticks) x columns (input ticks) */
  int32_t *out_tokens; /* row ticks, tokens, strictly increasing */
  int32_t *in_tokens;  /* column ticks, tokens, strictly increasing */
  double *tputs;       /* [n_out * n_in]: max req/s meeting the SLOs, 0 = cannot */
  double *e2e;         /* [n_out * n_in]: mean E2E at the chosen rate, s; NULL if absent */
  double *ttft;        /* [n_out * n_in]: mean TTFT at the chosen rate, s; NULL if absent */
  double created;      /* "created": Unix seconds (float), 0 when absent */
  bool has_created;    /* false for the oldest profiles, which have no "created" */
  bool has_slos;       /* false for profiles of the older generator */
  opt_slos slos;       /* "slos", when has_slos */
} opt_profile;

/* Index of bucket (output tick i, input tick j) in the matrices. */
static inline int32_t opt_profile_at(const opt_profile *p, int32_t i, int32_t j) {
  return i * p->n_in + j;
}

/* Percentile 0 and every SLO unset. */
opt_slos opt_slos_default(void);

/* Largest text file opt_read_text reads (base/readfile.h's PS_TEXT_MAX). */
#define OPT_TEXT_MAX (64 * 1024 * 1024)
/* A whole text file, NUL-terminated and malloc'd; NULL with a message naming the file when it
 * cannot be read, is a directory, is larger than 64 MiB or holds a NUL byte (base/readfile.h's
 * ps_read_text, under the library's name). */
char *opt_read_text(const char *path, opt_err *err);

/* Parse a profile from JSON text; `source` (a file name, a Redis key) prefixes messages. */
bool opt_profile_parse(const char *json, const char *source, opt_profile *out, opt_err *err);
bool opt_profile_read(const char *path, opt_profile *out, opt_err *err);
/* gen_profile's JSON, compact, without a trailing newline; malloc'd, the caller frees it. */
char *opt_profile_to_json(const opt_profile *p);
/* Write to_json's text to a temporary file beside `path` and rename it into place. */
bool opt_profile_write(const char *path, const opt_profile *p, opt_err *err);
void opt_profile_free(opt_profile *p);
/* Python's repr of a finite float (what json.dumps writes): "20.0", "0.1", "1e-05"; cut to
 * fit n bytes; returns the length it needed. */
size_t opt_float_repr(double x, char *buf, size_t n);
/* A deep copy of src into dst (free it with opt_profile_free). */
void opt_profile_copy(opt_profile *dst, const opt_profile *src);

/* Whether the profile's output and input ticks each double from the first to the last, as the
 * grids of aibrix_benchmark's benchmark.sh do (its --*-start and --*-limit then give the grid). */
bool opt_profile_doubling_grid(const opt_profile *p);

/* True if both profiles have the same output and input ticks; otherwise an error naming both
 * profiles and the first tick that differs. */
bool opt_profile_same_grid(const opt_profile *a, const opt_profile *b, opt_err *err);

/* --- Benchmark files: aibrix_benchmark's JSON lines, five per run (TPUT, TT, E2E, TTFT,
 * TPOT). Blank lines are skipped; line numbers count every line of the file. --- */

typedef struct opt_bench_record {
  int32_t input_tokens;  /* "input_tokens", tokens */
  int32_t output_tokens; /* "output_tokens", tokens */
  double request_rate;   /* "request_rate", req/s */
  opt_metric metric;     /* TPUT, TT, E2E, TTFT or TPOT */
  double mean;           /* "mean", in the metric's unit */
  double p50, p90, p99;  /* "P50", "P90", "P99"; NaN on TPUT and TT lines, which lack them */
  int32_t line;          /* line number in the file, from 1 */
} opt_bench_record;

typedef struct opt_bench {
  char *source;           /* file name, for messages */
  opt_bench_record *recs; /* in file order */
  int32_t n;              /* number of records, at least 1 */
} opt_bench;

bool opt_bench_parse(const char *text, const char *source, opt_bench *out, opt_err *err);
bool opt_bench_read(const char *path, opt_bench *out, opt_err *err);
void opt_bench_free(opt_bench *b);

/* --- Generation: aibrix_gen_profile DEPLOYMENT [--tput --tt --e2e --ttft --tpat --tpot]
 * [--percentile] [--cost]. --- */

typedef struct opt_gen_options {
  const char *gpu; /* the deployment name (positional argument) */
  double cost;     /* --cost, default 1.0 */
  opt_slos slos;   /* --percentile and the SLO limits */
  double created;  /* Unix seconds to stamp; gen_profile uses the current time */
  /* gen_profile's verbose mode (-v): called with each line it logs at DEBUG level, for every
   * bucket with a rate meeting the SLOs (the candidate rates and their TPUT, the rates that
   * keep up, the line chosen), in its order and layout; NULL for none. */
  void (*debug)(void *ctx, const char *line);
  void *debug_ctx;
} opt_gen_options;

/* gen_profile's defaults: cost 1.0, percentile 0, no SLO set. */
opt_gen_options opt_gen_options_default(const char *gpu, double created);

/* Pure: benchmark records in, profile out (freed by opt_profile_free). */
bool opt_profile_generate(const opt_bench *b, const opt_gen_options *o, opt_profile *out,
                          opt_err *err);

#endif
