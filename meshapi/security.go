package meshapi

import (
	"fmt"
	"strings"
)

// The mesh's certificate authority: the names proxies, meshd, istioctl-style tools and users' plug-in CA
// secrets agree on (Istio's).
const (
	// CAAudience is the audience of the projected service-account token a proxy presents to the CA.
	CAAudience = "istio-ca"
	// DefaultTrustDomain is the trust domain of a mesh configuration that names none.
	DefaultTrustDomain = "cluster.local"

	// The keys of the CA secrets (CASecret, PluggedCASecret) and of the root certificate ConfigMap.
	CACertKey     = "ca-cert.pem"    // the signing certificate
	CAKeyKey      = "ca-key.pem"     // its private key
	CertChainKey  = "cert-chain.pem" // the chain from the signing certificate up to the root
	RootCertKey   = "root-cert.pem"  // the root(s) workloads trust; RootCertConfigMap's only key
	PrivateKeyKey = "key.pem"        // unused by meshd, written empty as Istio does

	// CASecretType is the type of the self-signed CA secret meshd creates.
	CASecretType = "istio.io/ca-root"

	// LabelIstioConfig marks the ConfigMaps meshd publishes in workload namespaces (istio-ca-root-cert).
	LabelIstioConfig = "istio.io/config"

	// ProxyRootCertFile and ProxyTokenFile are where the injection template mounts the mesh's root
	// (ConfigMap istio-ca-root-cert) and the projected token (audience CAAudience) in the proxy.
	ProxyRootCertFile = "/var/run/secrets/istio/" + RootCertKey
	ProxyTokenFile    = "/var/run/secrets/tokens/istio-token"

	// LeaderElectionLease is the Lease meshd's replicas elect the leader of the singletons with (creating the
	// self-signed CA, publishing istio-ca-root-cert): Istio's namespace controller's election.
	LeaderElectionLease = "istio-namespace-controller-election"
)

// SPIFFEID is the identity of a service account: spiffe://<trust domain>/ns/<namespace>/sa/<account>.
func SPIFFEID(trustDomain, namespace, serviceAccount string) string {
	if trustDomain == "" {
		trustDomain = DefaultTrustDomain
	}
	return "spiffe://" + trustDomain + "/ns/" + namespace + "/sa/" + serviceAccount
}

// ServiceAccountFromUsername reads the namespace and name of a service account out of the user name the
// API server gives its tokens (system:serviceaccount:<namespace>:<name>).
func ServiceAccountFromUsername(user string) (namespace, name string, err error) {
	rest, ok := strings.CutPrefix(user, "system:serviceaccount:")
	if !ok {
		return "", "", fmt.Errorf("%q is not a service account", user)
	}
	namespace, name, ok = strings.Cut(rest, ":")
	if !ok || namespace == "" || name == "" || strings.Contains(name, ":") {
		return "", "", fmt.Errorf("%q is not a service account", user)
	}
	return namespace, name, nil
}

// ControlPlaneDNSNames are the names meshd's serving certificate (xDS and CA on DiscoveryPort, webhooks on
// WebhookPort) must cover: its Service's, istiod.<ns>.svc and, for a revision, istiod-<rev>.<ns>.svc.
func ControlPlaneDNSNames(revision, namespace string) []string {
	names := []string{ControlPlane + "." + namespace + ".svc"}
	if revision != "" && revision != DefaultRevision {
		names = append(names, Revisioned(ControlPlane, revision)+"."+namespace+".svc")
	}
	return names
}
