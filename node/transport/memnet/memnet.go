package memnet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"

	"github.com/p2p-chat/p2p/node/transport"
)

// Network is an in-memory transport.Transport. Many nodes can share one
// Network in one process. The zero value is not usable; call New.
type Network struct {
	bufSize int // bytes buffered in each direction before Write blocks

	mu        sync.Mutex // guards listeners, ports and next
	listeners map[string]*memListener
	ports     int // listeners made with a fresh address
	next      int // dials made
}

// DefaultBuffer is the bytes a Network connection buffers in each
// direction, about what a loopback TCP socket holds.
const DefaultBuffer = 256 << 10

// New returns an empty in-memory network whose connections buffer
// bufSize bytes in each direction (DefaultBuffer if bufSize <= 0).
func New(bufSize int) *Network {
	if bufSize <= 0 {
		bufSize = DefaultBuffer
	}
	return &Network{bufSize: bufSize, listeners: make(map[string]*memListener)}
}

// Listen registers a listener. An address that is empty or ends in ":0"
// gets a fresh address "127.77.0.1:N". Addresses are shaped like loopback
// TCP ones (an IP and a port), so the node treats them as it treats
// addresses on one machine: it learns, normalizes and dials them the same.
func (m *Network) Listen(addr string) (net.Listener, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if addr == "" || strings.HasSuffix(addr, ":0") {
		m.ports++
		addr = host + ":" + strconv.Itoa(m.ports%30000+1)
	}
	if _, ok := m.listeners[addr]; ok {
		return nil, fmt.Errorf("listen %s: %w", addr, transport.ErrAddrInUse)
	}
	l := &memListener{net: m, addr: memAddr(addr), conns: make(chan net.Conn), done: make(chan struct{})}
	m.listeners[addr] = l
	return l, nil
}

// Dial connects to a listener of this network.
func (m *Network) Dial(ctx context.Context, addr string) (net.Conn, error) {
	m.mu.Lock()
	l := m.listeners[addr]
	m.next++
	local := memAddr(host + ":" + strconv.Itoa(m.next%30000+32768))
	m.mu.Unlock()
	if l == nil {
		return nil, &net.OpError{Op: "dial", Net: "mem", Addr: memAddr(addr), Err: errors.New("connection refused")}
	}
	client, server := memPipe(local, l.addr, m.bufSize)
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
		return nil, &net.OpError{Op: "dial", Net: "mem", Addr: memAddr(addr), Err: errors.New("connection refused")}
	case <-ctx.Done():
		return nil, &net.OpError{Op: "dial", Net: "mem", Addr: memAddr(addr), Err: ctx.Err()}
	}
}

// host is the host of every memnet address, as all of one machine's
// sockets share 127.0.0.1: listeners get ports from 1 to 30000, dialers
// from 32768 up, as ephemeral ports do.
const host = "127.77.0.1"

type memAddr string

func (a memAddr) Network() string { return "mem" }
func (a memAddr) String() string  { return string(a) }

type memListener struct {
	net   *Network
	addr  memAddr
	conns chan net.Conn
	once  sync.Once
	done  chan struct{}
}

func (l *memListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *memListener) Close() error {
	l.once.Do(func() {
		close(l.done)
		l.net.mu.Lock()
		if l.net.listeners[string(l.addr)] == l {
			delete(l.net.listeners, string(l.addr))
		}
		l.net.mu.Unlock()
	})
	return nil
}

func (l *memListener) Addr() net.Addr { return l.addr }
