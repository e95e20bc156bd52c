package ca

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/meshctl/meshctl/meshapi"
)

// Loader keeps a Current in step with the CA Secrets of meshd's namespace: the user's plug-in CA
// (cacerts) when there is one, else the self-signed root (istio-ca-secret).
type Loader struct {
	Client      kubernetes.Interface
	Namespace   string
	TrustDomain string
	Current     *Current
	Metrics     *Metrics
	Log         *slog.Logger

	plugged, selfSigned corelisters.SecretNamespaceLister
}

// AuthorityFromSecrets builds the authority from the plug-in CA secret when it is there (nil otherwise),
// else from the self-signed one. Both nil is (nil, nil): no CA yet.
func AuthorityFromSecrets(plugged, selfSigned *corev1.Secret) (*Authority, error) {
	if plugged != nil {
		d := plugged.Data
		for _, k := range []string{meshapi.CACertKey, meshapi.CAKeyKey, meshapi.RootCertKey, meshapi.CertChainKey} {
			if len(d[k]) == 0 {
				return nil, fmt.Errorf("secret %s/%s: key %s is missing or empty (a plug-in CA needs %s, %s, %s and %s)",
					plugged.Namespace, plugged.Name, k, meshapi.CACertKey, meshapi.CAKeyKey, meshapi.RootCertKey, meshapi.CertChainKey)
			}
		}
		a, err := NewAuthority(d[meshapi.CACertKey], d[meshapi.CAKeyKey], d[meshapi.CertChainKey], d[meshapi.RootCertKey])
		if err != nil {
			return nil, fmt.Errorf("secret %s/%s: %w", plugged.Namespace, plugged.Name, err)
		}
		a.Plugged = true
		return a, nil
	}
	if selfSigned != nil {
		d := selfSigned.Data
		a, err := NewAuthority(d[meshapi.CACertKey], d[meshapi.CAKeyKey], nil, d[meshapi.CACertKey])
		if err != nil {
			return nil, fmt.Errorf("secret %s/%s: %w", selfSigned.Namespace, selfSigned.Name, err)
		}
		return a, nil
	}
	return nil, nil
}

// Run watches the two Secrets and reloads the authority whenever one changes, until ctx ends.
func (l *Loader) Run(ctx context.Context) error {
	reload := make(chan struct{}, 1)
	poke := func() {
		select {
		case reload <- struct{}{}:
		default:
		}
	}
	handler := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { poke() },
		UpdateFunc: func(any, any) { poke() },
		DeleteFunc: func(any) { poke() },
	}
	lister := func(name string) (corelisters.SecretNamespaceLister, informers.SharedInformerFactory, error) {
		f := informers.NewSharedInformerFactoryWithOptions(l.Client, 0, informers.WithNamespace(l.Namespace),
			informers.WithTweakListOptions(func(o *metav1.ListOptions) {
				o.FieldSelector = fields.OneTermEqualSelector("metadata.name", name).String()
			}))
		inf := f.Core().V1().Secrets()
		if _, err := inf.Informer().AddEventHandler(handler); err != nil {
			return nil, nil, err
		}
		return inf.Lister().Secrets(l.Namespace), f, nil
	}
	var fPlugged, fSelf informers.SharedInformerFactory
	var err error
	if l.plugged, fPlugged, err = lister(meshapi.PluggedCASecret); err != nil {
		return err
	}
	if l.selfSigned, fSelf, err = lister(meshapi.CASecret); err != nil {
		return err
	}
	fPlugged.Start(ctx.Done())
	fSelf.Start(ctx.Done())
	defer fPlugged.Shutdown()
	defer fSelf.Shutdown()
	fPlugged.WaitForCacheSync(ctx.Done())
	fSelf.WaitForCacheSync(ctx.Done())
	poke()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-reload:
			l.load()
		}
	}
}

func (l *Loader) load() {
	get := func(lister corelisters.SecretNamespaceLister, name string) *corev1.Secret {
		s, err := lister.Get(name)
		if err != nil {
			return nil
		}
		return s
	}
	a, err := AuthorityFromSecrets(get(l.plugged, meshapi.PluggedCASecret), get(l.selfSigned, meshapi.CASecret))
	if err != nil {
		// Never fall back to the self-signed root when the user plugged in a CA: workloads would get
		// certificates their peers do not trust. Keep what is in service and say why.
		l.log().Error("CA: cannot load the signing certificate; keeping the one in service", "err", err)
		return
	}
	if a == nil {
		return
	}
	if old := l.Current.Get(); old == nil || !old.cert.Equal(a.cert) {
		l.log().Info("CA: signing certificate loaded", "plugged", a.Plugged, "subject", a.cert.Subject.String(),
			"notAfter", a.cert.NotAfter.Format(time.RFC3339))
	}
	l.Current.Set(a)
	if l.Metrics != nil {
		l.Metrics.RootExpiry.Set(float64(a.RootExpiry().Unix()))
	}
}

// EnsureSelfSigned creates the self-signed root Secret when neither it nor a plug-in CA exists: once, by
// the leader. A Secret created meanwhile by another replica wins.
func EnsureSelfSigned(ctx context.Context, client kubernetes.Interface, namespace, trustDomain string, log *slog.Logger) error {
	secrets := client.CoreV1().Secrets(namespace)
	for _, name := range []string{meshapi.PluggedCASecret, meshapi.CASecret} {
		_, err := secrets.Get(ctx, name, metav1.GetOptions{})
		if err == nil {
			return nil
		}
		if !apierrors.IsNotFound(err) {
			return fmt.Errorf("read Secret %s/%s: %w", namespace, name, err)
		}
	}
	certPEM, keyPEM, err := SelfSignedRoot(trustDomain, RootLifetime)
	if err != nil {
		return err
	}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: meshapi.CASecret, Namespace: namespace,
			Labels: map[string]string{meshapi.LabelPartOf: meshapi.PartOfMeshctl}},
		Type: meshapi.CASecretType,
		Data: map[string][]byte{
			meshapi.CACertKey: certPEM, meshapi.CAKeyKey: keyPEM,
			meshapi.CertChainKey: {}, meshapi.PrivateKeyKey: {}, meshapi.RootCertKey: {},
		},
	}
	if _, err := secrets.Create(ctx, secret, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create Secret %s/%s: %w", namespace, meshapi.CASecret, err)
	}
	if log != nil {
		log.Info("CA: created the self-signed root", "secret", namespace+"/"+meshapi.CASecret)
	}
	return nil
}

func (l *Loader) log() *slog.Logger {
	if l.Log == nil {
		return slog.Default()
	}
	return l.Log
}
