package profile

import (
	"fmt"
	"os"
	"strings"

	"github.com/fatih/color"
	"github.com/pmezard/go-difflib/difflib"
	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/exitcode"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/factory"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/iostreams"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/operatorflags"
	"github.com/meshctl/meshctl/profiles"
)

// DiffOptions are the flags of `profile diff`.
type DiffOptions struct {
	f        *factory.Factory
	Operator operatorflags.Flags
	A, B     string
}

// NewDiffCmd returns `meshctl profile diff A B`.
func NewDiffCmd(f *factory.Factory, runF func(*DiffOptions) error) *cobra.Command {
	o := &DiffOptions{f: f}
	cmd := &cobra.Command{
		Use:   "diff PROFILE|FILE PROFILE|FILE",
		Short: "Show the differences between two profiles or IstioOperator files",
		Long: `Print a unified diff of two merged configurations. Each argument is a built-in profile name or an
IstioOperator file. Like diff(1), exits 0 when they are the same, 1 when they differ and 2 when they
could not be compared; 65 when an argument is neither a profile nor a valid IstioOperator file.`,
		Example: "  meshctl profile diff default demo\n  meshctl profile diff default my-operator.yaml",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.A, o.B = args[0], args[1]
			if err := o.Operator.Validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return o.Run()
		},
	}
	cmd.Flags().StringVarP(&o.Operator.Manifests, "manifests", "d", "", "validate values against the charts in this directory")
	return cmd
}

// Run prints the diff. Like diff(1), its error exits 1 when the configurations differ and 2 when they
// could not be compared; an argument that is neither a profile nor a valid file exits 65.
func (o *DiffOptions) Run() error { return exitcode.ForDiff(o.diff()) }

func (o *DiffOptions) diff() error {
	a, err := o.dump(o.A)
	if err != nil {
		return err
	}
	b, err := o.dump(o.B)
	if err != nil {
		return err
	}
	if a == b {
		return nil
	}
	text, err := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: lines(a), B: lines(b), FromFile: o.A, ToFile: o.B, Context: 3,
	})
	if err != nil {
		return fmt.Errorf("diff: %w", err)
	}
	out := o.f.IOStreams.Out
	colored := iostreams.Color(out, o.f.Getenv, nil)
	// EnableColor: the decision is iostreams.Color's, not fatih/color's own look at os.Stdout.
	added, removed, hunk := color.New(color.FgGreen), color.New(color.FgRed), color.New(color.FgCyan)
	for _, c := range []*color.Color{added, removed, hunk} {
		c.EnableColor()
	}
	for _, l := range lines(text) {
		switch {
		case !colored:
		case strings.HasPrefix(l, "+"):
			l = added.Sprint(l)
		case strings.HasPrefix(l, "-"):
			l = removed.Sprint(l)
		case strings.HasPrefix(l, "@@"):
			l = hunk.Sprint(l)
		}
		if _, err := fmt.Fprint(out, l); err != nil {
			return err
		}
	}
	return exitcode.WithCode(exitcode.Differs, nil)
}

// dump resolves a profile name or an IstioOperator file to its merged YAML.
func (o *DiffOptions) dump(arg string) (string, error) {
	flags := o.Operator
	profile := arg
	if st, err := os.Stat(arg); err == nil && !st.IsDir() {
		flags.Files, profile = []string{arg}, ""
	}
	r, err := profiles.Resolve(flags.Input(o.f.IOStreams.In, profile))
	if err != nil {
		return "", err
	}
	b, err := yaml.Marshal(r.Tree)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// lines splits text into lines that keep their newline; go-difflib's own SplitLines adds a phantom last line.
func lines(s string) []string {
	l := strings.SplitAfter(s, "\n")
	if len(l) > 0 && l[len(l)-1] == "" {
		l = l[:len(l)-1]
	}
	return l
}
