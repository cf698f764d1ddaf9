package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"
)

// Transport is the seam between the node and the network: where it listens
// and how it dials. TCP is the real one; MemNetwork runs many nodes in one
// process for tests and the simulator (package memnet). The node needs
// nothing else from it.

type Transport interface {
	Listen(addr string) (net.Listener, error)
	Dial(ctx context.Context, addr string) (net.Conn, error)
}

// ErrAddrInUse is wrapped by a Transport's Listen error when the address is
// taken. The node uses it to try the next port after the default one.
var ErrAddrInUse = errors.New("address already in use")

// TCP is the Transport over real TCP sockets. KeepAlive sets the TCP
// keepalive period (0 means the operating system's default, negative
// disables it).
type TCP struct {
	KeepAlive time.Duration
}

// Listen listens on a TCP address such as ":55555" or "127.0.0.1:0".
func (t TCP) Listen(addr string) (net.Listener, error) {
	lc := net.ListenConfig{KeepAlive: t.KeepAlive}
	ln, err := lc.Listen(context.Background(), "tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("%w: %w", ErrAddrInUse, err)
		}
		return nil, err
	}
	return ln, nil
}

// Dial connects to a TCP address.
func (t TCP) Dial(ctx context.Context, addr string) (net.Conn, error) {
	d := net.Dialer{KeepAlive: t.KeepAlive}
	return d.DialContext(ctx, "tcp", addr)
}
