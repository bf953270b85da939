/*
 * outfile: output files that appear only when complete. A file is written under a hidden
 * temporary name in its final directory (".NAME.tmp.PID") and renamed over NAME by
 * outfile_commit; outfile_abort removes it. A crash or an error therefore never leaves a
 * half-written file under a name that looks finished. Opening NAME removes the temporary files of
 * NAME that processes no longer alive left behind (a run killed while writing).
 */
#ifndef PODSCALE_OUTFILE_H
#define PODSCALE_OUTFILE_H

#include <stdbool.h>
#include <stdio.h>

#include "base/err.h"

typedef struct outfile {
  FILE *fp;       /* open for writing while the file is in progress */
  char *tmp_path; /* hidden temporary name */
  char *path;     /* final name */
} outfile;

/* `name` must pass outfile_name_ok's rule with OUTFILE_FILE_MAX bytes: a name that is not a
 * plain file name is refused. */
bool outfile_open(outfile *f, const char *dir, const char *name, ps_err *err);
/* Flush, close and rename into place; false (with a message) on any write error. */
bool outfile_commit(outfile *f, ps_err *err);
/* Close and delete the temporary file; safe on a file never opened or already committed. */
void outfile_abort(outfile *f);
/* Create a directory and its parents (mkdir -p). */
bool outfile_mkdirs(const char *dir, ps_err *err);

/* Longest name that outfile_name_ok accepts, bytes: room for an extension and the temporary
 * name's ".NAME.tmp.PID" within a file system's 255. */
#define OUTFILE_NAME_MAX 200
#define OUTFILE_NAME_MAX_TEXT "200"
/* Longest file name outfile_open writes: a name and an extension, with ".NAME.tmp.PID" in 255. */
#define OUTFILE_FILE_MAX 224
#define OUTFILE_FILE_MAX_TEXT "224"
/* Whether `name` (a deployment's, a scenario's, ...) can be a file name as it is: 1 to
 * OUTFILE_NAME_MAX bytes of valid UTF-8, no '/', '\' or control character, not "." or "..".
 * False with the reason in why (a phrase for "expected ..., found ..." messages). Names are
 * data, never paths: every name that becomes part of a path is checked with this before
 * anything runs. */
bool outfile_name_ok(const char *name, const char **why);

#endif
