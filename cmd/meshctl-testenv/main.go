// Command meshctl-testenv builds and runs the project's local Kubernetes test cluster. It only
// wires flags to package internal/testenv, which does the work:
//
//	meshctl-testenv build [VERSION...]   compile what the cache lacks (default: testenv.Prebuilt)
//	eval "$(meshctl-testenv up)"         start a cluster, print `export KUBECONFIG=...`
//	meshctl-testenv env                  print the export line of the running cluster again
//	meshctl-testenv down                 stop it by PID and remove its state
//	meshctl-testenv which kubectl        print the path of a program built into the cache
//	meshctl-testenv place < app.yaml     make every workload's pods ask for the real node
//	meshctl-testenv sample PATH          sample YAML with the project's images, on the real node
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/meshctl/meshctl/internal/testenv"
	"github.com/meshctl/meshctl/sampleapps/localize"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRoot(os.Stdin, os.Stdout, os.Stderr).ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "meshctl-testenv:", err)
		os.Exit(1)
	}
}

// common are the flags every subcommand has.
type common struct {
	cacheDir string
	dir      string
}

func (c *common) complete() error {
	if c.cacheDir == "" {
		dir, err := testenv.DefaultCacheDir()
		if err != nil {
			return err
		}
		c.cacheDir = dir
	}
	if c.dir == "" {
		c.dir = filepath.Join(testenv.Cache{Dir: c.cacheDir}.RunDir(), "default")
	}
	return nil
}

func newRoot(in io.Reader, out, errOut io.Writer) *cobra.Command {
	c := &common{}
	root := &cobra.Command{
		Use:           "meshctl-testenv",
		Short:         "Build and run meshctl's local Kubernetes test cluster",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&c.cacheDir, "cache-dir", "", "build cache (default $"+testenv.CacheDirEnv+" or $XDG_CACHE_HOME/meshctl-testenv)")
	root.PersistentFlags().StringVar(&c.dir, "dir", "", "state folder of the cluster (default <cache-dir>/run/default)")
	root.AddCommand(newBuild(c, errOut), newUp(c, out, errOut), newEnv(c, out), newDown(c, errOut),
		newWhich(c, out), newPlace(in, out), newSample(out))
	return root
}

func newBuild(c *common, errOut io.Writer) *cobra.Command {
	var components string
	cmd := &cobra.Command{
		Use:   "build [VERSION...]",
		Short: "Compile the cluster's programs into the cache (once; later runs reuse them)",
		Long: "Without arguments, builds what `make test` needs: every component of " + testenv.Newest +
			" and etcd + kube-apiserver of " + testenv.Oldest + ". With versions, builds --components of each.",
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := c.complete(); err != nil {
				return err
			}
			var targets []testenv.Target
			if len(args) > 0 {
				comps, err := testenv.ParseComponents(components)
				if err != nil {
					return err
				}
				for _, v := range args {
					targets = append(targets, testenv.Target{Version: v, Components: comps})
				}
			}
			return testenv.Build(cmd.Context(), testenv.BuildOptions{CacheDir: c.cacheDir, Targets: targets, Log: errOut})
		},
	}
	cmd.Flags().StringVar(&components, "components", "all", `components to build for the given versions: "all", "api" or a list such as etcd,kube-apiserver`)
	return cmd
}

func newUp(c *common, out, errOut io.Writer) *cobra.Command {
	var (
		cfg        testenv.Config
		components string
	)
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Start a cluster in the background and print `export KUBECONFIG=...` for eval",
		Long: "Starts a cluster whose processes outlive this command; stop it with `down`. " +
			"When one is already running in --dir it is reused: its export line is printed again.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := c.complete(); err != nil {
				return err
			}
			comps, err := testenv.ParseComponents(components)
			if err != nil {
				return err
			}
			if kubeconfig, ok := testenv.Running(c.dir); ok {
				fmt.Fprintf(errOut, "meshctl-testenv: reusing the cluster already running in %s (stop it with `make cluster-down`)\n", c.dir)
				fmt.Fprintln(out, exportLine(kubeconfig))
				return nil
			}
			cfg.Components, cfg.Dir, cfg.CacheDir, cfg.Detach, cfg.Log = comps, c.dir, c.cacheDir, true, errOut
			cl, err := testenv.Up(cmd.Context(), cfg)
			if errors.Is(err, testenv.ErrNotRoot) || errors.Is(err, testenv.ErrNodeBusy) {
				return fmt.Errorf("%w; to start without the real node: --real-node=false (make cluster-up REAL_NODE=false)", err)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(errOut, "meshctl-testenv: Kubernetes %s at %s; logs in %s\n", cl.Version, cl.Server, filepath.Join(cl.Dir, "logs"))
			if cl.RealNode {
				fmt.Fprintf(errOut, "meshctl-testenv: real node %s runs pods that select %s=true and tolerate its taint\n", testenv.RealNodeName, testenv.RealNodeLabel)
			}
			fmt.Fprintln(out, exportLine(cl.Kubeconfig))
			return nil
		},
	}
	cmd.Flags().StringVar(&cfg.Version, "version", testenv.Newest, "Kubernetes version (built on first use)")
	cmd.Flags().StringVar(&components, "components", "all", `components to run: "all", "api" or a list such as etcd,kube-apiserver`)
	cmd.Flags().IntVar(&cfg.Nodes, "nodes", 1, "number of fake KWOK nodes")
	cmd.Flags().StringArrayVar(&cfg.APIServerArgs, "apiserver-arg", nil, "extra kube-apiserver flag, such as --apiserver-arg=--v=4 (repeatable)")
	cmd.Flags().BoolVar(&cfg.RealNode, "real-node", true, "add the machine's real node (kubelet, containerd, kube-proxy, cluster DNS: needs root); pods run for real when they ask for it")
	return cmd
}

func newEnv(c *common, out io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "env",
		Short: "Print `export KUBECONFIG=...` for the running cluster",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if err := c.complete(); err != nil {
				return err
			}
			kubeconfig, ok := testenv.Running(c.dir)
			if !ok {
				return errors.New("no cluster is running in " + c.dir + " (start one with `make cluster-up`)")
			}
			fmt.Fprintln(out, exportLine(kubeconfig))
			return nil
		},
	}
}

func newDown(c *common, errOut io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "down",
		Short: "Stop the cluster's processes by PID and remove its state",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if err := c.complete(); err != nil {
				return err
			}
			return testenv.Down(c.dir, errOut)
		},
	}
}

func newWhich(c *common, out io.Writer) *cobra.Command {
	var version string
	return &cobra.Command{
		Use:   "which COMPONENT",
		Short: "Print the path of a program of the cache, such as kubectl of the cluster's version",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if err := c.complete(); err != nil {
				return err
			}
			if version == "" {
				version = testenv.Newest
			}
			path := testenv.Cache{Dir: c.cacheDir}.Binary(version, testenv.Component(args[0]))
			if _, err := os.Stat(path); err != nil {
				return fmt.Errorf("%s is not built: %w (make cluster-build)", args[0], err)
			}
			fmt.Fprintln(out, path)
			return nil
		},
	}
}

func newPlace(in io.Reader, out io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "place [FILE]",
		Short: "Make every workload of a YAML stream (FILE or standard input) run on the real node",
		Long:  "Adds the real node's label as node selector and a toleration of its taint to every pod template; other documents pass through.",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			source, r := "-", in
			if len(args) == 1 {
				f, err := os.Open(args[0])
				if err != nil {
					return err
				}
				defer f.Close()
				source, r = args[0], f
			}
			data, err := io.ReadAll(r)
			if err != nil {
				return err
			}
			placed, err := testenv.PlaceOnRealNode(data, source)
			if err != nil {
				return err
			}
			_, err = out.Write(placed)
			return err
		},
	}
}

func newSample(out io.Writer) *cobra.Command {
	var (
		version  string
		realNode bool
	)
	cmd := &cobra.Command{
		Use:   "sample PATH",
		Short: "Print sample YAML (a file, or the YAML files of a folder) for the local cluster",
		Long: "The sample's upstream images become the project's (ghcr.io/meshctl/samples/...:VERSION, built by " +
			"`make images`), and with --real-node every workload asks for the real node, where its pods run for real.",
		Example: "  meshctl-testenv sample manifests/samples/bookinfo/platform/kube/bookinfo.yaml --version 0.1.0-dev | kubectl apply -f -",
		Args:    cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			name := filepath.ToSlash(filepath.Clean(args[0]))
			if filepath.IsAbs(name) || strings.HasPrefix(name, "../") {
				return fmt.Errorf("sample %s: give a path inside the working folder", args[0])
			}
			data, err := localize.Manifests(os.DirFS("."), name, version)
			if err != nil {
				return err
			}
			if realNode {
				if data, err = testenv.PlaceOnRealNode(data, name); err != nil {
					return err
				}
			}
			_, err = out.Write(data)
			return err
		},
	}
	cmd.Flags().StringVar(&version, "version", "", "the images' tag: the project's version, as `make images` builds it")
	cmd.Flags().BoolVar(&realNode, "real-node", true, "make the workloads run on the real node")
	_ = cmd.MarkFlagRequired("version")
	return cmd
}

// exportLine quotes the path for the shell when it needs it, so eval works with any folder name.
func exportLine(kubeconfig string) string {
	if strings.Trim(kubeconfig, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+") == "" {
		return "export KUBECONFIG=" + kubeconfig
	}
	return "export KUBECONFIG='" + strings.ReplaceAll(kubeconfig, "'", `'\''`) + "'"
}
