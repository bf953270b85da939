#include "analysis/csvw.h"

#include <csv.h>
#include <math.h>
#include <string.h>

static void sep(csvw *w) {
  if (w->row_started) fputc(',', w->fp);
  w->row_started = true;
}

void csvw_str(csvw *w, const char *s) {
  sep(w);
  size_t n = strlen(s);
  bool quote = n && (s[0] == ' ' || s[n - 1] == ' ' || strpbrk(s, ",\"\r\n"));
  if (quote)
    csv_fwrite(w->fp, s, n);
  else
    fputs(s, w->fp);
}

void csvw_int(csvw *w, long long v) {
  sep(w);
  fprintf(w->fp, "%lld", v);
}

void csvw_time(csvw *w, int64_t us) {
  sep(w);
  if (us >= 0) fprintf(w->fp, "%lld.%06lld", (long long)(us / 1000000), (long long)(us % 1000000));
}

void csvw_clock(csvw *w, int64_t us) {
  sep(w);
  uint64_t m = us < 0 ? 0 - (uint64_t)us : (uint64_t)us;
  fprintf(w->fp, "%s%llu.%06llu", us < 0 ? "-" : "", (unsigned long long)(m / 1000000),
          (unsigned long long)(m % 1000000));
}

void csvw_num(csvw *w, double v) {
  sep(w);
  if (!isnan(v)) fprintf(w->fp, "%.6f", v == 0 ? 0.0 : v);
}

void csvw_end(csvw *w) {
  fputc('\n', w->fp);
  w->row_started = false;
}

void csvw_header(csvw *w, const char *const *columns) {
  for (; *columns; columns++)
    csvw_str(w, *columns);
  csvw_end(w);
}

size_t csvw_columns(const char *const *columns) {
  size_t n = 0;
  while (columns[n])
    n++;
  return n;
}
