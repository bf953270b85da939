/*
 * podautoscaler: AIBrix's PodAutoscaler resource (autoscaling.aibrix.ai/v1alpha1), as a scenario
 * writes it in JSON, read into a policy_config (policy.h): the spec (scalingStrategy's
 * min/max replicas, targetValue, metricsSources, the HPA's behavior) and the annotations, each
 * checked as the generation that reads it does (docs/scenarios.md, "policies"). Messages name
 * the JSON path through the jv; nothing is written to cfg beyond what was read.
 */
#ifndef PODSCALE_PODAUTOSCALER_H
#define PODSCALE_PODAUTOSCALER_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "base/jsonv.h"
#include "models/autoscalers/policy.h"

/* The PodAutoscaler's spec (the jv is at the spec's path). */
bool pa_spec_load(jv *v, policy_config *cfg, const cJSON *spec);
/* Its metadata.annotations, an object of strings (the jv is at the annotations' path). */
bool pa_annotations_load(jv *v, policy_config *cfg, const cJSON *ann);

#endif
