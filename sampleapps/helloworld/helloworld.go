// Package helloworld is Istio's helloworld sample on port 5000: GET /hello answers with the version
// and the pod that served it, so that a loop of requests shows how traffic splits between versions.
package helloworld

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/meshctl/meshctl/sampleapps"
	"github.com/meshctl/meshctl/sampleapps/internal/serve"
)

// Port is where helloworld listens, and the port of its Service.
const Port = 5000

// NewHandler serves /hello and /health for version (SERVICE_VERSION) on pod instance (HOSTNAME).
func NewHandler(version, instance string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8") // Flask's default, as upstream
		fmt.Fprintf(w, "Hello version: %s, instance: %s\n", version, instance)
	})
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "Helloworld is healthy")
	})
	return mux
}

// Main runs helloworld: `helloworld [-port 5000]`, SERVICE_VERSION from the environment (v1 when unset,
// as upstream's image).
func Main(ctx context.Context, p sampleapps.Process) error {
	return serve.App{
		Name: "helloworld", Port: Port,
		Handler: func(p sampleapps.Process, _ *slog.Logger) (http.Handler, error) {
			return NewHandler(p.Env("SERVICE_VERSION", "v1"), p.Hostname()), nil
		},
	}.Main(ctx, p)
}
