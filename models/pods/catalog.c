#include "models/pods/catalog.h"

#include <string.h>

#include "base/names.h"

#define TFLOPS 1e12
#define GBPS 1e9
#define GIB (1024.0 * 1024.0 * 1024.0)

/* Datasheet figures (docs/catalog.md): dense tensor FP16/BF16 without sparsity. */
static const gpu_spec gpus[] = {
    {"V100-32GB", 125 * TFLOPS, 900 * GBPS, 32 * GIB, 2.48},
    {"A10-24GB", 125 * TFLOPS, 600 * GBPS, 24 * GIB, 1.01},
    {"L20-48GB", 119.5 * TFLOPS, 864 * GBPS, 48 * GIB, 1.20},
    {"A40-48GB", 149.7 * TFLOPS, 696 * GBPS, 48 * GIB, 1.28},
    {"A100-80GB", 312 * TFLOPS, 2039 * GBPS, 80 * GIB, 3.67},
    {"H100-80GB", 989 * TFLOPS, 3350 * GBPS, 80 * GIB, 6.98},
};

/* Model configurations (config.json of each release; docs/catalog.md). */
static const llm_spec llms[] = {
    {"llama-2-7b", 32, 4096, 32, 32, 6.74e9, 2, 4096, 2},
    {"deepseek-llm-7b-chat", 30, 4096, 32, 32, 6.91e9, 2, 4096, 2},
    {"deepseek-coder-6.7b", 32, 4096, 32, 32, 6.74e9, 2, 16384, 2},
    {"llama-3-8b", 32, 4096, 32, 8, 8.03e9, 2, 8192, 2},
    {"deepseek-r1-distill-llama-8b", 32, 4096, 32, 8, 8.03e9, 2, 131072, 2},
};

const gpu_spec *catalog_gpu(const char *name) {
  for (size_t i = 0; i < sizeof gpus / sizeof *gpus; i++)
    if (!strcmp(gpus[i].name, name)) return &gpus[i];
  return NULL;
}

const llm_spec *catalog_llm(const char *name) {
  for (size_t i = 0; i < sizeof llms / sizeof *llms; i++)
    if (!strcmp(llms[i].name, name)) return &llms[i];
  return NULL;
}

const char *catalog_gpu_hint(const char *name, char *buf, size_t n) {
  return names_hint(name, gpus, sizeof *gpus, sizeof gpus / sizeof *gpus, buf, n);
}

const char *catalog_llm_hint(const char *name, char *buf, size_t n) {
  return names_hint(name, llms, sizeof *llms, sizeof llms / sizeof *llms, buf, n);
}

const gpu_spec *catalog_gpu_at(int i) {
  return i >= 0 && (size_t)i < sizeof gpus / sizeof *gpus ? &gpus[i] : NULL;
}

const llm_spec *catalog_llm_at(int i) {
  return i >= 0 && (size_t)i < sizeof llms / sizeof *llms ? &llms[i] : NULL;
}

double llm_kv_bytes_per_token(const llm_spec *m) {
  double head_dim = (double)m->hidden / m->heads;
  return 2.0 * m->layers * m->kv_heads * head_dim * m->kv_bytes;
}

/* Calibrated pairs (docs/catalog.md, "Calibrated pairs"): `podscale calibrate --vllm-log`. */
static const catalog_pod pods[] = {
    {"V100-32GB",
     "deepseek-llm-7b-chat",
     {0.55, 0.8535, 0.004, 0.00001397},
     2083,
     "calibrate --vllm-log: AIBrix's V100 runs, set0 (2,167 stats lines of vLLM 0.6.2)"},
};

const catalog_pod *catalog_pod_for(const char *gpu, const char *llm) {
  for (size_t i = 0; i < sizeof pods / sizeof *pods; i++)
    if (!strcmp(pods[i].gpu, gpu) && !strcmp(pods[i].llm, llm)) return &pods[i];
  return NULL;
}

const catalog_pod *catalog_pod_at(int i) {
  return i >= 0 && (size_t)i < sizeof pods / sizeof *pods ? &pods[i] : NULL;
}
