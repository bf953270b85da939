/* rundigest: per-file digests of a run's outputs (rundigest.h). */
#include "analysis/rundigest.h"

#include <stdio.h>

#include "base/hash.h"

const char *const run_digest_names[RUN_DIGEST_FILES] = {
    "summary.csv", "requests.csv", "timeseries.csv", "decisions.csv", "optimizer.jsonl"};

static uint64_t file_digest(const char *dir, const char *name) {
  char path[4200];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *fp = fopen(path, "rb");
  if (!fp) return 0;
  uint64_t h = PS_FNV1A64_BASIS;
  char buf[1 << 16];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, fp)) > 0)
    h = ps_fnv1a64_add(h, buf, n);
  fclose(fp);
  return h ? h : 1; /* 0 means absent */
}

run_digest run_digest_of(const char *dir) {
  run_digest d;
  for (int i = 0; i < RUN_DIGEST_FILES; i++)
    d.file[i] = file_digest(dir, run_digest_names[i]);
  return d;
}

unsigned run_digest_diff(const run_digest *a, const run_digest *b) {
  unsigned set = 0;
  for (int i = 0; i < RUN_DIGEST_FILES; i++)
    set |= (unsigned)(a->file[i] != b->file[i]) << i;
  return set;
}

const char *run_digest_list(unsigned set, char *buf, int n) {
  int len = 0, total = 0, k = 0;
  for (int i = 0; i < RUN_DIGEST_FILES; i++)
    total += (set >> i) & 1;
  buf[0] = '\0';
  for (int i = 0; i < RUN_DIGEST_FILES && len < n; i++) {
    if (!((set >> i) & 1)) continue;
    const char *sep = k == 0 ? "" : k + 1 == total ? " and " : ", ";
    int w = snprintf(buf + len, (size_t)(n - len), "%s%s", sep, run_digest_names[i]);
    len += w > 0 ? w : 0;
    k++;
  }
  return buf;
}
