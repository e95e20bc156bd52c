package capture

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/google/nftables"
)

// Conn opens a netlink connection to nftables in the current network namespace, or in the one of the
// namespace file descriptor netns when it is not negative.
func Conn(netns int) (*nftables.Conn, error) {
	var opts []nftables.ConnOption
	if netns >= 0 {
		opts = append(opts, nftables.WithNetNSFd(netns))
	}
	c, err := nftables.New(opts...)
	if err != nil {
		return nil, explain("open netlink to nftables", err)
	}
	return c, nil
}

// Apply replaces the capture table with the ruleset, in one transaction.
func Apply(c *nftables.Conn, r Ruleset) error {
	r.queue(c)
	if err := c.Flush(); err != nil {
		return explain("write the capture rules", err)
	}
	return nil
}

// Cleanup removes the capture table; it is not an error when there is none.
func Cleanup(c *nftables.Conn) error {
	t := table()
	c.AddTable(t)
	c.DelTable(t)
	if err := c.Flush(); err != nil {
		return explain("remove the capture rules", err)
	}
	return nil
}

// explain turns the kernel's refusals into what the user has to change.
func explain(what string, err error) error {
	switch {
	case errors.Is(err, syscall.EPERM), errors.Is(err, syscall.EACCES):
		return fmt.Errorf("%s: %w (mesh-init needs the NET_ADMIN capability in the pod's network namespace: run it as root with NET_ADMIN, as the injected istio-init container is)", what, err)
	case errors.Is(err, syscall.ENOENT), errors.Is(err, syscall.EOPNOTSUPP), errors.Is(err, syscall.EPROTONOSUPPORT), errors.Is(err, syscall.EAFNOSUPPORT):
		return fmt.Errorf("%s: %w (the kernel lacks nf_tables or its NAT support: load the nf_tables, nft_nat and nft_redir modules, or use the CNI plugin)", what, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}
