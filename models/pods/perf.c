#include "models/pods/perf.h"

#include <math.h>

static int64_t ps(double seconds) { return (int64_t)llround(seconds * 1e12); }

perf_model perf_model_make(const gpu_spec *g, const llm_spec *m, const perf_params *p) {
  double f = p->eff_compute * g->flops, b = p->eff_memory * g->bandwidth;
  return (perf_model){
      .c_tok = ps(2.0 * m->params / f),
      .c_pair = ps(4.0 * m->layers * m->hidden / f),
      .m_w = ps(m->params * m->bytes_per_weight / b),
      .m_kv = ps(llm_kv_bytes_per_token(m) / b),
      .ovh = ps(p->overhead_s),
      .ovh_seq = ps(p->overhead_seq_s),
  };
}

int64_t perf_iter_ps(const perf_model *pm, int64_t prefill_tokens, int64_t prefill_pairs,
                     int64_t decode_seqs, int64_t decode_kv, int64_t seqs) {
  int64_t compute =
      pm->c_tok * (prefill_tokens + decode_seqs) + pm->c_pair * (prefill_pairs + decode_kv);
  int64_t memory = pm->m_w + pm->m_kv * (prefill_tokens + decode_kv);
  return pm->ovh + pm->ovh_seq * seqs + (compute > memory ? compute : memory);
}
