package testenv

import (
	"errors"
	"fmt"
	"slices"

	"github.com/google/nftables"
)

// nft tables are read and deleted through netlink (github.com/google/nftables) rather than the nft
// command: a fresh machine has iptables-nft, which creates the tables on first use, but often no nft
// binary, and then the empty tables the node caused would stay behind.

var nftFamilyNames = map[nftables.TableFamily]string{
	nftables.TableFamilyINet:   "inet",
	nftables.TableFamilyIPv4:   "ip",
	nftables.TableFamilyIPv6:   "ip6",
	nftables.TableFamilyARP:    "arp",
	nftables.TableFamilyNetdev: "netdev",
	nftables.TableFamilyBridge: "bridge",
}

// nftTables lists every nft table of the host as "family table" (iptables-nft's included), sorted; nil
// when netlink refuses (not root): then nothing is recorded and nothing deleted.
func nftTables() []string {
	c, err := nftables.New()
	if err != nil {
		return nil
	}
	ts, err := c.ListTables()
	if err != nil {
		return nil
	}
	var out []string
	for _, t := range ts {
		out = append(out, nftName(t))
	}
	slices.Sort(out)
	return out
}

func nftName(t *nftables.Table) string {
	fam, ok := nftFamilyNames[t.Family]
	if !ok {
		fam = fmt.Sprintf("family%d", t.Family)
	}
	return fam + " " + t.Name
}

// deleteEmptyNftTables deletes the tables that were not in before and hold no rule and no set now:
// what iptables-nft created for the node's chains. A table with anything in it is someone else's.
func deleteEmptyNftTables(before []string) error {
	c, err := nftables.New()
	if err != nil {
		return fmt.Errorf("nftables: %w", err)
	}
	ts, err := c.ListTables()
	if err != nil {
		return fmt.Errorf("nftables: list tables: %w", err)
	}
	var errs []error
	for _, t := range ts {
		if slices.Contains(before, nftName(t)) {
			continue
		}
		empty, err := nftTableEmpty(c, t)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !empty {
			continue
		}
		c.DelTable(t)
		if err := c.Flush(); err != nil {
			errs = append(errs, fmt.Errorf("nftables: delete table %s: %w", nftName(t), err))
		}
	}
	return errors.Join(errs...)
}

// nftTableEmpty reports whether a table has only chains without rules, and no sets.
func nftTableEmpty(c *nftables.Conn, t *nftables.Table) (bool, error) {
	chains, err := c.ListChainsOfTableFamily(t.Family)
	if err != nil {
		return false, fmt.Errorf("nftables: chains of %s: %w", nftName(t), err)
	}
	for _, ch := range chains {
		if ch.Table.Name != t.Name {
			continue
		}
		rules, err := c.GetRules(t, ch)
		if err != nil {
			return false, fmt.Errorf("nftables: rules of %s %s: %w", nftName(t), ch.Name, err)
		}
		if len(rules) > 0 {
			return false, nil
		}
	}
	sets, err := c.GetSets(t)
	if err != nil {
		return false, fmt.Errorf("nftables: sets of %s: %w", nftName(t), err)
	}
	return len(sets) == 0, nil
}
