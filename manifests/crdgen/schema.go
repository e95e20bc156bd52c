package crdgen

import (
	"encoding/json"
	"fmt"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

// protoNameAliases are fields whose protobuf name is accepted besides the JSON name, as in Istio's
// CRDs: jsonpb reads both, and Istio's older documentation spells these fields this way. The runtime
// descriptors do not carry Istio's `+kubebuilder:altName` comments, hence the list.
var protoNameAliases = map[protoreflect.FullName]bool{
	"istio.networking.v1alpha3.HTTPRoute.mirror_percent": true,
	"istio.security.v1beta1.JWTRule.jwks_uri":            true,
}

// schemaBuilder turns a message descriptor into a structural OpenAPI v3 schema of the message's
// protobuf JSON form (the form istio.io/api's UnmarshalJSON reads).
type schemaBuilder struct {
	// expanding holds the messages on the current path, to cut recursive types.
	expanding map[protoreflect.FullName]bool
	// Cuts records the fields whose recursive message type was replaced by an open object.
	Cuts []string
}

func newSchemaBuilder() *schemaBuilder {
	return &schemaBuilder{expanding: map[protoreflect.FullName]bool{}}
}

// Message returns the schema of message md.
func (b *schemaBuilder) Message(md protoreflect.MessageDescriptor) (apiextv1.JSONSchemaProps, error) {
	return b.message(md, string(md.FullName()))
}

func (b *schemaBuilder) message(md protoreflect.MessageDescriptor, path string) (apiextv1.JSONSchemaProps, error) {
	if s, ok := wellKnown(md.FullName()); ok {
		return s, nil
	}
	if b.expanding[md.FullName()] {
		// A structural schema is a finite tree; below the first repetition the API server keeps
		// whatever the user wrote and meshd's own decoding validates it.
		b.Cuts = append(b.Cuts, path)
		return preservedObject(), nil
	}
	b.expanding[md.FullName()] = true
	defer delete(b.expanding, md.FullName())

	s := apiextv1.JSONSchemaProps{Type: "object"}
	fields := md.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		name := fd.JSONName()
		fs, err := b.field(fd, path+"."+name)
		if err != nil {
			return s, err
		}
		if s.Properties == nil {
			s.Properties = map[string]apiextv1.JSONSchemaProps{}
		}
		s.Properties[name] = fs
		if protoNameAliases[fd.FullName()] {
			s.Properties[string(fd.Name())] = fs
		}
		// A required member of a real oneof would contradict its siblings; jsonpb never enforces it.
		if od := fd.ContainingOneof(); isRequired(fd) && (od == nil || od.IsSynthetic()) {
			s.Required = append(s.Required, name)
		}
	}
	exclusiveOneofs(&s, md)
	return s, nil
}

func (b *schemaBuilder) field(fd protoreflect.FieldDescriptor, path string) (apiextv1.JSONSchemaProps, error) {
	switch {
	case fd.IsMap():
		v, err := b.value(fd.MapValue(), path+"{}")
		if err != nil {
			return v, err
		}
		return apiextv1.JSONSchemaProps{Type: "object", AdditionalProperties: &apiextv1.JSONSchemaPropsOrBool{Allows: true, Schema: &v}}, nil
	case fd.IsList():
		v, err := b.value(fd, path+"[]")
		if err != nil {
			return v, err
		}
		return apiextv1.JSONSchemaProps{Type: "array", Items: &apiextv1.JSONSchemaPropsOrArray{Schema: &v}}, nil
	default:
		return b.value(fd, path)
	}
}

// value is the schema of one value of fd: the field itself, an element of a list or a map value.
func (b *schemaBuilder) value(fd protoreflect.FieldDescriptor, path string) (apiextv1.JSONSchemaProps, error) {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return boolean(), nil
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return int32Schema(), nil
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return uint32Schema(), nil
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return int64Schema(), nil
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return uint64Schema(), nil
	case protoreflect.FloatKind:
		return number("float"), nil
	case protoreflect.DoubleKind:
		return number("double"), nil
	case protoreflect.StringKind:
		return str(), nil
	case protoreflect.BytesKind:
		return bytesSchema(), nil
	case protoreflect.EnumKind:
		return enumSchema(fd.Enum())
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return b.message(fd.Message(), path)
	}
	return apiextv1.JSONSchemaProps{}, fmt.Errorf("%s: unsupported field kind %v", path, fd.Kind())
}

// enumSchema accepts the value names only. jsonpb would also take the numbers, but names are what
// Istio's documentation and its own CRDs accept, and a number in YAML is almost always a mistake.
func enumSchema(ed protoreflect.EnumDescriptor) (apiextv1.JSONSchemaProps, error) {
	s := str()
	values := ed.Values()
	for i := range values.Len() {
		raw, err := json.Marshal(string(values.Get(i).Name()))
		if err != nil {
			return s, err
		}
		s.Enum = append(s.Enum, apiextv1.JSON{Raw: raw})
	}
	return s, nil
}

func isRequired(fd protoreflect.FieldDescriptor) bool {
	behaviors, _ := proto.GetExtension(fd.Options(), annotations.E_FieldBehavior).([]annotations.FieldBehavior)
	for _, fb := range behaviors {
		if fb == annotations.FieldBehavior_REQUIRED {
			return true
		}
	}
	return false
}

// exclusiveOneofs lets at most one member of each oneof be set, the way Istio's own CRDs do:
//
//	oneOf: [{not: {anyOf: [{required: [a]}, {required: [b]}]}}, {required: [a]}, {required: [b]}]
//
// (none set, or exactly one). Unlike a CEL rule it has no estimated cost, so it is safe at any depth
// of unbounded lists, and the server's message ("must validate one and only one schema (oneOf).
// Found 2 valid alternatives") tells the user what went wrong. Several oneofs go under allOf.
func exclusiveOneofs(s *apiextv1.JSONSchemaProps, md protoreflect.MessageDescriptor) {
	var groups [][]apiextv1.JSONSchemaProps
	oneofs := md.Oneofs()
	for i := range oneofs.Len() {
		od := oneofs.Get(i)
		fields := od.Fields()
		if od.IsSynthetic() || fields.Len() < 2 { // proto3 `optional` is a oneof of one field
			continue
		}
		none := apiextv1.JSONSchemaProps{Not: &apiextv1.JSONSchemaProps{}}
		group := []apiextv1.JSONSchemaProps{none}
		for j := range fields.Len() {
			one := apiextv1.JSONSchemaProps{Required: []string{fields.Get(j).JSONName()}}
			none.Not.AnyOf = append(none.Not.AnyOf, one)
			group = append(group, one)
		}
		group[0] = none
		groups = append(groups, group)
	}
	switch len(groups) {
	case 0:
	case 1:
		s.OneOf = groups[0]
	default:
		for _, g := range groups {
			s.AllOf = append(s.AllOf, apiextv1.JSONSchemaProps{OneOf: g})
		}
	}
}
