/*
 * textin: a text file read line by line within limits, for every reader of line-based input
 * (CSV files, JSON lines, vLLM logs, rate tables, decision logs).
 *
 * Limits: a line of at most TEXTIN_LINE_MAX bytes (or the reader's own limit), a file of at most
 * TEXTIN_FILE_MAX bytes, and no NUL byte (it would cut a C string short). Reading stops at the
 * first byte past any of them, so a device (/dev/zero, /dev/urandom) or a runaway file is refused
 * at once rather than read into memory. A directory is refused at open.
 *
 * Lines keep their '\n' (the last one may lack it) and are NUL-terminated in buf; line counts
 * every physical line from 1, which is how messages name places (FILE:LINE).
 */
#ifndef PODSCALE_TEXTIN_H
#define PODSCALE_TEXTIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/err.h"

#define TEXTIN_LINE_MAX (1024 * 1024)      /* 1 MiB */
#define TEXTIN_FILE_MAX (INT64_C(8) << 30) /* 8 GiB */

typedef struct textin {
  const char *path; /* borrowed, for messages */
  FILE *fp;
  char *buf;       /* the current line */
  size_t len;      /* its bytes, newline included */
  size_t cap;      /* bytes allocated for buf */
  size_t line_max; /* the longest line taken */
  bool skip_long;  /* set after open: a longer line is not an error; buf keeps its start */
  bool truncated;  /* the current line was longer than line_max */
  long line;       /* its number, from 1 */
  int64_t total;   /* bytes read so far */
} textin;

/* Open `path` (borrowed until textin_close) for lines of at most line_max bytes (0:
 * TEXTIN_LINE_MAX); false with "PATH: cannot open: ..." or "PATH: expected a file, found a
 * directory". */
bool textin_open(textin *t, const char *path, size_t line_max, ps_err *err);
/* The next line into t->buf: 1; 0 at the end of the file; -1 with "PATH:LINE: expected ...,
 * found ..." past a limit, or "PATH: read error: ..." on an I/O error. */
int textin_next(textin *t, ps_err *err);
void textin_close(textin *t);

#endif
