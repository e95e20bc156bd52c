// Package capture is mesh-init's library: it turns the capture settings the injection template passes
// (istio-iptables' flags) into nftables rules and writes them into the current network namespace over
// netlink, so the pod's image needs no iptables or nft binary.
//
// Outbound TCP is redirected to the proxy's outbound port (15001), inbound TCP to its inbound port
// (15006); the proxy's own traffic (its UID and GID), loopback traffic and the excluded ports and CIDRs
// are left alone. Everything lives in one table, replaced in a single netlink transaction, so applying is
// idempotent and a pod never runs with half of its rules.
package capture
