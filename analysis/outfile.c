#include "analysis/outfile.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/xalloc.h"

static char *join(const char *dir, const char *a, const char *b, const char *c) {
  size_t n = strlen(dir) + strlen(a) + strlen(b) + strlen(c) + 2;
  char *s = xmalloc(n);
  snprintf(s, n, "%s/%s%s%s", dir, a, b, c);
  return s;
}

/* Remove DIR/.NAME.tmp.PID left by a podscale process that no longer exists (killed while
 * writing NAME): a dead process's temporary file would otherwise stay forever. A file of a live
 * process (a concurrent writer, or an unrelated process that reuses the PID) is kept. */
static void remove_stale(const char *dir, const char *name) {
  DIR *d = opendir(dir);
  if (!d) return;
  size_t plen = strlen(name) + 6; /* "." NAME ".tmp." */
  char *prefix = xmalloc(plen + 1);
  snprintf(prefix, plen + 1, ".%s.tmp.", name);
  struct dirent *e;
  while ((e = readdir(d))) {
    const char *digits = e->d_name + plen;
    if (strncmp(e->d_name, prefix, plen) != 0 || !*digits ||
        strspn(digits, "0123456789") != strlen(digits) || strlen(digits) > 9)
      continue;
    pid_t pid = (pid_t)atol(digits);
    if (pid == getpid() || kill(pid, 0) == 0 || errno != ESRCH) continue;
    char *path = join(dir, "", e->d_name, "");
    unlink(path);
    free(path);
  }
  free(prefix);
  closedir(d);
}

/* Bytes of the UTF-8 sequence starting at s (1 to 4), 0 when it is not a valid one. */
static size_t utf8_len(const unsigned char *s) {
  size_t n = s[0] < 0x80             ? 1
             : (s[0] & 0xe0) == 0xc0 ? 2
             : (s[0] & 0xf0) == 0xe0 ? 3
             : (s[0] & 0xf8) == 0xf0 ? 4
                                     : 0;
  if (n == 2 && s[0] < 0xc2) return 0; /* overlong */
  for (size_t i = 1; i < n; i++)
    if ((s[i] & 0xc0) != 0x80) return 0;
  if (n == 3 && s[0] == 0xe0 && s[1] < 0xa0) return 0;  /* overlong */
  if (n == 3 && s[0] == 0xed && s[1] >= 0xa0) return 0; /* surrogate */
  if (n == 4 && ((s[0] == 0xf0 && s[1] < 0x90) || s[0] > 0xf4 || (s[0] == 0xf4 && s[1] >= 0x90)))
    return 0;
  return n;
}

/* What is wrong with `name` by outfile_name_ok's rule with `max` bytes at most, NULL if nothing. */
static const char *name_fault(const char *name, size_t max, const char *too_long) {
  size_t len = strlen(name);
  const char *bad = NULL;
  if (len == 0)
    bad = "a name that is not empty";
  else if (len > max)
    bad = too_long;
  else if (!strcmp(name, ".") || !strcmp(name, ".."))
    bad = "a name other than \".\" and \"..\"";
  for (const unsigned char *s = (const unsigned char *)name; !bad && *s;) {
    size_t n = utf8_len(s);
    if (n == 0)
      bad = "a name in UTF-8";
    else if (*s == '/' || *s == '\\' || *s < 0x20 || *s == 0x7f)
      bad = "a name without '/', '\\' or control characters";
    s += n ? n : 1;
  }
  return bad;
}

bool outfile_name_ok(const char *name, const char **why) {
  const char *bad =
      name_fault(name, OUTFILE_NAME_MAX, "a name of at most " OUTFILE_NAME_MAX_TEXT " bytes");
  if (why) *why = bad;
  return bad == NULL;
}

bool outfile_open(outfile *f, const char *dir, const char *name, ps_err *err) {
  *f = (outfile){0};
  /* names are data: never a path out of dir (a checked name plus an extension fits) */
  const char *why =
      name_fault(name, OUTFILE_FILE_MAX, "a name of at most " OUTFILE_FILE_MAX_TEXT " bytes");
  if (why)
    return ps_fail(err, "%s: cannot write a file named \"%.*s\": expected %s", dir, 64, name, why);
  remove_stale(dir, name);
  char pid[32];
  snprintf(pid, sizeof pid, ".tmp.%ld", (long)getpid());
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
