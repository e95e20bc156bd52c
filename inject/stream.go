package inject

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/meshctl/meshctl/kubeyaml"
)

// Result is what happened to one object of a stream, for the per-document report.
type Result struct {
	Kind, Name, Namespace string
	// Position is "file:line" of the object.
	Position string
	Outcome  Outcome
	// Reason says why an object was skipped.
	Reason string
}

// String is the report line: "deployment/sleep: injected", "pod/x: skipped: hostNetwork".
func (r Result) String() string {
	s := strings.ToLower(r.Kind) + "/" + r.Name + ": " + r.Outcome.String()
	if r.Reason != "" {
		s += ": " + r.Reason
	}
	return s
}

// StreamOptions tune a Stream.
type StreamOptions struct {
	Pod PodOptions
	// SkipUninjectable passes a workload that cannot be injected through unchanged (and reports it)
	// instead of failing the stream.
	SkipUninjectable bool
	// Report, when set, is told about every object.
	Report func(Result)
}

// DocumentReader yields documents; *kubeyaml.Reader is one.
type DocumentReader interface {
	Next() (*kubeyaml.Document, error)
}

// Stream injects the workloads of YAML streams and writes every document to one output, in order:
// injected workloads re-encoded, everything else exactly as read. It holds one document at a time.
type Stream struct {
	config *Config
	opts   StreamOptions
	out    io.Writer
	buf    []byte
	enc    kubeyaml.Encoder
	wrote  bool
}

// NewStream returns a Stream writing to out.
func NewStream(c *Config, out io.Writer, opts StreamOptions) *Stream {
	return &Stream{config: c, opts: opts, out: out}
}

// Inject reads r to its end. Each document is written whole, after it was processed, so an error
// leaves the output at a document boundary. Bad input is a *kubeyaml.Error naming file and line.
func (s *Stream) Inject(ctx context.Context, r DocumentReader) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		doc, err := r.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := s.document(doc); err != nil {
			return err
		}
	}
}

func (s *Stream) document(doc *kubeyaml.Document) error {
	objs, err := doc.ObjectValues()
	if err != nil {
		return err
	}
	changed := false
	for i := range objs {
		injected, err := s.object(&objs[i])
		if err != nil {
			return err
		}
		changed = changed || injected
	}
	if !changed {
		return s.write(doc.Raw)
	}
	var value any
	if len(objs) == 1 && !objs[0].InList() {
		value = objs[0].Value
	} else if value, err = listWithItems(doc, objs); err != nil {
		return err
	}
	s.buf, err = s.enc.Append(s.buf[:0], value)
	if err != nil {
		return fmt.Errorf("%s: write the injected document: %w", doc.Position(), err)
	}
	return s.write(s.buf)
}

// object injects one object in place; it reports whether it changed.
func (s *Stream) object(obj *kubeyaml.Object) (bool, error) {
	apiVersion, _ := obj.Value["apiVersion"].(string)
	kind, _ := obj.Value["kind"].(string)
	meta, _ := obj.Value["metadata"].(map[string]any)
	name, _ := meta["name"].(string)
	if name == "" {
		if g, _ := meta["generateName"].(string); g != "" {
			name = g
		} else {
			name = "(unnamed)"
		}
	}
	namespace, _ := meta["namespace"].(string)
	res := Result{Kind: kind, Name: name, Namespace: namespace}
	if kind == "" {
		res.Kind = "document"
	}
	path, ok := TemplatePath(apiVersion, kind)
	if !ok {
		res.Outcome = NotWorkload
		s.report(obj, res)
		return false, nil
	}
	tmpl, err := podTemplate(obj.Value, path)
	if err != nil {
		return false, s.fail(obj, res, nil, err)
	}
	var owner map[string]any
	if path != nil {
		owner = meta
	}
	outcome, reason, err := s.config.Decide(tmpl, owner, namespace)
	if err != nil {
		return false, s.fail(obj, res, path, err)
	}
	if outcome != Injected {
		res.Outcome, res.Reason = outcome, reason
		s.report(obj, res)
		return false, nil
	}
	w := Workload{APIVersion: apiVersion, Kind: kind, Name: name, Namespace: namespace}
	if name == "(unnamed)" {
		w.Name = ""
	}
	injected, err := s.config.InjectPod(w, tmpl, s.opts.Pod)
	if err != nil {
		return false, s.fail(obj, res, path, err)
	}
	setPodTemplate(obj.Value, path, injected)
	res.Outcome = Injected
	s.report(obj, res)
	return true, nil
}

// fail turns an injection error into the stream's error, or into a report line with SkipUninjectable.
// Errors about the user's fields become *kubeyaml.Error at the field's line.
func (s *Stream) fail(obj *kubeyaml.Object, res Result, path []string, err error) error {
	var fe *FieldError
	if errors.As(err, &fe) {
		field := fieldPath(path, fe.Field)
		err = &kubeyaml.Error{Source: obj.Doc.Source, Line: obj.LineOf(field), Field: field, Err: fe.Err}
	}
	if s.opts.SkipUninjectable {
		res.Outcome, res.Reason = Skipped, "cannot inject: "+err.Error()
		s.report(obj, res)
		return nil
	}
	var ke *kubeyaml.Error
	if errors.As(err, &ke) {
		ke.Err = fmt.Errorf("%s/%s: %w", strings.ToLower(res.Kind), res.Name, ke.Err)
		return ke
	}
	return fmt.Errorf("%s: %s/%s: cannot inject: %w", obj.Position(), strings.ToLower(res.Kind), res.Name, err)
}

func (s *Stream) report(obj *kubeyaml.Object, res Result) {
	if s.opts.Report == nil {
		return
	}
	res.Position = obj.Doc.Position()
	s.opts.Report(res)
}

// write outputs one document, separated from the previous one.
func (s *Stream) write(b []byte) error {
	if s.wrote {
		if _, err := io.WriteString(s.out, "---\n"); err != nil {
			return err
		}
	}
	s.wrote = true
	if _, err := s.out.Write(b); err != nil {
		return err
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		_, err := io.WriteString(s.out, "\n")
		return err
	}
	return nil
}

// podTemplate finds the pod template at path in a workload; its errors' fields are the object's.
func podTemplate(obj map[string]any, path []string) (Pod, error) {
	cur := obj
	for i, step := range path {
		next, ok := cur[step].(map[string]any)
		if !ok {
			return Pod{}, &FieldError{Field: strings.Join(path[:i+1], "."), Err: fmt.Errorf("missing: want the workload's pod template here")}
		}
		cur = next
	}
	meta, ok := cur["metadata"].(map[string]any)
	if !ok && cur["metadata"] != nil {
		return Pod{}, fieldErrorf(fieldPath(path, "metadata"), "want a mapping, got %s", typeName(cur["metadata"]))
	}
	spec, ok := cur["spec"].(map[string]any)
	if !ok {
		return Pod{}, fieldErrorf(fieldPath(path, "spec"), "want the pod spec, got %s", typeName(cur["spec"]))
	}
	if meta == nil {
		meta = map[string]any{}
	}
	return Pod{Metadata: meta, Spec: spec}, nil
}

func setPodTemplate(obj map[string]any, path []string, pod Pod) {
	cur := obj
	for _, step := range path {
		cur = cur[step].(map[string]any)
	}
	cur["metadata"], cur["spec"] = pod.Metadata, pod.Spec
}

// listWithItems rebuilds a List document around its (changed) items.
func listWithItems(doc *kubeyaml.Document, objs []kubeyaml.Object) (any, error) {
	whole, err := doc.Value()
	if err != nil {
		return nil, err
	}
	list, _ := whole.(map[string]any)
	items, _ := list["items"].([]any)
	if len(items) != len(objs) {
		return nil, fmt.Errorf("%s: the List's items changed while injecting", doc.Position())
	}
	for i := range objs {
		items[i] = objs[i].Value
	}
	return list, nil
}
