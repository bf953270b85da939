/*
 * mock_vllm: `podscale mock-vllm`, an OpenAI-compatible HTTP server that answers like a vLLM
 * pod, with its timing from the simulated vLLM engine (models/pods/llmpod.h) run in real time.
 * docs/mock-vllm.md is the user's guide.
 *
 * Time: simulated time is the wall time since start (CLOCK_MONOTONIC) times `speedup`, in
 * microseconds. One engine thread owns the pod; nothing else calls it. A request is stamped
 * with the simulated time at which its body was read, queued for the engine, and submitted to
 * the pod at that time (the pod is first advanced to it). The engine thread then advances the
 * pod to the current simulated time, sleeps until the pod's next_us converted back to wall
 * time (or until a new request or a cancellation wakes it), and repeats. The pod runs stepped,
 * one iteration per engine event, so each token exists from the end of the iteration that
 * produced it: a streamed token is written when the engine reaches that iteration, and a
 * request ends when the pod reports it finished. With speedup X every latency a client sees
 * is the simulated one divided by X.
 *
 * Threads: libmicrohttpd runs one thread per connection. A non-streaming request's thread
 * waits (on the request's condition variable, under the one mutex) for the pod to finish it;
 * a streaming response's content callback waits for each new token. The engine signals a
 * request at each of its tokens and at its end. A request lives until the connection, the
 * engine and the stream response have all let go of it (a reference count under the mutex);
 * a client that disconnects mid-stream has its request cancelled in the pod, as vLLM aborts it.
 *
 * Errors: bad requests get 4xx with an OpenAI error object, {"error": {"message", "type",
 * "param", "code"}}; a request that cannot fit the context window or the KV cache gets 400
 * before it reaches the pod. Internal invariants are asserted.
 *
 * Upstream: routes and bodies of vLLM's OpenAI server (vllm/entrypoints/openai/api_server.py,
 * protocol.py, serving_completion.py, serving_chat.py; 0.6), gauges and histograms of
 * vllm/engine/metrics.py (0.6, V0), with the label model_name.
 */
#ifndef PODSCALE_MOCK_VLLM_H
#define PODSCALE_MOCK_VLLM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "models/pods/llmpod.h"

typedef struct mv_options {
  const char *bind;       /* IPv4 address to listen on, "0.0.0.0" */
  int port;               /* 8000; 0: any free port (printed) */
  double speedup;         /* simulated seconds per wall-clock second, 1 */
  const char *model_name; /* served name: the body's "model", /v1/models, metric label */
  const char *gpu_name;   /* for the startup line */
  llmpod_config pod;      /* the engine (llmpod_configure); stepped and on_tokens are set here */
  FILE *log;              /* startup and shutdown lines; NULL: stderr */
} mv_options;

typedef struct mock_vllm mock_vllm;

/* Check the options; nothing runs yet. NULL with the reason in why. */
mock_vllm *mv_new(const mv_options *o, char *why, size_t why_len);
/* Bind the port, start the engine thread and the HTTP server, and log "listening on ADDR:PORT".
 * Simulated time 0 is now. */
bool mv_start(mock_vllm *m, char *why, size_t why_len);
/* The port it listens on (the chosen one when asked for 0). */
int mv_port(const mock_vllm *m);
/* Stop: requests in flight end (503, or a stream cut short), the threads are joined. */
void mv_stop(mock_vllm *m);
/* Stops first if needed. */
void mv_free(mock_vllm *m);

/* The whole command: start, wait for SIGTERM or SIGINT, stop. Returns the exit status (0 after
 * a signal, 1 when it cannot start, 2 for bad options). */
int mv_main(const mv_options *o);

/* Prompt tokens of a text: its whitespace-separated words (aibrix_benchmark's prompt "hi "
 * repeated n times is n tokens). */
int32_t mv_count_words(const char *s, size_t n);

#endif
