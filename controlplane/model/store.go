package model

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	securityv1 "istio.io/client-go/pkg/apis/security/v1"
	istioclient "istio.io/client-go/pkg/clientset/versioned"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/meshctl/meshctl/meshapi"
)

// StoreOptions configure a Store; zero values take the defaults.
type StoreOptions struct {
	// SystemNamespace holds ConfigMap istio (default istio-system).
	SystemNamespace string
	// MeshConfigMap is the ConfigMap's name (default "istio"; "istio-REV" for a revision).
	MeshConfigMap string
	// ClusterDomain is the cluster's DNS domain (default cluster.local).
	ClusterDomain string
	// CRDPoll is how often a missing Istio kind is looked for again (default 30s): installing the
	// CRDs after meshd needs no restart.
	CRDPoll time.Duration
	// OnEvent, when set, counts every informer event (kind, "add", "update" or "delete"), changed or
	// not: meshd's pilot_k8s_reg_events.
	OnEvent func(kind, event string)
	Log     *slog.Logger
}

// Store keeps the model in step with the API server.
type Store struct {
	opts      StoreOptions
	log       *slog.Logger
	informers []kindInformer // Run's after NewStore
	disco     discovery.DiscoveryInterface
	istioREST map[string]rest.Interface // by group/version

	mu      sync.Mutex
	w       *world
	version uint64
	snap    *Snapshot // nil: changed since the last Snapshot
	last    *Snapshot // the last one built
	// configChanged: something other than endpoints changed since last was built.
	configChanged bool
	handlers      []func(Change)
	missing       []string // Istio kinds whose CRD is not served: empty kinds
	synced        atomic.Bool
}

type kindInformer struct {
	kind string
	inf  cache.SharedIndexInformer
	// handled turns true once the Store's handler has applied the initial list; the informer's own
	// HasSynced turns true when the list is queued to handlers, before they have run.
	handled cache.InformerSynced
}

// istioKinds are the Istio resources the model watches (networking.istio.io/v1, security.istio.io/v1).
var istioKinds = []struct {
	kind, resource string
	obj            runtime.Object
	gv             string
}{
	{KindVirtualService, "virtualservices", &networkingv1.VirtualService{}, networkingGV},
	{KindDestinationRule, "destinationrules", &networkingv1.DestinationRule{}, networkingGV},
	{KindGateway, "gateways", &networkingv1.Gateway{}, networkingGV},
	{KindServiceEntry, "serviceentries", &networkingv1.ServiceEntry{}, networkingGV},
	{KindWorkloadEntry, "workloadentries", &networkingv1.WorkloadEntry{}, networkingGV},
	{KindSidecar, "sidecars", &networkingv1.Sidecar{}, networkingGV},
	{KindPeerAuthentication, "peerauthentications", &securityv1.PeerAuthentication{}, securityGV},
	{KindAuthorizationPolicy, "authorizationpolicies", &securityv1.AuthorizationPolicy{}, securityGV},
	{KindRequestAuthentication, "requestauthentications", &securityv1.RequestAuthentication{}, securityGV},
}

var (
	networkingGV = networkingv1.SchemeGroupVersion.String()
	securityGV   = securityv1.SchemeGroupVersion.String()
)

// NewStore prepares the informers; Run starts them. An Istio kind whose CRD is not installed is
// an empty kind (Missing lists them), not an error.
func NewStore(cfg *rest.Config, opts StoreOptions) (*Store, error) {
	if opts.SystemNamespace == "" {
		opts.SystemNamespace = meshapi.DefaultNamespace
	}
	if opts.MeshConfigMap == "" {
		opts.MeshConfigMap = meshapi.MeshConfigMap
	}
	if opts.ClusterDomain == "" {
		opts.ClusterDomain = DefaultClusterDomain
	}
	if opts.CRDPoll <= 0 {
		opts.CRDPoll = 30 * time.Second
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	istio, err := istioclient.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("istio client: %w", err)
	}
	s := &Store{opts: opts, log: opts.Log, w: newWorld(opts.ClusterDomain), disco: kube.Discovery(), istioREST: map[string]rest.Interface{
		networkingGV: istio.NetworkingV1().RESTClient(), securityGV: istio.SecurityV1().RESTClient()}}
	s.w.meshCM = opts.MeshConfigMap
	core := kube.CoreV1().RESTClient()
	s.add(KindService, cache.NewListWatchFromClient(core, "services", metav1.NamespaceAll, fields.Everything()), &corev1.Service{})
	s.add(KindEndpointSlice, cache.NewListWatchFromClient(kube.DiscoveryV1().RESTClient(), "endpointslices", metav1.NamespaceAll, fields.Everything()), &discoveryv1.EndpointSlice{})
	s.add(KindPod, cache.NewListWatchFromClient(core, "pods", metav1.NamespaceAll, fields.Everything()), &corev1.Pod{})
	s.add(KindNode, cache.NewListWatchFromClient(core, "nodes", metav1.NamespaceAll, fields.Everything()), &corev1.Node{})
	s.add(KindNamespace, cache.NewListWatchFromClient(core, "namespaces", metav1.NamespaceAll, fields.Everything()), &corev1.Namespace{})
	s.add(KindMeshConfig, cache.NewListWatchFromClient(core, "configmaps", opts.SystemNamespace,
		fields.OneTermEqualSelector("metadata.name", opts.MeshConfigMap)), &corev1.ConfigMap{})
	// Secrets of every namespace (a gateway may run in any), but never the two kinds that are
	// numerous or large and never credentials; trim keeps only the TLS keys of the rest.
	s.add(KindSecret, cache.NewListWatchFromClient(core, "secrets", metav1.NamespaceAll, fields.AndSelectors(
		fields.OneTermNotEqualSelector("type", string(corev1.SecretTypeServiceAccountToken)),
		fields.OneTermNotEqualSelector("type", "helm.sh/release.v1"))), &corev1.Secret{})

	served, err := s.served()
	if err != nil {
		return nil, err
	}
	for _, k := range istioKinds {
		if !served[k.gv+"/"+k.resource] {
			s.missing = append(s.missing, k.kind)
			s.log.Info("CRD not installed: the kind stays empty", "kind", k.kind, "group", k.gv)
			continue
		}
		s.addIstio(k.kind)
	}
	return s, nil
}

// served are the Istio resources the API server serves, as group/version/resource.
func (s *Store) served() (map[string]bool, error) {
	served := map[string]bool{}
	for _, gv := range []string{networkingGV, securityGV} {
		list, err := s.disco.ServerResourcesForGroupVersion(gv)
		switch {
		case err == nil:
			for _, r := range list.APIResources {
				served[gv+"/"+r.Name] = true
			}
		case apierrors.IsNotFound(err):
		default:
			return nil, fmt.Errorf("discover %s: %w", gv, err)
		}
	}
	return served, nil
}

func (s *Store) addIstio(kind string) kindInformer {
	for _, k := range istioKinds {
		if k.kind == kind {
			return s.add(kind, cache.NewListWatchFromClient(s.istioREST[k.gv], k.resource, metav1.NamespaceAll, fields.Everything()), k.obj)
		}
	}
	panic("model: not an Istio kind: " + kind) // istioKinds names every kind this is called with
}

// MissingKinds are the Istio kinds whose CRD is not served (yet): empty kinds.
func (s *Store) MissingKinds() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.missing...)
}

// add makes the kind's informer with the store's handler, and returns both: whether the handler has
// applied the initial list is the registration's HasSynced, not the informer's.
func (s *Store) add(kind string, lw cache.ListerWatcher, obj runtime.Object) kindInformer {
	inf := cache.NewSharedIndexInformer(lw, obj, 0, cache.Indexers{})
	if err := inf.SetTransform(s.w.transform); err != nil {
		panic(err) // only fails once the informer runs
	}
	reg, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { s.event(kind, "add"); s.apply(kind, nil, o, false) },
		UpdateFunc: func(old, o any) { s.event(kind, "update"); s.apply(kind, old, o, false) },
		DeleteFunc: func(o any) {
			s.event(kind, "delete")
			if d, ok := o.(cache.DeletedFinalStateUnknown); ok {
				o = d.Obj
			}
			s.apply(kind, nil, o, true)
		},
	})
	if err != nil {
		panic(err)
	}
	ki := kindInformer{kind, inf, reg.HasSynced}
	s.informers = append(s.informers, ki)
	return ki
}

func (s *Store) event(kind, event string) {
	if s.opts.OnEvent != nil {
		s.opts.OnEvent(kind, event)
	}
}

// Run runs the informers until ctx is done. Changes are reported once the first sync is complete
// (one Change naming every kind), then one per event.
func (s *Store) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, ki := range s.informers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ki.inf.Run(ctx.Done())
		}()
	}
	defer wg.Wait()
	synced := make([]cache.InformerSynced, len(s.informers))
	for i, ki := range s.informers {
		synced[i] = ki.handled
	}
	start := time.Now()
	if !cache.WaitForCacheSync(ctx.Done(), synced...) {
		return nil // ctx ended first
	}
	s.mu.Lock()
	s.configChanged = true
	s.mu.Unlock()
	s.synced.Store(true)
	s.log.Info("informers synced", "took", time.Since(start).Round(time.Millisecond), "missing_kinds", s.MissingKinds())
	kinds := make([]string, len(s.informers))
	for i, ki := range s.informers {
		kinds[i] = ki.kind
	}
	s.notify(Change{Kinds: kinds})
	t := time.NewTicker(s.opts.CRDPoll)
	defer t.Stop()
	for len(s.MissingKinds()) > 0 {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			s.watchNewKinds(ctx, &wg)
		}
	}
	<-ctx.Done()
	return nil
}

// watchNewKinds starts the informers of the missing kinds whose CRD is now served.
func (s *Store) watchNewKinds(ctx context.Context, wg *sync.WaitGroup) {
	served, err := s.served()
	if err != nil {
		s.log.Warn("looking for Istio's CRDs", "err", err)
		return
	}
	for _, kind := range s.MissingKinds() {
		k := kindResource(kind)
		if !served[k] {
			continue
		}
		ki := s.addIstio(kind)
		wg.Add(1)
		go func() {
			defer wg.Done()
			ki.inf.Run(ctx.Done())
		}()
		if !cache.WaitForCacheSync(ctx.Done(), ki.handled) {
			return
		}
		s.mu.Lock()
		s.missing = slices.DeleteFunc(s.missing, func(m string) bool { return m == kind })
		s.configChanged = true
		s.snap = nil
		s.mu.Unlock()
		s.log.Info("CRD installed: watching the kind", "kind", kind)
		s.notify(Change{Kinds: []string{kind}})
	}
}

func kindResource(kind string) string {
	for _, k := range istioKinds {
		if k.kind == kind {
			return k.gv + "/" + k.resource
		}
	}
	return ""
}

// HasSynced: every informer has listed its kind once.
func (s *Store) HasSynced() bool { return s.synced.Load() }

// OnChange registers f for every change after the first sync; f runs on the informers' goroutines
// and must not block.
func (s *Store) OnChange(f func(Change)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handlers = append(s.handlers, f)
}

// Snapshot is the model now, built at most once per change.
func (s *Store) Snapshot() *Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.snap == nil {
		s.snap = s.w.build(s.version, s.last, !s.configChanged)
		s.last, s.configChanged = s.snap, false
	}
	return s.snap
}

// apply stores or removes an object and reports the change, unless it changed nothing the model keeps.
func (s *Store) apply(kind string, old, obj any, deleted bool) {
	o, ok := obj.(runtime.Object)
	if !ok {
		return
	}
	if old != nil && !changed(old, obj) {
		return
	}
	ns, name, _, hasMeta := recordMeta(obj)
	s.mu.Lock()
	if kind == KindSecret && hasMeta && !s.w.keepsSecret(ns, name, o, deleted) {
		s.mu.Unlock()
		return // no TLS material before or after: nothing the model keeps
	}
	if deleted {
		s.w.remove(o)
	} else if err := s.w.set(o); err != nil {
		s.mu.Unlock()
		// A bad mesh config keeps the last good one.
		s.log.Error("ignoring an object meshd cannot read", "kind", kind, "err", err)
		return
	}
	c := Change{Kinds: []string{kind}, EndpointsOnly: endpointKinds[kind]}
	s.version++
	s.snap = nil
	// Credentials are read outside the configuration memo: a Secret keeps it.
	s.configChanged = s.configChanged || (!c.EndpointsOnly && kind != KindSecret)
	s.mu.Unlock()
	if !s.synced.Load() {
		return
	}
	if ns != "" {
		c.Namespaces = []string{ns}
	}
	s.notify(c)
}

func (s *Store) notify(c Change) {
	s.mu.Lock()
	hs := s.handlers
	s.mu.Unlock()
	for _, h := range hs {
		h(c)
	}
}

// endpointKinds change endpoints only: an EDS push. A WorkloadEntry is not one of them: it may
// back a DNS ServiceEntry, whose endpoints are in its cluster.
var endpointKinds = map[string]bool{KindEndpointSlice: true, KindPod: true, KindNode: true}

// changed: an update touched what the model keeps (a resync, a pod's status or a node's heartbeat
// does not).
func changed(old, obj any) bool {
	switch o := old.(type) {
	case *pod:
		np, _ := obj.(*pod)
		return np == nil || !samePod(o, np)
	case *corev1.Node:
		// Nodes change every few seconds (status heartbeats); only their locality matters here.
		nn, _ := obj.(*corev1.Node)
		return nn == nil || nodeLocality(o) != nodeLocality(nn)
	}
	_, _, orv, ok1 := recordMeta(old)
	_, _, nrv, ok2 := recordMeta(obj)
	return !ok1 || !ok2 || orv != nrv
}

var errNotSynced = errors.New("informers not synced")

// WaitForSync blocks until the informers have synced or ctx ends.
func (s *Store) WaitForSync(ctx context.Context) error {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for !s.HasSynced() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: %w", errNotSynced, ctx.Err())
		case <-t.C:
		}
	}
	return nil
}
