// Package apiretry is meshctl's one rule for which Kubernetes API failures are transient and how they are
// retried. Every cluster command sends its requests through Transport (installed by WrapConfig on the
// command's rest.Config), so install, uninstall, verify-install, manifest diff, x precheck, analyze and
// dashboard retry the same failures the same way, with the same bounded exponential backoff.
//
// Transient: connection refused, reset or closed early; timeouts; 429 Too Many Requests (its Retry-After is
// honoured); 5xx, which includes the API server's "error resolving resource" while a just-created CRD is
// not yet served; 409 Conflict on a server-side apply of our own objects (the apply carries no
// resourceVersion, so sending it again is the answer). Not transient: everything else, 403, 422 and
// admission denials in particular: sending them again gives the same answer.
//
// Retrying happens at one layer only, so that a struggling API server never sees retries multiplied:
// the transport gives up with an error client-go's own retry does not recognise and removes Retry-After
// from the last response it returns.
package apiretry
