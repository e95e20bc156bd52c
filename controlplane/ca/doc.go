// Package ca is the mesh's certificate authority inside meshd: it keeps the signing key (the user's
// plug-in CA in Secret cacerts, else the self-signed root in Secret istio-ca-secret, created once by the
// leader), signs workload certificates for Istio's CSR service (istio.v1.auth.IstioCertificateService)
// with the SPIFFE identity of the caller's service-account token, issues meshd's own serving certificate,
// and publishes the root in ConfigMap istio-ca-root-cert in every namespace.
//
// Nothing here keeps an issued certificate: signing is a pure function of the request and the current
// authority.
package ca
