// Package crdgen generates the CustomResourceDefinitions of Istio's APIs from the protobuf
// descriptors that istio.io/api's Go packages register, for meshctl's base chart.
//
// Each CRD's spec schema is the JSON form of the API's message as istio.io/api's UnmarshalJSON
// (golang/protobuf's jsonpb) reads it:
//   - field names are the descriptors' JSON names (lowerCamelCase), plus a short list of protobuf
//     names Istio's CRDs also accept (protoNameAliases);
//   - int32 is `integer` with format int32 (range-checked by the API server), uint32 has bounds
//     0..4294967295, float/double are `number`, bytes are base64 strings (format byte);
//   - enums are `type: string` with their value names. jsonpb also takes the numbers, but Istio's
//     CRDs and documentation use names, and a number in YAML is almost always a mistake;
//   - Duration is a string matching time.ParseDuration's syntax ("5m", "1h30m", "1.5s"), which is
//     what jsonpb parses it with; Timestamp is a date-time string; wrappers are their scalar;
//     Struct, Any, Value and ListValue keep whatever the user wrote;
//   - `(google.api.field_behavior) = REQUIRED` fields are required, and the members of a oneof are
//     mutually exclusive through `oneOf`;
//   - a message that contains itself is cut to an open object at its second occurrence.
//
// The schemas are structural and use no CEL, so no API server's cost limits apply to them, and the
// file carries no descriptions (the runtime descriptors have no comments) to stay small.
//
// The chart's file is regenerated with
//
//	go generate ./manifests/crdgen
//
// and TestGeneratedFileIsUpToDate fails while it is stale.
//
//go:generate go run ../../cmd/crdgen -o ../charts/base/templates/crds.gen.yaml
package crdgen

// BaseLabelsAction is the template action the base chart's CRDs carry as their labels.
const BaseLabelsAction = `{{- include "base.labels" . | nindent 4 }}`
