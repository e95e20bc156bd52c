package serve

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/meshctl/meshctl/sampleapps"
)

// App is the command line of a server application: flags, then a handler served until SIGTERM.
type App struct {
	Name string
	Port int // the default port
	// PortEnv and HostEnv name variables that set the port and host when the flags do not.
	PortEnv, HostEnv string
	Flags            func(fs *flag.FlagSet) // registers the application's own flags; may be nil
	// Handler builds the handler once the flags are parsed; its error stops the program (bad settings).
	Handler func(p sampleapps.Process, log *slog.Logger) (http.Handler, error)
}

// Main parses p.Args and serves until ctx ends.
func (a App) Main(ctx context.Context, p sampleapps.Process) error {
	fs := flag.NewFlagSet(a.Name, flag.ContinueOnError)
	var addr Address
	addr.AddFlags(fs, a.Port)
	if a.Flags != nil {
		a.Flags(fs)
	}
	if ok, err := ParseCommandLine(p, fs, &addr); !ok {
		return err
	}
	if err := addr.fromEnv(p, fs, a.PortEnv, a.HostEnv); err != nil {
		return sampleapps.Usage(fmt.Errorf("%s: %w", a.Name, err))
	}
	log := NewLogger(p.Stdout, a.Name)
	h, err := a.Handler(p, log)
	if err != nil {
		return err
	}
	return ListenAndServe(ctx, log, addr.String(), h)
}
