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
	// ClusterName names this cluster in multicluster findings ("primary" when empty).
	ClusterName string
	// Remotes are the other clusters of a multicluster mesh; their objects are compared with this
	// cluster's (IST0170), never reported on.
	Remotes []RemoteInput
	// LookupHost resolves host names for the analyzers that check addresses (IST0163); nil keeps the
	// analysis off the network.
	LookupHost func(ctx context.Context, host string) ([]string, error)
}

// RemoteInput is one other cluster: a name, and its objects from a cluster, files, or both.
type RemoteInput struct {
	Name    string
	Cluster ClusterReader
	Paths   []string
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
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	c.ctx, c.LookupHost, c.ClusterName = ctx, o.LookupHost, o.ClusterName
	if c.ClusterName == "" {
		c.ClusterName = "primary"
	}
	needed := neededKinds(o.Analyzers)
	if err := readClusterInto(ctx, store, o.Cluster, needed, o.Namespace, o.RootNamespace, o.AllNamespaces); err != nil {
		return nil, fmt.Errorf("read cluster: %w", err)
	}
	in, err := readFilesInto(store, o.Paths, o.Recursive, o.Stdin, o.Namespace, c)
	if err != nil {
		return nil, err
	}
	res.InputErrors = in
	for _, r := range o.Remotes {
		remote := NewStore()
		// Another cluster is only compared with this one: its Services, in every namespace.
		if err := readClusterInto(ctx, remote, r.Cluster, remoteKinds, "", "", true); err != nil {
			return nil, fmt.Errorf("read cluster %s: %w", r.Name, err)
		}
		bad, err := readFilesInto(remote, r.Paths, o.Recursive, nil, o.Namespace, nil)
		if err != nil {
			return nil, fmt.Errorf("cluster %s: %w", r.Name, err)
		}
		res.InputErrors = append(res.InputErrors, bad...)
		c.Remotes = append(c.Remotes, Remote{Name: r.Name, Store: remote})
	}
	for _, e := range res.InputErrors {
		cd := MustCode("MSH1001")
		res.Findings = append(res.Findings, Finding{Code: cd.ID, Name: cd.Name, Level: cd.Level,
			Resource: Resource{Kind: "File", Name: e.Source}, Origin: Origin{File: e.Source, Line: e.Line},
			Field: e.Field, Message: e.Err.Error(), Documentation: cd.DocURL(), Analyzer: "input"})
	}
	res.Objects = store.Len()

	for _, a := range o.Analyzers {
		c.runOne(a)
	}
	for _, f := range c.Findings() {
		if o.AllNamespaces || inScope(store, f, o.Namespace) {
			res.Findings = append(res.Findings, f)
		}
	}
	slices.SortStableFunc(res.Findings, Compare)
	return res, nil
}

// remoteKinds are what is read of the mesh's other clusters: the Services that the mesh merges across
// clusters (IST0170).
var remoteKinds = []GroupKind{KindService}

// readClusterInto lists what the analyzers need from a cluster into s; without a cluster, s is taken to
// hold everything there is (files only).
func readClusterInto(ctx context.Context, s *Store, r ClusterReader, needed []GroupKind, namespace, root string, all bool) error {
	if r == nil {
		s.MarkAllComplete()
		return nil
	}
	reqs := plan(needed, namespace, root, all)
	lists, err := readCluster(ctx, r, reqs)
	if err != nil {
		return err
	}
	for i, items := range lists {
		for _, v := range items {
			obj := newObject(v, "")
			obj.Origin = Origin{Cluster: true, ResourceVersion: stringAt(v, "metadata", "resourceVersion")}
			decodeSpec(obj)
			s.Add(obj)
		}
		s.MarkComplete(reqs[i].kind.GroupKind, reqs[i].namespace)
	}
	return nil
}

// readFilesInto adds the files' objects to s, over the cluster's, and returns the documents that could
// not be read. An object defined twice in the files is reported (MSH1003) when c is given.
func readFilesInto(s *Store, paths []string, recursive bool, stdin io.Reader, namespace string, c *Context) ([]*kubeyaml.Error, error) {
	if len(paths) == 0 {
		return nil, nil
	}
	in, err := readFiles(paths, recursive, stdin, namespace)
	if err != nil {
		return nil, err
	}
	for _, obj := range in.objects {
		decodeSpec(obj)
		if old := s.Add(obj); old != nil && old.FromFile() && c != nil {
			c.analyzer = "input"
			c.Report("MSH1003", obj, "", "%s is also defined at %s; this definition replaces it", obj.Resource(), old.OriginOf("").String())
			c.analyzer = ""
		}
	}
	return in.bad, nil
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
