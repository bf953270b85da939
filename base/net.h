/*
 * net: what every long-running server of the project does with the operating system: listen
 * on a TCP port and set up its signals. Used by `podscale serve` and the mock vLLM server.
 */
#ifndef PODSCALE_BASE_NET_H
#define PODSCALE_BASE_NET_H

#include <signal.h>

#include "base/err.h"

/* A listening TCP socket on bind_addr:port (IPv4; port 0: any free one, *bound_port says
 * which), close-on-exec, SO_REUSEADDR, backlog 1024; the descriptor, or -1 with a message
 * ("--bind: expected an IPv4 address, found '...'" or "cannot listen on A:P: REASON"). */
int ps_listen_tcp(const char *bind_addr, int port, int *bound_port, ps_err *e);

/* What a server does first, before it starts any thread: block SIGTERM, SIGINT and SIGHUP (put
 * in *set, for sigwait: only the main thread then receives them), ignore SIGPIPE (a client that
 * goes away is an error on its socket, not the end of the process), and raise the soft limit
 * on open files to the hard one (every connection is a file). */
void ps_daemon_prepare(sigset_t *set);

#endif
