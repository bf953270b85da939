/*
 * awl: an AIBrix workload file (JSONL) read into trace records.
 *
 * AIBrix's workload generator (vllm-project/aibrix benchmarks/generator, save_workload with
 * use_jsonl) writes one JSON object per line:
 *     {"timestamp": MS, "requests": [{"prompt": TEXT, "prompt_length": N, "output_length": N,
 *                                     "session_id": ...}, ...]}
 * and AIBrix's client (benchmarks/client/client.py) sends every request of a line
 * int(timestamp) milliseconds after it starts. So a record's time is the line's timestamp with
 * the fraction of a millisecond dropped, measured from the start (not from the first line), and
 * every request of a line arrives at that time, in the order listed. Older files name the
 * lengths "Prompt Length" and "Output Length"; both spellings are read. Other keys (the prompt
 * text, session_id, ...) are ignored. The generator writes "output_length": null when its
 * dataset has no completions, and, through pandas, a bare NaN (not JSON) when only some do;
 * both mean "unknown", and NaN outside strings is read as null. An unknown length is an error
 * only when the caller needs it (the scenario draws lengths from the file, not from a
 * distribution), and a record keeps 0 for it otherwise. Lengths may be written as 22.0.
 *
 * Timestamps must not decrease from line to line. Blank lines are skipped. Memory stays
 * bounded: a line longer than AWL_MAX_LINE_BYTES or a file of more than AWL_MAX_REQUESTS
 * requests is refused.
 *
 * Errors: the first problem is written into *err as "FILE:LINE: expected ..., found ..." and the
 * read fails with nothing allocated. Reentrant: no globals (cJSON's global error pointer is not
 * read).
 */
#ifndef PODSCALE_AWL_H
#define PODSCALE_AWL_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"
#include "models/workload/workload.h"

#define AWL_MAX_LINE_BYTES (64L * 1024 * 1024) /* one line: its prompts and lengths */
#define AWL_MAX_REQUESTS 20000000L             /* 320 MB of records */
#define AWL_MAX_TOKENS 10000000L               /* a prompt or output length */

/* Which lengths every request must give. */
typedef struct awl_needs {
  bool input;  /* prompt_length */
  bool output; /* output_length */
} awl_needs;

/* Read `path` into *recs (malloc'd, sorted by t_us; free with free) and *n (>= 1). */
bool awl_read(const char *path, awl_needs needs, wl_trace_rec **recs, size_t *n, ps_err *err);

#endif
