#include "analysis/outfile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "models/xalloc.h"

static char *join(const char *dir, const char *a, const char *b, const char *c) {
  size_t n = strlen(dir) + strlen(a) + strlen(b) + strlen(c) + 2;
  char *s = xmalloc(n);
  snprintf(s, n, "%s/%s%s%s", dir, a, b, c);
  return s;
}

bool outfile_open(outfile *f, const char *dir, const char *name, ps_err *err) {
  char pid[32];
  snprintf(pid, sizeof pid, ".tmp.%ld", (long)getpid());
  *f = (outfile){0};
  f->path = join(dir, "", name, "");
  f->tmp_path = join(dir, ".", name, pid);
  f->fp = fopen(f->tmp_path, "wb");
  if (!f->fp) {
    ps_fail(err, "%s: cannot create: %s", f->tmp_path, strerror(errno));
    outfile_abort(f);
    return false;
  }
  return true;
}

bool outfile_commit(outfile *f, ps_err *err) {
  bool ok = !ferror(f->fp);
  ok = (fclose(f->fp) == 0) && ok;
  f->fp = NULL;
  if (!ok) {
    ps_fail(err, "%s: write error: %s", f->tmp_path, strerror(errno));
  } else if (rename(f->tmp_path, f->path) != 0) {
    ok = ps_fail(err, "%s: cannot rename to %s: %s", f->tmp_path, f->path, strerror(errno));
  }
  if (!ok) unlink(f->tmp_path);
  free(f->tmp_path);
  free(f->path);
  *f = (outfile){0};
  return ok;
}

void outfile_abort(outfile *f) {
  if (f->fp) fclose(f->fp);
  if (f->tmp_path) unlink(f->tmp_path);
  free(f->tmp_path);
  free(f->path);
  *f = (outfile){0};
}

bool outfile_mkdirs(const char *dir, ps_err *err) {
  if (!dir[0]) return ps_fail(err, "expected an output directory name, found an empty one");
  char *p = xstrdup(dir);
  bool ok = true;
  for (char *s = p + 1; ok; s++) {
    if (*s != '/' && *s != '\0') continue;
    char c = *s;
    *s = '\0';
    if (mkdir(p, 0777) != 0 && errno != EEXIST)
      ok = ps_fail(err, "%s: cannot create directory: %s", p, strerror(errno));
    *s = c;
    if (c == '\0') break;
  }
  struct stat st;
  if (ok && (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)))
    ok = ps_fail(err, "%s: not a directory", dir);
  free(p);
  return ok;
}
