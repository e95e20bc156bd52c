package webhook

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/meshctl/meshctl/inject"
	"github.com/meshctl/meshctl/inject/locate"
)

// ConfigWatcher keeps the injection configuration of meshd's revision: ConfigMaps istio-sidecar-injector
// and istio (with "-<revision>"), read as kube-inject reads them (package locate), reloaded when they
// change. A change that does not parse keeps the configuration in service.
type ConfigWatcher struct {
	Client    kubernetes.Interface
	Namespace string
	// Revision is meshd's revision, "" for the default one.
	Revision string
	Log      *slog.Logger

	mu      sync.RWMutex
	config  *inject.Config
	podOpts inject.PodOptions
	err     error
}

// Config is the configuration in service, or nil and why there is none.
func (c *ConfigWatcher) Config() (*inject.Config, inject.PodOptions, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.config == nil {
		err := c.err
		if err == nil {
			err = fmt.Errorf("the injection configuration is not loaded yet")
		}
		return nil, c.podOpts, err
	}
	return c.config, c.podOpts, nil
}

// SetConfig puts a configuration in service (tests, and callers that load it themselves).
func (c *ConfigWatcher) SetConfig(cfg *inject.Config, opts inject.PodOptions) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.config, c.podOpts, c.err = cfg, opts, nil
}

// Run watches the ConfigMaps until ctx ends.
func (c *ConfigWatcher) Run(ctx context.Context) error {
	names := map[string]bool{}
	for _, in := range []locate.Input{locate.Templates, locate.Values, locate.Mesh} {
		names[in.ConfigMapName(c.Revision)] = true
	}
	reload := make(chan struct{}, 1)
	poke := func(obj any) {
		if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = d.Obj
		}
		if m, ok := obj.(metav1.Object); ok && !names[m.GetName()] {
			return
		}
		select {
		case reload <- struct{}{}:
		default:
		}
	}
	f := informers.NewSharedInformerFactoryWithOptions(c.Client, 0, informers.WithNamespace(c.Namespace))
	inf := f.Core().V1().ConfigMaps().Informer()
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: poke, UpdateFunc: func(_, n any) { poke(n) }, DeleteFunc: poke,
	}); err != nil {
		return err
	}
	f.Start(ctx.Done())
	defer f.Shutdown()
	podOpts := locate.PodOptions(c.Client.Discovery())
	poke(nil)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-reload:
			c.load(ctx, podOpts)
		}
	}
}

func (c *ConfigWatcher) load(ctx context.Context, podOpts inject.PodOptions) {
	srcs, err := locate.FromCluster(ctx, c.Client.CoreV1(), c.Namespace, c.Revision, locate.Templates, locate.Values, locate.Mesh)
	var cfg *inject.Config
	if err == nil {
		cfg, err = inject.Load(srcs[locate.Templates], srcs[locate.Values], srcs[locate.Mesh])
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.podOpts = podOpts
	if err != nil {
		c.err = err
		if c.config != nil {
			c.log().Error("injection: the changed configuration does not load; keeping the one in service", "err", err)
		} else {
			c.log().Error("injection: no configuration", "err", err)
		}
		return
	}
	c.config, c.err = cfg, nil
	c.log().Info("injection: configuration loaded", "namespace", c.Namespace, "revision", c.Revision, "policy", cfg.Policy)
}

func (c *ConfigWatcher) log() *slog.Logger {
	if c.Log == nil {
		return slog.Default()
	}
	return c.Log
}
