package render

import "github.com/meshctl/meshctl/profiles"

// FromInput resolves a configuration (profile, IstioOperator files, --set flags) and renders it with the
// input's charts, limited to components when any are named: what `manifest generate` prints is what
// install applies, verify-install compares and precheck checks for the same input.
func FromInput(in profiles.Input, components ...string) (*profiles.IstioOperator, *Manifest, error) {
	resolved, err := profiles.Resolve(in)
	if err != nil {
		return nil, nil, err
	}
	m, err := Generate(resolved.Operator, Options{Charts: in.Charts, Components: components})
	if err != nil {
		return nil, nil, err
	}
	return resolved.Operator, m, nil
}
