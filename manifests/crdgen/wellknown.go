package crdgen

import (
	"math"

	"google.golang.org/protobuf/reflect/protoreflect"
	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

// durationPattern accepts what Istio's JSON decoding accepts for a google.protobuf.Duration:
// golang/protobuf's jsonpb (used by istio.io/api's UnmarshalJSON) parses it with
// time.ParseDuration, so "5m", "1h30m", "100ms" and "1.5s" are all valid, and "0" needs no unit.
// A pattern costs the API server nothing to evaluate, unlike a CEL duration() rule.
const durationPattern = `^[-+]?(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$`

// wellKnown maps the google.protobuf types to their JSON form (protobuf's JSON mapping), since
// their messages describe the wire format, not the JSON that users write.
func wellKnown(name protoreflect.FullName) (apiextv1.JSONSchemaProps, bool) {
	switch name {
	case "google.protobuf.Duration":
		return apiextv1.JSONSchemaProps{Type: "string", Pattern: durationPattern}, true
	case "google.protobuf.Timestamp":
		return apiextv1.JSONSchemaProps{Type: "string", Format: "date-time"}, true
	case "google.protobuf.FieldMask":
		return apiextv1.JSONSchemaProps{Type: "string"}, true
	case "google.protobuf.BoolValue":
		return boolean(), true
	case "google.protobuf.StringValue":
		return str(), true
	case "google.protobuf.BytesValue":
		return bytesSchema(), true
	case "google.protobuf.Int32Value":
		return int32Schema(), true
	case "google.protobuf.UInt32Value":
		return uint32Schema(), true
	case "google.protobuf.Int64Value":
		return int64Schema(), true
	case "google.protobuf.UInt64Value":
		return uint64Schema(), true
	case "google.protobuf.FloatValue":
		return number("float"), true
	case "google.protobuf.DoubleValue":
		return number("double"), true
	case "google.protobuf.Struct", "google.protobuf.Any":
		// Struct is any JSON object; Any is an object with "@type" and the packed message's fields.
		return preservedObject(), true
	case "google.protobuf.Value":
		return apiextv1.JSONSchemaProps{XPreserveUnknownFields: ptr(true)}, true
	case "google.protobuf.ListValue":
		return apiextv1.JSONSchemaProps{
			Type:  "array",
			Items: &apiextv1.JSONSchemaPropsOrArray{Schema: &apiextv1.JSONSchemaProps{XPreserveUnknownFields: ptr(true)}},
		}, true
	case "google.protobuf.Empty":
		return apiextv1.JSONSchemaProps{Type: "object"}, true
	}
	return apiextv1.JSONSchemaProps{}, false
}

func boolean() apiextv1.JSONSchemaProps { return apiextv1.JSONSchemaProps{Type: "boolean"} }
func str() apiextv1.JSONSchemaProps     { return apiextv1.JSONSchemaProps{Type: "string"} }
func number(format string) apiextv1.JSONSchemaProps {
	return apiextv1.JSONSchemaProps{Type: "number", Format: format}
}

func bytesSchema() apiextv1.JSONSchemaProps {
	return apiextv1.JSONSchemaProps{Type: "string", Format: "byte"}
}

// The API server range-checks the integer formats int32 and int64 (and the number format float),
// but strips any other format, so unsigned ranges are spelt out as bounds.
func int32Schema() apiextv1.JSONSchemaProps {
	return apiextv1.JSONSchemaProps{Type: "integer", Format: "int32"}
}

func uint32Schema() apiextv1.JSONSchemaProps {
	return apiextv1.JSONSchemaProps{Type: "integer", Minimum: ptr(0.0), Maximum: ptr(float64(math.MaxUint32))}
}

// protojson writes 64-bit integers as JSON strings, which `type: integer` would reject from a Go client
// that marshals with jsonpb. No spec message of the base chart's kinds has one today; revisit this
// (x-kubernetes-int-or-string) if one appears.
func int64Schema() apiextv1.JSONSchemaProps {
	return apiextv1.JSONSchemaProps{Type: "integer", Format: "int64"}
}

// uint64 has no exact float64 bound above; the API server's integers are int64 anyway.
func uint64Schema() apiextv1.JSONSchemaProps {
	return apiextv1.JSONSchemaProps{Type: "integer", Minimum: ptr(0.0)}
}

func preservedObject() apiextv1.JSONSchemaProps {
	return apiextv1.JSONSchemaProps{Type: "object", XPreserveUnknownFields: ptr(true)}
}

func ptr[T any](v T) *T { return &v }
