package memnet

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"github.com/p2p-chat/p2p/node/notify"
)

// memPipe returns the two ends of an in-memory connection.
func memPipe(a, b memAddr, size int) (*memConn, *memConn) {
	ab, ba := newMemBuf(size), newMemBuf(size)
	return &memConn{r: ba, w: ab, local: a, remote: b}, &memConn{r: ab, w: ba, local: b, remote: a}
}

// memBuf is one direction of a memConn: a bounded byte queue.
//
// mu guards every field; changed is broadcast whenever data, space, the
// closed flags or a deadline change, waking every waiter to look again.
type memBuf struct {
	max int

	mu      sync.Mutex
	data    []byte
	off     int  // data[off:] is unread
	wclosed bool // the writer will write no more (EOF after the data)
	rclosed bool // the reader is gone (writes fail)
	changed notify.Signal
	rDead   time.Time
	wDead   time.Time
}

func newMemBuf(max int) *memBuf {
	return &memBuf{max: max}
}

// notifyLocked wakes everyone waiting on this buffer.
func (b *memBuf) notifyLocked() { b.changed.Broadcast() }

// wait blocks until the buffer changes, a deadline is set, or the deadline
// dl passes. It is called with mu held and returns with it held.
func (b *memBuf) wait(dl time.Time) error {
	changed := b.changed.Wait()
	b.mu.Unlock()
	var timeout <-chan time.Time
	if !dl.IsZero() {
		d := time.Until(dl)
		if d <= 0 {
			b.mu.Lock()
			return os.ErrDeadlineExceeded
		}
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	var err error
	select {
	case <-changed:
	case <-timeout:
		err = os.ErrDeadlineExceeded
	}
	b.mu.Lock()
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
	b.changed.Broadcast()
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
