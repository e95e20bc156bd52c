package analyze

import (
	"cmp"
	"fmt"
	"strconv"
)

// Resource names the object a finding is about.
type Resource struct {
	APIVersion string `json:"apiVersion,omitempty"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	Namespace  string `json:"namespace,omitempty"`
}

// Display is how findings show the resource to people, as istioctl prints it today: "Kind namespace/name".
func (r Resource) Display() string {
	if r.Namespace == "" {
		return r.Kind + " " + r.Name
	}
	return r.Kind + " " + r.Namespace + "/" + r.Name
}

// String is the form --suppress patterns and baselines match, as Istio's: "Kind name.namespace", or
// "Kind name" for cluster-scoped objects.
func (r Resource) String() string {
	if r.Namespace == "" {
		return r.Kind + " " + r.Name
	}
	return r.Kind + " " + r.Name + "." + r.Namespace
}

// Origin says where the object came from: a file and line, or the cluster.
type Origin struct {
	File string `json:"file,omitempty"`
	// Line is 1-based; 0 when unknown.
	Line int `json:"line,omitempty"`
	// Cluster is set for objects read from the API server; ResourceVersion identifies the version read.
	Cluster         bool   `json:"cluster,omitempty"`
	ResourceVersion string `json:"resourceVersion,omitempty"`
}

// String is "file:line", or "cluster" (with the resource version) for objects read from the API server.
func (o Origin) String() string {
	switch {
	case o.File != "" && o.Line > 0:
		return o.File + ":" + strconv.Itoa(o.Line)
	case o.File != "":
		return o.File
	case o.Cluster && o.ResourceVersion != "":
		return "cluster@" + o.ResourceVersion
	case o.Cluster:
		return "cluster"
	}
	return ""
}

// Finding is one problem found.
type Finding struct {
	Code     string   `json:"code"`
	Name     string   `json:"name"`
	Level    Level    `json:"level"`
	Resource Resource `json:"resource"`
	Origin   Origin   `json:"origin"`
	// Field is the path of the field to blame within the object, e.g. spec.http[0].route[0].destination.
	Field         string `json:"field,omitempty"`
	Message       string `json:"message"`
	Documentation string `json:"documentationUrl"`
	Analyzer      string `json:"analyzer,omitempty"`
}

// String is the log line: Error [IST0101] (VirtualService reviews.default vs.yaml:12) message.
func (f Finding) String() string {
	where := f.Resource.Display()
	if o := f.Origin; o.File != "" {
		where += " " + o.String()
	}
	return fmt.Sprintf("%s [%s] (%s) %s", f.Level, f.Code, where, f.Message)
}

// Compare orders findings for output: by origin file and line, then resource, then code, then message, so
// that output is stable from run to run whatever the order analyzers ran in.
func Compare(a, b Finding) int {
	return cmp.Or(
		cmp.Compare(a.Origin.File, b.Origin.File),
		cmp.Compare(a.Origin.Line, b.Origin.Line),
		cmp.Compare(a.Resource.Namespace, b.Resource.Namespace),
		cmp.Compare(a.Resource.Kind, b.Resource.Kind),
		cmp.Compare(a.Resource.Name, b.Resource.Name),
		cmp.Compare(a.Code, b.Code),
		cmp.Compare(a.Field, b.Field),
		cmp.Compare(a.Message, b.Message),
	)
}
