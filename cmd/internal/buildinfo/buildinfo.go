// Package buildinfo holds what the build stamps into every meshctl program.
package buildinfo

import "runtime"

// Set with -ldflags "-X github.com/meshctl/meshctl/cmd/internal/buildinfo.Version=..." by the Makefile
// and goreleaser; a plain `go build` leaves the development defaults.
var (
	Version   = "0.0.0-dev"
	GitCommit = "unknown"
	BuildDate = "unknown"
)

// Info is the build description that `meshctl version` prints.
type Info struct {
	Version   string `json:"version"`
	GitCommit string `json:"gitCommit"`
	BuildDate string `json:"buildDate"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}

// Get returns the stamped build description of the running binary.
func Get() Info {
	return Info{
		Version:   Version,
		GitCommit: GitCommit,
		BuildDate: BuildDate,
		GoVersion: runtime.Version(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
	}
}
