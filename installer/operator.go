package installer

import "github.com/meshctl/meshctl/profiles"

// NamespaceOf is the namespace op installs the control plane into: spec.namespace, else DefaultNamespace.
func NamespaceOf(op *profiles.IstioOperator) string {
	if op != nil && op.Spec.Namespace != "" {
		return op.Spec.Namespace
	}
	return DefaultNamespace
}

// RevisionOf is op's revision as meshctl names it in reports: spec.revision, else "default".
func RevisionOf(op *profiles.IstioOperator) string {
	if op != nil && op.Spec.Revision != "" {
		return op.Spec.Revision
	}
	return "default"
}
