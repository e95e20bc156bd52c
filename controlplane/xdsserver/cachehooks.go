package xdsserver

import (
	"fmt"
	"log/slog"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
)

// nodeKey keys the cache by the full node id: one snapshot per proxy.
type nodeKey struct{}

func (nodeKey) ID(n *core.Node) string { return n.GetId() }

// cacheLogger sends go-control-plane's logs to slog; its per-watch chatter stays at debug level.
type cacheLogger struct{ l *slog.Logger }

func (c cacheLogger) Debugf(f string, a ...any) { c.l.Debug(fmt.Sprintf(f, a...)) }
func (c cacheLogger) Infof(f string, a ...any)  { c.l.Debug(fmt.Sprintf(f, a...)) }
func (c cacheLogger) Warnf(f string, a ...any)  { c.l.Warn(fmt.Sprintf(f, a...)) }
func (c cacheLogger) Errorf(f string, a ...any) { c.l.Error(fmt.Sprintf(f, a...)) }

// shortType is Istio's label for a type (cds, eds, lds, rds ...).
func shortType(t types.ResponseType) string {
	url, err := cache.GetResponseTypeURL(t)
	if err != nil {
		return "unknown"
	}
	return shortTypeURL(url)
}

func shortTypeURL(url string) string {
	switch url {
	case resource.ClusterType:
		return "cds"
	case resource.EndpointType:
		return "eds"
	case resource.ListenerType:
		return "lds"
	case resource.RouteType:
		return "rds"
	case resource.SecretType:
		return "sds"
	case resource.ExtensionConfigType:
		return "ecds"
	case resource.ScopedRouteType:
		return "srds"
	case resource.RuntimeType:
		return "rtds"
	case resource.VirtualHostType:
		return "vhds"
	}
	return "other"
}
