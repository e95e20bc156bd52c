package analyze

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/meshctl/meshctl/kubeyaml"
	"github.com/meshctl/meshctl/meshapi/validation"
)

// Options say what to analyze.
type Options struct {
	// Paths are files, directories and "-" (Stdin); Recursive walks subdirectories.
	Paths     []string
	Recursive bool
	Stdin     io.Reader
	// Cluster is read when not nil; file objects replace cluster objects of the same kind, namespace and name.
	Cluster ClusterReader
	// Namespace is analyzed (and given to file objects without one) unless AllNamespaces.
	Namespace     string
	AllNamespaces bool
	// RootNamespace is the control plane's namespace (istio-system).
	RootNamespace string
	// Analyzers to run.
	Analyzers []Analyzer
	// Timeout bounds the cluster reads (0: none).
	Timeout time.Duration
}

// Result is the outcome of a run.
type Result struct {
	// Findings are sorted (Compare) and include one MSH1001 finding per document that could not be read.
	Findings []Finding
	// InputErrors are the documents that could not be read: an incomplete analysis.
	InputErrors []*kubeyaml.Error
	// Objects is how many objects were analyzed.
	Objects       int
	Namespace     string
	AllNamespaces bool
}

// Run reads the input and runs the analyzers.
func Run(ctx context.Context, o Options) (*Result, error) {
	store := NewStore()
	res := &Result{Namespace: o.Namespace, AllNamespaces: o.AllNamespaces}
	c := NewContext(store, o.RootNamespace)

	if o.Cluster != nil {
		if o.Timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, o.Timeout)
			defer cancel()
		}
		reqs := plan(neededKinds(o.Analyzers), o.Namespace, o.RootNamespace, o.AllNamespaces)
		lists, err := readCluster(ctx, o.Cluster, reqs)
		if err != nil {
			return nil, fmt.Errorf("read cluster: %w", err)
		}
		for i, items := range lists {
			for _, v := range items {
				obj := newObject(v, "")
				obj.Origin = Origin{Cluster: true, ResourceVersion: stringAt(v, "metadata", "resourceVersion")}
				decodeSpec(obj)
				store.Add(obj)
			}
			store.MarkComplete(reqs[i].kind.GroupKind, reqs[i].namespace)
		}
	} else {
		store.MarkAllComplete()
	}

	if len(o.Paths) > 0 {
		in, err := readFiles(o.Paths, o.Recursive, o.Stdin, o.Namespace)
		if err != nil {
			return nil, err
		}
		for _, obj := range in.objects {
			decodeSpec(obj)
			if old := store.Add(obj); old != nil && old.FromFile() {
				c.analyzer = "input"
				c.Report("MSH1003", obj, "", "%s is also defined at %s; this definition replaces it", obj.Resource(), old.OriginOf("").String())
				c.analyzer = ""
			}
		}
		res.InputErrors = in.bad
		for _, e := range in.bad {
			cd := MustCode("MSH1001")
			res.Findings = append(res.Findings, Finding{Code: cd.ID, Name: cd.Name, Level: cd.Level,
				Resource: Resource{Kind: "File", Name: e.Source}, Origin: Origin{File: e.Source, Line: e.Line},
				Field: e.Field, Message: e.Err.Error(), Documentation: cd.DocURL(), Analyzer: "input"})
		}
	}
	res.Objects = store.Len()

	for _, a := range o.Analyzers {
		c.runOne(a)
	}
	for _, f := range c.findings {
		if o.AllNamespaces || inScope(store, f, o.Namespace) {
			res.Findings = append(res.Findings, f)
		}
	}
	slices.SortStableFunc(res.Findings, Compare)
	return res, nil
}

// inScope keeps findings about the analyzed namespace, about cluster-scoped objects, and about anything
// read from a file: files are what the user asked to check.
func inScope(s *Store, f Finding, ns string) bool {
	switch {
	case f.Origin.File != "" || f.Resource.Namespace == ns:
		return true
	case f.Resource.Kind == "Namespace":
		return f.Resource.Name == ns
	}
	return f.Resource.Namespace == ""
}

// decodeSpec decodes an Istio object's spec into its API message, recording field errors.
func decodeSpec(o *Object) {
	if _, ok := validation.LookupKind(o.GroupKind); !ok {
		return
	}
	o.Spec, o.SpecErrors = validation.DecodeSpec(o.GroupKind.WithVersion(o.Version()), o.Value["spec"])
}

func stringAt(v map[string]any, keys ...string) string {
	for _, k := range keys[:len(keys)-1] {
		v, _ = v[k].(map[string]any)
	}
	s, _ := v[keys[len(keys)-1]].(string)
	return s
}

// HasFailures reports whether any finding is at or above the level.
func (r *Result) HasFailures(threshold Level) bool {
	for _, f := range r.Findings {
		if f.Level >= threshold {
			return true
		}
	}
	return false
}
