/*
 * vlog: vLLM's periodic stats lines, read from server logs.
 *
 * Every vLLM server logs one line per interval (10 s by default) from LoggingStatLogger:
 *
 *   INFO 02-08 14:48:43 metrics.py:351] Avg prompt throughput: 1006.2 tokens/s, Avg generation
 *   throughput: 545.1 tokens/s, Running: 32 reqs, Swapped: 0 reqs, Pending: 3 reqs, GPU KV cache
 *   usage: 94.0%, CPU KV cache usage: 0.0%.
 *
 * Upstream: vllm-project/vllm vllm/engine/metrics.py (LoggingStatLogger.log, V0 engine, 0.4 to
 * 0.10) and vllm/v1/metrics/loggers.py (V1: "Engine 000: ... Running: N reqs, Waiting: N reqs,
 * GPU KV cache usage: X%, Prefix cache hit rate: X%"). A line is a stats line when it holds
 * "Avg prompt throughput:"; its fields are found by name wherever they sit in it, so versions
 * that add fields (Prefix cache hit rate, Preemptions, Engine NNN:) or drop Swapped still read.
 * "Pending" (V0) and "Waiting" (V1) are the same gauge. Other lines, including V0's separate
 * "Prefix cache hit rate: GPU: ..." line, are skipped.
 *
 * Errors: a stats line missing a required field (prompt and generation throughput, Running,
 * Pending or Waiting, GPU KV cache usage) or with a value out of range is an error
 * "FILE:LINE: expected ..., found ...". Bounds: a stats line longer than VLOG_MAX_LINE bytes and
 * more than VLOG_MAX_LINES stats lines in one set are errors too; longer lines that are not
 * stats lines (request logs with prompts) are skipped. A file with lines but no stats line is an
 * error, since it is almost certainly not the log that was meant; an empty file is not (a pod
 * stopped before its first interval logs nothing) and adds no line.
 */
#ifndef PODSCALE_VLLMLOG_H
#define PODSCALE_VLLMLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define VLOG_MAX_LINE 4096     /* bytes in a stats line */
#define VLOG_MAX_LINES 1000000 /* stats lines in a set */

typedef struct vlog_line {
  int32_t file;      /* index into vlog_set.files */
  int32_t lineno;    /* 1-based line number in that file */
  double prompt_tps; /* Avg prompt throughput, tokens/s over the interval */
  double gen_tps;    /* Avg generation throughput, tokens/s over the interval */
  int32_t running;   /* Running: requests in the batch at the end of the interval */
  int32_t pending;   /* Pending (V0) or Waiting (V1): requests queued */
  int32_t swapped;   /* Swapped: 0 when the version does not log it */
  double kv_usage;   /* GPU KV cache usage, a 0-1 fraction */
} vlog_line;

/* Stats lines of several files, in the order the files were read, each file in line order. */
typedef struct vlog_set {
  vlog_line *lines;
  int32_t n;
  size_t cap;
  char **files; /* the paths, as given */
  int32_t nfiles;
} vlog_set;

/* Parse one line (without its newline): 1 for a stats line (*out filled, file and lineno 0),
 * 0 for another line, -1 for a malformed stats line with "expected ..., found ..." in why. */
int vlog_parse_line(const char *text, vlog_line *out, char *why, size_t why_len);
/* Append the stats lines of the file at path to s; false with a FILE:LINE message. */
bool vlog_read(vlog_set *s, const char *path, ps_err *err);
void vlog_free(vlog_set *s);

#endif
