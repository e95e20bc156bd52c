package cluster

import (
	"errors"
	"fmt"
)

var (
	// ErrNoHealthyUpstream: the cluster has no endpoint to pick (flag UH).
	ErrNoHealthyUpstream = errors.New("no healthy upstream")
	// ErrOverflow: a circuit breaker refused the request (flag UO).
	ErrOverflow = errors.New("upstream overflow")
)

// ConnectError is a failure to connect to an endpoint (flag UF).
type ConnectError struct {
	Addr string
	Err  error
}

func (e *ConnectError) Error() string { return fmt.Sprintf("connect to %s: %v", e.Addr, e.Err) }
func (e *ConnectError) Unwrap() error { return e.Err }
