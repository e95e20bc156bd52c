// Package multicall picks the sample application a mesh-samples process runs: the one its first
// argument names (`mesh-samples reviews`), or the one its own name is (busybox style: a link
// /usr/bin/curl → /mesh-samples runs the curl client).
package multicall

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/meshctl/meshctl/sampleapps"
	"github.com/meshctl/meshctl/sampleapps/bookinfo/details"
	"github.com/meshctl/meshctl/sampleapps/bookinfo/productpage"
	"github.com/meshctl/meshctl/sampleapps/bookinfo/ratings"
	"github.com/meshctl/meshctl/sampleapps/bookinfo/reviews"
	"github.com/meshctl/meshctl/sampleapps/curl"
	"github.com/meshctl/meshctl/sampleapps/helloworld"
	"github.com/meshctl/meshctl/sampleapps/httpbin"
	"github.com/meshctl/meshctl/sampleapps/sleep"
	"github.com/meshctl/meshctl/sampleapps/static"
)

// App is one application of the binary.
type App struct {
	Name    string
	Aliases []string // other program names it answers to (go-httpbin)
	Summary string
	Main    sampleapps.Main
}

// Apps lists the applications, by name.
func Apps() []App {
	return []App{
		{Name: "curl", Summary: "curl-compatible HTTP client", Main: curl.Main},
		{Name: "details", Summary: "bookinfo details, :9080", Main: details.Main},
		{Name: "helloworld", Summary: "helloworld, GET /hello on :5000 (SERVICE_VERSION)", Main: helloworld.Main},
		{Name: "httpbin", Aliases: []string{"go-httpbin"}, Summary: "go-httpbin, :8080", Main: httpbin.Main},
		{Name: "productpage", Summary: "bookinfo productpage, :9080", Main: productpage.Main},
		{Name: "ratings", Summary: "bookinfo ratings, :9080 (SERVICE_VERSION)", Main: ratings.Main},
		{Name: "reviews", Summary: "bookinfo reviews, :9080 (ENABLE_RATINGS, STAR_COLOR)", Main: reviews.Main},
		{Name: "sleep", Summary: "sleep NUMBER[smhd]... | infinity; exits on SIGTERM", Main: sleep.Main},
		{Name: "static", Summary: "nginx-like static files from /usr/share/nginx/html, :80", Main: static.Main},
	}
}

// Lookup finds the application called name, by name or alias.
func Lookup(name string) (App, bool) {
	for _, a := range Apps() {
		if a.Name == name || slices.Contains(a.Aliases, name) {
			return a, true
		}
	}
	return App{}, false
}

// Resolve picks the application for argv (argv[0] is the program): by argv[0]'s base name, else by
// argv[1]. args are the application's arguments.
func Resolve(argv []string) (app App, args []string, err error) {
	if len(argv) > 0 {
		if a, ok := Lookup(filepath.Base(argv[0])); ok {
			return a, argv[1:], nil
		}
	}
	if len(argv) < 2 {
		return App{}, nil, fmt.Errorf("no application named\n\n%s", Usage())
	}
	if a, ok := Lookup(argv[1]); ok {
		return a, argv[2:], nil
	}
	return App{}, nil, fmt.Errorf("unknown application %q\n\n%s", argv[1], Usage())
}

// Usage lists the applications.
func Usage() string {
	var b strings.Builder
	b.WriteString("Usage: mesh-samples <application> [flags]\n\nThe sample applications of the mesh tutorials:\n")
	for _, a := range Apps() {
		fmt.Fprintf(&b, "  %-12s %s\n", a.Name, a.Summary)
	}
	b.WriteString("\nRun as a link named after an application (curl, sleep, go-httpbin), the binary is that application.\n")
	return b.String()
}

// Run runs the application argv names and returns the process's exit code; errors are printed on
// p.Stderr. p.Args is ignored: the arguments come from argv.
func Run(ctx context.Context, p sampleapps.Process, argv []string) int {
	if len(argv) == 2 && slices.Contains([]string{"-h", "-help", "--help", "help"}, argv[1]) {
		fmt.Fprint(p.Stdout, Usage())
		return 0
	}
	app, args, err := Resolve(argv)
	if err != nil {
		fmt.Fprintf(p.Stderr, "mesh-samples: %v", err)
		return sampleapps.UsageError
	}
	p.Args = args
	err = app.Main(ctx, p)
	// An ExitError without a message is a tool that printed its own (curl).
	if e, ok := errors.AsType[*sampleapps.ExitError](err); err != nil && (!ok || e.Err != nil) {
		fmt.Fprintf(p.Stderr, "%s: %v\n", app.Name, err)
	}
	return sampleapps.ExitCode(err)
}
