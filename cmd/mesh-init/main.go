// Command mesh-init writes the pod's traffic capture rules (the injected istio-init container). It only
// wires istio-iptables' flags to package capture; docs/mesh-init.md describes it.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/pflag"

	"github.com/meshctl/meshctl/proxy/capture"
)

// Exit codes, as docs/exit-codes.md lists them for every meshctl program.
const (
	exitOK    = 0
	exitError = 1  // the kernel refused the rules
	exitUsage = 64 // a bad flag or flag value
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	var (
		o               capture.Options
		dryRun, cleanup bool
	)
	fs := pflag.NewFlagSet("mesh-init", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	str := func(p *string, name, usage string) {
		fs.StringVarP(p, name, capture.Shorthands[name], "", usage)
	}
	str(&o.OutboundPort, capture.FlagOutboundPort, "port outbound TCP is redirected to (default 15001)")
	str(&o.InboundPort, capture.FlagInboundPort, "port inbound TCP is redirected to (default 15006)")
	str(&o.ProxyUID, capture.FlagProxyUID, "comma-separated UIDs whose traffic is not captured (default 1337)")
	str(&o.ProxyGID, capture.FlagProxyGID, "comma-separated GIDs whose traffic is not captured (default: the UIDs)")
	str(&o.Mode, capture.FlagMode, "inbound interception mode: REDIRECT (TPROXY is not supported yet)")
	str(&o.IncludeOutboundCIDRs, capture.FlagIncludeOutboundCIDRs, `outbound CIDRs to capture, "*" for all, empty for none`)
	str(&o.ExcludeOutboundCIDRs, capture.FlagExcludeOutboundCIDRs, "outbound CIDRs never captured")
	str(&o.IncludeInboundPorts, capture.FlagIncludeInboundPorts, `inbound ports to capture, "*" for all, empty for none`)
	str(&o.ExcludeInboundPorts, capture.FlagExcludeInboundPorts, `inbound ports never captured (with -b "*")`)
	str(&o.IncludeOutboundPorts, capture.FlagIncludeOutboundPorts, "outbound ports always captured, whatever the address")
	str(&o.ExcludeOutboundPorts, capture.FlagExcludeOutboundPorts, "outbound ports never captured")
	str(&o.ExcludeInterfaces, capture.FlagExcludeInterfaces, "interfaces whose traffic is never captured")
	fs.BoolVarP(&dryRun, "dry-run", "n", false, "print the rules instead of writing them")
	fs.BoolVar(&cleanup, "cleanup", false, "remove the capture rules")
	fs.BoolVar(&cleanup, "cleanup-only", false, "same as --cleanup (istio-iptables' name)")

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK
		}
		fmt.Fprintf(stderr, "mesh-init: %v\nRun 'mesh-init --help' for usage.\n", err)
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "mesh-init: unexpected argument %q\nRun 'mesh-init --help' for usage.\n", fs.Arg(0))
		return exitUsage
	}

	if cleanup {
		if dryRun {
			fmt.Fprintf(stdout, "delete table inet %s\n", capture.TableName)
			return exitOK
		}
		return report(stderr, func() error {
			c, err := capture.Conn(-1)
			if err != nil {
				return err
			}
			return capture.Cleanup(c)
		})
	}
	cfg, err := o.Config()
	if err != nil {
		fmt.Fprintf(stderr, "mesh-init: %v\n", err)
		return exitUsage
	}
	rules := capture.Rules(cfg)
	if dryRun {
		fmt.Fprint(stdout, rules.Text())
		return exitOK
	}
	code := report(stderr, func() error {
		c, err := capture.Conn(-1)
		if err != nil {
			return err
		}
		return capture.Apply(c, rules)
	})
	if code == exitOK {
		fmt.Fprint(stdout, rules.Text()) // what the init container's log shows
	}
	return code
}

func report(stderr io.Writer, fn func() error) int {
	if err := fn(); err != nil {
		fmt.Fprintf(stderr, "mesh-init: %v\n", err)
		return exitError
	}
	return exitOK
}
