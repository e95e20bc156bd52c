// Command meshctl installs and operates the mesh. It only wires the process to package root.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/klog/v2"

	_ "github.com/meshctl/meshctl/cmd/meshctl/internal/gogc" // before the other packages' init functions
	"github.com/meshctl/meshctl/cmd/meshctl/internal/root"
)

func main() {
	// client-go also logs some of the errors it returns (a refused port-forward connection); meshctl
	// reports every error itself, once, so its log lines would only be noise on stderr.
	klog.LogToStderr(false)
	klog.SetOutput(io.Discard)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := root.Run(ctx, os.Args[1:], genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr})
	stop()
	os.Exit(code)
}
