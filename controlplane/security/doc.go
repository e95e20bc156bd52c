// Package security starts meshd's security singletons and servers in one call: leader election (a client-go
// Lease), the CA (Secrets, CSR service, root publisher), meshd's serving certificate, and the injection and
// validation webhooks on WebhookPort with their configurations' CA bundle. cmd/meshd builds Options from its
// flags and environment, calls New, registers the CSR service on its 15012 gRPC server with Register, serves
// that server with TLSConfig, and runs Run until SIGTERM.
package security
