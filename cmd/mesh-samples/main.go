// Command mesh-samples runs the sample applications of the mesh tutorials: `mesh-samples <app> [flags]`,
// or, linked under an application's name (curl, sleep, go-httpbin), that application. It only wires
// the process to package sampleapps/multicall.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/meshctl/meshctl/cmd/internal/buildinfo"
	"github.com/meshctl/meshctl/sampleapps"
	"github.com/meshctl/meshctl/sampleapps/multicall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := multicall.Run(ctx, sampleapps.Process{
		Getenv:  os.Getenv,
		Stdin:   os.Stdin,
		Stdout:  os.Stdout,
		Stderr:  os.Stderr,
		Version: buildinfo.Version,
	}, os.Args)
	stop()
	os.Exit(code)
}
