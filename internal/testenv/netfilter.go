package testenv

import (
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"
)

// Chains the node's programs create, by name prefix: kube-proxy's and the kubelet's (KUBE-), the
// portmap CNI plugin's (CNI-) and the node's own guard (MESHTEST-). Only chains with these prefixes
// that did not exist before the node started are removed.
var nodeChainPrefixes = []string{"KUBE-", "CNI-", guardChainPrefix}

// ipFamilies are the iptables commands and the nft family each one's tables live in.
var ipFamilies = []struct{ iptables, save, restore, nft string }{
	{"iptables", "iptables-save", "iptables-restore", "ip"},
	{"ip6tables", "ip6tables-save", "ip6tables-restore", "ip6"},
}

// netfilterBefore is what existed before the node started.
type netfilterBefore struct {
	// Chains are "family/table/chain" of every iptables chain.
	Chains []string `json:"chains"`
	// Tables are "family table" of every nft table (iptables-nft's included).
	Tables []string `json:"tables"`
}

// iptablesDump is one family's iptables-save output, parsed.
type iptablesDump struct {
	chains map[string][]string       // table -> chains, in order
	rules  map[string][]iptablesRule // table -> rules
}

type iptablesRule struct {
	line  string   // as iptables-save prints it: "-A CHAIN ..."
	words []string // the words after -A, unquoted
}

func dumpIPTables(save string) (iptablesDump, error) {
	out, err := host(save)
	if err != nil {
		return iptablesDump{}, err
	}
	d := iptablesDump{chains: map[string][]string{}, rules: map[string][]iptablesRule{}}
	table := ""
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, "*"):
			table = line[1:]
			d.chains[table] = nil
		case strings.HasPrefix(line, ":"):
			d.chains[table] = append(d.chains[table], strings.Fields(line[1:])[0])
		case strings.HasPrefix(line, "-A "):
			words, err := splitShellWords(line[3:])
			if err != nil {
				return d, fmt.Errorf("%s: %w", save, err)
			}
			d.rules[table] = append(d.rules[table], iptablesRule{line: line, words: words})
		}
	}
	return d, nil
}

func snapshotNetfilter() (*netfilterBefore, error) {
	nb := &netfilterBefore{Tables: nftTables()}
	for _, fam := range ipFamilies {
		d, err := dumpIPTables(fam.save)
		if err != nil {
			return nil, err
		}
		for table, chains := range d.chains {
			for _, c := range chains {
				nb.Chains = append(nb.Chains, fam.nft+"/"+table+"/"+c)
			}
		}
	}
	slices.Sort(nb.Chains)
	return nb, nil
}

func isNodeChain(name string) bool {
	for _, p := range nodeChainPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// undoNetfilter removes the chains the node made (by prefix, only those that did not exist
// before), the rules of other chains that jump to them, and the nft tables that did not exist
// before and are now empty (iptables-nft creates a table on first use). Each family's removal is one
// iptables-restore batch: a node leaves about a hundred chains, and a command per chain takes seconds.
func undoNetfilter(nb *netfilterBefore) error {
	var errs []error
	for _, fam := range ipFamilies {
		d, err := dumpIPTables(fam.save)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var batch strings.Builder
		for table, chains := range d.chains {
			var mine []string
			for _, c := range chains {
				if isNodeChain(c) && !slices.Contains(nb.Chains, fam.nft+"/"+table+"/"+c) {
					mine = append(mine, c)
				}
			}
			if len(mine) == 0 {
				continue
			}
			// Rules elsewhere that jump into the chains go first, then the chains' rules, then
			// the chains.
			fmt.Fprintf(&batch, "*%s\n", table)
			for _, rule := range d.rules[table] {
				if !slices.Contains(mine, rule.words[0]) && jumpsTo(rule.words, mine) {
					batch.WriteString("-D " + strings.TrimPrefix(rule.line, "-A ") + "\n")
				}
			}
			for _, c := range mine {
				batch.WriteString("-F " + c + "\n")
			}
			for _, c := range mine {
				batch.WriteString("-X " + c + "\n")
			}
			batch.WriteString("COMMIT\n")
		}
		if batch.Len() == 0 {
			continue
		}
		cmd := exec.Command(fam.restore, "-w", "--noflush")
		cmd.Stdin = strings.NewReader(batch.String())
		if out, err := cmd.CombinedOutput(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w: %s", fam.restore, err, strings.TrimSpace(string(out))))
		}
	}
	errs = append(errs, deleteEmptyNftTables(nb.Tables))
	return errors.Join(errs...)
}

func jumpsTo(rule []string, chains []string) bool {
	for i := 0; i+1 < len(rule); i++ {
		if (rule[i] == "-j" || rule[i] == "-g") && slices.Contains(chains, rule[i+1]) {
			return true
		}
	}
	return false
}

// splitShellWords splits an iptables-save rule into words: iptables-save quotes a comment that holds
// spaces with double quotes and escapes quotes inside it with a backslash.
func splitShellWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord, inQuote := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inQuote && c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
		case c == '"':
			inQuote, inWord = !inQuote, true
		case !inQuote && (c == ' ' || c == '\t'):
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inQuote {
		return nil, fmt.Errorf("unterminated quote in %q", s)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}
