package manifest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/factory"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/operatorflags"
	"github.com/meshctl/meshctl/installer/render"
)

// GenerateOptions are the flags of `manifest generate`.
type GenerateOptions struct {
	f          *factory.Factory
	Operator   operatorflags.Flags
	OutputDir  string
	Components []string
}

// NewGenerateCmd returns `meshctl manifest generate`; runF replaces Run in tests.
func NewGenerateCmd(f *factory.Factory, runF func(*GenerateOptions) error) *cobra.Command {
	o := &GenerateOptions{f: f}
	cmd := &cobra.Command{
		Use:   "generate",
		Short: "Print the mesh's Kubernetes objects as YAML, in install order",
		Long: `Render the mesh from a profile and IstioOperator overlays without touching a cluster.

The output is the same, byte for byte, on every run and applies to an empty cluster:
  meshctl manifest generate --set profile=demo | kubectl apply --server-side -f -`,
		Example: `  meshctl manifest generate --set profile=demo > demo.yaml
  meshctl manifest generate -f my-operator.yaml --set values.global.hub=registry.example.com/mesh
  meshctl manifest generate --component pilot -o out/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Operator.Validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return o.Run()
		},
	}
	o.Operator.Add(cmd.Flags(), true)
	cmd.Flags().StringVarP(&o.OutputDir, "output", "o", "", "write one file per component into this directory instead of stdout")
	cmd.Flags().StringArrayVar(&o.Components, "component", nil, "render only this component (repeatable): "+fmt.Sprint(render.ComponentNames()))
	return cmd
}

// Run renders and writes the manifest.
func (o *GenerateOptions) Run() error {
	_, m, err := render.FromInput(o.Operator.Input(o.f.IOStreams.In, ""), o.Components...)
	if err != nil {
		return err
	}
	if o.OutputDir == "" {
		return render.WriteYAML(o.f.IOStreams.Out, m.Objects())
	}
	return writeDir(o.OutputDir, m)
}

// writeDir writes <dir>/<component>.yaml for each rendered component.
func writeDir(dir string, m *render.Manifest) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create output directory: %w", err)
	}
	for _, c := range m.Components {
		var buf bytes.Buffer
		if err := render.WriteYAML(&buf, (&render.Manifest{Components: []*render.ComponentManifest{c}}).Objects()); err != nil {
			return err
		}
		path := filepath.Join(dir, c.Name+".yaml")
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	return nil
}
