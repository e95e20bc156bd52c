package listener

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// soOriginalDst is SO_ORIGINAL_DST (and IP6T_SO_ORIGINAL_DST at the IPv6 level): the destination a
// connection had before a NAT redirect sent it to the proxy.
const soOriginalDst = 80

// ErrNotRedirected: the connection was not redirected, so it has no other original destination.
var ErrNotRedirected = errors.New("connection has no original destination (not redirected)")

// OriginalDst returns the destination a redirected TCP connection was addressed to, from the kernel's
// connection tracking.
func OriginalDst(c *net.TCPConn) (netip.AddrPort, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return netip.AddrPort{}, err
	}
	local, _ := c.LocalAddr().(*net.TCPAddr)
	v6 := local != nil && local.IP.To4() == nil
	var (
		dst   netip.AddrPort
		opErr error
	)
	err = raw.Control(func(fd uintptr) {
		dst, opErr = getOriginalDst(int(fd), v6)
	})
	if err != nil {
		return netip.AddrPort{}, err
	}
	return dst, opErr
}

func getOriginalDst(fd int, v6 bool) (netip.AddrPort, error) {
	var sa unix.RawSockaddrInet6 // large enough for either family
	size := uint32(unsafe.Sizeof(sa))
	level := unix.SOL_IP
	if v6 {
		level = unix.SOL_IPV6
	}
	_, _, errno := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), uintptr(level), soOriginalDst,
		uintptr(unsafe.Pointer(&sa)), uintptr(unsafe.Pointer(&size)), 0)
	if errno != 0 {
		if errno == syscall.ENOENT {
			return netip.AddrPort{}, ErrNotRedirected
		}
		return netip.AddrPort{}, fmt.Errorf("getsockopt SO_ORIGINAL_DST: %w", errno)
	}
	switch sa.Family {
	case unix.AF_INET:
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(&sa))
		return netip.AddrPortFrom(netip.AddrFrom4(sa4.Addr), ntohs(sa4.Port)), nil
	case unix.AF_INET6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), ntohs(sa.Port)), nil
	}
	return netip.AddrPort{}, fmt.Errorf("getsockopt SO_ORIGINAL_DST: unexpected address family %d", sa.Family)
}

// ntohs reads a port in network byte order, as the sockaddr holds it.
func ntohs(p uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(&p))
	return uint16(b[0])<<8 | uint16(b[1])
}
