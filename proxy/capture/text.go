package capture

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Text renders the ruleset as `nft list ruleset` prints the table once it is applied, which is what
// --dry-run shows and what a test compares with nft's own listing.
func (r Ruleset) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "table inet %s {\n", TableName)
	for i, c := range r.Chains {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "\tchain %s {\n", c.Name)
		switch c.Hook {
		case HookPrerouting:
			b.WriteString("\t\ttype nat hook prerouting priority dstnat; policy accept;\n")
		case HookOutput:
			b.WriteString("\t\ttype nat hook output priority -100; policy accept;\n")
		}
		for _, rl := range c.Rules {
			b.WriteString("\t\t")
			b.WriteString(rl.text())
			b.WriteString("\n")
		}
		b.WriteString("\t}\n")
	}
	b.WriteString("}\n")
	return b.String()
}

func (rl Rule) text() string {
	var parts []string
	hasPort := false
	for _, m := range rl.Match {
		if m.Kind == MatchDPort {
			hasPort = true
		}
	}
	for _, m := range rl.Match {
		if m.Kind == MatchTCP && hasPort {
			continue // nft folds it into "tcp dport"
		}
		parts = append(parts, m.text())
	}
	switch rl.Verdict.Kind {
	case VerdictReturn:
		parts = append(parts, "return")
	case VerdictJump:
		parts = append(parts, "jump "+rl.Verdict.Chain)
	case VerdictRedirect:
		parts = append(parts, "redirect to :"+strconv.Itoa(int(rl.Verdict.Port)))
	}
	return strings.Join(parts, " ")
}

func (m Match) text() string {
	op := " "
	if m.Not {
		op = " != "
	}
	switch m.Kind {
	case MatchTCP:
		return "meta l4proto tcp"
	case MatchDPort:
		return "tcp dport" + op + strconv.Itoa(int(m.Port))
	case MatchOIfName:
		return "oifname" + op + strconv.Quote(m.Name)
	case MatchIIfName:
		return "iifname" + op + strconv.Quote(m.Name)
	case MatchSkUID:
		return "meta skuid" + op + strconv.FormatUint(uint64(m.ID), 10)
	case MatchSkGID:
		return "meta skgid" + op + strconv.FormatUint(uint64(m.ID), 10)
	case MatchDAddr:
		return family(m.Prefix) + " daddr" + op + prefixText(m.Prefix)
	case MatchSAddr:
		return family(m.Prefix) + " saddr" + op + prefixText(m.Prefix)
	}
	return fmt.Sprintf("<match %d>", m.Kind)
}

func family(p netip.Prefix) string {
	if p.Addr().Is4() {
		return "ip"
	}
	return "ip6"
}

// prefixText prints a host route as its address, as nft does.
func prefixText(p netip.Prefix) string {
	if p.IsSingleIP() {
		return p.Addr().String()
	}
	return p.String()
}
