package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// MemNetwork is an in-memory Transport: listeners are found by address in a
// map and connections are pairs of bounded byte buffers with deadlines and
// half-close, so the node's code paths are the same as over TCP. Many nodes
// can share one MemNetwork in one process. The zero value is not usable;
// call NewMemNetwork.
type MemNetwork struct {
	bufSize int // bytes buffered in each direction before Write blocks

	mu        sync.Mutex // guards listeners and next
	listeners map[string]*memListener
	next      int
}

// DefaultMemBuffer is the bytes a MemNetwork connection buffers in each
// direction, about what a loopback TCP socket holds.
const DefaultMemBuffer = 256 << 10

// NewMemNetwork returns an empty in-memory network whose connections buffer
// bufSize bytes in each direction (DefaultMemBuffer if bufSize <= 0).
func NewMemNetwork(bufSize int) *MemNetwork {
	if bufSize <= 0 {
		bufSize = DefaultMemBuffer
	}
	return &MemNetwork{bufSize: bufSize, listeners: make(map[string]*memListener)}
}

// Listen registers a listener. An address that is empty or ends in ":0"
// gets a fresh address "mem:N".
func (m *MemNetwork) Listen(addr string) (net.Listener, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if addr == "" || strings.HasSuffix(addr, ":0") {
		m.next++
		addr = "mem:" + strconv.Itoa(m.next)
	}
	if _, ok := m.listeners[addr]; ok {
		return nil, fmt.Errorf("listen %s: %w", addr, ErrAddrInUse)
	}
	l := &memListener{net: m, addr: memAddr(addr), conns: make(chan net.Conn), done: make(chan struct{})}
	m.listeners[addr] = l
	return l, nil
}

// Dial connects to a listener of this network.
func (m *MemNetwork) Dial(ctx context.Context, addr string) (net.Conn, error) {
	m.mu.Lock()
	l := m.listeners[addr]
	m.next++
	local := memAddr("mem-client:" + strconv.Itoa(m.next))
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

type memAddr string

func (a memAddr) Network() string { return "mem" }
func (a memAddr) String() string  { return string(a) }

type memListener struct {
	net   *MemNetwork
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

// memPipe returns the two ends of an in-memory connection.
func memPipe(a, b memAddr, size int) (*memConn, *memConn) {
	ab, ba := newMemBuf(size), newMemBuf(size)
	return &memConn{r: ba, w: ab, local: a, remote: b}, &memConn{r: ab, w: ba, local: b, remote: a}
}

// memBuf is one direction of a memConn: a bounded byte queue.
//
// mu guards every field; changed is closed and replaced whenever data,
// space or the closed flags change, waking every waiter.
type memBuf struct {
	max int

	mu       sync.Mutex
	data     []byte
	off      int  // data[off:] is unread
	wclosed  bool // the writer will write no more (EOF after the data)
	rclosed  bool // the reader is gone (writes fail)
	changed  chan struct{}
	waiters  int // goroutines in wait; notify only when there are some
	rDead    time.Time
	wDead    time.Time
	deadline chan struct{} // closed and replaced when a deadline is set
}

func newMemBuf(max int) *memBuf {
	return &memBuf{max: max, changed: make(chan struct{}), deadline: make(chan struct{})}
}

// notifyLocked wakes everyone waiting on this buffer.
func (b *memBuf) notifyLocked() {
	if b.waiters == 0 {
		return
	}
	close(b.changed)
	b.changed = make(chan struct{})
}

// wait blocks until the buffer changes, a deadline is set, or the deadline
// dl passes. It is called with mu held and returns with it held.
func (b *memBuf) wait(dl time.Time) error {
	changed, dch := b.changed, b.deadline
	b.waiters++
	b.mu.Unlock()
	var timeout <-chan time.Time
	if !dl.IsZero() {
		d := time.Until(dl)
		if d <= 0 {
			b.mu.Lock()
			b.waiters--
			return os.ErrDeadlineExceeded
		}
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	var err error
	select {
	case <-changed:
	case <-dch:
	case <-timeout:
		err = os.ErrDeadlineExceeded
	}
	b.mu.Lock()
	b.waiters--
	return err
}

func (b *memBuf) read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for {
		if b.rclosed {
			return 0, net.ErrClosed
		}
		// Like a socket, a passed deadline fails the read even when data is
		// waiting.
		if !b.rDead.IsZero() && !time.Now().Before(b.rDead) {
			return 0, os.ErrDeadlineExceeded
		}
		if b.off < len(b.data) {
			n := copy(p, b.data[b.off:])
			b.off += n
			if b.off == len(b.data) {
				// Drained: keep a small buffer, give a big one back, so
				// thousands of idle connections hold little memory.
				b.data, b.off = b.data[:0], 0
				if cap(b.data) > 8<<10 {
					b.data = nil
				}
			}
			b.notifyLocked()
			return n, nil
		}
		if b.wclosed {
			return 0, io.EOF
		}
		if err := b.wait(b.rDead); err != nil && !b.rDead.IsZero() && !time.Now().Before(b.rDead) {
			return 0, err
		}
	}
}

func (b *memBuf) write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	written := 0
	for written < len(p) {
		if b.wclosed {
			return written, net.ErrClosed
		}
		if b.rclosed {
			return written, &net.OpError{Op: "write", Net: "mem", Err: errors.New("connection reset by peer")}
		}
		if !b.wDead.IsZero() && !time.Now().Before(b.wDead) {
			return written, os.ErrDeadlineExceeded
		}
		if space := b.max - (len(b.data) - b.off); space > 0 {
			if b.off > 0 && len(b.data)+min(space, len(p)-written) > cap(b.data) {
				b.data = b.data[:copy(b.data, b.data[b.off:])]
				b.off = 0
			}
			n := min(space, len(p)-written)
			b.data = append(b.data, p[written:written+n]...)
			written += n
			b.notifyLocked()
			continue
		}
		if err := b.wait(b.wDead); err != nil && !b.wDead.IsZero() && !time.Now().Before(b.wDead) {
			return written, err
		}
	}
	return written, nil
}

func (b *memBuf) setDeadline(read bool, t time.Time) {
	b.mu.Lock()
	if read {
		b.rDead = t
	} else {
		b.wDead = t
	}
	close(b.deadline)
	b.deadline = make(chan struct{})
	b.mu.Unlock()
}

func (b *memBuf) closeWriter() {
	b.mu.Lock()
	if !b.wclosed {
		b.wclosed = true
		b.notifyLocked()
	}
	b.mu.Unlock()
}

func (b *memBuf) closeReader() {
	b.mu.Lock()
	if !b.rclosed {
		b.rclosed = true
		b.data, b.off = nil, 0
		b.notifyLocked()
	}
	b.mu.Unlock()
}

// memConn is one end of an in-memory connection: it reads from r and
// writes to w.
type memConn struct {
	r, w          *memBuf
	local, remote memAddr
}

func (c *memConn) Read(p []byte) (int, error)  { return c.r.read(p) }
func (c *memConn) Write(p []byte) (int, error) { return c.w.write(p) }

// Close closes both directions: the peer reads EOF after what was written.
func (c *memConn) Close() error {
	c.w.closeWriter()
	c.r.closeReader()
	return nil
}

// CloseWrite half-closes the connection, like (*net.TCPConn).CloseWrite.
func (c *memConn) CloseWrite() error {
	c.w.closeWriter()
	return nil
}

func (c *memConn) LocalAddr() net.Addr  { return c.local }
func (c *memConn) RemoteAddr() net.Addr { return c.remote }

func (c *memConn) SetDeadline(t time.Time) error {
	c.r.setDeadline(true, t)
	c.w.setDeadline(false, t)
	return nil
}
func (c *memConn) SetReadDeadline(t time.Time) error  { c.r.setDeadline(true, t); return nil }
func (c *memConn) SetWriteDeadline(t time.Time) error { c.w.setDeadline(false, t); return nil }
