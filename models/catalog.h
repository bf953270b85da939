/*
 * catalog: built-in GPU types and LLMs, the inputs of the performance model.
 *
 * Every number is documented with its source in docs/catalog.md. Scenarios refer to entries
 * by name and may override any field or add entries of their own (sim/scenario.c).
 */
#ifndef PODSCALE_CATALOG_H
#define PODSCALE_CATALOG_H

#include <stdint.h>

typedef struct gpu_spec {
  const char *name;
  double flops;          /* dense FP16/BF16 tensor throughput, FLOP/s */
  double bandwidth;      /* memory bandwidth, bytes/s */
  double memory;         /* device memory, bytes */
  double price_per_hour; /* default on-demand price, dollars per GPU-hour */
} gpu_spec;

typedef struct llm_spec {
  const char *name;
  int32_t layers;          /* transformer blocks */
  int32_t hidden;          /* model dimension */
  int32_t heads;           /* attention (query) heads */
  int32_t kv_heads;        /* key/value heads (grouped-query attention when < heads) */
  double params;           /* parameters */
  double bytes_per_weight; /* 2 for FP16/BF16 */
  int32_t max_model_len;   /* context window, tokens */
  double kv_bytes;         /* bytes per cached K or V value: 2 (vLLM kv_cache_dtype auto), 1 for fp8 */
} llm_spec;

const gpu_spec *catalog_gpu(const char *name);
const llm_spec *catalog_llm(const char *name);
/* Entry i of the built-in tables, NULL past the end (for listings and docs). */
const gpu_spec *catalog_gpu_at(int i);
const llm_spec *catalog_llm_at(int i);

/* KV-cache bytes one token occupies: K and V for every layer and KV head, kv_bytes each. */
double llm_kv_bytes_per_token(const llm_spec *m);

#endif
