package profiles

import (
	"reflect"
	"sort"
	"strings"
	"sync"

	"google.golang.org/protobuf/reflect/protoreflect"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/meshctl/meshctl/meshapi/validation"
)

// A shape is what a value in the IstioOperator may look like. Shapes come from three sources that
// describe the same input: Go types (the IstioOperator and Kubernetes types), protobuf descriptors
// (meshConfig) and the charts' values.yaml (values). One validator then checks all of them alike.
type shape struct {
	kind   shapeKind
	fields map[string]*shape // objectShape: the known keys; use fieldMap, they may be built lazily
	elem   *shape            // mapShape and listShape: the element
	enum   []string          // stringShape: allowed values, if limited

	// build computes fields on first use: the Kubernetes and protobuf types behind an IstioOperator are
	// large, and a --set walks one path through them.
	build func() map[string]*shape
	once  sync.Once

	// check, when set, validates a value in place of the shape's own rules: protobuf-shaped values
	// (meshConfig) are checked by the decoder meshd reads them with.
	check func(v any, path string) validation.FieldErrors

	// get stands in for a shape that is expensive to compute (the charts' values); resolved calls it once.
	get     func() *shape
	getOnce sync.Once
	target  *shape
}

// deferredShape is a shape computed the first time something looks at it.
func deferredShape(get func() *shape) *shape { return &shape{get: get} }

// resolved returns the shape a deferred shape stands for, or s itself.
func (s *shape) resolved() *shape {
	if s.get == nil {
		return s
	}
	s.getOnce.Do(func() { s.target = s.get() })
	return s.target
}

// lazyObject is an object shape whose fields are computed when first needed.
func lazyObject(build func() map[string]*shape) *shape {
	return &shape{kind: objectShape, build: build}
}

// fieldMap returns an object shape's fields, building them on first use.
func (s *shape) fieldMap() map[string]*shape {
	if s.build != nil {
		s.once.Do(func() { s.fields = s.build() })
	}
	return s.fields
}

type shapeKind int

const (
	anyShape         shapeKind = iota // anything goes (free-form maps, Struct, interface{})
	objectShape                       // a mapping with known keys
	mapShape                          // a mapping with free keys and elements of one shape
	listShape                         // a sequence
	stringShape                       // a string; numbers are accepted, YAML reads tag: 1.20 as a number
	boolShape                         // a boolean
	intShape                          // a whole number
	numberShape                       // any number
	quantityShape                     // a Kubernetes quantity: 100m, 1Gi or a number
	intOrStringShape                  // a port name or number, a percentage or a count
)

var anything = &shape{kind: anyShape}

func (k shapeKind) String() string {
	return [...]string{"anything", "an object", "a map", "a list", "a string", "a boolean", "an integer",
		"a number", "a quantity (like 100m or 1Gi)", "an integer or a string"}[k]
}

// fieldNames lists an object's keys, sorted, for messages.
func (s *shape) fieldNames() []string {
	names := make([]string, 0, len(s.fieldMap()))
	for n := range s.fieldMap() {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

var (
	reflectShapes   = map[reflect.Type]*shape{}
	reflectShapesMu sync.Mutex
	quantityType    = reflect.TypeOf(resource.Quantity{})
	intOrStringType = reflect.TypeOf(intstr.IntOrString{})
	timeType        = reflect.TypeOf(metav1.Time{})
	durationType    = reflect.TypeOf(metav1.Duration{})
)

// shapeOfType derives a shape from a Go type's JSON encoding.
func shapeOfType(t reflect.Type) *shape {
	reflectShapesMu.Lock()
	defer reflectShapesMu.Unlock()
	return shapeOfTypeLocked(t)
}

func shapeOfTypeLocked(t reflect.Type) *shape {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if s, ok := reflectShapes[t]; ok {
		return s
	}
	switch t {
	case quantityType:
		return &shape{kind: quantityShape}
	case intOrStringType:
		return &shape{kind: intOrStringShape}
	case timeType, durationType:
		return &shape{kind: stringShape}
	}
	switch t.Kind() {
	case reflect.Struct:
		s := lazyObject(func() map[string]*shape {
			reflectShapesMu.Lock()
			defer reflectShapesMu.Unlock()
			fields := map[string]*shape{}
			addStructFields(fields, t)
			return fields
		})
		reflectShapes[t] = s
		return s
	case reflect.Map:
		return &shape{kind: mapShape, elem: shapeOfTypeLocked(t.Elem())}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return &shape{kind: stringShape}
		}
		return &shape{kind: listShape, elem: shapeOfTypeLocked(t.Elem())}
	case reflect.String:
		return &shape{kind: stringShape}
	case reflect.Bool:
		return &shape{kind: boolShape}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return &shape{kind: intShape}
	case reflect.Float32, reflect.Float64:
		return &shape{kind: numberShape}
	}
	return anything
}

func addStructFields(fields map[string]*shape, t reflect.Type) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && (name == "" || strings.Contains(opts, "inline")) {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			addStructFields(fields, ft)
			continue
		}
		if name == "" {
			name = f.Name
		}
		fields[name] = shapeOfTypeLocked(f.Type)
	}
}

// shapeOfMessage derives a shape from a protobuf message. The shape walks and types --set paths; the
// values themselves are checked by meshapi/validation's decoder, the one meshd reads them with: a message
// of a document (meshConfig) by the check its caller sets, a single --set value by its field's check.
func shapeOfMessage(md protoreflect.MessageDescriptor, seen map[protoreflect.FullName]*shape) *shape {
	if s, ok := seen[md.FullName()]; ok {
		return s
	}
	s := lazyObject(func() map[string]*shape {
		out := map[string]*shape{}
		fields := md.Fields()
		for i := 0; i < fields.Len(); i++ {
			fd := fields.Get(i)
			fs := shapeOfField(fd, seen)
			out[fd.JSONName()] = fs
			if string(fd.Name()) != fd.JSONName() {
				out[string(fd.Name())] = fs // the decoder accepts the proto name too
			}
		}
		return out
	})
	seen[md.FullName()] = s
	return s
}

func shapeOfField(fd protoreflect.FieldDescriptor, seen map[protoreflect.FullName]*shape) *shape {
	if fd.IsMap() {
		return &shape{kind: mapShape, elem: shapeOfValue(fd.MapValue(), seen)}
	}
	s := shapeOfValue(fd, seen)
	if fd.IsList() {
		return &shape{kind: listShape, elem: s}
	}
	return s
}

// shapeOfValue is the shape of one value of a field: an element of a list, a value of a map.
func shapeOfValue(fd protoreflect.FieldDescriptor, seen map[protoreflect.FullName]*shape) *shape {
	var s *shape
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		switch fd.Message().FullName() {
		case "google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue", "google.protobuf.Any":
			return anything
		case "google.protobuf.Duration", "google.protobuf.Timestamp", "google.protobuf.FieldMask",
			"google.protobuf.StringValue", "google.protobuf.BytesValue":
			s = &shape{kind: stringShape}
		case "google.protobuf.BoolValue":
			s = &shape{kind: boolShape}
		case "google.protobuf.Int32Value", "google.protobuf.UInt32Value", "google.protobuf.Int64Value", "google.protobuf.UInt64Value":
			s = &shape{kind: intShape}
		case "google.protobuf.DoubleValue", "google.protobuf.FloatValue":
			s = &shape{kind: numberShape}
		default:
			return shapeOfMessage(fd.Message(), seen) // shared by every field of that type: no check of its own
		}
	case protoreflect.EnumKind:
		values := fd.Enum().Values()
		s = &shape{kind: stringShape}
		for i := 0; i < values.Len(); i++ {
			s.enum = append(s.enum, string(values.Get(i).Name()))
		}
	case protoreflect.BoolKind:
		s = &shape{kind: boolShape}
	case protoreflect.StringKind, protoreflect.BytesKind:
		s = &shape{kind: stringShape}
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		s = &shape{kind: numberShape}
	default:
		s = &shape{kind: intShape}
	}
	s.check = func(v any, path string) validation.FieldErrors { return validation.DecodeValue(fd, v, path) }
	return s
}

// shapeOfDefaults derives a shape from a chart's default values: the keys a chart declares are the keys it
// reads. An empty map or a null default is free-form; some well-known keys hold Kubernetes types.
func shapeOfDefaults(v any, key string) *shape {
	if s := wellKnownValue(key); s != nil {
		return s
	}
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 0 {
			return anything
		}
		s := &shape{kind: objectShape, fields: make(map[string]*shape, len(v))}
		for k, child := range v {
			s.fields[k] = shapeOfDefaults(child, k)
		}
		return s
	case []any:
		return &shape{kind: listShape, elem: anything}
	case string:
		return &shape{kind: stringShape}
	case bool:
		return &shape{kind: boolShape}
	case int, int64, float64:
		return &shape{kind: numberShape}
	}
	return anything
}

// mergeShapes unions two descriptions of the same key (several charts declare global.*).
func mergeShapes(a, b *shape) *shape {
	if a != nil {
		a = a.resolved()
	}
	if b != nil {
		b = b.resolved()
	}
	if a == nil || a.kind == anyShape {
		return b
	}
	if b == nil || b.kind == anyShape || a.kind != objectShape || b.kind != objectShape {
		return a
	}
	out := &shape{kind: objectShape, fields: make(map[string]*shape, len(a.fieldMap())+len(b.fieldMap()))}
	for k, v := range a.fieldMap() {
		out.fields[k] = v
	}
	for k, v := range b.fieldMap() {
		out.fields[k] = mergeShapes(out.fields[k], v)
	}
	return out
}
