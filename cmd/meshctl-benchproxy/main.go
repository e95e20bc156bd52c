// Command meshctl-benchproxy measures mesh-proxy beside direct connections and peer proxies (nginx,
// haproxy, Caddy) in a sidecar pair's layout, in network namespaces it creates. It wires flags to
// internal/benchproxy; `make bench-proxy` builds the binaries and tools and runs it as root.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/meshctl/meshctl/internal/benchproxy"
	"github.com/meshctl/meshctl/internal/netns"
)

func main() {
	o := benchproxy.Options{Log: os.Stderr}
	var variants string
	flag.StringVar(&o.Tools, "tools", "bin/tools", "directory holding fortio and caddy")
	flag.StringVar(&o.Bin, "bin", "bin", "directory holding mesh-proxy and mesh-init")
	flag.IntVar(&o.QPS, "qps", 1000, "fixed request rate of the latency and CPU runs")
	flag.IntVar(&o.Conns, "c", 16, "connections")
	flag.DurationVar(&o.Duration, "t", 30*time.Second, "duration of each fixed-rate run")
	flag.DurationVar(&o.Saturate, "saturate", 15*time.Second, "duration of each saturation run (wrk)")
	flag.IntVar(&o.Rounds, "rounds", 3, "measure each variant this many times, interleaved, and keep the best figures")
	flag.StringVar(&o.Profile, "profile", "", "write CPU profiles of the mesh-proxy pair under saturation to this directory")
	flag.StringVar(&variants, "variants", "direct,mesh-proxy,nginx,haproxy,caddy", "what to measure")
	flag.Parse()
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "meshctl-benchproxy: needs root (it creates network namespaces)")
		os.Exit(1)
	}
	for _, need := range []string{filepath.Join(o.Tools, "fortio"), "wrk", filepath.Join(o.Bin, "mesh-proxy"), filepath.Join(o.Bin, "mesh-init")} {
		if _, err := exec.LookPath(need); err != nil {
			fmt.Fprintf(os.Stderr, "meshctl-benchproxy: %s is missing (make bench-proxy builds and installs what it needs)\n", need)
			os.Exit(1)
		}
	}
	o.Variants = strings.Split(variants, ",")
	r := &runner{}
	o.Dir = netns.SharedDir(r)
	for _, p := range []*string{&o.Tools, &o.Bin} {
		if abs, err := filepath.Abs(*p); err == nil {
			*p = abs
		}
	}
	results := benchproxy.Run(r, o)
	benchproxy.Report(os.Stdout, results, o)
	r.done(0)
}

// runner is the benchmark's netns.T: fatal errors end the run after the cleanups.
type runner struct{ cleanups []func() }

func (r *runner) Helper() {}

func (r *runner) Fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "meshctl-benchproxy: "+format+"\n", args...)
	r.done(1)
}

func (r *runner) Skip(args ...any) {
	fmt.Fprintln(os.Stderr, append([]any{"meshctl-benchproxy:"}, args...)...)
	r.done(1)
}

func (r *runner) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }

func (r *runner) done(code int) {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
	os.Exit(code)
}
