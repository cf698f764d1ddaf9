package node

import (
	"fmt"
	"net"
	"net/netip"
)

// normalizeAddr returns the one spelling of a listen address a peer told
// us (in PEERS or HELLO): an IP literal and a port from 1 to 65535, as
// netip writes it ("127.0.0.1:80", "[::1]:80"), an IPv4-mapped IPv6
// address as IPv4, a port without leading zeros. Host names are refused:
// resolving names a peer hands out would let it spell one host many ways
// and aim our dials through DNS; unspecified, multicast and broadcast
// addresses are refused too. The user's own addresses (-join, connect) may
// be host names; they are not normalized.
func normalizeAddr(addr string) (string, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		host, _, splitErr := net.SplitHostPort(addr)
		if splitErr == nil && host != "" && !isIPLike(host) {
			return "", fmt.Errorf("address %q: a host name from a peer is not dialled (only IP addresses)", addr)
		}
		return "", fmt.Errorf("address %q is not IP:PORT", addr)
	}
	ip := ap.Addr().Unmap().WithZone("")
	switch {
	case ap.Port() == 0:
		return "", fmt.Errorf("address %q: port 0", addr)
	case ip.IsUnspecified() || ip.IsMulticast() || ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "", fmt.Errorf("address %q is not one host", addr)
	}
	return netip.AddrPortFrom(ip, ap.Port()).String(), nil
}

// isIPLike reports whether a host looks like an attempt at an IP literal
// (digits, dots, colons, hex), for the error message.
func isIPLike(host string) bool {
	for _, c := range host {
		if !(c >= '0' && c <= '9' || c == '.' || c == ':' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// hostKey is the host part of a normalized address, the unit of the
// per-host dial budget.
func hostKey(addr string) string {
	if ap, err := netip.ParseAddrPort(addr); err == nil {
		return ap.Addr().String()
	}
	host, _, _ := net.SplitHostPort(addr)
	return host
}
