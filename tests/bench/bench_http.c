/*
 * bench_http: a closed-loop HTTP/1.1 load generator, written to measure `podscale serve`
 * (GET /metrics/{ns}/{deployment}) on loopback without being the bottleneck itself.
 *
 * Each thread owns its share of the keep-alive connections and drives them from one epoll
 * loop: non-blocking sockets, one request outstanding per connection, the next request sent as
 * soon as the last byte of the previous response arrives. Responses are parsed incrementally
 * (status line, headers, then a Content-Length, chunked or read-until-close body), so a
 * response may arrive in any number of pieces. After a `Connection: close` response the
 * connection is reopened; a reset, a close in the middle of a response, a malformed response
 * or a failed connect counts as an error and the connection is reopened (after 10 ms when the
 * connect itself failed, so a server that is down is not hammered).
 *
 * Latency runs from the write of the request to the last byte of its response (CLOCK_MONOTONIC)
 * and goes into a per-thread log-linear histogram of nanoseconds (1024 sub-buckets per power of
 * two: exact below 1.024 us, relative error under 0.1% above), merged at the end. Requests that
 * complete during the warm-up, or after the end, are not counted. Errors and unexpected statuses
 * are counted over the whole run, warm-up included, so a server that is down fails the run.
 *
 *   bench_http URL [-c CONNECTIONS] [-t THREADS] [-d SECONDS] [-w WARMUP_SECONDS]
 *                  [-e EXPECT_STATUS]                        (defaults 32, 1, 10, 1, 200)
 *
 * URL is http://HOST[:PORT][/PATH], HOST an IPv4 literal or a name (getaddrinfo). Prints one
 * figure per line: requests, seconds, rps, p50_ms, p90_ms, p99_ms, p999_ms, max_ms, errors,
 * unexpected_status. Exits 0 when requests were measured with no error and no unexpected
 * status, 1 otherwise, 2 on a usage error. It links no podscale library (and so does not use
 * bench_util.h, which pulls in the simulator): it can load any HTTP/1.1 server.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum {
  BH_BUF = 16384,      /* per-connection receive buffer, bytes; bounds the response head */
  BH_MAX_CONN = 65536, /* upper limit of -c */
  BH_MAX_THREADS = 256,
  BH_EVENTS = 256,    /* epoll events taken per epoll_wait */
  HIST_SUB_BITS = 10, /* histogram: 2^10 sub-buckets per power of two */
  HIST_SUB = 1 << HIST_SUB_BITS,
  HIST_BUCKETS = (65 - HIST_SUB_BITS) * HIST_SUB, /* covers every uint64_t */
};
static const int64_t BH_RETRY_NS = 10000000; /* wait before reconnecting after a failed connect */

/* What every thread reads and none writes. */
typedef struct {
  struct sockaddr_storage addr; /* the server, resolved once */
  socklen_t addrlen;
  char request[4096];  /* the GET request, sent verbatim on every connection */
  size_t request_len;  /* bytes of request */
  int expect_status;   /* a response with another status counts as unexpected */
  int64_t warm_end_ns; /* CLOCK_MONOTONIC: completions count from here... */
  int64_t end_ns;      /* ...until here, when the threads stop */
} bh_config;

/* Where the parser is in the current response. */
typedef enum {
  PH_HEAD,       /* status line and headers, up to the empty line */
  PH_BODY_LEN,   /* Content-Length body: left bytes to go */
  PH_BODY_EOF,   /* no length and not chunked: the body ends when the server closes */
  PH_CHUNK_SIZE, /* a chunk-size line */
  PH_CHUNK_DATA, /* chunk data: left bytes to go */
  PH_CHUNK_END,  /* the CRLF after chunk data */
  PH_TRAILER,    /* trailer lines after the last chunk, up to the empty line */
} bh_phase;

typedef struct {
  int fd;           /* -1 while waiting to reconnect */
  bool connecting;  /* non-blocking connect not yet complete */
  bool want_out;    /* EPOLLOUT registered: connecting, or the request only partly written */
  size_t sent;      /* bytes of the request written */
  int64_t start_ns; /* when the write of the outstanding request began */
  int64_t retry_ns; /* when fd < 0: reconnect at or after this time */
  bh_phase phase;   /* parser state */
  int status;       /* status code of the response being read */
  bool keep_alive;  /* the connection may carry another request after this response */
  uint64_t left;    /* PH_BODY_LEN, PH_CHUNK_DATA: bytes still expected */
  size_t len;       /* bytes in buf */
  size_t pos;       /* bytes of buf already parsed */
  size_t scan;      /* PH_HEAD: where to resume looking for the empty line */
  char buf[BH_BUF]; /* received bytes */
} bh_conn;

typedef struct {
  const bh_config *cfg;
  bh_conn *conns;      /* this thread's connections */
  int nconn;           /* number of conns */
  int waiting;         /* conns with fd < 0, waiting for retry_ns */
  int ep;              /* epoll descriptor */
  uint64_t *hist;      /* HIST_BUCKETS counts of latency in ns */
  uint64_t requests;   /* responses completed inside the measured window */
  uint64_t max_ns;     /* largest latency counted */
  uint64_t errors;     /* connect, read, write and protocol errors */
  uint64_t unexpected; /* responses whose status was not cfg->expect_status */
  pthread_t tid;
} bh_worker;

/* Result of feeding received bytes to a connection's parser: it needs more bytes, or it is done
 * with this descriptor (the response is complete, or the connection failed and was closed). */
typedef enum { P_MORE, P_DONE } bh_parse;

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* --- histogram --------------------------------------------------------------------------- */

static size_t hist_index(uint64_t v) {
  if (v < HIST_SUB) return (size_t)v;
  int shift = 63 - __builtin_clzll(v) - HIST_SUB_BITS;
  return (size_t)shift * HIST_SUB + (size_t)(v >> shift);
}

/* The largest value that falls into bucket i. */
static uint64_t hist_highest(size_t i) {
  if (i < HIST_SUB) return i;
  size_t shift = i / HIST_SUB - 1;
  uint64_t sub = i - shift * HIST_SUB;
  return ((sub + 1) << shift) - 1;
}

/* The value at quantile q (0 < q <= 1) of the n counted values, capped at the exact max. */
static uint64_t hist_quantile(const uint64_t *h, uint64_t n, double q, uint64_t max) {
  uint64_t rank = (uint64_t)(q * (double)n);
  if ((double)rank < q * (double)n || rank < 1) rank++;
  uint64_t seen = 0;
  for (size_t i = 0; i < HIST_BUCKETS; i++) {
    seen += h[i];
    if (seen >= rank) return hist_highest(i) < max ? hist_highest(i) : max;
  }
  return max;
}

/* --- small text helpers ---------------------------------------------------------------- */

static char ascii_lower(char ch) { return ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch; }

/* Whether s[0..n) equals the lower-case word, ignoring ASCII case. */
static bool eq_nocase(const char *s, size_t n, const char *word) {
  if (strlen(word) != n) return false;
  for (size_t i = 0; i < n; i++)
    if (ascii_lower(s[i]) != word[i]) return false;
  return true;
}

/* Whether the comma-separated list s[0..n) holds the lower-case token, ignoring case. */
static bool has_token(const char *s, size_t n, const char *token) {
  size_t i = 0;
  while (i < n) {
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == ','))
      i++;
    size_t b = i;
    while (i < n && s[i] != ',')
      i++;
    size_t e = i;
    while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t'))
      e--;
    if (e > b && eq_nocase(s + b, e - b, token)) return true;
  }
  return false;
}

/* Offset just past the first "\r\n" in s[0..n), or 0 if there is none. */
static size_t line_end(const char *s, size_t n) {
  for (const char *p = s; (p = memchr(p, '\n', (size_t)(s + n - p))) != NULL; p++)
    if (p > s && p[-1] == '\r') return (size_t)(p - s) + 1;
  return 0;
}

/* Offset just past the first "\r\n\r\n" in s[0..n), or 0 if there is none. */
static size_t head_end(const char *s, size_t n) {
  for (const char *p = s; (p = memchr(p, '\n', (size_t)(s + n - p))) != NULL; p++)
    if (p - s >= 3 && p[-1] == '\r' && p[-2] == '\n' && p[-3] == '\r') return (size_t)(p - s) + 1;
  return 0;
}

/* --- connections ------------------------------------------------------------------------- */

static void conn_open(bh_worker *w, bh_conn *c);

static void conn_reset_parser(bh_conn *c) {
  c->phase = PH_HEAD;
  c->status = 0;
  c->keep_alive = true;
  c->left = 0;
  c->len = c->pos = c->scan = 0;
  c->sent = 0;
}

static void conn_close(bh_conn *c) {
  if (c->fd >= 0) close(c->fd); /* also removes it from the epoll set */
  c->fd = -1;
  c->connecting = c->want_out = false;
}

/* Counts an error and closes the connection; the thread's loop reopens it on its next turn, or
 * BH_RETRY_NS later if connecting failed. (Never reopened from here: a server that resets every
 * new connection would otherwise recurse.) */
static void conn_fail(bh_worker *w, bh_conn *c, bool connect_failed) {
  w->errors++;
  conn_close(c);
  c->retry_ns = now_ns() + (connect_failed ? BH_RETRY_NS : 0);
  w->waiting++;
}

static bool conn_watch(bh_worker *w, bh_conn *c, bool out) {
  struct epoll_event ev = {.events = EPOLLIN | (out ? EPOLLOUT : 0u), .data.ptr = c};
  if (epoll_ctl(w->ep, EPOLL_CTL_MOD, c->fd, &ev) != 0) return false;
  c->want_out = out;
  return true;
}

/* Writes (the rest of) the request. False if the connection failed and was reopened. */
static bool conn_send(bh_worker *w, bh_conn *c) {
  const bh_config *cfg = w->cfg;
  if (c->sent == 0) c->start_ns = now_ns();
  while (c->sent < cfg->request_len) {
    ssize_t n = send(c->fd, cfg->request + c->sent, cfg->request_len - c->sent, MSG_NOSIGNAL);
    if (n > 0) {
      c->sent += (size_t)n;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!c->want_out && !conn_watch(w, c, true)) break;
      return true;
    } else {
      break;
    }
  }
  if (c->sent == cfg->request_len && (!c->want_out || conn_watch(w, c, false))) return true;
  conn_fail(w, c, false);
  return false;
}

static void conn_open(bh_worker *w, bh_conn *c) {
  const bh_config *cfg = w->cfg;
  conn_reset_parser(c);
  c->fd = socket(cfg->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd < 0) {
    conn_fail(w, c, true);
    return;
  }
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  int r = connect(c->fd, (const struct sockaddr *)&cfg->addr, cfg->addrlen);
  if (r != 0 && errno != EINPROGRESS) {
    conn_fail(w, c, true);
    return;
  }
  c->connecting = r != 0;
  c->want_out = c->connecting;
  struct epoll_event ev = {.events = EPOLLIN | (c->want_out ? EPOLLOUT : 0u), .data.ptr = c};
  if (epoll_ctl(w->ep, EPOLL_CTL_ADD, c->fd, &ev) != 0) {
    conn_fail(w, c, true);
    return;
  }
  if (!c->connecting) conn_send(w, c);
}

/* Parses the status line and headers in s[0..n) (which ends with the empty line) and picks the
 * body's framing. False if the head is malformed. */
static bool conn_parse_head(bh_conn *c, const char *s, size_t n) {
  if (n < 12 || memcmp(s, "HTTP/1.", 7) != 0 || (s[7] != '0' && s[7] != '1') || s[8] != ' ')
    return false;
  int status = 0;
  for (int i = 9; i < 12; i++) {
    if (s[i] < '0' || s[i] > '9') return false;
    status = status * 10 + (s[i] - '0');
  }
  if (status < 100 || (n > 12 && s[12] != ' ' && s[12] != '\r')) return false;
  bool keep_alive = s[7] == '1', close_token = false, chunked = false, have_len = false;
  uint64_t length = 0;
  size_t i = line_end(s, n);
  for (size_t e; (e = line_end(s + i, n - i)) > 2; i += e) {
    const char *line = s + i, *colon = memchr(line, ':', e - 2);
    if (colon == NULL || colon == line) return false;
    const char *v = colon + 1, *vend = line + e - 2;
    while (v < vend && (*v == ' ' || *v == '\t'))
      v++;
    while (vend > v && (vend[-1] == ' ' || vend[-1] == '\t'))
      vend--;
    size_t name_len = (size_t)(colon - line), vlen = (size_t)(vend - v);
    if (eq_nocase(line, name_len, "content-length")) {
      uint64_t x = 0;
      if (vlen == 0 || vlen > 18) return false;
      for (size_t k = 0; k < vlen; k++) {
        if (v[k] < '0' || v[k] > '9') return false;
        x = x * 10 + (uint64_t)(v[k] - '0');
      }
      if (have_len && x != length) return false;
      have_len = true;
      length = x;
    } else if (eq_nocase(line, name_len, "transfer-encoding")) {
      chunked = chunked || has_token(v, vlen, "chunked");
    } else if (eq_nocase(line, name_len, "connection")) {
      close_token = close_token || has_token(v, vlen, "close");
      keep_alive = keep_alive || has_token(v, vlen, "keep-alive");
    }
  }
  c->status = status;
  c->keep_alive = keep_alive && !close_token;
  c->left = 0;
  if (status < 200) {
    c->phase = PH_HEAD; /* interim (100 Continue): the real response follows */
  } else if (status == 204 || status == 304) {
    c->phase = PH_BODY_LEN;
  } else if (chunked) {
    c->phase = PH_CHUNK_SIZE; /* RFC 9112 6.3: chunked overrides Content-Length */
  } else if (have_len) {
    c->phase = PH_BODY_LEN;
    c->left = length;
  } else {
    c->phase = PH_BODY_EOF;
    c->keep_alive = false;
  }
  return status != 101; /* no protocol switch was asked for */
}

/* Parses a chunk-size line s[0..n) (hex digits, optional extensions, CRLF) into *size. */
static bool chunk_size(const char *s, size_t n, uint64_t *size) {
  uint64_t x = 0;
  size_t k = 0;
  for (; k < n && k < 16; k++) {
    char ch = ascii_lower(s[k]);
    int d = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
    if (d < 0) break;
    x = x * 16 + (uint64_t)d;
  }
  if (k == 0 || k == 16 || (s[k] != ';' && s[k] != ' ' && s[k] != '\t' && s[k] != '\r'))
    return false;
  *size = x;
  return true;
}

/* A response has been read in full: count it, then send the next request on this connection or
 * open a new one. */
static bh_parse conn_response_done(bh_worker *w, bh_conn *c) {
  int64_t now = now_ns();
  if (now >= w->cfg->warm_end_ns && now < w->cfg->end_ns) {
    uint64_t lat = (uint64_t)(now - c->start_ns);
    w->hist[hist_index(lat)]++;
    w->requests++;
    if (lat > w->max_ns) w->max_ns = lat;
  }
  if (c->status != w->cfg->expect_status) w->unexpected++;
  if (c->pos != c->len) { /* bytes beyond the response, but only one request was sent */
    conn_fail(w, c, false);
    return P_DONE;
  }
  if (!c->keep_alive) {
    conn_close(c);
    conn_open(w, c);
    return P_DONE;
  }
  conn_reset_parser(c);
  conn_send(w, c);
  return P_DONE;
}

/* A malformed response: count it and drop the connection. */
static bh_parse conn_bad(bh_worker *w, bh_conn *c) {
  conn_fail(w, c, false);
  return P_DONE;
}

/* Feeds buf[pos..len) to the parser. */
static bh_parse conn_parse(bh_worker *w, bh_conn *c) {
  for (;;) {
    char *p = c->buf + c->pos;
    size_t avail = c->len - c->pos, e;
    switch (c->phase) {
    case PH_HEAD:
      e = head_end(c->buf + c->scan, c->len - c->scan);
      if (e == 0) {
        c->scan = c->len >= c->pos + 3 ? c->len - 3 : c->pos;
        return P_MORE;
      }
      e += c->scan - c->pos;
      if (!conn_parse_head(c, p, e)) return conn_bad(w, c);
      c->pos += e;
      c->scan = c->pos;
      break;
    case PH_BODY_LEN:
    case PH_CHUNK_DATA: {
      size_t take = c->left < avail ? (size_t)c->left : avail;
      c->pos += take;
      c->left -= take;
      if (c->left > 0) return P_MORE;
      if (c->phase == PH_BODY_LEN) return conn_response_done(w, c);
      c->phase = PH_CHUNK_END;
      break;
    }
    case PH_BODY_EOF: c->pos = c->len; return P_MORE;
    case PH_CHUNK_SIZE:
      if ((e = line_end(p, avail)) == 0) return P_MORE;
      if (!chunk_size(p, e, &c->left)) return conn_bad(w, c);
      c->pos += e;
      c->phase = c->left > 0 ? PH_CHUNK_DATA : PH_TRAILER;
      break;
    case PH_CHUNK_END:
      if (avail < 2) return P_MORE;
      if (p[0] != '\r' || p[1] != '\n') return conn_bad(w, c);
      c->pos += 2;
      c->phase = PH_CHUNK_SIZE;
      break;
    case PH_TRAILER:
      if ((e = line_end(p, avail)) == 0) return P_MORE;
      c->pos += e;
      if (e == 2) return conn_response_done(w, c);
      break;
    }
  }
}

/* Makes room at the end of buf by dropping the parsed bytes. */
static void conn_compact(bh_conn *c) {
  if (c->pos == 0) return;
  memmove(c->buf, c->buf + c->pos, c->len - c->pos);
  c->len -= c->pos;
  c->scan -= c->pos;
  c->pos = 0;
}

static void conn_readable(bh_worker *w, bh_conn *c) {
  for (;;) {
    if (c->pos == c->len) c->len = c->pos = c->scan = 0;
    if (c->len == BH_BUF) conn_compact(c);
    if (c->len == BH_BUF) { /* a head or chunk-size line larger than the buffer */
      conn_fail(w, c, false);
      return;
    }
    size_t room = BH_BUF - c->len;
    ssize_t n = recv(c->fd, c->buf + c->len, room, 0);
    if (n > 0) {
      c->len += (size_t)n;
      bh_parse r = conn_parse(w, c);
      /* Level-triggered: if the read did not fill the buffer, epoll reports what is left. */
      if (r != P_MORE || (size_t)n < room) return;
    } else if (n == 0) {
      if (c->phase == PH_BODY_EOF) {
        conn_response_done(w, c);
      } else {
        conn_fail(w, c, false); /* closed before or in the middle of a response */
      }
      return;
    } else if (errno != EINTR) {
      if (errno != EAGAIN && errno != EWOULDBLOCK) conn_fail(w, c, false);
      return;
    }
  }
}

static void conn_event(bh_worker *w, bh_conn *c, uint32_t events) {
  if (c->fd < 0) return;
  if (c->connecting) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0 ||
        (events & (EPOLLERR | EPOLLHUP))) {
      conn_fail(w, c, true);
      return;
    }
    if (!(events & EPOLLOUT)) return;
    c->connecting = false;
    if (conn_watch(w, c, false)) {
      conn_send(w, c);
    } else {
      conn_fail(w, c, false);
    }
    return;
  }
  if ((events & EPOLLOUT) && c->want_out && !conn_send(w, c)) return;
  if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) conn_readable(w, c);
}

/* --- threads ----------------------------------------------------------------------------- */

/* Reopens the closed connections that are due; returns when the next one is due. */
static int64_t worker_retry(bh_worker *w, int64_t now) {
  int64_t next = INT64_MAX;
  for (int i = 0; i < w->nconn; i++) {
    bh_conn *c = &w->conns[i];
    if (c->fd >= 0) continue;
    if (c->retry_ns <= now) {
      w->waiting--;
      conn_open(w, c);
    }
    if (c->fd < 0 && c->retry_ns < next) next = c->retry_ns;
  }
  return next;
}

static void *worker_run(void *arg) {
  bh_worker *w = arg;
  for (int i = 0; i < w->nconn; i++)
    conn_open(w, &w->conns[i]);
  struct epoll_event evs[BH_EVENTS];
  for (;;) {
    int64_t now = now_ns();
    if (now >= w->cfg->end_ns) break;
    int64_t wake = w->cfg->end_ns, retry = w->waiting > 0 ? worker_retry(w, now) : INT64_MAX;
    if (retry < wake) wake = retry;
    int64_t wait_ms = wake > now ? (wake - now + 999999) / 1000000 : 0;
    int n = epoll_wait(w->ep, evs, BH_EVENTS, (int)(wait_ms < 100 ? wait_ms : 100));
    if (n < 0 && errno != EINTR) {
      perror("bench_http: epoll_wait");
      w->errors++;
      break;
    }
    for (int i = 0; i < n; i++)
      conn_event(w, evs[i].data.ptr, evs[i].events);
  }
  for (int i = 0; i < w->nconn; i++)
    conn_close(&w->conns[i]);
  return NULL;
}

/* --- command line ------------------------------------------------------------------------ */

_Noreturn static void usage(const char *msg, const char *arg) {
  fprintf(stderr, "bench_http: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
  fprintf(stderr, "usage: bench_http URL [-c CONNECTIONS] [-t THREADS] [-d SECONDS] "
                  "[-w WARMUP_SECONDS] [-e EXPECT_STATUS]\n");
  exit(2);
}

static long parse_long(const char *s, long lo, long hi, const char *what) {
  char *end;
  errno = 0;
  long x = strtol(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || x < lo || x > hi) usage(what, s);
  return x;
}

static double parse_seconds(const char *s, double lo, const char *what) {
  char *end;
  errno = 0;
  double x = strtod(s, &end);
  if (errno != 0 || end == s || *end != '\0' || !(x >= lo) || x > 86400) usage(what, s);
  return x;
}

/* Splits http://HOST[:PORT][/PATH] and resolves HOST; fills cfg's address and request. */
static void parse_url(const char *url, bh_config *cfg) {
  if (strlen(url) < 7 || !eq_nocase(url, 7, "http://")) usage("URL must start with http://", url);
  const char *host = url + 7, *path = host + strcspn(host, "/?");
  const char *colon = memchr(host, ':', (size_t)(path - host));
  const char *host_end = colon ? colon : path;
  char name[256], port[8] = "80";
  if (host_end == host || (size_t)(host_end - host) >= sizeof name ||
      memchr(host, '@', (size_t)(path - host)))
    usage("bad host in URL", url);
  memcpy(name, host, (size_t)(host_end - host));
  name[host_end - host] = '\0';
  if (colon) {
    size_t n = (size_t)(path - colon - 1);
    if (n == 0 || n >= sizeof port) usage("bad port in URL", url);
    memcpy(port, colon + 1, n);
    port[n] = '\0';
    parse_long(port, 1, 65535, "bad port in URL");
  }
  /* IPv4 first (a server bound to 127.0.0.1 is not reached through ::1), then anything. */
  struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res = NULL;
  int rc = getaddrinfo(name, port, &hints, &res);
  if (rc != 0) {
    hints.ai_family = AF_UNSPEC;
    rc = getaddrinfo(name, port, &hints, &res);
  }
  if (rc != 0) usage(gai_strerror(rc), name);
  memcpy(&cfg->addr, res->ai_addr, res->ai_addrlen);
  cfg->addrlen = res->ai_addrlen;
  freeaddrinfo(res);
  int n = snprintf(cfg->request, sizeof cfg->request,
                   "GET %s%s HTTP/1.1\r\nHost: %.*s\r\nUser-Agent: bench_http\r\n"
                   "Accept: */*\r\n\r\n",
                   *path == '/' ? "" : "/", path, (int)(path - host), host);
  if (n < 0 || (size_t)n >= sizeof cfg->request) usage("URL too long", url);
  cfg->request_len = (size_t)n;
}

static double ms(uint64_t ns) { return (double)ns / 1e6; }

int main(int argc, char **argv) {
  static bh_config cfg;
  const char *url = NULL;
  long conns = 32, threads = 1, expect = 200;
  double duration_s = 10, warmup_s = 1;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (a[0] != '-' || a[1] == '\0') {
      if (url) usage("more than one URL", a);
      url = a;
      continue;
    }
    if (strchr("ctdwe", a[1]) == NULL || a[2] != '\0') usage("unknown option", a);
    if (i + 1 >= argc) usage("option needs a value", a);
    const char *v = argv[++i];
    switch (a[1]) {
    case 'c': conns = parse_long(v, 1, BH_MAX_CONN, "bad -c"); break;
    case 't': threads = parse_long(v, 1, BH_MAX_THREADS, "bad -t"); break;
    case 'd': duration_s = parse_seconds(v, 0.001, "bad -d"); break;
    case 'w': warmup_s = parse_seconds(v, 0, "bad -w"); break;
    case 'e': expect = parse_long(v, 100, 599, "bad -e"); break;
    }
  }
  if (!url) usage("no URL", NULL);
  if (threads > conns) usage("-t must not exceed -c", NULL);
  parse_url(url, &cfg);
  cfg.expect_status = (int)expect;

  bh_worker *ws = calloc((size_t)threads, sizeof *ws);
  bh_conn *cs = calloc((size_t)conns, sizeof *cs);
  if (!ws || !cs) {
    fprintf(stderr, "bench_http: out of memory\n");
    return 1;
  }
  int64_t t0 = now_ns();
  cfg.warm_end_ns = t0 + (int64_t)(warmup_s * 1e9);
  cfg.end_ns = cfg.warm_end_ns + (int64_t)(duration_s * 1e9);
  for (long t = 0, first = 0; t < threads; t++) {
    bh_worker *w = &ws[t];
    w->cfg = &cfg;
    w->nconn = (int)(conns / threads + (t < conns % threads));
    w->conns = cs + first;
    first += w->nconn;
    w->ep = epoll_create1(EPOLL_CLOEXEC);
    w->hist = calloc(HIST_BUCKETS, sizeof *w->hist);
    if (w->ep < 0 || !w->hist || pthread_create(&w->tid, NULL, worker_run, w) != 0) {
      fprintf(stderr, "bench_http: cannot start thread %ld\n", t);
      return 1;
    }
  }

  uint64_t requests = 0, errors = 0, unexpected = 0, max_ns = 0;
  uint64_t *hist = ws[0].hist;
  for (long t = 0; t < threads; t++) {
    bh_worker *w = &ws[t];
    pthread_join(w->tid, NULL);
    close(w->ep);
    if (t > 0)
      for (size_t i = 0; i < HIST_BUCKETS; i++)
        hist[i] += w->hist[i];
    requests += w->requests;
    errors += w->errors;
    unexpected += w->unexpected;
    if (w->max_ns > max_ns) max_ns = w->max_ns;
  }
  printf("requests %llu\n", (unsigned long long)requests);
  printf("seconds %.3f\n", duration_s);
  printf("rps %.1f\n", (double)requests / duration_s);
  static const struct {
    const char *name;
    double q;
  } qs[] = {{"p50_ms", 0.5}, {"p90_ms", 0.9}, {"p99_ms", 0.99}, {"p999_ms", 0.999}};
  for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++)
    printf("%s %.3f\n", qs[i].name,
           requests ? ms(hist_quantile(hist, requests, qs[i].q, max_ns)) : 0.0);
  printf("max_ms %.3f\n", ms(max_ns));
  printf("errors %llu\n", (unsigned long long)errors);
  printf("unexpected_status %llu\n", (unsigned long long)unexpected);
  for (long t = 0; t < threads; t++)
    free(ws[t].hist);
  free(ws);
  free(cs);
  return requests > 0 && errors == 0 && unexpected == 0 ? 0 : 1;
}
