package serve

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"

	"github.com/meshctl/meshctl/sampleapps"
)

// Address is where a server listens: -host and -port flags, and the upstream samples' positional port
// (`productpage.py 9080`).
type Address struct {
	Host string
	Port int
}

// AddFlags registers -host and -port with port as the default.
func (a *Address) AddFlags(fs *flag.FlagSet, port int) {
	a.Port = port
	fs.StringVar(&a.Host, "host", "", "address to listen on (default: all)")
	fs.IntVar(&a.Port, "port", port, "port to listen on")
}

// String is the address for net.Listen.
func (a Address) String() string { return net.JoinHostPort(a.Host, strconv.Itoa(a.Port)) }

// ParseCommandLine parses p.Args into fs and a, taking one positional argument as the port, as the
// upstream programs do. When ok is false the program stops and returns err: nil after -h (the usage is
// printed on p.Stderr), a usage error otherwise.
func ParseCommandLine(p sampleapps.Process, fs *flag.FlagSet, a *Address) (ok bool, err error) {
	err = a.parse(fs, p.Args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(p.Stderr, "Usage of %s:\n", fs.Name())
		fs.SetOutput(p.Stderr)
		fs.PrintDefaults()
		return false, nil
	}
	if err != nil {
		return false, sampleapps.Usage(fmt.Errorf("%s: %w", fs.Name(), err))
	}
	return true, nil
}

func (a *Address) parse(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch fs.NArg() {
	case 0:
		return nil
	case 1:
		p, err := strconv.Atoi(fs.Arg(0))
		if err != nil || p < 0 || p > 65535 {
			return fmt.Errorf("want a port number, got %q", fs.Arg(0))
		}
		a.Port = p
		return nil
	}
	return fmt.Errorf("unexpected arguments %q", fs.Args()[1:])
}

// fromEnv sets the port and host from the variables portEnv and hostEnv, where the command line did not.
func (a *Address) fromEnv(p sampleapps.Process, fs *flag.FlagSet, portEnv, hostEnv string) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if v := p.Env(portEnv, ""); portEnv != "" && v != "" && !set["port"] {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 65535 {
			return fmt.Errorf("invalid value %q for env var %s: want a port number", v, portEnv)
		}
		a.Port = n
	}
	if v := p.Env(hostEnv, ""); hostEnv != "" && v != "" && !set["host"] {
		a.Host = v
	}
	return nil
}
