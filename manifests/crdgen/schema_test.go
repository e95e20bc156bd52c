package crdgen

import (
	"context"
	"slices"
	"strings"
	"testing"

	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	crdvalidation "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/validation"
)

// google.protobuf.FileDescriptorProto is recursive (DescriptorProto.nested_type) and has the
// scalar kinds Istio's APIs lack today: int64, uint64, double, bytes, proto2 optional fields.
func TestGenerateRecursiveMessageWithEveryScalarKind(t *testing.T) {
	res, err := Generate(globalFiles(), []Kind{{
		Group: "example.istio.io", Kind: "Descriptor", Plural: "descriptors",
		Spec: "google.protobuf.FileDescriptorProto", Versions: []string{"v1"}, Storage: "v1",
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(res.Cuts, "google.protobuf.FileDescriptorProto.messageType[].nestedType[]") {
		t.Errorf("cuts = %q, want the recursive nestedType", res.Cuts)
	}
	crd := res.CRDs[0]
	for _, err := range crdvalidation.ValidateCustomResourceDefinition(context.Background(), toInternal(t, crd)) {
		t.Error(err)
	}
	spec := crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"]
	uninterpreted := spec.Properties["options"].Properties["uninterpretedOption"].Items.Schema
	field := spec.Properties["messageType"].Items.Schema.Properties["field"].Items.Schema
	tests := []struct {
		path string
		got  apiextv1.JSONSchemaProps
		want string
	}{
		{"messageType[].nestedType[]", *spec.Properties["messageType"].Items.Schema.Properties["nestedType"].Items.Schema, "object preserve"},
		{"uninterpretedOption.positiveIntValue (uint64)", uninterpreted.Properties["positiveIntValue"], "integer min=0"},
		{"uninterpretedOption.negativeIntValue (int64)", uninterpreted.Properties["negativeIntValue"], "integer int64"},
		{"uninterpretedOption.doubleValue", uninterpreted.Properties["doubleValue"], "number double"},
		{"uninterpretedOption.stringValue (bytes)", uninterpreted.Properties["stringValue"], "string byte"},
		{"field[].jsonName", field.Properties["jsonName"], "string"},
		{"field[].oneofIndex (int32)", field.Properties["oneofIndex"], "integer int32"},
		{"field[].label (enum)", field.Properties["label"], "string enum=LABEL_OPTIONAL,LABEL_REPEATED,LABEL_REQUIRED"},
		{"field[].options.packed", field.Properties["options"].Properties["packed"], "boolean"},
	}
	for _, tt := range tests {
		if got := describe(tt.got); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.path, got, tt.want)
		}
	}
}

func describe(s apiextv1.JSONSchemaProps) string {
	parts := []string{s.Type}
	if s.Format != "" {
		parts = append(parts, s.Format)
	}
	if s.Minimum != nil {
		parts = append(parts, "min=0")
	}
	if len(s.Enum) > 0 {
		var names []string
		for _, e := range s.Enum {
			names = append(names, strings.Trim(string(e.Raw), `"`))
		}
		slices.Sort(names)
		parts = append(parts, "enum="+strings.Join(names, ","))
	}
	if s.XPreserveUnknownFields != nil && *s.XPreserveUnknownFields {
		parts = append(parts, "preserve")
	}
	return strings.Join(parts, " ")
}

// Istio's messages: the well-known types, field_behavior and oneofs map as documented.
func TestGenerateIstioFieldMapping(t *testing.T) {
	res, err := Generate(globalFiles(), Kinds())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Cuts) != 0 {
		t.Errorf("cuts = %q, want none (no Istio spec message is recursive)", res.Cuts)
	}
	spec := map[string]apiextv1.JSONSchemaProps{}
	for _, crd := range res.CRDs {
		spec[crd.Spec.Names.Kind] = crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"]
	}
	http := spec["VirtualService"].Properties["http"].Items.Schema
	uri := http.Properties["match"].Items.Schema.Properties["uri"]
	tests := []struct {
		path string
		got  apiextv1.JSONSchemaProps
		want string
	}{
		{"VirtualService http[].timeout (Duration)", http.Properties["timeout"], "string"},
		{"VirtualService http[].retries.attempts (int32)", http.Properties["retries"].Properties["attempts"], "integer int32"},
		{"VirtualService http[].mirrorPercent (UInt32Value)", http.Properties["mirrorPercent"], "integer min=0"},
		{"VirtualService http[].mirror_percent (alias)", http.Properties["mirror_percent"], "integer min=0"},
		{"VirtualService http[].corsPolicy.allowCredentials (BoolValue)", http.Properties["corsPolicy"].Properties["allowCredentials"], "boolean"},
		{"VirtualService http[].mirrorPercentage.value (double)", http.Properties["mirrorPercentage"].Properties["value"], "number double"},
		{"VirtualService http[].directResponse.body.bytes", http.Properties["directResponse"].Properties["body"].Properties["bytes"], "string byte"},
		{"EnvoyFilter configPatches[].patch.value (Struct)", spec["EnvoyFilter"].Properties["configPatches"].Items.Schema.Properties["patch"].Properties["value"], "object preserve"},
		{"PeerAuthentication mtls.mode", spec["PeerAuthentication"].Properties["mtls"].Properties["mode"], "string enum=DISABLE,PERMISSIVE,STRICT,UNSET"},
	}
	for _, tt := range tests {
		if got := describe(tt.got); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.path, got, tt.want)
		}
	}
	if p := http.Properties["timeout"].Pattern; p != durationPattern {
		t.Errorf("http[].timeout pattern = %q, want the duration pattern", p)
	}
	if got := spec["DestinationRule"].Required; !slices.Equal(got, []string{"host"}) {
		t.Errorf("DestinationRule required = %q, want [host]", got)
	}
	if n := len(uri.OneOf); n != 4 {
		t.Errorf("StringMatch oneOf has %d alternatives, want 4 (none, exact, prefix, regex)", n)
	}
	consistentHash := spec["DestinationRule"].Properties["trafficPolicy"].Properties["loadBalancer"].Properties["consistentHash"]
	if n := len(consistentHash.AllOf); n != 2 {
		t.Errorf("ConsistentHashLB allOf has %d oneOfs, want 2 (hash key, hash algorithm)", n)
	}
}
