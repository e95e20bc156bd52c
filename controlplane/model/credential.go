package model

import (
	corev1 "k8s.io/api/core/v1"
)

// Credential is the TLS material of a Kubernetes Secret, as Istio reads a Gateway's (or
// DestinationRule's) credentialName: a certificate with its key, trusted roots, or both.
type Credential struct {
	Cert, Key, CA []byte
}

// The Secret keys Istio reads: kubernetes.io/tls's, then the generic ones.
const (
	secretTLSCert    = "tls.crt"
	secretTLSKey     = "tls.key"
	secretTLSCA      = "ca.crt"
	secretGenericCrt = "cert"
	secretGenericKey = "key"
	secretGenericCA  = "cacert"
)

var credentialKeys = []string{secretTLSCert, secretTLSKey, secretTLSCA, secretGenericCrt, secretGenericKey, secretGenericCA}

// credential reads a Secret's TLS material as Istio does (the generic keys win when both sets are
// there); nil when it holds none: such Secrets are not kept.
func credential(s *corev1.Secret) *Credential {
	c := &Credential{Cert: s.Data[secretGenericCrt], Key: s.Data[secretGenericKey], CA: s.Data[secretGenericCA]}
	if len(c.Cert) == 0 || len(c.Key) == 0 {
		c.Cert, c.Key = s.Data[secretTLSCert], s.Data[secretTLSKey]
	}
	if len(c.CA) == 0 {
		c.CA = s.Data[secretTLSCA]
	}
	if len(c.Cert) == 0 || len(c.Key) == 0 {
		c.Cert, c.Key = nil, nil
	}
	if c.Cert == nil && len(c.CA) == 0 {
		return nil
	}
	return c
}

// keepsSecret: the Secret holds TLS material now, or held it before this change.
func (w *world) keepsSecret(ns, name string, o any, deleted bool) bool {
	if _, ok := w.creds[key(ns, name)]; ok {
		return true
	}
	s, ok := o.(*corev1.Secret)
	return ok && !deleted && credential(s) != nil
}

// trimSecret keeps a Secret's identity and the keys credential reads: the informer's cache holds
// no other Secret data (service account tokens, Helm releases, application secrets).
func trimSecret(s *corev1.Secret) *corev1.Secret {
	out := &corev1.Secret{ObjectMeta: s.ObjectMeta, Type: s.Type}
	out.ManagedFields, out.OwnerReferences, out.Annotations, out.Labels = nil, nil, nil, nil
	for _, k := range credentialKeys {
		if v, ok := s.Data[k]; ok {
			if out.Data == nil {
				out.Data = map[string][]byte{}
			}
			out.Data[k] = v
		}
	}
	return out
}
