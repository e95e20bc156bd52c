// Package manifests embeds meshctl's Helm charts and sample YAML, so that the binary renders the mesh
// without any file on disk.
package manifests

import "embed"

// FS holds charts/ (the Helm charts meshctl installs) and samples/ (add-ons and sample applications).
//
//go:embed all:charts all:samples
var FS embed.FS
