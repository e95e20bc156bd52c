// Command mesh-images builds the OCI image of every program the mesh deploys (images.Programs),
// without Docker, and loads them into the local cluster's real node. It only wires flags to
// package images:
//
//	mesh-images build [--out bin/images] [--version V] [--load] [NAME...]
//	mesh-images list
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/meshctl/meshctl/images"
	"github.com/meshctl/meshctl/internal/testenv"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRoot(os.Stdout, os.Stderr).ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "mesh-images:", err)
		os.Exit(1)
	}
}

func newRoot(out, errOut io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "mesh-images",
		Short:         "Build the mesh's container images offline and load them into the local cluster",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newBuild(out, errOut, nil), newList(out))
	return root
}

// buildOptions are the flags of `build`.
type buildOptions struct {
	outDir  string
	version string
	load    bool
	names   []string

	programs []images.Program
	info     images.BuildInfo
	module   string
	out      io.Writer
	errOut   io.Writer
}

func (o *buildOptions) complete(ctx context.Context, args []string) error {
	o.names = args
	var err error
	if o.module, err = images.ModuleDir("."); err != nil {
		return err
	}
	o.info, err = images.GitBuildInfo(ctx, o.module, o.version)
	return err
}

func (o *buildOptions) validate() error {
	if o.version == "" {
		return errors.New("--version is required (the Makefile passes its VERSION)")
	}
	if len(o.names) == 0 {
		o.programs = images.Programs
		return nil
	}
	for _, n := range o.names {
		p, ok := images.Find(n)
		if !ok {
			return fmt.Errorf("no program %q (mesh-images list shows them)", n)
		}
		o.programs = append(o.programs, p)
	}
	return nil
}

func (o *buildOptions) run(ctx context.Context) error {
	built, err := images.Build(ctx, o.programs, images.Options{ModuleDir: o.module, OutDir: o.outDir, Info: o.info, Log: o.errOut})
	if err != nil {
		return err
	}
	for _, b := range built {
		fmt.Fprintf(o.out, "%s\t%s\t%s\n", b.Ref, b.Digest, b.Path)
	}
	if !o.load {
		return nil
	}
	if !testenv.NodeRunning() {
		fmt.Fprintln(o.errOut, "mesh-images: no real node runs on this machine (make cluster-up starts one): nothing loaded")
		return nil
	}
	paths := make([]string, len(built))
	for i, b := range built {
		paths[i] = b.Path
	}
	if err := testenv.LoadIntoNode(ctx, paths...); err != nil {
		return err
	}
	fmt.Fprintf(o.errOut, "mesh-images: %d images loaded into the real node's containerd\n", len(built))
	return nil
}

func newBuild(out, errOut io.Writer, runF func(*buildOptions) error) *cobra.Command {
	o := &buildOptions{out: out, errOut: errOut}
	cmd := &cobra.Command{
		Use:   "build [NAME...]",
		Short: "Build OCI tarballs of the programs (all by default); print ref, digest and file of each",
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.complete(cmd.Context(), args); err != nil {
				return err
			}
			if err := o.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return o.run(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&o.outDir, "out", "bin/images", "folder of the OCI tarballs")
	cmd.Flags().StringVar(&o.version, "version", "", "the images' tag and version label (the project's version)")
	cmd.Flags().BoolVar(&o.load, "load", false, "also load the images into the real node of the local cluster, when one runs")
	return cmd
}

func newList(out io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the programs that get an image",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			for _, p := range images.Programs {
				src := p.Package
				if src == "" {
					src = p.File
				}
				fmt.Fprintf(out, "%s\t%s\t%s\n", p.Name, src, p.UserOrDefault())
			}
			return nil
		},
	}
}
