package analyze

import (
	"strings"

	"google.golang.org/protobuf/proto"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/meshctl/meshctl/kubeyaml"
	"github.com/meshctl/meshctl/meshapi/validation"
)

// Object is one object of the input, from a file or from the cluster.
type Object struct {
	APIVersion string
	schema.GroupKind
	Name, Namespace string
	Labels          map[string]string
	Annotations     map[string]string
	// Value is the whole object as JSON-shaped values.
	Value  map[string]any
	Origin Origin

	// Spec is the decoded spec of an Istio kind (nil for other kinds); SpecErrors are the problems the
	// decoder met (unknown fields, wrong types), each naming its field.
	Spec       proto.Message
	SpecErrors validation.FieldErrors

	src *kubeyaml.Object // the file object, for lines of fields
}

// Resource names the object in findings.
func (o *Object) Resource() Resource {
	return Resource{APIVersion: o.APIVersion, Kind: o.Kind, Name: o.Name, Namespace: o.Namespace}
}

// FromFile reports whether the object was read from a file (or stdin).
func (o *Object) FromFile() bool { return o.src != nil }

// OriginOf is the origin of a field: its file and line for file objects, the object's origin otherwise.
func (o *Object) OriginOf(field string) Origin {
	if o.src == nil {
		return o.Origin
	}
	org := o.Origin
	if field == "" {
		org.Line = o.src.Line()
	} else {
		org.Line = o.src.LineOf(field)
	}
	return org
}

// Get returns the value at a dotted path of map keys ("spec.selector"), or nil.
func (o *Object) Get(path string) any {
	var v any = o.Value
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// Map returns the map at path, or nil.
func (o *Object) Map(path string) map[string]any {
	m, _ := o.Get(path).(map[string]any)
	return m
}

// StringMap returns the string-valued map at path (labels, selectors), ignoring other values.
func (o *Object) StringMap(path string) map[string]string { return stringMap(o.Map(path)) }

func stringMap(m map[string]any) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}

// newObject fills the metadata of an object from its value.
func newObject(v map[string]any, defaultNamespace string) *Object {
	o := &Object{Value: v}
	o.APIVersion, _ = v["apiVersion"].(string)
	o.Kind, _ = v["kind"].(string)
	if i := strings.LastIndexByte(o.APIVersion, '/'); i >= 0 {
		o.Group = o.APIVersion[:i]
	}
	meta, _ := v["metadata"].(map[string]any)
	o.Name, _ = meta["name"].(string)
	o.Namespace, _ = meta["namespace"].(string)
	o.Labels = stringMap(mapOf(meta["labels"]))
	o.Annotations = stringMap(mapOf(meta["annotations"]))
	namespaced := !clusterScoped[o.Kind]
	if k, ok := LookupKind(o.GroupKind); ok {
		namespaced = k.Namespaced
	}
	switch {
	case !namespaced:
		o.Namespace = ""
	case o.Namespace == "":
		o.Namespace = defaultNamespace
	}
	return o
}

func mapOf(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// Version is the version part of the object's apiVersion.
func (o *Object) Version() string {
	if i := strings.LastIndexByte(o.APIVersion, '/'); i >= 0 {
		return o.APIVersion[i+1:]
	}
	return o.APIVersion
}
