package dashboard

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"syscall"
)

// DefaultAddress is where the local end listens unless told otherwise: this machine only.
const DefaultAddress = "localhost"

// ValidateAddress accepts what client-go's port-forward can listen on: "localhost" or one IP address.
func ValidateAddress(address string) error {
	if address == DefaultAddress || net.ParseIP(address) != nil {
		return nil
	}
	return fmt.Errorf("invalid --address %q: want localhost or an IP address such as 127.0.0.1 or 0.0.0.0", address)
}

// Exposed reports whether address lets other machines in: anything but localhost and loopback addresses.
func Exposed(address string) bool {
	if address == DefaultAddress {
		return false
	}
	ip := net.ParseIP(address)
	return ip == nil || !ip.IsLoopback()
}

// URLHost is the host to print in the URL for a listener on address: a browser cannot open 0.0.0.0 everywhere,
// and localhost reaches an all-interfaces listener too.
func URLHost(address string) string {
	if ip := net.ParseIP(address); ip != nil && ip.IsUnspecified() {
		return DefaultAddress
	}
	return address
}

func joinHostPort(host string, port int) string { return net.JoinHostPort(host, strconv.Itoa(port)) }

// bindAddr is one address client-go's port-forward listens on.
type bindAddr struct {
	ip string
	v6 bool
}

func (b bindAddr) network() string {
	if b.v6 {
		return "tcp6"
	}
	return "tcp4"
}

// listenIPs are the addresses client-go's port-forward binds for address: both loopbacks for localhost.
func listenIPs(address string) []bindAddr {
	if address == DefaultAddress {
		return []bindAddr{{"127.0.0.1", false}, {"::1", true}}
	}
	return []bindAddr{{address, net.ParseIP(address).To4() == nil}}
}

// probePort checks that port is free on every address the forward will bind. client-go's port-forward
// succeeds on localhost when only one of 127.0.0.1 and ::1 is free, and the browser may then reach whatever
// holds the other one; so a port taken on either is taken.
func probePort(address string, port int) error {
	var held []net.Listener
	defer func() {
		for _, l := range held {
			_ = l.Close()
		}
	}()
	for _, a := range listenIPs(address) {
		l, err := net.Listen(a.network(), joinHostPort(a.ip, port))
		if err != nil {
			if a.v6 && address == DefaultAddress && !errors.Is(err, syscall.EADDRINUSE) {
				continue // no IPv6 loopback on this host: nothing can hold the port there
			}
			return &PortInUseError{Address: address, Port: port, Err: unwrapOpError(err)}
		}
		held = append(held, l)
	}
	return nil
}

// freePort asks the kernel for a port that is free on every address the forward will bind.
func freePort(address string) (int, error) {
	first := listenIPs(address)[0]
	var lastErr error
	// A port free on 127.0.0.1 may be held on ::1; a few tries find one free on both.
	for range 8 {
		l, err := net.Listen(first.network(), joinHostPort(first.ip, 0))
		if err != nil {
			return 0, fmt.Errorf("find a free local port on %s: %w", address, unwrapOpError(err))
		}
		port := l.Addr().(*net.TCPAddr).Port
		_ = l.Close()
		if lastErr = probePort(address, port); lastErr == nil {
			return port, nil
		}
	}
	return 0, fmt.Errorf("find a free local port on %s: %w", address, lastErr)
}

// choosePort returns the local port to forward from: port itself when free; a free one when port is 0, or
// when port is taken and fallback allows it. Taken and no fallback is a *PortInUseError.
func choosePort(address string, port int, fallback bool) (int, error) {
	if port == 0 {
		return freePort(address)
	}
	err := probePort(address, port)
	if err == nil {
		return port, nil
	}
	if fallback {
		return freePort(address)
	}
	return 0, err
}

func unwrapOpError(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}
