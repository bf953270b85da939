/*
 * rundigest: what a run wrote, as one digest per output file, to tell whether two runs differ
 * and in which files ("this setting changed nothing").
 *
 * The files are those of outputs.md that a setting can change: summary.csv, requests.csv,
 * timeseries.csv, decisions.csv and optimizer.jsonl (run.json is left out: it records the wall
 * time). A digest is FNV-1a 64 of the file's bytes, 0 for a file the run did not write. Reading
 * is streamed: the cost is the files' size, the memory a buffer.
 */
#ifndef PODSCALE_RUNDIGEST_H
#define PODSCALE_RUNDIGEST_H

#include <stdint.h>

#define RUN_DIGEST_FILES 5

typedef struct run_digest {
  uint64_t file[RUN_DIGEST_FILES];
} run_digest;

extern const char *const run_digest_names[RUN_DIGEST_FILES];

/* The digests of the outputs in dir. */
run_digest run_digest_of(const char *dir);
/* The files that differ between a and b, as a bit set (bit i for run_digest_names[i]). */
unsigned run_digest_diff(const run_digest *a, const run_digest *b);
/* "summary.csv, requests.csv and timeseries.csv" for the bits of set, into buf (n bytes). */
const char *run_digest_list(unsigned set, char *buf, int n);

#endif
