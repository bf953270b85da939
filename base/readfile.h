/*
 * readfile: a whole text file into memory, with limits, for every loader (scenarios, profiles,
 * configurations, decision logs).
 */
#ifndef PODSCALE_BASE_READFILE_H
#define PODSCALE_BASE_READFILE_H

#include "base/err.h"

/* Largest text file ps_read_text reads: scenarios, profiles and configurations are far smaller,
 * and a device or a runaway file must not be read into memory. */
#define PS_TEXT_MAX (64 * 1024 * 1024)

/* A whole text file, NUL-terminated and malloc'd; NULL with a message naming the file when it
 * cannot be read, is a directory, is larger than PS_TEXT_MAX or holds a NUL byte (which would
 * silently cut the text short); reading stops at the first of those. */
char *ps_read_text(const char *path, ps_err *err);

#endif
