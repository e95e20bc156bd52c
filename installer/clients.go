package installer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"syscall"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"

	"github.com/meshctl/meshctl/apiretry"
)

// Clients are the API clients the installer needs, all for one cluster.
type Clients struct {
	// Host is the API server's address, for messages.
	Host    string
	Kube    kubernetes.Interface
	Dynamic dynamic.Interface
	// scan lists every served kind (purge, prune); it drops the API server's deprecation warnings, which
	// a search through all kinds (v1 Endpoints) would otherwise print on every run.
	scan      dynamic.Interface
	Discovery discovery.CachedDiscoveryInterface
	// Mapper maps kinds to resources; Install resets it once its CRDs are established.
	Mapper meta.ResettableRESTMapper
}

// NewClients builds the clients from a REST config. Nothing is requested from the server yet.
//
// Requests retry transient failures (apiretry); a config the command already wrapped is not retried twice.
func NewClients(cfg *rest.Config) (*Clients, error) {
	cfg = apiretry.WrapConfig(rest.CopyConfig(cfg))
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("dynamic client: %w", err)
	}
	quiet := rest.CopyConfig(cfg)
	quiet.WarningHandler = rest.NoWarnings{}
	scan, err := dynamic.NewForConfig(quiet)
	if err != nil {
		return nil, fmt.Errorf("dynamic client: %w", err)
	}
	disc := memory.NewMemCacheClient(kube.Discovery())
	return &Clients{
		Host:      cfg.Host,
		Kube:      kube,
		Dynamic:   dyn,
		scan:      scan,
		Discovery: disc,
		Mapper:    restmapper.NewDeferredDiscoveryRESTMapper(disc),
	}, nil
}

// ServerVersion asks the API server for its version. It is the first request of every operation, so that
// an unreachable cluster fails with an UnreachableError before anything else is tried.
func (c *Clients) ServerVersion(ctx context.Context) (*version.Info, error) {
	type result struct {
		v   *version.Info
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := c.Discovery.ServerVersion()
		ch <- result{v, err}
	}()
	select {
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			// The API server accepted the connection and never answered (paused, overloaded): say so,
			// naming it, rather than "context deadline exceeded".
			return nil, &UnreachableError{Host: c.Host, Err: errors.New("no answer before the deadline")}
		}
		return nil, ctx.Err()
	case r := <-ch:
		if r.err != nil {
			if isUnreachable(r.err) {
				return nil, &UnreachableError{Host: c.Host, Err: r.err}
			}
			return nil, fmt.Errorf("ask %s for its version: %w", c.Host, r.err)
		}
		return r.v, nil
	}
}

// UnreachableError means no API server answered. The command adds which kubeconfig and context it used.
type UnreachableError struct {
	Host string
	Err  error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("no cluster reachable at %s: %v", e.Host, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

func isUnreachable(err error) bool {
	var uerr *url.Error
	var nerr net.Error
	var operr *net.OpError
	var dnserr *net.DNSError
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EHOSTUNREACH) ||
		errors.As(err, &operr) || errors.As(err, &dnserr) ||
		(errors.As(err, &uerr) && errors.As(uerr.Err, &nerr)) || apiretry.IsUnreachable(err)
}
