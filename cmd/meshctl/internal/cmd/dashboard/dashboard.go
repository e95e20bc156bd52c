// Package dashboard implements `meshctl dashboard`: it wires flags to the dashboard library.
package dashboard

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	lib "github.com/meshctl/meshctl/dashboard"

	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/exitcode"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/factory"
)

// NewCmd returns `meshctl dashboard` with one subcommand per known dashboard; runF replaces Run in tests.
func NewCmd(f *factory.Factory, runF func(*Options) error) *cobra.Command {
	o := &Options{f: f, Address: lib.DefaultAddress, Browser: true}
	cmd := &cobra.Command{
		Use:     "dashboard",
		Aliases: []string{"dash", "d"},
		Short:   "Open the web UI of an add-on, of meshd or of a sidecar",
		Long: `Open the web UI of an add-on (Kiali, Prometheus, Grafana, Jaeger, …), of meshd or of a sidecar.

The command finds a running, ready pod, forwards a local port to it through the Kubernetes API server,
prints the URL and opens it in a browser. It runs until Ctrl-C, until the pod goes away or until the API
server closes the stream.

Add-ons and meshd are looked for in -n/--namespace when given, else in the mesh's namespace
(-i/--istioNamespace, default istio-system). A sidecar's pod is looked for in the namespace its argument
names (NAME.NAMESPACE), else in -n/--namespace, else in the kubeconfig context's namespace.

Install the add-ons with: kubectl apply -f samples/addons`,
		Example: `  meshctl dashboard kiali
  meshctl dashboard grafana --port 0 --browser=false
  meshctl dashboard prometheus -n monitoring -l app=prometheus-server
  meshctl dashboard proxy productpage-v1-7d9f8c6b4-x2x5z.default
  meshctl dashboard controlz istiod-5c8d7f9b6-abcde.istio-system`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				// cobra only reports unknown subcommands of the root; say it here for `meshctl dashboard nope`.
				return exitcode.UsageError(fmt.Errorf("unknown dashboard %q for %q; choose one of: %s",
					args[0], cmd.CommandPath(), strings.Join(names(), ", ")))
			}
			return cmd.Help()
		},
	}
	fl := cmd.PersistentFlags()
	fl.StringVar(&o.Address, "address", o.Address,
		"address to listen on: localhost, or an IP such as 0.0.0.0 (every interface: reachable from other machines)")
	fl.VarP(&o.port, "port", "p",
		"local port to listen on; 0 picks a free one (default: the dashboard's own port, or a free one if that is taken)")
	fl.BoolVar(&o.Browser, "browser", o.Browser, "open the URL in a browser")
	fl.StringVarP(&o.Selector, "selector", "l", "", "label selector of the pod, instead of the dashboard's default")

	for _, d := range lib.Registry() {
		cmd.AddCommand(newSubCmd(o, d, runF))
	}
	return cmd
}

func names() []string {
	var out []string
	for _, d := range lib.Registry() {
		out = append(out, d.Name)
	}
	return out
}

func newSubCmd(o *Options, d lib.Dashboard, runF func(*Options) error) *cobra.Command {
	sub := &cobra.Command{
		Use:     d.Name,
		Aliases: d.Aliases,
		Short:   fmt.Sprintf("Open %s (pod port %d)", d.Title, d.RemotePort),
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Dashboard = d
			if len(args) == 1 {
				o.PodArg = args[0]
			}
			if err := o.Complete(); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return exitcode.UsageError(err)
			}
			if runF != nil {
				return runF(o)
			}
			return o.Run(cmd.Context())
		},
	}
	switch {
	case d.PodArg && len(d.Selectors) > 0:
		sub.Use = d.Name + " [POD]"
		sub.Args = cobra.MaximumNArgs(1)
		sub.Long = fmt.Sprintf("%s.\n\nPOD is NAME, NAME.NAMESPACE or pod/NAME[.NAMESPACE]; without it, the pod is found by label %s.",
			sub.Short, strings.Join(d.Selectors, " or "))
	case d.PodArg:
		sub.Use = d.Name + " POD"
		sub.Args = cobra.MaximumNArgs(1)
		sub.Long = sub.Short + ".\n\nPOD is NAME, NAME.NAMESPACE or pod/NAME[.NAMESPACE]; or give -l/--selector instead."
	default:
		sub.Long = fmt.Sprintf("%s.\n\nThe pod is found by label %s.", sub.Short, strings.Join(d.Selectors, " or "))
		if d.InstallHint != "" {
			sub.Long += "\nInstall it with: " + d.InstallHint
		}
	}
	if d.Path != "" {
		sub.Long += fmt.Sprintf("\nThe URL ends in %s.", d.Path)
	}
	return sub
}
