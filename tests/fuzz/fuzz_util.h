/*
 * fuzz_util: what the libFuzzer targets share. The parsers under test read files, so each
 * process gets one scratch directory (fz_dir, made on first use, left for the OS to clean) and
 * writes its inputs there; an input that holds several files is split at its NUL bytes
 * (fz_split), which no text file of the project contains. fz_exchange is the client side of the
 * HTTP targets: the bytes go to a loopback server, and the reply to a whole request must end
 * (the server closes the connection) within FZ_REPLY_MS, or the process aborts, which libFuzzer
 * reports as a crash with the input that caused it.
 *
 * Any failure of the harness itself (a file that cannot be written) aborts: it is not a finding
 * about the parser, but it must not pass silently either.
 */
#ifndef PODSCALE_FUZZ_UTIL_H
#define PODSCALE_FUZZ_UTIL_H

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FZ_REPLY_MS 2000 /* the longest wait for a server's whole reply */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The scratch directory of this process. */
static inline const char *fz_dir(void) {
  static char dir[64];
  if (!dir[0]) {
    strcpy(dir, "/tmp/podscale-fuzz-XXXXXX");
    if (!mkdtemp(dir)) abort();
  }
  return dir;
}

/* fz_dir()/name, in one of a few static buffers (valid until the 8th next call). */
static inline const char *fz_path(const char *name) {
  static char buf[8][256];
  static int k;
  char *p = buf[k++ % 8];
  snprintf(p, sizeof buf[0], "%s/%s", fz_dir(), name);
  return p;
}

/* Write n bytes to fz_dir()/name, making the directories name has in it. */
static inline const char *fz_put(const char *name, const uint8_t *data, size_t n) {
  for (const char *slash = strchr(name, '/'); slash; slash = strchr(slash + 1, '/')) {
    char sub[128];
    snprintf(sub, sizeof sub, "%.*s", (int)(slash - name), name);
    if (mkdir(fz_path(sub), 0700) != 0 && errno != EEXIST) abort();
  }
  const char *path = fz_path(name);
  FILE *fp = fopen(path, "wb");
  if (!fp) abort();
  if (n && fwrite(data, 1, n, fp) != n) abort();
  if (fclose(fp) != 0) abort();
  return path;
}

/* Split data at NUL bytes into at most max parts (the last one keeps any further NULs); parts
 * missing from the input are empty. */
static inline void fz_split(const uint8_t *data, size_t size, size_t max, const uint8_t **part,
                            size_t *len) {
  for (size_t i = 0; i < max; i++) {
    const uint8_t *nul = i + 1 < max ? memchr(data, 0, size) : NULL;
    part[i] = data;
    len[i] = nul ? (size_t)(nul - data) : size;
    size_t used = nul ? len[i] + 1 : size;
    data += used;
    size -= used;
  }
}

/* The input split at NUL bytes into n parts (fz_split), each written under names[i]. */
static inline void fz_put_parts(const uint8_t *data, size_t size, const char *const *names,
                                size_t n) {
  const uint8_t *part[8];
  size_t len[8];
  if (n > 8) abort();
  fz_split(data, size, n, part, len);
  for (size_t i = 0; i < n; i++)
    fz_put(names[i], part[i], len[i]);
}

/* The input as a C string (malloc'd; a NUL inside ends it early, as it would any C string). */
static inline char *fz_text(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  if (!s) abort();
  memcpy(s, data, size);
  s[size] = '\0';
  return s;
}

static inline long fz_ms_since(const struct timespec *t0) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Whether line [p, p + n) is the header `name` (case aside), with *value after its colon. */
static inline bool fz_header_is(const uint8_t *p, size_t n, const char *name,
                                const uint8_t **value) {
  size_t k = strlen(name), i = k;
  if (n < k || strncasecmp((const char *)p, name, k) != 0) return false;
  while (i < n && (p[i] == ' ' || p[i] == '\t'))
    i++;
  if (i == n || p[i] != ':') return false;
  *value = p + i + 1;
  return true;
}

/* Whether line [p, p + n) is a plain header: a name of token characters (RFC 9110), a colon. */
static inline bool fz_header_line(const uint8_t *p, size_t n) {
  size_t i = 0;
  while (i < n && (isalnum(p[i]) || strchr("!#$%&'*+-.^_`|~", p[i])))
    i++;
  return i > 0 && i < n && p[i] == ':';
}

/* Whether [p, end) is a number of at most 9 digits between blanks, in *out. */
static inline bool fz_plain_number(const uint8_t *p, const uint8_t *end, long *out) {
  while (p < end && (*p == ' ' || *p == '\t'))
    p++;
  long v = 0;
  int digits = 0;
  for (; p < end && isdigit(*p) && digits < 9; p++, digits++)
    v = v * 10 + (*p - '0');
  while (p < end && (*p == ' ' || *p == '\t'))
    p++;
  *out = v;
  return digits > 0 && p == end;
}

/* Whether the request at the start of d is whole as a server must read it: a head whose lines
 * all end in CRLF, up to a blank line, then as many bytes as one plain Content-Length says (none
 * without it). *head_end is where the blank line ends. Anything else (no blank line, a header
 * line that is not a token and a colon, a short body, Transfer-Encoding, a Content-Length that
 * is not one plain number, a NUL byte in the head) is not known whole: a server may rightly wait
 * for more, or read the head otherwise. */
static inline bool fz_request_whole(const uint8_t *d, size_t n, size_t *head_end) {
  size_t i = 0, line = 0;
  *head_end = 0;
  long length = -1;
  for (; i + 1 < n; i++) {
    /* A bare LF or CR, or a NUL (libmicrohttpd reads such a head otherwise) */
    if (d[i] == '\n' || (d[i] == '\r' && d[i + 1] != '\n') || d[i] == '\0') return false;
    if (d[i] != '\r') continue;
    const uint8_t *value;
    if (i == line && line > 0) {
      *head_end = i + 2;
      break;
    } else if (line > 0 && !fz_header_line(d + line, i - line)) {
      return false;
    } else if (fz_header_is(d + line, i - line, "transfer-encoding", &value)) {
      return false;
    } else if (fz_header_is(d + line, i - line, "content-length", &value)) {
      if (length >= 0 || !fz_plain_number(value, d + i, &length)) return false;
    }
    line = ++i + 1;
  }
  return *head_end > 0 && n - *head_end >= (size_t)(length < 0 ? 0 : length);
}

/* A connection to 127.0.0.1:port, which the server must accept within FZ_REPLY_MS: a connect
 * interrupted by a signal (libFuzzer's timer) goes on, and is waited for. */
static inline int fz_connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0), err = 0, r = 0;
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) err = errno;
  if (fd >= 0 && err == EINTR) {
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    long left;
    do
      left = FZ_REPLY_MS - fz_ms_since(&t0);
    while (left > 0 && (r = poll(&p, 1, (int)left)) < 0 && errno == EINTR);
    socklen_t len = sizeof err;
    err = ETIMEDOUT;
    if (r == 1) getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  }
  if (fd < 0 || err) {
    fprintf(stderr, "fuzz: cannot connect to 127.0.0.1:%d: %s\n", port, strerror(err));
    abort();
  }
  return fd;
}

/* Close with a reset: thousands of connections a second would otherwise leave as many in
 * TIME_WAIT and use up the ephemeral ports. */
static inline void fz_close(int fd) {
  struct linger now = {.l_onoff = 1, .l_linger = 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &now, sizeof now);
  close(fd);
}

static inline void fz_send(int fd, const uint8_t *data, size_t size) {
  for (size_t off = 0; off < size;) {
    ssize_t k = send(fd, data + off, size - off, MSG_NOSIGNAL);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return; /* the server closed early: it answered or gave up */
    off += (size_t)k;
  }
}

/* Send the bytes to 127.0.0.1:port as one connection's request. A whole request
 * (fz_request_whole) gets "Connection: close" as its last header (where no folded line can
 * continue it), so that the server ends its reply by closing; the reply must end within
 * FZ_REPLY_MS of the request, or the process aborts. Any other input is sent as it is and the
 * connection closed: the server has to cope with a client that goes away mid-request. The
 * reply is dropped; every connection ends in a reset (fz_close). */
static inline void fz_exchange(int port, const uint8_t *data, size_t size) {
  size_t head_end;
  int fd = fz_connect(port);
  if (!fz_request_whole(data, size, &head_end)) {
    fz_send(fd, data, size);
    fz_close(fd);
    return;
  }
  static const char close_header[] = "Connection: close\r\n";
  size_t extra = sizeof close_header - 1;
  uint8_t *req = malloc(size + extra);
  if (!req) abort();
  size_t at = head_end - 2; /* before the blank line */
  memcpy(req, data, at);
  memcpy(req + at, close_header, extra);
  memcpy(req + at + extra, data + at, size - at);
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  fz_send(fd, req, size + extra);
  free(req);
  char buf[4096];
  for (;;) {
    long left = FZ_REPLY_MS - fz_ms_since(&t0);
    if (left <= 0) {
      fprintf(stderr, "fuzz: the reply to a whole request did not end within %d ms\n", FZ_REPLY_MS);
      abort();
    }
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r = poll(&p, 1, (int)left);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) abort();
    if (r == 0) continue;
    ssize_t k = recv(fd, buf, sizeof buf, 0);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) break; /* the end, or a reset */
  }
  fz_close(fd);
}

#endif
