package installer

import "fmt"

// SkewWarnings returns a warning for each control plane whose version is more than one minor release
// away from the client's. Versions that are not MAJOR.MINOR[.PATCH] ("latest", a digest) say nothing.
func SkewWarnings(client string, planes []ControlPlane) []string {
	cMajor, cMinor, err := ParseMinor(client)
	if err != nil {
		return nil
	}
	var out []string
	for _, cp := range planes {
		major, minor, err := ParseMinor(cp.Version)
		if err != nil {
			continue
		}
		if major == cMajor && minor >= cMinor-1 && minor <= cMinor+1 {
			continue
		}
		out = append(out, fmt.Sprintf("meshctl %s and the control plane %s (revision %s in %s) are more than one minor release apart; "+
			"use meshctl %d.%d to manage it, or upgrade it with this meshctl (meshctl install --revision)",
			client, cp.Version, cp.Revision, cp.Namespace, major, minor))
	}
	return out
}
