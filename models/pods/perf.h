/*
 * perf: the time of one engine iteration of an LLM on a GPU.
 *
 * Roofline with a fixed overhead (docs/perf-model.md):
 *
 *   compute = (2 N (P + D) + 4 L H A) / (e_c F)
 *   memory  = (W + k (P + C)) / (e_m B)
 *   T       = o + o_s S + max(compute, memory)
 *
 * N parameters, W weight bytes, L layers, H hidden size, k KV bytes per token; F peak tensor
 * FLOP/s and B memory bandwidth of the GPU; P prefill tokens, D decoding sequences, S sequences
 * in the iteration, C KV tokens the decoding sequences read (their context plus the new token),
 * A attended (query, key) pairs (P_i (P_i + 1) / 2 per prefill plus C); e_c, e_m efficiency
 * factors, o and o_s overheads: the four numbers calibration fits.
 *
 * The model is evaluated in integer picoseconds from integer coefficients rounded once. An
 * iteration's time is then an exact integer function of its token counts, linear in C, so a run
 * of decode iterations with a fixed batch (C grows by D per step) has closed-form times, and
 * stepping one iteration at a time gives the very same numbers.
 */
#ifndef PODSCALE_PERF_H
#define PODSCALE_PERF_H

#include <stdint.h>

#include "models/pods/catalog.h"

/* perf_params (e_c, e_m, o, o_s) is declared in models/pods/catalog.h, which holds calibrated
 * values. */

/* Integer coefficients, picoseconds. */
typedef struct perf_model {
  int64_t c_tok;   /* compute per token through the weights */
  int64_t c_pair;  /* compute per attended (query, key) pair */
  int64_t m_w;     /* reading the weights once */
  int64_t m_kv;    /* reading or writing one token's KV entries */
  int64_t ovh;     /* per iteration */
  int64_t ovh_seq; /* per sequence */
} perf_model;

perf_model perf_model_make(const gpu_spec *g, const llm_spec *m, const perf_params *p);

/* Iteration time, ps: prefill tokens and pairs, decode sequences and KV tokens read, and the
 * number of sequences in the iteration. */
int64_t perf_iter_ps(const perf_model *pm, int64_t prefill_tokens, int64_t prefill_pairs,
                     int64_t decode_seqs, int64_t decode_kv, int64_t seqs);

#endif
