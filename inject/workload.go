package inject

import (
	"strings"
)

// Workload is the object that owns a pod template: its kind and name end up in the proxy's metadata.
type Workload struct {
	APIVersion, Kind, Name, Namespace string
}

// templatePaths maps the workload kinds kube-inject handles to where their pod template is. A nil path
// means the object is the pod itself.
var templatePaths = map[string][]string{
	"Pod":                   nil,
	"Deployment":            {"spec", "template"},
	"StatefulSet":           {"spec", "template"},
	"DaemonSet":             {"spec", "template"},
	"ReplicaSet":            {"spec", "template"},
	"ReplicationController": {"spec", "template"},
	"Job":                   {"spec", "template"},
	"CronJob":               {"spec", "jobTemplate", "spec", "template"},
	"DeploymentConfig":      {"spec", "template"}, // OpenShift
}

// workloadGroups are the API groups each kind may come from, so that a custom resource that happens to
// be called "Deployment" is not mistaken for one.
var workloadGroups = map[string][]string{
	"Pod":                   {""},
	"ReplicationController": {""},
	"Deployment":            {"apps", "extensions"},
	"StatefulSet":           {"apps"},
	"DaemonSet":             {"apps", "extensions"},
	"ReplicaSet":            {"apps", "extensions"},
	"Job":                   {"batch"},
	"CronJob":               {"batch"},
	"DeploymentConfig":      {"apps.openshift.io", ""},
}

// TemplatePath returns where the pod template of an object of this apiVersion and kind is, and whether
// the object is a workload kube-inject handles at all.
func TemplatePath(apiVersion, kind string) ([]string, bool) {
	path, ok := templatePaths[kind]
	if !ok {
		return nil, false
	}
	group := ""
	if i := strings.LastIndexByte(apiVersion, '/'); i >= 0 {
		group = apiVersion[:i]
	}
	for _, g := range workloadGroups[kind] {
		if g == group {
			return path, true
		}
	}
	return nil, false
}

// fieldPath renders a template path and a field below it as a dotted path for messages.
func fieldPath(base []string, rest string) string {
	p := strings.Join(base, ".")
	switch {
	case p == "":
		return rest
	case rest == "":
		return p
	}
	return p + "." + rest
}
