/*
 * cli: the podscale command line. main() only calls podscale_main.
 * Exit status: 0 success, 1 runtime failure (an output could not be written), 2 bad input
 * (usage, scenario, data files).
 */
#ifndef PODSCALE_CLI_H
#define PODSCALE_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_BADINPUT = 2 };

typedef struct gpu_spec gpu_spec;
typedef struct llm_spec llm_spec;

int podscale_main(int argc, char **argv);

/* For the subcommands (sim/cli/cli_*.c): "podscale: MESSAGE" and a hint on stderr; returns 2. */
#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
int cli_usage_error(const char *fmt, ...);
/* The catalog's GPU or LLM named by option --gpu or --model of command cmd; NULL after the usage
 * error "podscale: CMD: --gpu: expected a GPU of the catalog, found 'A100' (did you mean ...)". */
const gpu_spec *cli_catalog_gpu(const char *cmd, const char *name);
const llm_spec *cli_catalog_llm(const char *cmd, const char *name);
/* Progress of a long command on stderr, "\rpodscale: WHAT: COUNT UNIT, S s": only at a
 * terminal, only once the command has run for a second, at most 10 times a second;
 * cli_progress_end ends the line if one was shown. */
typedef struct cli_progress {
  const char *what, *unit; /* "calibrate", "simulations of the benchmark" */
  double t0, last;         /* ps_mono_s at the start and at the last line shown */
  bool shown;
} cli_progress;
cli_progress cli_progress_start(const char *what, const char *unit);
void cli_progress_count(cli_progress *p, long count);
void cli_progress_end(cli_progress *p);
/* cli_progress_count with the signature of a library's progress callback (ctx a cli_progress). */
void cli_progress_cb(void *ctx, int32_t count);

/* A loaded scenario's warnings (scenario.warnings), each as "podscale: warning: ..." on
 * stderr. */
void cli_print_warnings(char *const *warnings, uint32_t n);
/* Whole numbers and reals from option text; false on junk, trailing text or out of range. */
bool cli_int(const char *s, int64_t min, int64_t max, int64_t *out);
bool cli_real(const char *s, double min, double max, double *out);

/* An option's value as a whole number in [lo, hi] or a real in [lo, hi]; false after the usage
 * error "podscale: CMD: --NAME: expected ..., found 'ARG'" (the caller exits 2). */
bool cli_opt_int(const char *cmd, const char *name, const char *arg, int64_t lo, int64_t hi,
                 int64_t *out);
bool cli_opt_real(const char *cmd, const char *name, const char *arg, double lo, double hi,
                  double *out);

/* The vLLM engine options of the commands that run a simulated pod (benchmark --simulated,
 * calibrate, mock-vllm): cli_with_engine_options makes the command's getopt_long table (its own
 * options, then these, then the terminator) into `out` of `cap` entries; hand every option to
 * cli_engine_option first. */
enum {
  CLI_O_SEQS = 1000,
  CLI_O_LEN,
  CLI_O_CHUNKED,
  CLI_O_BATCHED,
  CLI_O_UTIL,
  CLI_O_EFF_C,
  CLI_O_EFF_M,
  CLI_O_OVH,
  CLI_O_OVH_SEQ,
};
struct option;
#define CLI_MAX_OPTIONS 64 /* entries of a table cli_with_engine_options makes */
void cli_with_engine_options(const struct option *own, struct option *out, size_t cap);
typedef struct llm_engine_args llm_engine_args;
/* Apply engine option `code` (named `name`) with `arg`: -1 when code is not an engine option,
 * 0 when applied, 2 after a usage error. --gpu-memory-utilization sizes the KV cache from memory
 * again (num_gpu_blocks 0). */
int cli_engine_option(const char *cmd, int code, const char *name, const char *arg,
                      llm_engine_args *a);
/* Engine arguments before the GPU and LLM are known: vLLM's defaults with the four factors and
 * num_gpu_blocks unset, so that cli_engine_resolve, once they are, takes the pair's defaults
 * (llm_engine_args_for: a calibrated catalog entry) for what no option set. */
llm_engine_args cli_engine_unset(void);
void cli_engine_resolve(llm_engine_args *a, const gpu_spec *g, const llm_spec *m);

int cmd_benchmark(int argc, char **argv);
int cmd_calibrate(int argc, char **argv);
int cmd_catalog(int argc, char **argv);
int cmd_profile(int argc, char **argv);
int cmd_solve(int argc, char **argv);
int cmd_regress(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_mock_vllm(int argc, char **argv);

#endif
