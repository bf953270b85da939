#include "models/policy.h"

void policy_decide(const policy_config *cfg, const policy_obs *obs, policy_decision *out) {
  switch (cfg->kind) {
  case POLICY_FIXED:
    out->desired = cfg->replicas[obs->deployment];
    out->metric = obs->current;
    out->reason = out->desired == obs->current ? "fixed: hold" : "fixed: set replicas";
    return;
  }
}

const char *policy_kind_name(policy_kind k) {
  (void)k;
  return "fixed";
}
