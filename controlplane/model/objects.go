package model

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"sync"

	"google.golang.org/protobuf/proto"
	meshconfig "istio.io/api/mesh/v1alpha1"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	securityv1 "istio.io/client-go/pkg/apis/security/v1"
	istioscheme "istio.io/client-go/pkg/clientset/versioned/scheme"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	kubescheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/meshapi"
	"github.com/meshctl/meshctl/meshapi/validation"
)

// DefaultClusterDomain is the cluster's DNS domain unless told otherwise.
const DefaultClusterDomain = "cluster.local"

// FromObjects builds a Snapshot from plain objects, as the Store would from the API server: for
// golden tests and tools. ConfigMap istio in any namespace is the mesh config; kinds the model does
// not keep are ignored.
func FromObjects(domain string, objs ...runtime.Object) (*Snapshot, error) {
	w := newWorld(domain)
	for _, o := range objs {
		if m, ok := o.(metav1.Object); ok && m.GetNamespace() == "" {
			if _, cluster := o.(*corev1.Node); !cluster {
				if _, cluster = o.(*corev1.Namespace); !cluster {
					m.SetNamespace(metav1.NamespaceDefault)
				}
			}
		}
		if err := w.set(o); err != nil {
			return nil, err
		}
	}
	return w.build(1, nil, false), nil
}

// set stores one object, trimmed.
func (w *world) set(o runtime.Object) error {
	switch o := o.(type) {
	case *corev1.Service:
		w.services[key(o.Namespace, o.Name)] = service(o, w.domain)
	case *discoveryv1.EndpointSlice:
		w.slices[key(o.Namespace, o.Name)] = w.endpointSlice(o)
	case *serviceRecord:
		w.services[key(o.namespace, o.name)] = o.svc
	case *slice:
		w.slices[key(o.namespace, o.name)] = o
	case *corev1.Pod:
		w.pods[key(o.Namespace, o.Name)] = w.podInfo(o)
	case *pod:
		w.pods[key(o.namespace, o.name)] = o
	case *corev1.Node:
		w.nodes[o.Name] = nodeLocality(o)
	case *corev1.Namespace:
		w.namespaces[o.Name] = o.Labels
	case *corev1.Secret:
		w.credsChanged = true
		if c := credential(o); c != nil {
			w.creds[key(o.Namespace, o.Name)] = c
		} else {
			delete(w.creds, key(o.Namespace, o.Name))
		}
	case *corev1.ConfigMap:
		if o.Name != w.meshCM {
			return nil
		}
		m, err := ParseMeshConfig(o.Data[meshapi.MeshConfigKey])
		if err != nil {
			return fmt.Errorf("ConfigMap %s/%s: %w", o.Namespace, o.Name, err)
		}
		w.mesh = m
	case *networkingv1.VirtualService:
		w.vs[key(o.Namespace, o.Name)] = newConfig(o.ObjectMeta, &o.Spec)
	case *networkingv1.DestinationRule:
		w.dr[key(o.Namespace, o.Name)] = newConfig(o.ObjectMeta, &o.Spec)
	case *networkingv1.Gateway:
		w.gw[key(o.Namespace, o.Name)] = newConfig(o.ObjectMeta, &o.Spec)
	case *networkingv1.ServiceEntry:
		w.setServiceEntry(newConfig(o.ObjectMeta, &o.Spec))
	case *networkingv1.WorkloadEntry:
		w.we[key(o.Namespace, o.Name)] = newConfig(o.ObjectMeta, &o.Spec)
	case *networkingv1.Sidecar:
		w.sc[key(o.Namespace, o.Name)] = newConfig(o.ObjectMeta, &o.Spec)
	case *securityv1.PeerAuthentication:
		w.pa[key(o.Namespace, o.Name)] = newConfig(o.ObjectMeta, &o.Spec)
	case *securityv1.AuthorizationPolicy:
		w.authz[key(o.Namespace, o.Name)] = newConfig(o.ObjectMeta, &o.Spec)
	case *securityv1.RequestAuthentication:
		w.reqAuthn[key(o.Namespace, o.Name)] = newConfig(o.ObjectMeta, &o.Spec)
	}
	return nil
}

func newConfig[T proto.Message](m metav1.ObjectMeta, spec T) *Config[T] {
	return &Config[T]{Name: m.Name, Namespace: m.Namespace, Labels: m.Labels, Created: m.CreationTimestamp.Time, Spec: spec}
}

// ParseMeshConfig reads ConfigMap istio's "mesh" key (YAML) over Istio's defaults for the fields
// meshd reads; an empty text is the defaults.
func ParseMeshConfig(text string) (*meshconfig.MeshConfig, error) {
	var v any
	if err := yaml.Unmarshal([]byte(text), &v); err != nil {
		return nil, fmt.Errorf("%s: %w", meshapi.MeshConfigKey, err)
	}
	if v == nil {
		return DefaultMeshConfig(), nil
	}
	m, errs := validation.DecodeMeshConfig(v, meshapi.MeshConfigKey)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	def := DefaultMeshConfig()
	if m.GetRootNamespace() == "" {
		m.RootNamespace = def.RootNamespace
	}
	if m.GetOutboundTrafficPolicy() == nil {
		m.OutboundTrafficPolicy = def.OutboundTrafficPolicy
	}
	return m, nil
}

// decoder knows the Kubernetes and Istio kinds; built once.
var decoder = sync.OnceValues(func() (runtime.Decoder, error) {
	scheme := runtime.NewScheme()
	if err := kubescheme.AddToScheme(scheme); err != nil {
		return nil, err
	}
	if err := istioscheme.AddToScheme(scheme); err != nil {
		return nil, err
	}
	return serializer.NewCodecFactory(scheme).UniversalDeserializer(), nil
})

// DecodeYAML reads the Kubernetes and Istio objects of a multi-document YAML stream.
func DecodeYAML(r io.Reader) ([]runtime.Object, error) {
	dec, err := decoder()
	if err != nil {
		return nil, err
	}
	rd := utilyaml.NewYAMLReader(bufio.NewReader(r))
	var out []runtime.Object
	for i := 0; ; i++ {
		doc, err := rd.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if !hasContent(doc) {
			continue
		}
		o, _, err := dec.Decode(doc, nil, nil)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		out = append(out, o)
	}
}

// hasContent: a document of only comments and blank lines is no object.
func hasContent(doc []byte) bool {
	for _, l := range bytes.Split(doc, []byte("\n")) {
		l = bytes.TrimSpace(l)
		if len(l) > 0 && l[0] != '#' && !bytes.Equal(l, []byte("---")) {
			return true
		}
	}
	return false
}

// TestStore is a Store without an API server, fed by hand: for benchmarks and tests of what
// changes cost.
type TestStore struct {
	w    *world
	last *Snapshot
	snap *Snapshot
	cfg  bool
	n    uint64
}

// NewTestStore holds objs.
func NewTestStore(domain string, objs ...runtime.Object) *TestStore {
	t := &TestStore{w: newWorld(domain), cfg: true}
	for _, o := range objs {
		_ = t.w.set(o)
	}
	return t
}

// Set stores o as an informer event would; endpointsOnly says what kind of change it is.
func (t *TestStore) Set(o runtime.Object, endpointsOnly bool) {
	_ = t.w.set(o)
	t.snap = nil
	t.cfg = t.cfg || !endpointsOnly
}

// Snapshot is the model now, sharing configuration results as the Store does.
func (t *TestStore) Snapshot() *Snapshot {
	if t.snap == nil {
		t.n++
		t.snap = t.w.build(t.n, t.last, !t.cfg)
		t.last, t.cfg = t.snap, false
	}
	return t.snap
}
