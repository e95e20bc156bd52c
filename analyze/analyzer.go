package analyze

import (
	"context"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Analyzer checks one aspect of the configuration.
type Analyzer interface {
	Metadata() Metadata
	Analyze(c *Context)
}

// Metadata describes an analyzer.
type Metadata struct {
	Name        string
	Description string
	// Codes are the codes the analyzer can report.
	Codes []string
	// Inputs are the kinds it reads; a cluster read lists only the kinds that the enabled analyzers need.
	Inputs []schema.GroupKind
}

// Context is what an analyzer sees: the objects, shared indexes, and where to report.
type Context struct {
	Store *Store
	// RootNamespace is the control plane's namespace (istio-system), where mesh-wide policies live.
	RootNamespace string
	// ClusterName names the analyzed cluster in multicluster findings; Remotes are the other clusters of
	// the mesh, when the input has them.
	ClusterName string
	Remotes     []Remote
	// LookupHost resolves a host name (net.Resolver.LookupHost); nil when analysis must not use the
	// network, as for files alone.
	LookupHost func(ctx context.Context, host string) ([]string, error)

	ctx context.Context

	index    *Index
	analyzer string
	findings []Finding
	// blamed are the object and field of each finding, whose line is looked up once all analyzers ran
	// (resolveOrigins): one object's YAML nodes are then built once and dropped right after.
	blamed []blame
}

type blame struct {
	o     *Object
	field string
}

// Remote is another cluster of a multicluster mesh: its name (cluster ID) and its objects.
type Remote struct {
	Name  string
	Store *Store
}

// NewContext returns a context over a store; tests use it to run one analyzer.
func NewContext(s *Store, rootNamespace string) *Context {
	return &Context{Store: s, RootNamespace: rootNamespace, ctx: context.Background()}
}

// Ctx is the run's context, for analyzers that wait on something (DNS).
func (c *Context) Ctx() context.Context { return c.ctx }

// Index returns the shared indexes of workloads, services and hosts, built on first use.
func (c *Context) Index() *Index {
	if c.index == nil {
		c.index = newIndex(c.Store)
	}
	return c.index
}

// Report records a finding about field of o (a dotted path, "" for the object itself).
func (c *Context) Report(code string, o *Object, field, format string, args ...any) {
	cd := MustCode(code)
	if suppressedByAnnotation(o, cd.ID) {
		return
	}
	c.findings = append(c.findings, Finding{
		Code:          cd.ID,
		Name:          cd.Name,
		Level:         cd.Level,
		Resource:      o.Resource(),
		Origin:        o.Origin,
		Field:         field,
		Message:       fmt.Sprintf(format, args...),
		Documentation: cd.DocURL(),
		Analyzer:      c.analyzer,
	})
	c.blamed = append(c.blamed, blame{o, field})
}

// resolveOrigins gives each finding the line of its field. The findings of one object are resolved
// together and the object's YAML nodes dropped afterwards, so that memory holds one object's nodes at a
// time however many objects have findings.
func (c *Context) resolveOrigins() {
	byObject := map[*Object][]int{}
	for i, b := range c.blamed {
		if b.o != nil && b.o.src != nil {
			byObject[b.o] = append(byObject[b.o], i)
		}
	}
	for o, list := range byObject {
		for _, i := range list {
			c.findings[i].Origin = o.OriginOf(c.blamed[i].field)
		}
		o.src.Node = nil
	}
	c.blamed = c.blamed[:0]
}

// SuppressAnnotation lists, on an object, the codes not to report for it ("IST0102,IST0107", or "*").
const SuppressAnnotation = "galley.istio.io/analyze-suppress"

func suppressedByAnnotation(o *Object, code string) bool {
	v, ok := o.Annotations[SuppressAnnotation]
	if !ok {
		return false
	}
	for _, c := range strings.Split(v, ",") {
		if c = strings.TrimSpace(c); c == "*" || strings.EqualFold(c, code) {
			return true
		}
	}
	return false
}

// Findings returns what has been reported so far.
func (c *Context) Findings() []Finding {
	c.resolveOrigins()
	return c.findings
}

// runOne runs an analyzer, turning a panic into an IST0001 finding so that one broken analyzer does not
// hide the others' findings.
func (c *Context) runOne(a Analyzer) {
	c.analyzer = a.Metadata().Name
	defer func() {
		if r := recover(); r != nil {
			cd := MustCode("IST0001")
			c.findings = append(c.findings, Finding{Code: cd.ID, Name: cd.Name, Level: cd.Level,
				Resource: Resource{Kind: "Analyzer", Name: c.analyzer},
				Message:  fmt.Sprintf("Internal error: analyzer %q panicked: %v", c.analyzer, r), Documentation: cd.DocURL(), Analyzer: c.analyzer})
			c.blamed = append(c.blamed, blame{})
		}
		c.analyzer = ""
	}()
	a.Analyze(c)
}
