package memnet

import (
	"context"
	"net"
	"testing"

	"golang.org/x/net/nettest"
)

// TestConnIsANetConn runs x/net's conformance suite for net.Conn on a
// memnet connection: reads and writes in both directions, deadlines in the
// past and future, concurrent Close, and the errors each must return.
func TestConnIsANetConn(t *testing.T) {
	nettest.TestConn(t, func() (c1, c2 net.Conn, stop func(), err error) {
		n := New(0)
		ln, err := n.Listen("")
		if err != nil {
			return nil, nil, nil, err
		}
		accepted := make(chan net.Conn, 1)
		go func() {
			c, err := ln.Accept()
			if err == nil {
				accepted <- c
			}
			close(accepted)
		}()
		c1, err = n.Dial(context.Background(), ln.Addr().String())
		if err != nil {
			ln.Close()
			return nil, nil, nil, err
		}
		c2 = <-accepted
		stop = func() {
			c1.Close()
			c2.Close()
			ln.Close()
		}
		return c1, c2, stop, nil
	})
}
