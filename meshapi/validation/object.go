package validation

import (
	"google.golang.org/protobuf/proto"
	meshconfig "istio.io/api/mesh/v1alpha1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Object decodes and validates the spec of one object of an Istio kind: what meshd's validating webhook
// asks for each object. The semantic rules run only on a spec that decoded without errors, since on a
// half-decoded spec they would only repeat the decoding errors. Fields are paths from the object
// (spec.hosts[0]); the message is nil for a kind this package does not know.
func Object(gvk schema.GroupVersionKind, spec any) (proto.Message, FieldErrors) {
	msg, errs := DecodeSpec(gvk, spec)
	if msg == nil || len(errs) > 0 {
		return msg, errs
	}
	return msg, Validate(msg, "spec")
}

// DecodeSpec decodes the spec of an object of an Istio kind, and checks that the kind is served at
// gvk.Version. A nil spec decodes to an empty message.
func DecodeSpec(gvk schema.GroupVersionKind, spec any) (proto.Message, FieldErrors) {
	k, ok := LookupKind(gvk.GroupKind())
	if !ok {
		return nil, FieldErrors{schemaError("kind", "%s is not an Istio kind", gvk.GroupKind())}
	}
	var errs FieldErrors
	if !k.Serves(gvk.Version) {
		errs = append(errs, schemaError("apiVersion", "%s does not serve %s at version %q (served: %v)", gvk.Group, gvk.Kind, gvk.Version, k.Versions))
	}
	msg := k.New()
	if spec != nil {
		decodeMessage(msg.ProtoReflect(), spec, "spec", &errs)
	}
	return msg, sorted(errs)
}

// DecodeMeshConfig decodes a mesh configuration: ConfigMap istio's data.mesh, or an IstioOperator's
// spec.meshConfig (path "spec.meshConfig").
func DecodeMeshConfig(v any, path string) (*meshconfig.MeshConfig, FieldErrors) {
	m := &meshconfig.MeshConfig{}
	return m, Decode(m, v, path)
}

// DecodeProxyConfig decodes a proxy configuration: the mesh's defaultConfig, or a pod's
// proxy.istio.io/config annotation.
func DecodeProxyConfig(v any, path string) (*meshconfig.ProxyConfig, FieldErrors) {
	m := &meshconfig.ProxyConfig{}
	return m, Decode(m, v, path)
}

// Validate applies the semantic rules of msg's kind to a decoded spec; path is the spec's path ("spec"
// for an object). Messages of other types have no rules here and give no errors.
func Validate(msg proto.Message, path string) FieldErrors {
	var v validator
	v.message(msg, path)
	v.deprecatedFields(msg.ProtoReflect(), path)
	return sorted(v.errs)
}
