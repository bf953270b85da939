/*
 * llmpod: a vLLM server on one GPU, as a state machine in simulated time.
 *
 * Scheduler (vLLM 0.6, V0 engine; vllm/core/scheduler.py), chunked prefill off:
 *   - requests wait in an FCFS queue; preempted requests go back to its head;
 *   - each step first tries to admit waiting requests for a prefill-only iteration, in queue
 *     order, while they fit max_num_seqs (running included), max_num_batched_tokens and the KV
 *     cache with `watermark_blocks` to spare; the first that does not fit stops admission;
 *   - otherwise every running sequence decodes one token; a sequence that needs a new KV block
 *     when none is free makes the newest running sequences give theirs up (preemption by
 *     recompute: blocks freed, request back to the queue head; on readmission it prefills its
 *     prompt plus the tokens it had generated);
 *   - the prefill iteration yields each admitted request's next token (its first, unless it
 *     is being recomputed); a request is done when it has all its output tokens.
 * With chunked prefill on (_schedule_chunked_prefill): every iteration first gives each running
 * sequence its share of the max_num_batched_tokens budget (one token per decode, the next chunk
 * of a prompt being prefilled), then admits waiting requests into what is left, their prompts
 * split into chunks; prefill and decode share iterations.
 * A request whose prompt plus output can never fit (the context window, or the whole KV cache
 * less the watermark) is rejected at once, as vLLM's API server rejects it; so is one whose
 * prompt plus the client's max_tokens exceeds the context window (vLLM answers 400 whatever the
 * output would have been).
 *
 * Time: iteration times come from models/pods/perf.h in integer picoseconds. While the batch does
 * not change, decode iterations form a segment whose boundaries are closed-form (the KV each
 * sequence reads grows by one token per step), so the pod wakes the engine only when the batch
 * changes: a sequence finishes, the KV cache runs out, or a new request waits for the next
 * iteration boundary. The pod keeps its own picosecond clock (rebased as it runs) and reports
 * times rounded up to the microsecond. `stepped` ends every segment after one iteration, which
 * the tests use to show that the closed form changes nothing.
 *
 * Gauges: running (sequences in the batch, including those being prefilled), waiting (queue),
 * KV-cache usage = blocks held / total blocks, as vllm:gpu_cache_usage_perc.
 */
#ifndef PODSCALE_LLMPOD_H
#define PODSCALE_LLMPOD_H

#include <stdbool.h>

#include "models/pods/catalog.h"
#include "models/pods/perf.h"
#include "models/pods/pod.h"

typedef struct llmpod_config {
  perf_model perf;
  int32_t block_size;             /* tokens per KV block (vLLM default 16) */
  int32_t total_blocks;           /* KV blocks on the GPU */
  int32_t watermark_blocks;       /* kept free when admitting (vLLM: 1% of total) */
  int32_t max_num_seqs;           /* sequences in a batch (vLLM default 256) */
  int32_t max_num_batched_tokens; /* tokens in an iteration */
  bool chunked_prefill;  /* vLLM enable_chunked_prefill: prompts in chunks, mixed with decodes */
  int32_t max_model_len; /* context window */
  bool stepped;          /* one engine event per iteration (tests, benchmark) */
  /* Optional, stepped mode only: called at each iteration's end with the requests that just
   * got a token (the benchmark times every token gap with it). */
  void (*on_tokens)(void *ctx, request *const *rs, int32_t n, int64_t t_us);
  void *tokens_ctx;
} llmpod_config;

/* vLLM engine arguments (0 where a default derives from the model or the GPU). */
typedef struct llm_engine_args {
  int32_t max_num_seqs;            /* 256 */
  int32_t block_size;              /* 16 */
  int32_t max_model_len;           /* 0: the model's context window */
  int32_t max_num_batched_tokens;  /* 0: 512 with chunked prefill, else max(max_model_len, 2048) */
  bool enable_chunked_prefill;     /* false, as vLLM 0.6 for models up to 32k context */
  int32_t num_gpu_blocks;          /* 0: from memory (num_gpu_blocks_override otherwise) */
  double gpu_memory_utilization;   /* 0.9 */
  double activation_reserve_bytes; /* memory vLLM's profiling run takes, 1 GiB by default */
  perf_params perf;
} llm_engine_args;

/* vLLM's defaults with the generic factors (docs/perf-model.md), for any GPU and LLM. */
extern const llm_engine_args llm_engine_args_default;
/* The engine arguments a deployment of m on g starts from: llm_engine_args_default, with the
 * factors and KV blocks of the catalog's calibrated entry for the pair when there is one
 * (catalog_pod_for). Every caller that defaults engine arguments for a named pair uses this. */
llm_engine_args llm_engine_args_for(const gpu_spec *g, const llm_spec *m);

/* Sizing as vLLM does it: memory * gpu_memory_utilization - weights - activation reserve,
 * divided into blocks of block_size tokens. Returns 0 when the weights do not fit. */
int32_t llmpod_kv_blocks(const gpu_spec *g, const llm_spec *m, double gpu_memory_utilization,
                         double activation_reserve_bytes, int32_t block_size);

/* The pod configuration vLLM would run with; false with the reason (as vLLM refuses to start:
 * no room for the KV cache, or a cache smaller than one max_model_len sequence). */
bool llmpod_configure(const gpu_spec *g, const llm_spec *m, const llm_engine_args *a,
                      llmpod_config *out, char *why, size_t why_len);

/* Give the configuration a KV cache of `blocks` blocks, with vLLM's watermark (1%). */
void llmpod_set_kv_blocks(llmpod_config *c, int32_t blocks);

pod_model llmpod_new(const llmpod_config *cfg);

#endif
