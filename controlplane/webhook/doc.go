// Package webhook is meshd's admission webhooks on WebhookPort (15017): sidecar injection at /inject (and
// Istio's /inject/<key>/<value>... variants, which set proxy environment variables) with package inject and
// the revision's istio-sidecar-injector ConfigMap, and validation of Istio configuration at /validate with
// meshapi/validation. It also writes the CA bundle into the revision's own webhook configurations and
// turns the validator's failurePolicy to Fail once it is verified to answer, as Istio does.
package webhook
