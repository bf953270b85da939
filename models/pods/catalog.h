/*
 * catalog: built-in GPU types and LLMs, the inputs of the performance model.
 *
 * Every number is documented with its source in docs/catalog.md. Scenarios refer to entries
 * by name and may override any field or add entries of their own (sim/scenario/scenario.c). A
 * third, small table holds (GPU, LLM) pairs calibrated against real servers (docs/catalog.md,
 * "Calibrated pairs").
 */
#ifndef PODSCALE_CATALOG_H
#define PODSCALE_CATALOG_H

#include <stddef.h>
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
  double kv_bytes; /* bytes per cached K or V value: 2 (vLLM kv_cache_dtype auto), 1 for fp8 */
} llm_spec;

/* The performance model's four factors (models/pods/perf.h). */
typedef struct perf_params {
  double eff_compute;    /* e_c: achieved fraction of peak tensor FLOP/s, (0, 1] */
  double eff_memory;     /* e_m: achieved fraction of peak memory bandwidth, (0, 1] */
  double overhead_s;     /* o: per iteration, seconds */
  double overhead_seq_s; /* o_s: per sequence in the iteration, seconds */
} perf_params;

/* A (GPU, LLM) pair calibrated against a real vLLM server: its factors and its KV cache, which
 * replace the generic defaults for that pair (llm_engine_args_for in models/pods/llmpod.h). */
typedef struct catalog_pod {
  const char *gpu, *llm;  /* catalog names */
  perf_params perf;       /* fitted factors */
  int32_t num_gpu_blocks; /* fitted KV blocks of 16 tokens (vLLM num_gpu_blocks) */
  const char *source;     /* what it was fitted to, one line */
} catalog_pod;

const gpu_spec *catalog_gpu(const char *name);
const llm_spec *catalog_llm(const char *name);
/* For a name the catalog does not have: `did you mean "A100-80GB"?` or the catalog's names, in
 * buf (names.h's names_hint); returns buf. */
const char *catalog_gpu_hint(const char *name, char *buf, size_t n);
const char *catalog_llm_hint(const char *name, char *buf, size_t n);
/* Entry i of the built-in tables, NULL past the end (for listings and docs). */
const gpu_spec *catalog_gpu_at(int i);
const llm_spec *catalog_llm_at(int i);
/* The calibrated entry of a (GPU, LLM) pair by name, NULL when there is none; and entry i. */
const catalog_pod *catalog_pod_for(const char *gpu, const char *llm);
const catalog_pod *catalog_pod_at(int i);

/* KV-cache bytes one token occupies: K and V for every layer and KV head, kv_bytes each. */
double llm_kv_bytes_per_token(const llm_spec *m);

#endif
