package profiles

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"reflect"
	"sort"

	"github.com/meshctl/meshctl/kubeyaml"
)

// Input is the install configuration as the user gave it.
type Input struct {
	// Files are IstioOperator files (-f), applied in order; "-" reads Stdin.
	Files []string
	Stdin io.Reader
	// Sets are --set path=value flags, applied after the files.
	Sets []string
	// Profile is used when neither the files nor --set name one (profile dump NAME).
	Profile string
	// Charts is the chart tree (manifests/charts); its values.yaml files define which values exist.
	Charts fs.FS
	// DefaultTag is the image tag when the configuration sets none: meshctl's own version.
	DefaultTag string
}

// Resolved is the merged configuration.
type Resolved struct {
	// Operator is the typed configuration.
	Operator *IstioOperator
	// Tree is the same configuration as a tree, as `profile dump` prints it.
	Tree map[string]any
}

// Resolve merges the default profile, the named profile, the files and the --set flags, in that order, and
// validates each user-given part on its own so that an error names its file and line or its flag.
func Resolve(in Input) (*Resolved, error) {
	schema := newSchema(in.Charts)
	var docs []map[string]any
	var errs []error
	for _, f := range in.Files {
		d, err := readOperatorFile(f, in.Stdin, schema)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		docs = append(docs, d...)
	}
	sets := make([]setFlag, 0, len(in.Sets))
	for _, raw := range in.Sets {
		s, err := parseSet(raw)
		if err == nil {
			err = s.resolve(schema)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		sets = append(sets, s)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}

	profile := in.Profile
	for _, d := range docs {
		if p, _ := spec(d)["profile"].(string); p != "" {
			profile = p
		}
	}
	for _, s := range sets {
		if len(s.path) == 2 && s.path[1].key == "profile" {
			profile, _ = s.typedValue.(string)
		}
	}
	if profile == "" {
		profile = DefaultProfile
	}

	tree, err := profileTree(profile)
	if err != nil {
		return nil, err
	}
	for _, d := range docs {
		tree = merge(tree, d, "")
	}
	for _, s := range sets {
		if err := apply(tree, s.path, s.typedValue); err != nil {
			return nil, &inputError{msg: fmt.Sprintf("--set %s: %v", s.flag, err)}
		}
	}
	sp := spec(tree)
	sp["profile"] = profile
	if t := sp["tag"]; (t == nil || t == "") && in.DefaultTag != "" {
		sp["tag"] = in.DefaultTag
	}
	tree["apiVersion"], tree["kind"] = APIVersion, Kind

	op, err := decode(tree)
	if err != nil {
		return nil, err
	}
	return &Resolved{Operator: op, Tree: tree}, nil
}

// profileTree is the default profile with the named profile (a built-in name, or an IstioOperator file) over it.
func profileTree(name string) (map[string]any, error) {
	base, err := builtinTree(DefaultProfile)
	if err != nil {
		return nil, err
	}
	if name == DefaultProfile {
		return base, nil
	}
	over, err := builtinTree(name)
	if err != nil {
		return nil, err
	}
	return merge(base, over, ""), nil
}

func builtinTree(name string) (map[string]any, error) {
	b, err := overlay(name)
	if err != nil {
		return nil, err
	}
	docs, err := parseOperatorDocs(b, "profiles/data/"+name+".yaml", nil)
	if err != nil {
		return nil, fmt.Errorf("built-in profile %s: %w", name, err)
	}
	tree := map[string]any{}
	for _, d := range docs {
		tree = merge(tree, d, "")
	}
	return tree, nil
}

func spec(tree map[string]any) map[string]any {
	s, ok := tree["spec"].(map[string]any)
	if !ok {
		s = map[string]any{}
		tree["spec"] = s
	}
	return s
}

// readOperatorFile reads the IstioOperator documents of one -f file.
func readOperatorFile(name string, stdin io.Reader, schema *schema) ([]map[string]any, error) {
	var r io.Reader
	if name == kubeyaml.Stdin {
		if stdin == nil {
			return nil, &kubeyaml.Error{Source: name, Err: errors.New("no standard input")}
		}
		r = stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, &kubeyaml.Error{Source: name, Err: fmt.Errorf("cannot read: %w", errors.Unwrap(err))}
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, &kubeyaml.Error{Source: name, Err: fmt.Errorf("cannot read: %w", err)}
	}
	return parseOperatorDocs(data, name, schema)
}

// parseOperatorDocs parses and, when schema is given, validates every document of data.
func parseOperatorDocs(data []byte, source string, schema *schema) ([]map[string]any, error) {
	var out []map[string]any
	var errs []error
	for _, doc := range kubeyaml.Split(data, source) {
		objs, err := doc.Objects()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, o := range objs {
			if schema != nil {
				if ferrs := schema.check(o.Value); len(ferrs) > 0 {
					sort.SliceStable(ferrs, func(i, j int) bool { return o.LineOf(ferrs[i].path) < o.LineOf(ferrs[j].path) })
					for _, fe := range ferrs {
						errs = append(errs, &kubeyaml.Error{Source: source, Line: o.LineOf(fe.path), Field: fe.path, Err: errors.New(fe.msg)})
					}
					continue
				}
			}
			out = append(out, o.Value)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(out) == 0 && schema != nil {
		return nil, &kubeyaml.Error{Source: source, Err: errors.New("no IstioOperator found")}
	}
	return out, nil
}

// numbersAsText turns numbers where the IstioOperator has text into text, in place: YAML reads
// `tag: 1.20` or `hub: 0` as numbers, stringShape accepts them, and the user meant the text.
func numbersAsText(v any, s *shape) any {
	s = s.resolved()
	switch s.kind {
	case stringShape:
		switch n := v.(type) {
		case float64, int, int64:
			return fmt.Sprint(n)
		}
	case objectShape:
		if m, ok := v.(map[string]any); ok {
			fields := s.fieldMap()
			for k, child := range m {
				if f := fields[k]; f != nil {
					m[k] = numbersAsText(child, f)
				}
			}
		}
	case mapShape:
		if m, ok := v.(map[string]any); ok {
			for k, child := range m {
				m[k] = numbersAsText(child, s.elem)
			}
		}
	case listShape:
		if l, ok := v.([]any); ok {
			for i, e := range l {
				l[i] = numbersAsText(e, s.elem)
			}
		}
	}
	return v
}

// decode turns the merged tree into the typed IstioOperator. The tree was validated part by part, so an
// error here is a bug or a conflict between parts that only shows once merged.
func decode(tree map[string]any) (*IstioOperator, error) {
	numbersAsText(tree, shapeOfType(reflect.TypeOf(IstioOperator{})))
	b, err := json.Marshal(tree)
	if err != nil {
		return nil, fmt.Errorf("encode merged IstioOperator: %w", err)
	}
	var op IstioOperator
	if err := json.Unmarshal(b, &op); err != nil {
		return nil, &inputError{msg: fmt.Sprintf("merged IstioOperator: %v", err)}
	}
	return &op, nil
}

// schema validates IstioOperator trees; the values part comes from the charts and is built on first use.
type schema struct {
	charts   fs.FS
	operator *shape
}

func newSchema(charts fs.FS) *schema { return &schema{charts: charts} }

func (s *schema) shape() *shape {
	if s.operator == nil {
		s.operator = operatorShape(func() *shape { return valuesShape(s.charts) })
	}
	return s.operator
}

// check validates one IstioOperator document.
func (s *schema) check(tree map[string]any) []fieldError {
	var errs []fieldError
	if v, ok := tree["apiVersion"]; ok && v != APIVersion {
		errs = append(errs, fieldError{path: "apiVersion", msg: fmt.Sprintf("want %s, got %v", APIVersion, v)})
	}
	if v, ok := tree["kind"]; ok && v != Kind {
		errs = append(errs, fieldError{path: "kind", msg: fmt.Sprintf("want %s, got %v", Kind, v)})
	}
	s.shape().validate(tree, "", &errs)
	return errs
}

// resolve types a --set value by the shape of its target field.
func (f *setFlag) resolve(s *schema) error {
	target, err := shapeAt(s.shape(), f.path)
	if err != nil {
		return &inputError{msg: fmt.Sprintf("--set %s: %v", f.flag, err)}
	}
	v, err := typed(f.value, target)
	if err != nil {
		return &inputError{msg: fmt.Sprintf("--set %s: %s: %v", f.flag, pathString(f.path), err)}
	}
	var errs []fieldError
	target.validate(v, pathString(f.path), &errs)
	if len(errs) > 0 {
		return &inputError{msg: fmt.Sprintf("--set %s: %s: %s", f.flag, errs[0].path, errs[0].msg)}
	}
	f.typedValue = v
	return nil
}

// operatorShape is the IstioOperator's shape with the chart-defined values and the mesh config filled in;
// values is only computed when a path reaches it.
func operatorShape(values func() *shape) *shape {
	base := shapeOfType(reflect.TypeOf(IstioOperator{}))
	return lazyObject(func() map[string]*shape {
		op := map[string]*shape{}
		for k, v := range base.fieldMap() {
			op[k] = v
		}
		spec := op["spec"]
		op["spec"] = lazyObject(func() map[string]*shape {
			sp := map[string]*shape{}
			for k, v := range spec.fieldMap() {
				sp[k] = v
			}
			sp["values"] = deferredShape(values)
			sp["meshConfig"] = meshConfigShape()
			sp["unvalidatedValues"] = anything
			return sp
		})
		return op
	})
}

// valuesShape is the union of every chart's values.yaml: a values key no chart declares is a typo.
func valuesShape(charts fs.FS) *shape {
	if charts == nil {
		return anything
	}
	var out *shape
	_ = fs.WalkDir(charts, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "values.yaml" {
			return nil
		}
		if _, err := fs.Stat(charts, path.Join(path.Dir(p), "Chart.yaml")); err != nil {
			return nil
		}
		b, err := fs.ReadFile(charts, p)
		if err != nil {
			return nil
		}
		docs := kubeyaml.Split(b, p)
		if len(docs) != 1 {
			return nil
		}
		objs, err := docs[0].Objects()
		if err != nil || len(objs) != 1 {
			return nil
		}
		out = mergeShapes(out, shapeOfDefaults(objs[0].Value, ""))
		return nil
	})
	if out == nil {
		return anything
	}
	return out
}
