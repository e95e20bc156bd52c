// Package analyze implements `meshctl analyze`: flags in, the analyze library does the work.
package analyze

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/meshctl/meshctl/analyze"
	"github.com/meshctl/meshctl/analyze/analyzers"
	"github.com/meshctl/meshctl/analyze/report"
	"github.com/meshctl/meshctl/analyze/suppress"
	"github.com/meshctl/meshctl/cmd/internal/buildinfo"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/cluster"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/exitcode"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/factory"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/iostreams"
	"github.com/meshctl/meshctl/printer"
)

// Options are the flags of `meshctl analyze`.
type Options struct {
	f *factory.Factory

	Paths            []string
	UseKube          bool
	AllNamespaces    bool
	Recursive        bool
	Output           string
	OutputThreshold  string
	FailureThreshold string
	Suppress         []string
	ListAnalyzers    bool
	Analyzers        []string
	Timeout          time.Duration
	Baseline         string
	WriteBaseline    string
	Color            bool
	RemoteContexts   []string
	RemoteFiles      []string

	// Set by Complete.
	useKubeSet, colorSet bool
	namespace            string
	outputLevel          analyze.Level
	failureLevel         analyze.Level
	rules                []suppress.Rule
	selected             []analyze.Analyzer
	remoteFiles          []analyze.RemoteInput
}

// NewCmd returns the analyze command; runF replaces Run in tests.
func NewCmd(f *factory.Factory, runF func(*Options) error) *cobra.Command {
	o := &Options{f: f}
	cmd := &cobra.Command{
		Use:   "analyze [FILE|DIR|-]...",
		Short: "Find problems in mesh configuration, in files or in the cluster",
		Long: `Analyze Istio configuration and the Kubernetes objects it refers to.

Input is the live cluster (--use-kube, the default when a kubeconfig exists), files and directories
(-R to recurse), standard input (-), or both: objects from files replace the cluster's objects of the
same kind, namespace and name, so a change can be checked before it is applied.

Each finding has a code (Istio's IST codes, meshctl's MSH codes), a level, the resource, where it was
defined (file:line) and a link to a page that explains the fix.

Exit codes: 0 no finding at or above --failure-threshold (default Error); 79 such findings exist, in
every output format; 65 some input could not be parsed (it wins over 79: the analysis is incomplete);
64 usage errors; 1 other errors (e.g. the cluster could not be read).`,
		Example: `  # Analyze the current namespace of the cluster
  meshctl analyze

  # Check a change before applying it: the files overlay the cluster
  meshctl analyze -n bookinfo new-virtualservice.yaml

  # CI: the repository's YAML only, as SARIF for code scanning
  meshctl analyze -R k8s/ --use-kube=false -o sarif > analyze.sarif

  # Fail only on findings not accepted in the baseline
  meshctl analyze -R k8s/ --use-kube=false --baseline .meshctl-baseline.yaml`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Paths = args
			o.useKubeSet = cmd.Flags().Changed("use-kube")
			o.colorSet = cmd.Flags().Changed("color")
			if err := o.Complete(); err != nil {
				return exitcode.UsageError(err)
			}
			if err := o.Validate(); err != nil {
				return exitcode.UsageError(err)
			}
			if runF != nil {
				return runF(o)
			}
			return o.Run(cmd)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&o.UseKube, "use-kube", true, "read the live cluster (default: when a kubeconfig exists); files overlay it")
	fl.BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "analyze every namespace")
	fl.BoolVarP(&o.Recursive, "recursive", "R", false, "read directories recursively")
	fl.StringVarP(&o.Output, "output", "o", "log", "output format: "+strings.Join(report.Formats, ", "))
	fl.StringVar(&o.OutputThreshold, "output-threshold", "Info", "lowest level to print: Info, Warning or Error")
	fl.StringVar(&o.FailureThreshold, "failure-threshold", "Error", "lowest level that makes the exit code 79: Info, Warning, Error or None")
	fl.StringArrayVarP(&o.Suppress, "suppress", "S", nil, `suppress findings: CODE=RESOURCE, e.g. "IST0102=Namespace frod" or "IST0107=Pod *.default" (repeatable)`)
	fl.BoolVarP(&o.ListAnalyzers, "list-analyzers", "L", false, "list the analyzers and the codes each reports, then exit")
	fl.StringSliceVar(&o.Analyzers, "analyzers", nil, "run only these analyzers (names from --list-analyzers; a name ending in . selects a group)")
	fl.DurationVar(&o.Timeout, "timeout", 30*time.Second, "how long reading the cluster may take")
	fl.StringVar(&o.Baseline, "baseline", "", "report only findings not recorded in this baseline file")
	fl.StringVar(&o.WriteBaseline, "write-baseline", "", "record the current findings in this baseline file (the run then exits 0 unless input is bad)")
	fl.BoolVar(&o.Color, "color", false, "colour the log output (default: on a terminal, unless TERM=dumb; never with NO_COLOR)")
	fl.StringSliceVar(&o.RemoteContexts, "remote-contexts", nil, "kubeconfig contexts of the mesh's other clusters, compared with this one (multicluster checks)")
	fl.StringArrayVar(&o.RemoteFiles, "remote-files", nil, "CLUSTER=PATH: another cluster's configuration in files (repeatable; -R applies)")
	return cmd
}

// Complete fills defaults that depend on the environment.
func (o *Options) Complete() error {
	if !o.useKubeSet {
		o.UseKube = o.f.HasKubeconfig()
	}
	var colorFlag *bool
	if o.colorSet {
		colorFlag = &o.Color
	}
	o.Color = iostreams.Color(o.f.IOStreams.Out, o.f.Getenv, colorFlag)
	o.namespace = o.f.Namespace()
	var err error
	if o.outputLevel, err = analyze.ParseLevel(o.OutputThreshold); err != nil || o.outputLevel > analyze.Error {
		return fmt.Errorf("--output-threshold: %s is not Info, Warning or Error", o.OutputThreshold)
	}
	if o.failureLevel, err = analyze.ParseLevel(o.FailureThreshold); err != nil {
		return fmt.Errorf("--failure-threshold: %w", err)
	}
	for _, s := range o.Suppress {
		r, err := suppress.ParseRule(s)
		if err != nil {
			return fmt.Errorf("--suppress: %w", err)
		}
		o.rules = append(o.rules, r)
	}
	if o.selected, err = analyzers.Select(o.Analyzers); err != nil {
		return fmt.Errorf("--analyzers: %w", err)
	}
	for _, rf := range o.RemoteFiles {
		name, path, ok := strings.Cut(rf, "=")
		if !ok || name == "" || path == "" {
			return fmt.Errorf("--remote-files %q: want CLUSTER=PATH", rf)
		}
		o.remoteFiles = append(o.remoteFiles, analyze.RemoteInput{Name: name, Paths: []string{path}})
	}
	return nil
}

// Validate checks that the flags make sense together.
func (o *Options) Validate() error {
	if !report.ValidFormat(o.Output) {
		return fmt.Errorf("unknown output format %q: want one of %s", o.Output, strings.Join(report.Formats, ", "))
	}
	if o.ListAnalyzers {
		return nil
	}
	if !o.UseKube && len(o.Paths) == 0 {
		return errors.New("nothing to analyze: give files or directories, or use the cluster (--use-kube)")
	}
	if o.Baseline != "" && o.WriteBaseline != "" {
		return errors.New("--baseline and --write-baseline exclude each other")
	}
	if o.Timeout < 0 {
		return errors.New("--timeout must not be negative")
	}
	if len(o.RemoteContexts) > 0 && !o.UseKube {
		return errors.New("--remote-contexts reads other clusters: it needs --use-kube")
	}
	return nil
}

// Run analyzes and prints; the returned error carries the exit code.
func (o *Options) Run(cmd *cobra.Command) error {
	streams := o.f.IOStreams
	if o.ListAnalyzers {
		return o.listAnalyzers()
	}
	opts := analyze.Options{
		Paths: o.Paths, Recursive: o.Recursive, Stdin: streams.In,
		Namespace: o.namespace, AllNamespaces: o.AllNamespaces, RootNamespace: o.f.IstioNamespace,
		Analyzers: o.selected, Timeout: o.Timeout,
	}
	opts.Remotes = o.remoteFiles
	if o.UseKube {
		dyn, err := o.f.DynamicClient()
		if err != nil {
			return err
		}
		opts.Cluster = &dynamicReader{client: dyn}
		opts.ClusterName = currentContext(o.f)
		// Reading a cluster is online anyway: external control plane addresses are resolved too (IST0163).
		opts.LookupHost = net.DefaultResolver.LookupHost
		for _, name := range o.RemoteContexts {
			r, err := remoteReader(o.f, name)
			if err != nil {
				return err
			}
			opts.Remotes = append(opts.Remotes, analyze.RemoteInput{Name: name, Cluster: r})
		}
		cluster.WarnAboutSkew(cmd.Context(), o.f)
	}
	res, err := analyze.Run(cmd.Context(), opts)
	if err != nil {
		return err
	}
	policy := suppress.Policy{Rules: o.rules, OutputLevel: o.outputLevel, FailureLevel: o.failureLevel, Recording: o.WriteBaseline != ""}
	if o.Baseline != "" {
		if policy.Baseline, err = readBaseline(o.Baseline); err != nil {
			return err
		}
	}
	outcome := policy.Apply(res)
	if o.WriteBaseline != "" {
		if err := o.writeBaseline(outcome.Findings); err != nil {
			return err
		}
	}
	if outcome.Accepted > 0 {
		fmt.Fprintf(streams.ErrOut, "%d finding(s) accepted in baseline %s are not shown.\n", outcome.Accepted, o.Baseline)
	}
	rep := report.Report{Findings: outcome.Shown, Namespace: o.namespace, AllNamespaces: o.AllNamespaces, Objects: res.Objects,
		FailureThreshold: o.failureLevel, Tool: buildinfo.Get().Version}
	if rep.Findings == nil {
		rep.Findings = []analyze.Finding{}
	}
	if err := report.Write(streams.Out, o.Output, rep, o.Color); err != nil {
		return err
	}
	if o.Output == "log" && len(rep.Findings) == 0 {
		fmt.Fprintln(streams.ErrOut, report.Summary(rep))
	}
	switch outcome.Verdict {
	case suppress.IncompleteInput:
		return exitcode.WithCode(exitcode.BadInput, fmt.Errorf("%d input document(s) could not be read; see the MSH1001 findings", len(res.InputErrors)))
	case suppress.IssuesFound:
		return exitcode.WithCode(exitcode.IssuesFound, nil)
	}
	return nil
}

func (o *Options) writeBaseline(findings []analyze.Finding) error {
	f, err := os.Create(o.WriteBaseline)
	if err != nil {
		return fmt.Errorf("write baseline: %w", err)
	}
	if err := suppress.New(findings).Write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write baseline %s: %w", o.WriteBaseline, err)
	}
	fmt.Fprintf(o.f.IOStreams.ErrOut, "Recorded %d finding(s) in baseline %s.\n", len(findings), o.WriteBaseline)
	return nil
}

func readBaseline(path string) (*suppress.Baseline, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, exitcode.UsageError(fmt.Errorf("--baseline: %w", err))
	}
	defer f.Close()
	return suppress.Read(f, path)
}

// analyzerList is what --list-analyzers prints.
type analyzerList []analyze.Metadata

func (l analyzerList) TableHeader() []string { return []string{"ANALYZER", "CODES", "DESCRIPTION"} }

func (l analyzerList) TableRows() [][]string {
	rows := make([][]string, len(l))
	for i, m := range l {
		rows[i] = []string{m.Name, strings.Join(m.Codes, ","), m.Description}
	}
	return rows
}

func (o *Options) listAnalyzers() error {
	var list analyzerList
	for _, a := range o.selected {
		list = append(list, a.Metadata())
	}
	// Codes another command reports are listed too, so that nobody looks for them here in vain.
	var codes, where []string
	for _, c := range analyze.Codes() {
		if c.CheckedBy != "" {
			codes = append(codes, c.ID)
			where = append(where, c.ID+" by "+c.CheckedBy)
		}
	}
	if len(codes) > 0 {
		list = append(list, analyze.Metadata{Name: "(precheck)", Codes: codes, Description: "Not run by analyze: " + strings.Join(where, "; ")})
	}
	switch o.Output {
	case "json", "yaml":
		type entry struct {
			Name        string   `json:"name"`
			Codes       []string `json:"codes"`
			Description string   `json:"description"`
		}
		out := make([]entry, len(list))
		for i, m := range list {
			out[i] = entry{m.Name, m.Codes, m.Description}
		}
		return printer.Print(o.f.IOStreams.Out, o.Output, out)
	}
	return printer.Print(o.f.IOStreams.Out, printer.Table, list)
}
