/*
 * podautoscaler: AIBrix's PodAutoscaler resource (autoscaling.aibrix.ai/v1alpha1) and the
 * Kubernetes HorizontalPodAutoscaler (autoscaling/v2), read into a policy_config (policy.h).
 *
 * Inline (a scenario's policy in JSON): the PodAutoscaler's spec (scalingStrategy, min/max
 * replicas, targetValue, metricsSources, the HPA's behavior) and its annotations, each checked as
 * the generation that reads it does (docs/scenarios.md, "policies"); an annotation that
 * generation does not read is an error.
 *
 * Manifests (whole objects, as kubectl applies them, from YAML: docs/manifests.md): apiVersion,
 * kind, metadata, spec and status. A PodAutoscaler's kind of autoscaler is its
 * spec.scalingStrategy, in the generation (variant) the caller names; a HorizontalPodAutoscaler
 * is variant kubernetes, with one Pods metric whose AverageValue target is a Kubernetes quantity
 * (gosem.h), and its behavior. spec.scaleTargetRef names the Deployment. metadata's name,
 * namespace, labels and the server's fields are accepted and not used; status is ignored. Of
 * the annotations, those the generation reads are checked as inline ones; those upstream
 * ignores and that are no typo are ignored too (another controller's, another generation's);
 * an unknown key under autoscaling.aibrix.ai/ is an error.
 *
 * Messages name the path through the jv (and the line, when the jv has line_of); nothing is
 * written to cfg beyond what was read.
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
/* One Kubernetes object (the jv at its root). A PodAutoscaler or HorizontalPodAutoscaler sets
 * *cfg to its kind's defaults (policy_config_defaults, with `variant` for a PodAutoscaler) and
 * reads its spec and annotations into it (policy_config_finish is the caller's, after its own
 * settings); *target is spec.scaleTargetRef.name, pointing into doc. An object of another kind
 * (a Deployment, a Service) leaves *cfg alone and *target NULL. False with a message. */
bool pa_manifest_load(jv *v, const cJSON *doc, policy_variant variant, policy_config *cfg,
                      const char **target);

#endif
