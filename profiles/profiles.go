// Package profiles reads the IstioOperator install configuration: meshctl's built-in profiles, the
// user's -f files and --set flags, merged and validated field by field with file and line in every error.
package profiles

import (
	"embed"
	"fmt"
	"sort"
	"strings"
)

//go:embed data/*.yaml
var builtin embed.FS

// DefaultProfile is the profile used when none is named; every other profile overlays it.
const DefaultProfile = "default"

// descriptions are the one-line summaries `profile list` prints; every built-in profile has one.
var descriptions = map[string]string{
	"default":   "Production defaults: istiod and the ingress gateway.",
	"demo":      "For tutorials: istiod, ingress and egress gateways, access logs to stdout, 100% trace sampling, small resource requests.",
	"minimal":   "Only the control plane (istiod) and the CRDs; bring your own gateways.",
	"empty":     "Nothing enabled: the base for a fully custom configuration.",
	"remote":    "A remote cluster of a multicluster mesh: no istiod; webhooks and config point at an external control plane.",
	"preview":   "The default profile plus features that are not yet stable.",
	"ambient":   "Ambient mode: istiod, the CNI node agent and ztunnel; no sidecars and no ingress gateway.",
	"openshift": "The default profile adapted to OpenShift: CNI-based traffic capture instead of privileged init containers.",
}

// Profile is a built-in profile's name and description.
type Profile struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// List returns the built-in profiles in name order.
func List() []Profile {
	out := make([]Profile, 0, len(descriptions))
	for name, d := range descriptions {
		out = append(out, Profile{Name: name, Description: d})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Names returns the built-in profiles' names, sorted.
func Names() []string {
	var names []string
	for _, p := range List() {
		names = append(names, p.Name)
	}
	return names
}

// overlay returns a built-in profile's YAML.
func overlay(name string) ([]byte, error) {
	if _, ok := descriptions[name]; !ok {
		msg := fmt.Sprintf("unknown profile %q: known profiles are %s", name, strings.Join(Names(), ", "))
		if s := suggest(name, Names()); s != "" {
			msg = fmt.Sprintf("unknown profile %q (did you mean %q?): known profiles are %s", name, s, strings.Join(Names(), ", "))
		}
		return nil, &inputError{msg: msg}
	}
	return builtin.ReadFile("data/" + name + ".yaml")
}

// inputError is bad user input without a file position (a profile name, a flag).
type inputError struct{ msg string }

func (e *inputError) Error() string      { return e.msg }
func (e *inputError) InvalidInput() bool { return true }
