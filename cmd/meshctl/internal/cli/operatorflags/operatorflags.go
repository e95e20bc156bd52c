// Package operatorflags holds the IstioOperator input flags shared by the commands that render the mesh:
// -f, --set, --manifests and --revision.
package operatorflags

import (
	"io"
	"io/fs"
	"os"

	"github.com/spf13/pflag"

	"github.com/meshctl/meshctl/cmd/internal/buildinfo"
	"github.com/meshctl/meshctl/installer/render"
	"github.com/meshctl/meshctl/profiles"
)

// Flags are the IstioOperator input flags.
type Flags struct {
	Files     []string
	Sets      []string
	Manifests string
	Revision  string
}

// Add registers the flags; withRevision adds -r/--revision, which not every command takes.
func (f *Flags) Add(fs *pflag.FlagSet, withRevision bool) {
	fs.StringArrayVarP(&f.Files, "filename", "f", nil, "IstioOperator file to overlay on the profile (repeatable; later files win; - for stdin)")
	fs.StringArrayVarP(&f.Sets, "set", "s", nil, "override an IstioOperator field: path=value, relative to spec (repeatable), e.g. profile=demo or values.global.hub=my.registry")
	fs.StringVarP(&f.Manifests, "manifests", "d", "", "render from the charts in this directory instead of the built-in ones")
	if withRevision {
		fs.StringVarP(&f.Revision, "revision", "r", "", "control plane revision, for a canary install side by side with another")
	}
}

// Charts returns the chart tree the flags select.
func (f *Flags) Charts() fs.FS {
	if f.Manifests != "" {
		return render.ChartsDir(os.DirFS(f.Manifests))
	}
	return render.EmbeddedCharts()
}

// Input turns the flags into profiles input; profile is the fallback profile name.
func (f *Flags) Input(stdin io.Reader, profile string) profiles.Input {
	sets := f.Sets
	if f.Revision != "" {
		sets = append(append([]string(nil), sets...), "revision="+f.Revision)
	}
	return profiles.Input{
		Files:      f.Files,
		Stdin:      stdin,
		Sets:       sets,
		Profile:    profile,
		Charts:     f.Charts(),
		DefaultTag: buildinfo.Version,
	}
}

// Validate checks what can be checked before any file is read.
func (f *Flags) Validate() error {
	if f.Manifests == "" {
		return nil
	}
	if st, err := os.Stat(f.Manifests); err != nil || !st.IsDir() {
		return &dirError{path: f.Manifests}
	}
	return nil
}

type dirError struct{ path string }

func (e *dirError) Error() string      { return "--manifests " + e.path + ": not a directory" }
func (e *dirError) InvalidInput() bool { return true }
