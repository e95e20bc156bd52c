package capture

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/meshctl/meshctl/meshapi"
)

// Flag names: istio-iptables' long names and the one-letter ones the injection template passes. Errors
// name a flag as "-p/--envoy-port" so the user finds it whichever spelling they wrote.
const (
	FlagOutboundPort         = "envoy-port"                         // -p
	FlagInboundPort          = "inbound-capture-port"               // -z
	FlagProxyUID             = "proxy-uid"                          // -u
	FlagProxyGID             = "proxy-gid"                          // -g
	FlagMode                 = "istio-inbound-interception-mode"    // -m
	FlagIncludeOutboundCIDRs = "istio-service-cidr"                 // -i
	FlagExcludeOutboundCIDRs = "istio-service-exclude-cidr"         // -x
	FlagIncludeInboundPorts  = "istio-inbound-ports"                // -b
	FlagExcludeInboundPorts  = "istio-local-exclude-ports"          // -d
	FlagIncludeOutboundPorts = "istio-local-outbound-ports-include" // -q
	FlagExcludeOutboundPorts = "istio-local-outbound-ports-exclude" // -o
	FlagExcludeInterfaces    = "istio-exclude-interfaces"           // -c
)

// Shorthands maps each long flag name to its one-letter form.
var Shorthands = map[string]string{
	FlagOutboundPort: "p", FlagInboundPort: "z", FlagProxyUID: "u", FlagProxyGID: "g", FlagMode: "m",
	FlagIncludeOutboundCIDRs: "i", FlagExcludeOutboundCIDRs: "x", FlagIncludeInboundPorts: "b",
	FlagExcludeInboundPorts: "d", FlagIncludeOutboundPorts: "q", FlagExcludeOutboundPorts: "o",
	FlagExcludeInterfaces: "c",
}

// FlagError is a bad value of one flag.
type FlagError struct {
	Flag  string // long name
	Value string
	Err   error
}

func (e *FlagError) Error() string {
	name := "--" + e.Flag
	if s := Shorthands[e.Flag]; s != "" {
		name = "-" + s + "/" + name
	}
	return fmt.Sprintf("%s %q: %v", name, e.Value, e.Err)
}

func (e *FlagError) Unwrap() error { return e.Err }

// Options holds the flags as given, text; Config parses and checks them. The zero value of a field
// means the flag was not given and takes istio-iptables' default.
type Options struct {
	OutboundPort, InboundPort                  string
	ProxyUID, ProxyGID                         string
	Mode                                       string
	IncludeOutboundCIDRs, ExcludeOutboundCIDRs string
	IncludeInboundPorts, ExcludeInboundPorts   string
	IncludeOutboundPorts, ExcludeOutboundPorts string
	ExcludeInterfaces                          string
}

// Interception modes (-m). Only REDIRECT is implemented: TPROXY needs policy routing and a proxy that
// binds transparently, which mesh-proxy does not do yet.
const (
	ModeRedirect = "REDIRECT"
	ModeTProxy   = "TPROXY"
)

// Config is the parsed capture: what Rules turns into nftables rules.
type Config struct {
	OutboundPort, InboundPort uint16
	ProxyUIDs, ProxyGIDs      []uint32
	IncludeOutboundCIDRs      CIDRList // "*": all outbound traffic; empty: none (only IncludeOutboundPorts)
	ExcludeOutboundCIDRs      CIDRList
	IncludeInboundPorts       PortList // "*": every port but ExcludeInboundPorts; empty: no inbound capture
	ExcludeInboundPorts       PortList
	IncludeOutboundPorts      PortList
	ExcludeOutboundPorts      PortList
	ExcludeInterfaces         []string
}

// Config parses and validates the options; the error is a *FlagError naming the first bad flag.
func (o Options) Config() (Config, error) {
	c := Config{}
	var err error
	port := func(flag, value string, def meshapi.Port) uint16 {
		if err != nil {
			return 0
		}
		if strings.TrimSpace(value) == "" {
			return uint16(def)
		}
		n, perr := strconv.ParseUint(strings.TrimSpace(value), 10, 16)
		if perr != nil || n == 0 {
			err = &FlagError{flag, value, fmt.Errorf("not a port (1-65535)")}
		}
		return uint16(n)
	}
	c.OutboundPort = port(FlagOutboundPort, o.OutboundPort, meshapi.ProxyOutboundPort)
	c.InboundPort = port(FlagInboundPort, o.InboundPort, meshapi.ProxyInboundPort)
	if err != nil {
		return Config{}, err
	}

	uid := o.ProxyUID
	if strings.TrimSpace(uid) == "" {
		uid = strconv.Itoa(meshapi.ProxyUID)
	}
	if c.ProxyUIDs, err = parseIDList(uid); err != nil || len(c.ProxyUIDs) == 0 {
		return Config{}, &FlagError{FlagProxyUID, o.ProxyUID, orEmpty(err)}
	}
	gid := o.ProxyGID
	if strings.TrimSpace(gid) == "" {
		gid = uid // istio-iptables: the GID defaults to the UID
	}
	if c.ProxyGIDs, err = parseIDList(gid); err != nil || len(c.ProxyGIDs) == 0 {
		return Config{}, &FlagError{FlagProxyGID, o.ProxyGID, orEmpty(err)}
	}

	switch mode := strings.TrimSpace(o.Mode); mode {
	case "", ModeRedirect:
	case ModeTProxy:
		return Config{}, &FlagError{FlagMode, o.Mode, fmt.Errorf("interception mode TPROXY is not supported yet: use REDIRECT")}
	default:
		return Config{}, &FlagError{FlagMode, o.Mode, fmt.Errorf("want REDIRECT or TPROXY")}
	}

	cidrs := []struct {
		flag, value string
		dst         *CIDRList
	}{
		{FlagIncludeOutboundCIDRs, o.IncludeOutboundCIDRs, &c.IncludeOutboundCIDRs},
		{FlagExcludeOutboundCIDRs, o.ExcludeOutboundCIDRs, &c.ExcludeOutboundCIDRs},
	}
	for _, f := range cidrs {
		if *f.dst, err = ParseCIDRList(f.value); err != nil {
			return Config{}, &FlagError{f.flag, f.value, err}
		}
	}
	if c.ExcludeOutboundCIDRs.All {
		return Config{}, &FlagError{FlagExcludeOutboundCIDRs, o.ExcludeOutboundCIDRs, fmt.Errorf("\"*\" is not allowed here: leave -i empty to capture no outbound traffic")}
	}
	ports := []struct {
		flag, value string
		dst         *PortList
	}{
		{FlagIncludeInboundPorts, o.IncludeInboundPorts, &c.IncludeInboundPorts},
		{FlagExcludeInboundPorts, o.ExcludeInboundPorts, &c.ExcludeInboundPorts},
		{FlagIncludeOutboundPorts, o.IncludeOutboundPorts, &c.IncludeOutboundPorts},
		{FlagExcludeOutboundPorts, o.ExcludeOutboundPorts, &c.ExcludeOutboundPorts},
	}
	for _, f := range ports {
		if *f.dst, err = ParsePortList(f.value); err != nil {
			return Config{}, &FlagError{f.flag, f.value, err}
		}
	}
	for _, f := range ports[1:] {
		if f.dst.All {
			return Config{}, &FlagError{f.flag, f.value, fmt.Errorf("\"*\" is not allowed here")}
		}
	}
	for _, name := range splitList(o.ExcludeInterfaces) {
		if name == "" || len(name) >= ifNameSize || strings.ContainsAny(name, "\"/ \t") {
			return Config{}, &FlagError{FlagExcludeInterfaces, o.ExcludeInterfaces, fmt.Errorf("%q is not an interface name", name)}
		}
		c.ExcludeInterfaces = append(c.ExcludeInterfaces, name)
	}
	return c, nil
}

// ifNameSize is the kernel's IFNAMSIZ: interface names are shorter, with their NUL.
const ifNameSize = 16

func orEmpty(err error) error {
	if err == nil {
		return fmt.Errorf("no id given")
	}
	return err
}
