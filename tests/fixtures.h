/*
 * fixtures: what the integration tests start and talk to: a private redis-server on a free
 * loopback port, a minimal HTTP/1.1 client, child processes of the podscale binary (or any
 * program) whose stdout and stderr the test reads back, and fx_dir: a test's own directory to run
 * them in. Header-only; include after cmocka.h.
 */
#ifndef PODSCALE_TEST_FIXTURES_H
#define PODSCALE_TEST_FIXTURES_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

extern char **environ;

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
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_port = htons((uint16_t)port),
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
    /* Dies with the test: a test that fails before fx_redis_stop must not leave a server that
     * holds ctest's output pipe open (ctest then waits for it). */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
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
  if (!b || !*b) fail_msg("PODSCALE_BIN is not set: run the tests through ctest");
  return b;
}

/* Run a shell command; its exit status (-1 if it did not exit). */
static inline int fx_system(const char *cmd) {
  int st = system(cmd);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Run argv (NULL-terminated; argv[0] is looked up on PATH when it has no '/') with environment
 * env (NULL: this process's) and stdin from /dev/null, and wait for it. Its stdout and stderr
 * pass through DIR/stdout.txt and DIR/stderr.txt (removed afterwards) into *out_text and
 * *err_text, malloc'd and NUL-terminated; what they held before (NULL or malloc'd) is freed.
 * Returns the exit status; a program that cannot start or does not exit fails the test. */
static inline int fx_run(const char *dir, const char *const *argv, char *const *env,
                         char **out_text, char **err_text) {
  char out_path[512], err_path[512];
  snprintf(out_path, sizeof out_path, "%s/stdout.txt", dir);
  snprintf(err_path, sizeof err_path, "%s/stderr.txt", dir);
  posix_spawn_file_actions_t fa;
  assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
  assert_int_equal(posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0), 0);
  assert_int_equal(
      posix_spawn_file_actions_addopen(&fa, 1, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644), 0);
  assert_int_equal(
      posix_spawn_file_actions_addopen(&fa, 2, err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644), 0);
  pid_t pid;
  int rc = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, env ? env : environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) fail_msg("cannot start %s: %s", argv[0], strerror(rc));
  int status;
  while (waitpid(pid, &status, 0) < 0)
    assert_int_equal(errno, EINTR);

  free(*out_text);
  free(*err_text);
  *out_text = tu_slurp(out_path, NULL);
  *err_text = tu_slurp(err_path, NULL);
  assert_non_null(*out_text);
  assert_non_null(*err_text);
  unlink(out_path);
  unlink(err_path);
  if (!WIFEXITED(status))
    fail_msg("%s did not exit normally (status 0x%x); stderr:\n%s", argv[0], (unsigned)status,
             *err_text);
  return WEXITSTATUS(status);
}

/* fx_run of the podscale binary with args (NULL-terminated, without argv[0]). */
static inline int fx_run_podscale(const char *dir, const char *const *args, char **out_text,
                                  char **err_text) {
  const char *argv[32];
  size_t n = 0;
  argv[n++] = fx_podscale();
  for (; args[n - 1]; n++) {
    assert_true(n < sizeof argv / sizeof *argv - 1);
    argv[n] = args[n - 1];
  }
  argv[n] = NULL;
  return fx_run(dir, argv, NULL, out_text, err_text);
}

/* The state of a test that runs programs (cmocka_unit_test_setup_teardown with fx_dir_setup and
 * fx_dir_teardown): a fresh directory under /tmp, removed after the test, and what the last
 * program run by fx_dir_run wrote. */
typedef struct fx_dir {
  char dir[64];      /* mkdtemp directory */
  char out[256];     /* DIR/out, not made: an output directory to give the program */
  char *stdout_text; /* of the last fx_dir_run; NULL before */
  char *stderr_text;
} fx_dir;

static inline int fx_dir_setup(void **state) {
  fx_dir *f = calloc(1, sizeof *f);
  if (!f) return -1;
  tu_tmpdir(f->dir);
  snprintf(f->out, sizeof f->out, "%s/out", f->dir);
  *state = f;
  return 0;
}

static inline int fx_dir_teardown(void **state) {
  fx_dir *f = *state;
  free(f->stdout_text);
  free(f->stderr_text);
  tu_rmrf(f->dir);
  free(f);
  return 0;
}

/* fx_run with f's directory and output. */
static inline int fx_dir_run(fx_dir *f, const char *const *argv, char *const *env) {
  return fx_run(f->dir, argv, env, &f->stdout_text, &f->stderr_text);
}

#endif
