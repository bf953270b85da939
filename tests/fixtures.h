/*
 * fixtures: what the integration tests start and talk to: a private redis-server on a free
 * loopback port, a minimal HTTP/1.1 client, and child processes of the podscale binary.
 * Header-only; include after cmocka.h.
 */
#ifndef PODSCALE_TEST_FIXTURES_H
#define PODSCALE_TEST_FIXTURES_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static inline void fx_sleep_ms(long ms) {
  struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&t, NULL);
}

/* A loopback TCP port nobody listens on now. */
static inline int fx_free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
      getsockname(fd, (struct sockaddr *)&a, &len) != 0)
    abort();
  close(fd);
  return ntohs(a.sin_port);
}

/* Connect to 127.0.0.1:port; -1 when nothing listens. */
static inline int fx_connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0) return fd;
  if (fd >= 0) close(fd);
  return -1;
}

static inline bool fx_write_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w <= 0) return false;
    p += w;
    n -= (size_t)w;
  }
  return true;
}

/* Send raw bytes and read until the server closes; malloc'd reply (NUL-terminated), or NULL
 * when nothing listens. */
static inline char *fx_raw(int port, const char *bytes, size_t n) {
  int fd = fx_connect(port);
  if (fd < 0) return NULL;
  fx_write_all(fd, bytes, n);
  shutdown(fd, SHUT_WR);
  size_t len = 0, cap = 4096;
  char *out = malloc(cap);
  ssize_t r;
  while (out && (r = read(fd, out + len, cap - len - 1)) > 0) {
    len += (size_t)r;
    if (len + 1 == cap) out = realloc(out, cap *= 2);
  }
  close(fd);
  if (out) out[len] = '\0';
  return out;
}

/* One HTTP/1.1 request (Connection: close); the status, and the body in *body (malloc'd, may
 * be NULL). Returns -1 when the server cannot be reached. */
static inline int fx_http(int port, const char *method, const char *path, const char *body,
                          char **out_body) {
  char head[2048];
  size_t blen = body ? strlen(body) : 0;
  int n = snprintf(head, sizeof head,
                   "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                   "Content-Length: %zu\r\n\r\n",
                   method, path, blen);
  size_t total = (size_t)n + blen;
  char *req = malloc(total + 1);
  memcpy(req, head, (size_t)n);
  if (blen) memcpy(req + n, body, blen);
  char *reply = fx_raw(port, req, total);
  free(req);
  if (out_body) *out_body = NULL;
  if (!reply) return -1;
  int status = -1;
  if (sscanf(reply, "HTTP/1.%*d %d", &status) != 1) status = -1;
  const char *sep = strstr(reply, "\r\n\r\n");
  if (out_body) *out_body = strdup(sep ? sep + 4 : "");
  free(reply);
  return status;
}

/* A private redis-server on a free loopback port, answering; its pid, or -1 when redis-server
 * is not installed. `port` 0 picks one (returned in *port). */
static inline pid_t fx_redis_start(int *port) {
  if (system("command -v redis-server >/dev/null 2>&1") != 0) return -1;
  if (!*port) *port = fx_free_port();
  pid_t pid = fork();
  if (pid == 0) {
    char p[16];
    snprintf(p, sizeof p, "%d", *port);
    if (!freopen("/dev/null", "w", stdout)) _exit(127);
    execlp("redis-server", "redis-server", "--port", p, "--bind", "127.0.0.1", "--save", "",
           "--appendonly", "no", (char *)NULL);
    _exit(127);
  }
  for (int i = 0; i < 250; i++) { /* until it listens */
    int fd = fx_connect(*port);
    if (fd >= 0) {
      close(fd);
      return pid;
    }
    fx_sleep_ms(20);
  }
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  fail_msg("redis-server did not start on port %d", *port);
  return -1;
}

static inline void fx_redis_stop(pid_t pid) {
  if (pid <= 0) return;
  kill(pid, SIGTERM);
  waitpid(pid, NULL, 0);
}

/* The podscale binary (ctest sets PODSCALE_BIN). */
static inline const char *fx_podscale(void) {
  const char *b = getenv("PODSCALE_BIN");
  if (!b) fail_msg("PODSCALE_BIN is not set: run the tests through ctest");
  return b;
}

/* Run a shell command; its exit status (-1 if it did not exit). */
static inline int fx_system(const char *cmd) {
  int st = system(cmd);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#endif
