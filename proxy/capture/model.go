package capture

import "net/netip"

// TableName is the nftables table (family inet, so IPv4 and IPv6 alike) that holds all of the capture.
const TableName = "meshctl"

// Ruleset is the table's content: a small model of the few nftables features capture uses, rendered
// either as netlink messages (Apply) or as `nft list ruleset` text (Text).
type Ruleset struct {
	Chains []Chain
}

// Hook attaches a base chain to a netfilter hook; a chain without one is only reached by a jump.
type Hook int

const (
	HookNone Hook = iota
	HookPrerouting
	HookOutput
)

// Chain is a named list of rules.
type Chain struct {
	Name  string
	Hook  Hook
	Rules []Rule
}

// Rule applies its verdict to a packet that satisfies every match.
type Rule struct {
	Match   []Match
	Verdict Verdict
}

// MatchKind is what a match looks at.
type MatchKind int

const (
	MatchTCP     MatchKind = iota // the packet is TCP (needed before a redirect that has no port match)
	MatchDPort                    // TCP destination port
	MatchOIfName                  // output interface
	MatchIIfName                  // input interface
	MatchSkUID                    // the sending socket's owner
	MatchSkGID                    // the sending socket's group
	MatchDAddr                    // destination address in a prefix
	MatchSAddr                    // source address in a prefix
)

// Match is one condition; Not inverts it.
type Match struct {
	Kind   MatchKind
	Not    bool
	Port   uint16
	ID     uint32
	Name   string
	Prefix netip.Prefix
}

// VerdictKind is what a rule does.
type VerdictKind int

const (
	VerdictReturn   VerdictKind = iota // leave the chain: the packet is not captured
	VerdictJump                        // continue in another chain
	VerdictRedirect                    // redirect to a local port: captured
)

// Verdict is a rule's action.
type Verdict struct {
	Kind  VerdictKind
	Chain string // VerdictJump
	Port  uint16 // VerdictRedirect
}

func tcp() Match                      { return Match{Kind: MatchTCP} }
func dport(p uint16) Match            { return Match{Kind: MatchDPort, Port: p} }
func oif(name string) Match           { return Match{Kind: MatchOIfName, Name: name} }
func iif(name string) Match           { return Match{Kind: MatchIIfName, Name: name} }
func skuid(id uint32, not bool) Match { return Match{Kind: MatchSkUID, ID: id, Not: not} }
func skgid(id uint32, not bool) Match { return Match{Kind: MatchSkGID, ID: id, Not: not} }
func daddr(p netip.Prefix, not bool) Match {
	return Match{Kind: MatchDAddr, Prefix: p, Not: not}
}
func saddr(p netip.Prefix) Match { return Match{Kind: MatchSAddr, Prefix: p} }

func ret() Verdict                    { return Verdict{Kind: VerdictReturn} }
func jump(chain string) Verdict       { return Verdict{Kind: VerdictJump, Chain: chain} }
func redirect(port uint16) Verdict    { return Verdict{Kind: VerdictRedirect, Port: port} }
func rule(v Verdict, m ...Match) Rule { return Rule{Match: m, Verdict: v} }
