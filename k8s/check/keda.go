package main

import (
	"encoding/json"
	"fmt"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// scaledObject is KEDA's keda.sh/v1alpha1 ScaledObject (KEDA 2.17+), the fields of its CRD schema; it
// is decoded with unknown fields disallowed, so a misspelt field is an error as for built-in kinds.
type scaledObject struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name        string            `json:"name"`
		Namespace   string            `json:"namespace,omitempty"`
		Labels      map[string]string `json:"labels,omitempty"`
		Annotations map[string]string `json:"annotations,omitempty"`
	} `json:"metadata"`
	Spec struct {
		ScaleTargetRef *struct {
			APIVersion             string `json:"apiVersion,omitempty"`
			Kind                   string `json:"kind,omitempty"`
			Name                   string `json:"name"`
			EnvSourceContainerName string `json:"envSourceContainerName,omitempty"`
		} `json:"scaleTargetRef"`
		PollingInterval       *int32 `json:"pollingInterval,omitempty"`
		InitialCooldownPeriod *int32 `json:"initialCooldownPeriod,omitempty"`
		CooldownPeriod        *int32 `json:"cooldownPeriod,omitempty"`
		IdleReplicaCount      *int32 `json:"idleReplicaCount,omitempty"`
		MinReplicaCount       *int32 `json:"minReplicaCount,omitempty"`
		MaxReplicaCount       *int32 `json:"maxReplicaCount,omitempty"`
		Fallback              *struct {
			FailureThreshold int32  `json:"failureThreshold"`
			Replicas         int32  `json:"replicas"`
			Behavior         string `json:"behavior,omitempty"`
		} `json:"fallback,omitempty"`
		Advanced json.RawMessage `json:"advanced,omitempty"`
		Triggers []struct {
			Type              string            `json:"type"`
			Name              string            `json:"name,omitempty"`
			UseCachedMetrics  bool              `json:"useCachedMetrics,omitempty"`
			MetricType        string            `json:"metricType,omitempty"`
			Metadata          map[string]string `json:"metadata"`
			AuthenticationRef *struct {
				Name string `json:"name"`
				Kind string `json:"kind,omitempty"`
			} `json:"authenticationRef,omitempty"`
		} `json:"triggers"`
	} `json:"spec"`
}

func (s *scaledObject) GetObjectKind() schema.ObjectKind { return schema.EmptyObjectKind }
func (s *scaledObject) DeepCopyObject() runtime.Object   { c := *s; return &c }

// Required metadata per trigger type (one of each group), and the numeric ones.
var triggerRules = map[string]struct {
	required [][]string
	numeric  []string
}{
	"kafka": {
		required: [][]string{{"bootstrapServers", "bootstrapServersFromEnv"}, {"consumerGroup", "consumerGroupFromEnv"}},
		numeric:  []string{"lagThreshold", "activationLagThreshold"},
	},
	"temporal": {
		required: [][]string{{"endpoint", "endpointFromEnv"}, {"taskQueue"}},
		numeric:  []string{"targetQueueSize", "activationTargetQueueSize", "minConnectTimeout"},
	},
}

func checkScaledObject(o *object, ix index, s *scaledObject) {
	sp := s.Spec
	if sp.ScaleTargetRef == nil || sp.ScaleTargetRef.Name == "" {
		o.fail("spec.scaleTargetRef.name is required")
		return
	}
	kind := sp.ScaleTargetRef.Kind
	if kind == "" {
		kind = "Deployment"
	}
	target := ix.get(kind, o.ns, sp.ScaleTargetRef.Name)
	if target == nil {
		o.fail("spec.scaleTargetRef: no %s %q in namespace %q in this render", kind, sp.ScaleTargetRef.Name, o.ns)
	} else if sp.ScaleTargetRef.APIVersion != "" && sp.ScaleTargetRef.APIVersion != target.apiVer {
		o.fail("spec.scaleTargetRef.apiVersion %q, but %s is %s", sp.ScaleTargetRef.APIVersion, target.id(), target.apiVer)
	}
	if sp.MinReplicaCount != nil && sp.MaxReplicaCount != nil && *sp.MinReplicaCount > *sp.MaxReplicaCount {
		o.fail("spec.minReplicaCount %d > maxReplicaCount %d", *sp.MinReplicaCount, *sp.MaxReplicaCount)
	}
	if len(sp.Triggers) == 0 {
		o.fail("spec.triggers is empty")
	}
	env := targetEnv(ix, target, sp.ScaleTargetRef.EnvSourceContainerName)
	for i, t := range sp.Triggers {
		where := fmt.Sprintf("spec.triggers[%d] (%s)", i, t.Type)
		if t.Type == "" {
			o.fail("spec.triggers[%d].type is required", i)
			continue
		}
		if t.MetricType != "" && t.MetricType != "AverageValue" && t.MetricType != "Value" && t.MetricType != "Utilization" {
			o.fail("%s: metricType %q is not AverageValue, Value or Utilization", where, t.MetricType)
		}
		rules, known := triggerRules[t.Type]
		if !known {
			continue
		}
		for _, group := range rules.required {
			found := false
			for _, k := range group {
				found = found || t.Metadata[k] != ""
			}
			if !found {
				o.fail("%s: metadata needs %s", where, joinOr(group))
			}
		}
		for _, k := range rules.numeric {
			if v, ok := t.Metadata[k]; ok {
				if _, err := strconv.ParseFloat(v, 64); err != nil {
					o.fail("%s: metadata.%s %q is not a number", where, k, v)
				}
			}
		}
		for k, v := range t.Metadata {
			if len(k) > 7 && k[len(k)-7:] == "FromEnv" && env != nil {
				if _, ok := env[v]; !ok {
					o.fail("%s: metadata.%s names %s, which the target container does not set", where, k, v)
				}
			}
		}
	}
}

func joinOr(ks []string) string {
	if len(ks) == 1 {
		return ks[0]
	}
	out := ""
	for i, k := range ks {
		if i > 0 {
			out += " or "
		}
		out += k
	}
	return out
}

// targetEnv: the variables the scale target's container sets (env and envFrom ConfigMaps of this
// render); nil when unknown.
func targetEnv(ix index, target *object, container string) map[string]bool {
	if target == nil {
		return nil
	}
	var spec *corev1.PodSpec
	switch t := target.typed.(type) {
	case *appsv1.Deployment:
		spec = &t.Spec.Template.Spec
	case *appsv1.StatefulSet:
		spec = &t.Spec.Template.Spec
	default:
		return nil
	}
	if len(spec.Containers) == 0 {
		return nil
	}
	c := &spec.Containers[0]
	for i := range spec.Containers {
		if spec.Containers[i].Name == container {
			c = &spec.Containers[i]
		}
	}
	env := map[string]bool{}
	for _, e := range c.Env {
		env[e.Name] = true
	}
	for _, ef := range c.EnvFrom {
		if ef.ConfigMapRef == nil {
			continue
		}
		cm := ix.get("ConfigMap", target.ns, ef.ConfigMapRef.Name)
		if cm == nil {
			continue
		}
		if t, ok := cm.typed.(*corev1.ConfigMap); ok {
			for k := range t.Data {
				env[ef.Prefix+k] = true
			}
		}
	}
	return env
}
