package webhook

import (
	"regexp"
	"strings"

	"github.com/meshctl/meshctl/inject"
)

// cronJobName is the name of a Job a CronJob made: <cronjob>-<scheduled time in minutes>.
var cronJobName = regexp.MustCompile(`^(.+)-\d{8,10}$`)

// workloadOf names the workload that owns an admitted pod, as Istio's injector does: a pod is admitted
// before its name is generated, so its controller says which Deployment (through the ReplicaSet and the
// pod-template-hash label), CronJob (through the Job) or DeploymentConfig it belongs to. kube-inject,
// given that workload, writes the same proxy metadata.
func workloadOf(meta map[string]any, namespace string) inject.Workload {
	w := inject.Workload{APIVersion: "v1", Kind: "Pod", Namespace: namespace}
	w.Name, _ = meta["name"].(string)
	labels, _ := meta["labels"].(map[string]any)
	generated, _ := meta["generateName"].(string)
	if generated == "" {
		return w
	}
	refs, _ := meta["ownerReferences"].([]any)
	for _, r := range refs {
		ref, _ := r.(map[string]any)
		if controller, _ := ref["controller"].(bool); !controller {
			continue
		}
		name, _ := ref["name"].(string)
		w.APIVersion, _ = ref["apiVersion"].(string)
		w.Kind, _ = ref["kind"].(string)
		w.Name = name
		hash, _ := labels["pod-template-hash"].(string)
		switch {
		case w.Kind == "ReplicaSet" && hash != "" && strings.HasSuffix(name, "-"+hash):
			w.Kind, w.Name = "Deployment", strings.TrimSuffix(name, "-"+hash)
		case w.Kind == "ReplicationController" && labels["deploymentconfig"] != nil:
			w.Kind, _ = "DeploymentConfig", ""
			w.Name, _ = labels["deploymentconfig"].(string)
		case w.Kind == "Job":
			if m := cronJobName.FindStringSubmatch(name); m != nil {
				w.APIVersion, w.Kind, w.Name = "batch/v1", "CronJob", m[1]
			}
		}
		break
	}
	return w
}
