// Package translate turns the model's Snapshot into the Envoy v3 resources one proxy needs, with
// Istio's semantics and names (listeners virtualOutbound on 15001 and virtualInbound on 15006, one
// route configuration per HTTP port named by the port, clusters "outbound|PORT|SUBSET|HOST" and
// "inbound|PORT||"), and nothing outside the contract with the proxy (docs/xds.md, package
// xdscontract). A proxy receives only what it can use: the services its Sidecar's egress hosts and
// the objects' exportTo let it see, and a gateway only the services its routes name.
package translate
