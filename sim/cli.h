/*
 * cli: the podscale command line. main() only calls podscale_main.
 * Exit status: 0 success, 1 runtime failure (an output could not be written), 2 bad input
 * (usage, scenario, data files).
 */
#ifndef PODSCALE_CLI_H
#define PODSCALE_CLI_H

enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_BADINPUT = 2 };

int podscale_main(int argc, char **argv);

/* For the subcommands (sim/cli_*.c): "podscale: MESSAGE" and a hint on stderr; returns 2. */
#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
int cli_usage_error(const char *fmt, ...);
/* Whole numbers and reals from option text; false on junk, trailing text or out of range. */
#include <stdbool.h>
#include <stdint.h>
bool cli_int(const char *s, int64_t min, int64_t max, int64_t *out);
bool cli_real(const char *s, double min, double max, double *out);

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
