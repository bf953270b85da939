#include "base/readfile.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/xalloc.h"

char *ps_read_text(const char *path, ps_err *err) {
  FILE *fp = fopen(path, "rb");
  if (!fp) {
    ps_fail(err, "%s: cannot open: %s", path, strerror(errno));
    return NULL;
  }
  struct stat st;
  if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) {
    fclose(fp);
    ps_fail(err, "%s: expected a file, found a directory", path);
    return NULL;
  }
  size_t len = 0, cap = 4096, got;
  char *s = xmalloc(cap);
  const char *problem = NULL;
  while (!problem && (got = fread(s + len, 1, cap - len - 1, fp)) > 0) {
    if (memchr(s + len, '\0', got)) problem = "NUL"; /* /dev/zero stops here, not at 4 GB */
    len += got;
    if (len > PS_TEXT_MAX) problem = "size";
    if (len + 1 == cap) s = xrealloc(s, cap *= 2);
  }
  bool failed = ferror(fp);
  fclose(fp);
  s[len] = '\0';
  if (failed)
    ps_fail(err, "%s: read error", path);
  else if (problem && problem[0] == 'N')
    ps_fail(err, "%s: expected text, found a NUL byte at offset %zu", path, strlen(s));
  else if (problem)
    ps_fail(err, "%s: expected a file of at most %d MiB, found more", path,
            PS_TEXT_MAX / (1024 * 1024));
  if (failed || problem) {
    free(s);
    return NULL;
  }
  return s;
}
