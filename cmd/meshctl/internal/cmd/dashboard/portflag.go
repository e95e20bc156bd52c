package dashboard

import (
	"fmt"
	"strconv"
)

// portFlag is --port. It remembers whether it was set, because "not given" (prefer the dashboard's own port,
// fall back to a free one) differs from 0 (any free port) and from a port (that one or fail). It is set by
// the command line, MESHCTL_PORT or the config file alike.
type portFlag struct {
	value int
	set   bool
}

func (p *portFlag) String() string {
	if !p.set {
		return ""
	}
	return strconv.Itoa(p.value)
}

func (p *portFlag) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("want a port number from 0 to 65535, got %q", s)
	}
	p.value, p.set = n, true
	return nil
}

func (p *portFlag) Type() string { return "int" }
