package capture

import (
	"net/netip"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// natRedirectPortSpecified is NF_NAT_RANGE_PROTO_SPECIFIED: the redirect carries a port, as nft sets it.
const natRedirectPortSpecified = 0x2

func table() *nftables.Table {
	return &nftables.Table{Name: TableName, Family: nftables.TableFamilyINet}
}

// queue adds the ruleset to the connection's batch, replacing any table of that name: adding the table
// first makes the delete succeed when it does not exist yet, and the kernel applies the batch as one
// transaction, so the namespace never runs with a partial ruleset.
func (r Ruleset) queue(c *nftables.Conn) {
	t := table()
	c.AddTable(t)
	c.DelTable(t)
	c.AddTable(t)
	chains := map[string]*nftables.Chain{}
	for _, ch := range r.Chains {
		nc := &nftables.Chain{Name: ch.Name, Table: t}
		switch ch.Hook {
		case HookPrerouting:
			nc.Type, nc.Hooknum, nc.Priority = nftables.ChainTypeNAT, nftables.ChainHookPrerouting, nftables.ChainPriorityNATDest
		case HookOutput:
			nc.Type, nc.Hooknum, nc.Priority = nftables.ChainTypeNAT, nftables.ChainHookOutput, nftables.ChainPriorityNATDest
		}
		chains[ch.Name] = c.AddChain(nc)
	}
	for _, ch := range r.Chains {
		for _, rl := range ch.Rules {
			c.AddRule(&nftables.Rule{Table: t, Chain: chains[ch.Name], Exprs: rl.exprs()})
		}
	}
}

// exprs compiles a rule as nft does: every match loads into register 1 and compares.
func (rl Rule) exprs() []expr.Any {
	var e []expr.Any
	tcpChecked := false
	checkTCP := func() {
		if !tcpChecked {
			e = append(e, &expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
				&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{unix.IPPROTO_TCP}})
			tcpChecked = true
		}
	}
	for _, m := range rl.Match {
		op := expr.CmpOpEq
		if m.Not {
			op = expr.CmpOpNeq
		}
		switch m.Kind {
		case MatchTCP:
			checkTCP()
		case MatchDPort:
			checkTCP()
			e = append(e, &expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
				&expr.Cmp{Op: op, Register: 1, Data: binaryutil.BigEndian.PutUint16(m.Port)})
		case MatchOIfName, MatchIIfName:
			key := expr.MetaKeyOIFNAME
			if m.Kind == MatchIIfName {
				key = expr.MetaKeyIIFNAME
			}
			name := make([]byte, ifNameSize)
			copy(name, m.Name)
			e = append(e, &expr.Meta{Key: key, Register: 1}, &expr.Cmp{Op: op, Register: 1, Data: name})
		case MatchSkUID, MatchSkGID:
			key := expr.MetaKeySKUID
			if m.Kind == MatchSkGID {
				key = expr.MetaKeySKGID
			}
			e = append(e, &expr.Meta{Key: key, Register: 1},
				&expr.Cmp{Op: op, Register: 1, Data: binaryutil.NativeEndian.PutUint32(m.ID)})
		case MatchDAddr, MatchSAddr:
			e = append(e, addrExprs(m.Prefix, m.Kind == MatchDAddr, op)...)
		}
	}
	switch rl.Verdict.Kind {
	case VerdictReturn:
		e = append(e, &expr.Verdict{Kind: expr.VerdictReturn})
	case VerdictJump:
		e = append(e, &expr.Verdict{Kind: expr.VerdictJump, Chain: rl.Verdict.Chain})
	case VerdictRedirect:
		e = append(e, &expr.Immediate{Register: 1, Data: binaryutil.BigEndian.PutUint16(rl.Verdict.Port)},
			&expr.Redir{RegisterProtoMin: 1, Flags: natRedirectPortSpecified})
	}
	return e
}

// addrExprs matches an address against a prefix: the layer 3 protocol first (an inet table sees IPv4
// and IPv6), then the address, masked when the prefix is not a single host.
func addrExprs(p netip.Prefix, dst bool, op expr.CmpOp) []expr.Any {
	proto, offset := byte(unix.NFPROTO_IPV4), uint32(12) // IPv4 source
	if p.Addr().Is6() {
		proto, offset = unix.NFPROTO_IPV6, 8
	}
	if dst {
		offset += uint32(p.Addr().BitLen() / 8)
	}
	n := uint32(p.Addr().BitLen() / 8)
	e := []expr.Any{
		&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{proto}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: offset, Len: n},
	}
	if !p.IsSingleIP() {
		mask := netip.PrefixFrom(onesAddr(p.Addr().Is4()), p.Bits()).Masked().Addr().AsSlice()
		e = append(e, &expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: n, Mask: mask, Xor: make([]byte, n)})
	}
	return append(e, &expr.Cmp{Op: op, Register: 1, Data: p.Masked().Addr().AsSlice()})
}

func onesAddr(v4 bool) netip.Addr {
	if v4 {
		return netip.AddrFrom4([4]byte{255, 255, 255, 255})
	}
	var b [16]byte
	for i := range b {
		b[i] = 0xff
	}
	return netip.AddrFrom16(b)
}
