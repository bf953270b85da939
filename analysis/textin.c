/* Line-by-line text input within limits (textin.h). */
#include "analysis/textin.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/xalloc.h"

bool textin_open(textin *t, const char *path, size_t line_max, ps_err *err) {
  *t = (textin){.path = path, .line_max = line_max ? line_max : TEXTIN_LINE_MAX};
  t->fp = fopen(path, "rb");
  if (!t->fp) return ps_fail(err, "%s: cannot open: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fileno(t->fp), &st) == 0 && S_ISDIR(st.st_mode)) {
    textin_close(t);
    return ps_fail(err, "%s: expected a file, found a directory", path);
  }
  return true;
}

int textin_next(textin *t, ps_err *err) {
  t->len = 0;
  t->truncated = false;
  t->line++;
  int c;
  while ((c = getc_unlocked(t->fp)) != EOF) {
    if (++t->total > TEXTIN_FILE_MAX) {
      ps_fail(err, "%s:%ld: expected a file of at most %" PRId64 " bytes, found more", t->path,
              t->line, (int64_t)TEXTIN_FILE_MAX);
      return -1;
    }
    if (c == '\0') {
      ps_fail(err, "%s:%ld: expected text, found a NUL byte", t->path, t->line);
      return -1;
    }
    if (t->len == t->line_max && c != '\n') {
      if (!t->skip_long) {
        ps_fail(err, "%s:%ld: expected a line of at most %zu bytes, found a longer one", t->path,
                t->line, t->line_max);
        return -1;
      }
      t->truncated = true;
      continue;
    }
    if (t->len + 2 > t->cap) {
      t->cap = t->cap ? 2 * t->cap : 4096;
      t->buf = xrealloc(t->buf, t->cap);
    }
    t->buf[t->len++] = (char)c;
    if (c == '\n') break;
  }
  if (ferror(t->fp)) {
    ps_fail(err, "%s: read error: %s", t->path, strerror(errno));
    return -1;
  }
  if (t->len == 0) return 0;
  t->buf[t->len] = '\0';
  return 1;
}

void textin_close(textin *t) {
  if (t->fp) fclose(t->fp);
  free(t->buf);
  *t = (textin){0};
}
