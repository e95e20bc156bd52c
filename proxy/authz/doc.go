// Package authz is the proxy's request authentication and authorization: Envoy's jwt_authn (the
// form Istio's RequestAuthentication takes) and RBAC (AuthorizationPolicy) over the configuration
// in package ir. It knows nothing of listeners: the listener hands it a request's or connection's
// attributes and acts on the decision.
package authz
