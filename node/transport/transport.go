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
// and how it dials. TCP is the real one; memnet runs many nodes in one
// process for tests and the simulator. The node needs nothing else from it.
//
// The conns it returns follow net.Conn's contract, which the node relies
// on: Close and the Set*Deadline methods may be called from any goroutine
// while another is blocked in Read or Write, and unblock it. The node
// never holds a node-wide lock while it calls a conn (it may hold the one
// peer's own lock while it sets that conn's read deadline), so a conn that
// blocks in Close (a tls.Conn sending its close_notify) holds up only the
// goroutine that closes it, never the rest of the node.
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
