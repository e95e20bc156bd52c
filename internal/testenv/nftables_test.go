package testenv

import (
	"slices"
	"testing"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"

	"github.com/meshctl/meshctl/internal/netns"
)

// TestDeleteEmptyNftTables: in a namespace of its own, the undo deletes a table that appeared and
// holds nothing (what iptables-nft leaves on a fresh machine), and keeps one that was there before and
// one that appeared but holds a rule.
func TestDeleteEmptyNftTables(t *testing.T) {
	ns := netns.New(t, "nft")
	var before, after []string
	err := ns.Run(func() error {
		c, err := nftables.New()
		if err != nil {
			return err
		}
		old := c.AddTable(&nftables.Table{Family: nftables.TableFamilyIPv4, Name: "old"})
		c.AddChain(&nftables.Chain{Name: "INPUT", Table: old, Type: nftables.ChainTypeFilter, Hooknum: nftables.ChainHookInput, Priority: nftables.ChainPriorityFilter})
		if err := c.Flush(); err != nil {
			return err
		}
		before = nftTables()

		empty := c.AddTable(&nftables.Table{Family: nftables.TableFamilyIPv4, Name: "mangle"})
		c.AddChain(&nftables.Chain{Name: "PREROUTING", Table: empty, Type: nftables.ChainTypeFilter, Hooknum: nftables.ChainHookPrerouting, Priority: nftables.ChainPriorityMangle})
		empty6 := c.AddTable(&nftables.Table{Family: nftables.TableFamilyIPv6, Name: "filter"})
		c.AddChain(&nftables.Chain{Name: "FORWARD", Table: empty6, Type: nftables.ChainTypeFilter, Hooknum: nftables.ChainHookForward, Priority: nftables.ChainPriorityFilter})
		busy := c.AddTable(&nftables.Table{Family: nftables.TableFamilyIPv4, Name: "theirs"})
		ch := c.AddChain(&nftables.Chain{Name: "OUTPUT", Table: busy, Type: nftables.ChainTypeFilter, Hooknum: nftables.ChainHookOutput, Priority: nftables.ChainPriorityFilter})
		c.AddRule(&nftables.Rule{Table: busy, Chain: ch, Exprs: []expr.Any{&expr.Counter{}}})
		if err := c.Flush(); err != nil {
			return err
		}
		if err := deleteEmptyNftTables(before); err != nil {
			return err
		}
		after = nftTables()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(before, []string{"ip old"}) {
		t.Fatalf("tables before: %q, want [ip old]", before)
	}
	if want := []string{"ip old", "ip theirs"}; !slices.Equal(after, want) {
		t.Errorf("tables after the undo: %q, want %q", after, want)
	}
}
